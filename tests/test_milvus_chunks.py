"""A Milvus view built write by write (chunks merged in memory along the way) answers exactly as one opened from
scratch, and a second process catching up by deltas answers the same."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import numpy as np
import pytest

from matcher.filters import Filters
from matcher.milvus.listing import MAX_CHUNKS
from tests.helpers import posting
from tests.milvus_helpers import SKIP_REASON, lite_version
from tests.test_store_conformance import corpus, docs_of, milvus_store

LITE = lite_version()
pytestmark = pytest.mark.skipif(LITE is None, reason=SKIP_REASON)


def answers(view) -> tuple:
    """What ranking reads from a view: live ids, BM25 per posting, tag counts, a filter's postings."""
    terms = Counter(["golang", "python", "sql", "remote"])
    masks = view.allowed(Filters(company="acme"))
    bm25 = view.bm25(terms, masks)
    allowed = {view.posting_id((s, int(d))) for s, m in enumerate(masks) for d in np.flatnonzero(m)}
    return (sorted(view.where), {pid: round(float(bm25[s][d]), 9) for pid, (s, d) in view.where.items()},
            view.tag_postings(), allowed, view.dfs(list(terms)), round(view.avgdl, 9))


def test_a_view_built_write_by_write_equals_a_fresh_open(tmp_path: Path) -> None:
    print(f"engine: Milvus Lite {LITE} embedded")
    where = f"milvus-lite://{tmp_path}/milvus.db"
    writer = milvus_store(where).open(must_exist=False)
    reader = milvus_store(where).open(must_exist=False)
    postings = corpus(2 * MAX_CHUNKS + 6)
    writer.upsert(docs_of(postings[:6]), {})
    reader.refresh()
    for i, p in enumerate(postings[6:]):
        writer.upsert(docs_of([p]), {})
        if i % 5 == 0:
            writer.delete([postings[i].id])
            writer.upsert(docs_of([posting(postings[i + 1].id, "Go Developer", "golang sql remote")]), {})
    # More commits than chunks a view keeps: chunks were merged in memory along the way.
    assert writer.reader().at > 2 * MAX_CHUNKS and len(writer.reader().segments) <= MAX_CHUNKS
    reader.refresh()  # caught up by reading the rows born or died since its version
    fresh = milvus_store(where).open(must_exist=True)
    assert answers(writer.reader()) == answers(fresh.reader()) == answers(reader.reader())
    assert writer.reader().version == fresh.reader().version == reader.reader().version
