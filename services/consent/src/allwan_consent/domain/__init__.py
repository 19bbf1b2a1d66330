"""The consent service's business rules: pure Python, no I/O."""
