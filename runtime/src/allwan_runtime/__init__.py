"""Shared plumbing of allwan services."""
