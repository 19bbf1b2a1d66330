"""Benchmarks: not tests. Each reports a ratio against a baseline measured in the same run."""
