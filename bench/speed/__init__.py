"""Speed and scale benchmarks for matcher: `python -m bench.speed {ingest,query,scale,peer,compare} [--quick]`.

Every report measures its baseline in the same run (these 2-core machines are noisy), prints a Markdown
section to stdout and writes JSON to `bench/out/speed-<report>.json`.
"""
