"""Benchmarks: `make bench` runs bench.matching."""
