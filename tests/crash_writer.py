"""Run by tests/test_crash.py: write postings in a loop until killed, saying before each write what it tries and
after it what was acknowledged (one line each, flushed), so the parent knows what must survive a SIGKILL."""

from __future__ import annotations

import random
import sys
from pathlib import Path

from matcher.config import MatcherConfig, SegmentPolicy
from matcher.engine import Matcher
from tests.helpers import FakeEmbedder, posting


def main(folder: Path, prefix: str, seed: int) -> None:
    rng = random.Random(seed)
    config = MatcherConfig(segments=SegmentPolicy(max_segments=4, merge_factor=3, retire_seconds=0.0))
    m = Matcher.open(folder, embedder=FakeEmbedder(), config=config)
    mine: list[str] = []
    for i in range(10_000):
        if mine and rng.random() < 0.25:
            victim = mine.pop(rng.randrange(len(mine)))
            print(f"try-del {victim}", flush=True)
            m.delete([victim])
            print(f"ack-del {victim}", flush=True)
            continue
        p = posting(f"{prefix}-{i}", "Go Developer", f"Revision {i} of {prefix}. We build APIs in Go and Postgres.")
        print(f"try-put {p.id} {p.content_hash}", flush=True)
        m.upsert([p])
        print(f"ack-put {p.id} {p.content_hash}", flush=True)
        mine.append(p.id)


if __name__ == "__main__":
    main(Path(sys.argv[1]), sys.argv[2], int(sys.argv[3]))
