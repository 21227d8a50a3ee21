"""The metrics of ../shared/eval/score.py, reimplemented exactly (tests/test_bench_metrics.py pins that).

Per query: nDCG@10 (graded, gain 2^rel - 1), P@5 and MRR (relevant = rel >= 2), Recall@50 of rel >= 2
(undefined when a query has no posting graded 2+), judged@10 (share of the top 10 that is judged; unjudged
postings count as grade 0 everywhere). Per kind and overall: the mean over the queries where it is defined.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence

METRICS = ("ndcg10", "p5", "mrr", "r50", "judged10")
LABELS = {"ndcg10": "nDCG@10", "p5": "P@5", "mrr": "MRR", "r50": "R@50", "judged10": "judged@10"}
RELEVANT = 2  # grade from which a posting counts as relevant for P@5, MRR and R@50


def _dcg(gains: Iterable[float]) -> float:
    return sum(g / math.log2(i + 2) for i, g in enumerate(gains))


def query_metrics(ids: Sequence[str], rels: Mapping[str, int]) -> dict[str, float | None]:
    """The five metrics for one ranked list against one query's graded judgments."""
    idcg = _dcg(sorted((2**r - 1 for r in rels.values()), reverse=True)[:10])
    dcg = _dcg(2 ** rels.get(d, 0) - 1 for d in ids[:10])
    good = {d for d, r in rels.items() if r >= RELEVANT}
    mrr = next((1 / (i + 1) for i, d in enumerate(ids) if d in good), 0.0)
    return {
        "ndcg10": dcg / idcg if idcg else 0.0,
        "p5": sum(1 for d in ids[:5] if d in good) / 5,
        "mrr": mrr,
        "r50": len(good & set(ids[:50])) / len(good) if good else None,
        "judged10": sum(1 for d in ids[:10] if d in rels) / max(1, min(10, len(ids))),
    }


def aggregate(per_query: Sequence[Mapping[str, float | None]]) -> dict[str, float]:
    """Mean of each metric over the queries where it is defined, plus `n` (number of queries)."""
    out: dict[str, float] = {}
    for name in METRICS:
        values = [m[name] for m in per_query if m[name] is not None]
        out[name] = sum(values) / max(1, len(values))  # type: ignore[arg-type]
    out["n"] = len(per_query)
    return out


def score_run(
    kinds: Mapping[str, str], qrels: Mapping[str, Mapping[str, int]], run: Mapping[str, Sequence[str]]
) -> dict[str, dict[str, float]]:
    """{kind or "all": {metric: mean, "n": queries}} over the queries in `run`, `kinds` and `qrels`."""
    per: dict[str, list[dict[str, float | None]]] = defaultdict(list)
    for qid, ids in run.items():
        if qid not in kinds or qid not in qrels:
            continue
        m = query_metrics(ids, qrels[qid])
        per[kinds[qid]].append(m)
        per["all"].append(m)
    return {kind: aggregate(ms) for kind, ms in per.items()}


def unjudged_top10(qrels: Mapping[str, Mapping[str, int]], run: Mapping[str, Sequence[str]]) -> dict[str, list[str]]:
    """qid -> the postings in its top 10 that nobody judged (to judge next, or to discount the figures)."""
    return {qid: [d for d in ids[:10] if d not in qrels.get(qid, {})] for qid, ids in run.items()}
