"""Versioned integration events of allwan."""
