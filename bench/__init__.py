"""Benchmarks for matcher: ranking quality (`python -m bench.quality`)."""
