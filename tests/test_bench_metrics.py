"""bench.quality.metrics: hand-computed cases, and agreement with ../shared/eval/score.py (synthetic run)"""

from __future__ import annotations

import math
import random
import sys
from pathlib import Path

import pytest

# bench/ is not an installed package: make it importable under plain `pytest` too (python -m pytest adds cwd).
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.quality.data import shared_dir  # noqa: E402
from bench.quality.metrics import aggregate, query_metrics, score_run, unjudged_top10  # noqa: E402
from bench.quality.scorepy import disagreements, load_score_module  # noqa: E402
from bench.quality.systems import rrf, split_names  # noqa: E402


def test_perfect_ranking_scores_one() -> None:
    rels = {"a": 3, "b": 2, "c": 1, "d": 0}
    m = query_metrics(["a", "b", "c", "d"], rels)
    assert m == {"ndcg10": 1.0, "p5": 2 / 5, "mrr": 1.0, "r50": 1.0, "judged10": 1.0}


def test_hand_computed_small_case() -> None:
    rels = {"a": 3, "b": 2, "c": 1, "z": 0}
    m = query_metrics(["x", "c", "a"], rels)  # x unjudged, counts as grade 0
    dcg = 1 / math.log2(3) + 7 / math.log2(4)
    idcg = 7 / math.log2(2) + 3 / math.log2(3) + 1 / math.log2(4)
    assert m["ndcg10"] == pytest.approx(dcg / idcg)
    assert m["p5"] == pytest.approx(1 / 5)  # only "a" is rel >= 2 in the top 5
    assert m["mrr"] == pytest.approx(1 / 3)
    assert m["r50"] == pytest.approx(1 / 2)  # "a" of {"a", "b"}
    assert m["judged10"] == pytest.approx(2 / 3)  # short list: divided by its length, not 10


def test_only_first_ten_count_for_ndcg_and_judged() -> None:
    rels = {"hit": 3}
    ids = [f"u{i}" for i in range(10)] + ["hit"]
    m = query_metrics(ids, rels)
    assert m["ndcg10"] == 0.0 and m["judged10"] == 0.0
    assert m["mrr"] == pytest.approx(1 / 11) and m["r50"] == 1.0


def test_no_relevant_posting_leaves_recall_undefined_and_out_of_the_mean() -> None:
    low = query_metrics(["a"], {"a": 1})
    assert low["r50"] is None and low["mrr"] == 0.0 and low["ndcg10"] == 1.0
    high = query_metrics(["b"], {"b": 2})
    agg = aggregate([low, high])
    assert agg["r50"] == 1.0 and agg["ndcg10"] == 1.0 and agg["n"] == 2


def test_score_run_per_kind_and_overall_skips_unknown_queries() -> None:
    kinds = {"q1": "cv", "q2": "skills"}
    qrels = {"q1": {"a": 2}, "q2": {"b": 3}}
    run = {"q1": ["a"], "q2": ["x", "y"], "q3": ["a"]}
    out = score_run(kinds, qrels, run)
    assert out["cv"]["mrr"] == 1.0 and out["skills"]["mrr"] == 0.0
    assert out["all"]["mrr"] == 0.5 and out["all"]["n"] == 2 and "q3" not in out
    assert unjudged_top10(qrels, run)["q2"] == ["x", "y"]


def test_rrf_and_system_names() -> None:
    fused = rrf([{"q": ["a", "b"]}, {"q": ["b", "c"]}], k=10)
    assert fused["q"] == ["b", "a", "c"]
    assert split_names("bm25, rrf(bm25,dense-max),x") == ["bm25", "rrf(bm25,dense-max)", "x"]


def _synthetic(seed: int = 7) -> tuple[list[dict], dict[str, dict[str, int]], dict[str, list[str]]]:
    rng = random.Random(seed)
    docs = [f"d{i}" for i in range(300)]
    queries, qrels, run = [], {}, {}
    for i in range(40):
        qid = f"q{i}"
        queries.append({"qid": qid, "kind": ("cv", "profile", "skills")[i % 3]})
        judged = rng.sample(docs, rng.randint(1, 40))
        top = 1 if i % 7 == 0 else 3  # some queries without any rel >= 2, like three skills queries
        qrels[qid] = {d: rng.randint(0, top) for d in judged}
        run[qid] = rng.sample(docs, rng.choice([5, 10, 60, 100]))
    qrels["orphan"] = {"d1": 3}  # judged but not in the run or queries
    run["unknown"] = ["d1"]  # in the run but not a query
    return queries, qrels, run


def test_agrees_with_shared_score_py() -> None:
    root = shared_dir()
    if not (root / "eval" / "score.py").exists():
        pytest.skip(
            f"../shared is absent: no {root / 'eval' / 'score.py'} to compare with (set MATCHER_SHARED)"
        )
    reference = load_score_module(root)
    queries, qrels, run = _synthetic()
    ours = score_run({q["qid"]: q["kind"] for q in queries}, qrels, run)
    assert disagreements(ours, reference.score(queries, qrels, run)) == []
