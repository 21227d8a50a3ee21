"""Ranking-quality harness: judged dev queries over the crocoder corpus, baselines, metrics, report.

Run from the repo root: `python -m bench.quality [--quick] [--systems ...] [--out ...]`.
"""
