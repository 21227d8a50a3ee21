"""Smoke test of the speed benchmark: `python -m bench.speed query --quick`, in process, on the seed index.

It checks the report's structure, never its timings (those depend on the machine and its load).
"""

from __future__ import annotations

import pytest

from tests.conftest import SHARED

pytestmark = [
    pytest.mark.model,
    pytest.mark.skipif(
        not (SHARED / "eval" / "queries.dev.jsonl").is_file(),
        reason=f"dev queries not found under {SHARED} (../shared is absent)",
    ),
]


def test_query_quick_report_structure(seed_index, embedder, monkeypatch) -> None:
    from bench.speed import query
    from bench.speed.common import new_result
    from matcher.config import Ranking

    monkeypatch.setenv("MATCHER_SHARED", str(SHARED))
    result = new_result("query", ["query", "--quick"], quick=True)
    result["params"] = {"k": query.K}
    result.update(query.run_in_process(seed_index, embedder=embedder, quick=True))

    assert result["index"]["postings"] > 0 and result["index"]["path"] == "retrieve, fetch, score"
    for kind in ("skills", "cv"):
        section = result["in_process"][kind]
        assert section["texts_embedded_per_query"] >= 1
        for c in query.CONCURRENCY:
            for prefix in ("match", "embed"):
                latency = section[f"{prefix}_c{c}"]
                assert latency["n"] == query.N_QUICK[kind] and latency["concurrency"] == c
                assert 0 < latency["p50_ms"] <= latency["p99_ms"] <= latency["max_ms"]
            assert section[f"match_c{c}"]["inner"]["n"] == query.N_QUICK[kind]  # embedding seen inside each match
    assert result["profile"]["top"] and all("/" in row["function"] for row in result["profile"]["top"])
    cases = {(c["what"], c["k"], str(c["omp_threads"])) for c in result["faiss"]["cases"]}
    assert ("bare index.search", 10, "1") in cases and ("bare index.search", 10, "2") in cases
    assert set(result["faiss"]["ratio_2_over_1_threads_p50"]) == {"10", str(Ranking().candidate_passages)}

    text = "\n".join(query.markdown(result))
    assert text.startswith("### Query latency") and "| query | concurrency |" in text and "FAISS" in text
