"""allwan gateway service."""
