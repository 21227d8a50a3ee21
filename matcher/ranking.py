"""Ranking as stages, each with one owner: retrieve candidates (filters pushed into the search), fetch only those
postings, score named signals, then build explained results. `match`, `score_pairs` and `similar` share them.

Candidates are the union of: postings owning one of the passages nearest any query vector; the BM25 leaders; the
postings carrying the candidate's most informative tags. Every stage breaks ties by posting id, so an index
reached by any history of writes and merges gives the same candidates, scores and order as one built at once.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from matcher.calibration import Calibration
from matcher.config import MatcherConfig
from matcher.explain import informative, tag_explanation
from matcher.filters import Filters
from matcher.index.view import Fetched, Products, Ref, View
from matcher.lexical import Lexical
from matcher.query import PreparedQuery
from matcher.results import MatchResult, SimilarResult
from matcher.scoring import Evidence, Scored, dense_scores, score

SIMILAR_WEIGHTS = {"semantic": 0.6, "title": 0.2, "tags": 0.2}


@dataclass(frozen=True)
class Ranked:
    """The top results of one query and how many postings were scored exactly."""

    results: list[MatchResult]
    examined: int


def _informative_weights(prepared: PreparedQuery, view: View, minimum: float) -> dict[str, float]:
    weight = view.vocab.weight
    return {t: weight(t) * m.similarity for t, m in prepared.tags.items() if weight(t) >= minimum}


def retrieve(view: View, prepared: PreparedQuery, masks: Sequence[np.ndarray], lexical: Lexical,
             config: MatcherConfig, keep: Products | None = None) -> list[Ref]:
    """Candidate postings for a query, in storage order (segment, then document: the order `fetch` reads fastest).
    The order never decides a result: scores are per posting and ties go by posting id.

    Candidates are the passages' owners nearest the query vectors, the BM25 leaders (`Lexical`) and the postings
    carrying the candidate's most informative tags. `keep`: where the dense search leaves the cosines it computed
    over whole segments, for `score_refs` to read.
    """
    r = config.ranking
    refs = view.dense_hits(prepared.vectors, r.candidate_passages, masks, config.segments.ann_nprobe, keep)
    refs.update(lexical.leaders)
    tag_weights = _informative_weights(prepared, view, r.min_informative)
    if tag_weights:
        refs.update(view.top(view.with_tags(tag_weights, masks), r.candidate_tags))
    return sorted(refs)


def score_refs(view: View, prepared: PreparedQuery, refs: list[Ref], lexical: Lexical, config: MatcherConfig,
               lexical_top: float | None = None, products: Products | None = None) -> tuple[Fetched, Scored]:
    """Fetch `refs` and compute every component. BM25 is divided by `lexical_top`, by default the best among
    `refs` (a query's candidates always include its lexical leaders); `products`: cosines retrieval computed."""
    fetched = view.fetch(refs, products)
    weight = view.vocab.weight
    bm25 = lexical.values(view, refs, fetched.groups)
    evidence = Evidence(
        bm25=bm25,
        lexical_top=float(bm25.max(initial=0.0)) if lexical_top is None else lexical_top,
        tags=view.sums(refs, "tag", {t: weight(t) * m.similarity for t, m in prepared.tags.items()}, fetched.groups),
        families=view.sums(refs, "family", prepared.families, fetched.groups),
    )
    return fetched, score(prepared, fetched, evidence, config.weights, config.ranking)


def match(view: View, prepared: PreparedQuery, k: int, filters: Filters, config: MatcherConfig,
          calibration: Calibration | None) -> Ranked:
    """The top `k` postings for a prepared query under `filters`."""
    masks = view.allowed(filters)
    lexical = Lexical.of(view, prepared, masks, config)
    products = Products(prepared.vectors)
    refs = retrieve(view, prepared, masks, lexical, config, products)
    fetched, scored = score_refs(view, prepared, refs, lexical, config, products=products)
    total = np.round(scored.total(), 6)  # the precision scores are shown with; ties go by posting id
    order = best_first(total, fetched.posting_ids, k)
    results = [build_result(view, prepared, fetched, scored, i, config, calibration) for i in order]
    results.sort(key=lambda r: (-r.score, r.posting_id))
    return Ranked(results, len(refs))


def best_first(total: np.ndarray, posting_ids: Sequence[str], k: int) -> list[int]:
    """Positions of the `k` best totals, best first, ties by posting id (only the contenders' ids are read)."""
    contenders: Sequence[int] = range(len(total))
    if 0 < k < len(total):
        kth = np.partition(total, len(total) - k)[len(total) - k]
        contenders = np.flatnonzero(total >= kth).tolist()
    return sorted(contenders, key=lambda i: (-total[i], posting_ids[i]))[:k]


def score_pairs(view: View, prepared: PreparedQuery, posting_ids: Sequence[str], config: MatcherConfig,
                calibration: Calibration | None) -> list[MatchResult]:
    """Results for exactly `posting_ids`, in order: the scores `match` gives them with archived postings included
    (BM25 is divided by the best of that query's candidates, or of these postings if one of them beats it)."""
    masks = view.allowed(Filters(include_archived=True))
    lexical = Lexical.of(view, prepared, masks, config)
    refs = [view.where[pid] for pid in posting_ids]
    candidates = retrieve(view, prepared, masks, lexical, config)
    top = float(lexical.values(view, sorted(set(candidates) | set(refs))).max(initial=0.0))
    fetched, scored = score_refs(view, prepared, refs, lexical, config, lexical_top=top)
    return [build_result(view, prepared, fetched, scored, i, config, calibration) for i in range(len(refs))]


def build_result(view: View, prepared: PreparedQuery, fetched: Fetched, scored: Scored, i: int,
                 config: MatcherConfig, calibration: Calibration | None) -> MatchResult:
    """The i-th fetched posting as a result, with its explanation (stored fields read for it alone)."""
    stored = view.stored(fetched.refs[i])
    components = scored.components(i)
    total = round(sum(components.values()), 6)
    matched, missing = tag_explanation(stored.tags, prepared.tags, view.vocab, config.ranking.min_informative)
    row = int(scored.best_row[i]) - int(fetched.offsets[i])
    posting = stored.posting
    return MatchResult(
        posting_id=posting.id, title=posting.title, company=posting.company, url=posting.url, score=total,
        match_percent=calibration.percent(total, prepared.has_text) if calibration else None,
        components=components, matched_tags=matched, missing_tags=missing,
        passage=stored.passage(row).text,
    )


def _profile(fetched: Fetched, config: MatcherConfig) -> np.ndarray:
    """Mean of a posting's non-boilerplate passage vectors (all of them if every one is boilerplate)."""
    from matcher.index.segment import KINDS

    boiler = {KINDS.index(kind) for kind in config.ranking.damp() if kind in KINDS}
    rows = [r for r in range(int(fetched.offsets[1])) if int(fetched.kinds[r]) not in boiler] or \
        list(range(int(fetched.offsets[1])))
    vector = fetched.passages[rows].mean(axis=0)
    return (vector / (np.linalg.norm(vector) or 1.0)).astype(np.float32)[None, :]


def _weighted_jaccard(a: set[str], b: set[str], weight) -> float:  # type: ignore[no-untyped-def]
    union = sum(weight(t) for t in a | b)
    return sum(weight(t) for t in a & b) / union if union else 0.0


def similar(view: View, posting_id: str, k: int, filters: Filters, config: MatcherConfig) -> list[SimilarResult]:
    """Postings like `posting_id` (never itself): content, title and shared informative tags."""
    source_ref = view.where[posting_id]
    source = view.fetch([source_ref])
    vocab, minimum = view.vocab, config.ranking.min_informative
    mine_list = informative(view.tags(source_ref), vocab, minimum)
    mine = set(mine_list)
    masks = view.allowed(filters)
    masks[source_ref[0]][source_ref[1]] = False
    profile = _profile(source, config)
    refs = view.dense_hits(profile, config.ranking.candidate_passages, masks, config.segments.ann_nprobe)
    refs.update(view.top(view.with_tags({t: vocab.weight(t) for t in mine}, masks), config.ranking.candidate_tags))
    ordered = sorted(refs)
    fetched = view.fetch(ordered)
    semantic, best_row = dense_scores(profile, fetched, config.ranking)
    title = np.clip(fetched.title_rows.dots(source.titles)[:, 0], 0.0, 1.0) if len(fetched) else np.zeros(0)
    others = [set(informative(view.tags(ref), vocab, minimum)) for ref in ordered]
    tags = np.asarray([_weighted_jaccard(mine, o, vocab.weight) for o in others], dtype=np.float64)
    parts = {"semantic": semantic, "title": title, "tags": tags}
    total = sum(SIMILAR_WEIGHTS[n] * v for n, v in parts.items()) if len(fetched) else np.zeros(0)
    order = best_first(np.round(total, 6), fetched.posting_ids, k)
    results = []
    for i in order:
        stored = view.stored(ordered[i])
        components = {n: round(float(SIMILAR_WEIGHTS[n] * parts[n][i]), 6) for n in parts}
        theirs = others[i]
        row = int(best_row[i]) - int(fetched.offsets[i])
        results.append(SimilarResult(
            posting_id=stored.posting.id, title=stored.posting.title, company=stored.posting.company,
            url=stored.posting.url, score=round(sum(components.values()), 6), components=components,
            shared_tags=tuple(t for t in mine_list if t in theirs),
            only_in_source=tuple(t for t in mine_list if t not in theirs),
            only_in_similar=tuple(t for t in informative(stored.tags, vocab, minimum) if t not in mine),
            passage=stored.passage(row).text,
        ))
    return results
