"""Benchmarks of `cardgen build` against the floors of its libraries (see bench/README.md)."""
