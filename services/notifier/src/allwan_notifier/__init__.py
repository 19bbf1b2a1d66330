"""allwan notifier service."""
