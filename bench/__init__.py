"""Benchmarks that print numbers: `python -m bench` (see bench/README.md)."""
