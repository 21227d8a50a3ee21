"""Same answer whatever the history: an index reached by any sequence of upserts, deletes and merges gives the
same scores (to 1e-6) and order as one built at once from the same postings.

Vectors come from a deterministic fake embedder: the property is about storage, statistics and candidate
generation, which the real model would only make slower to check.
"""

from __future__ import annotations

import random
from dataclasses import replace
from pathlib import Path

import pytest

from matcher.config import MatcherConfig, Ranking, SegmentPolicy
from matcher.engine import Matcher
from matcher.filters import Filters
from matcher.lexical import Lexical
from matcher.postings import Posting, load_postings
from matcher.query import Candidate, prepare
from tests.conftest import CROCODER, SEEDS
from tests.helpers import SCORE_TOLERANCE, FakeEmbedder

QUERIES = [
    {"skills": ["python", "django", "postgres"]},
    {"skills": ["go", "k8s", "aws"]},
    {"text": "Senior frontend developer. React, TypeScript and GraphQL; I led a design system team.\n\n"
             "Before that I built dashboards in Vue and D3 for a logistics company."},
    {"text": "Customer support lead with Zendesk and SQL", "skills": ["zendesk", "sql"]},
    {"text": "Software engineer with ten years of experience building and running web applications and services "
             "for customers. I work with product managers and designers, write tests, review code, mentor the "
             "team and care about performance, security and reliability. Python, Django, PostgreSQL, Docker, AWS "
             "and Kubernetes in production; remote work across time zones; strong written communication."},
]
FILTERS = [{"include_archived": True}, {}, {"tags_any": ["javascript", "python"], "include_archived": True}]
# Small candidate counts, so that retrieval (not exhaustive scoring) decides what is scored.
TIGHT = MatcherConfig(ranking=Ranking(candidate_passages=20, candidate_lexical=10, candidate_tags=10))
# Lexical retrieval leaves the commonest terms out and rescores a small pool, as it does on a big corpus.
PRUNED = MatcherConfig(ranking=Ranking(candidate_passages=20, candidate_lexical=3, candidate_tags=10,
                                       lexical_share=0.6, lexical_rerank=4, lexical_skip_factor=2.0))


def corpus() -> list[Posting]:
    if CROCODER.is_dir():
        files = sorted((CROCODER / "jobs").glob("*.md"))[:300]
        return load_postings(files).postings
    return load_postings([SEEDS]).postings


def answers(m: Matcher) -> list[list[tuple[str, float, dict[str, float]]]]:
    out = []
    for q in QUERIES:
        for f in FILTERS:
            out.append([(r.posting_id, r.score, r.components) for r in m.match(k=15, filters=f, **q)])
    pid = sorted(m.view.where)[7]
    out.append([(r.posting_id, r.score, r.components) for r in m.similar(pid, k=10)])
    return out


def assert_same(a: list, b: list) -> None:
    assert len(a) == len(b)
    for left, right in zip(a, b, strict=True):
        assert [x[0] for x in left] == [x[0] for x in right]
        for (_, s1, c1), (_, s2, c2) in zip(left, right, strict=True):
            assert abs(s1 - s2) <= SCORE_TOLERANCE
            assert all(abs(c1[k] - c2[k]) <= SCORE_TOLERANCE for k in c1)


def random_history(m: Matcher, postings: list[Posting], rng: random.Random) -> None:
    """Upserts in random batches and order, edits that are later undone, deletes and re-adds, merges between."""
    order = postings[:]
    rng.shuffle(order)
    dropped: list[Posting] = []
    i = 0
    while i < len(order):
        batch = order[i:i + rng.randint(1, 40)]
        i += len(batch)
        edited = [replace(p, body=p.body + "\n\nTemporary note: Kubernetes, Rust.").with_hash()
                  for p in rng.sample(batch, k=min(3, len(batch)))]
        m.upsert(edited)  # first a wrong version of some postings ...
        m.upsert(batch)  # ... then the right one
        if rng.random() < 0.5:
            gone = rng.sample(batch, k=min(2, len(batch)))
            m.delete([p.id for p in gone])
            dropped.extend(gone)
        if rng.random() < 0.3 and dropped:
            m.upsert([dropped.pop()])
        if rng.random() < 0.3:
            m.merge(wait=True)
    m.upsert(dropped)
    m.merge(wait=True)


@pytest.mark.parametrize("config", [MatcherConfig(), TIGHT, PRUNED],
                         ids=["default", "tight-candidates", "pruned-lexical"])
def test_any_history_gives_the_same_answers(tmp_path: Path, config: MatcherConfig) -> None:
    postings = corpus()
    policy = SegmentPolicy(max_segments=5, merge_factor=3, batch_postings=64)
    config = replace(config, segments=policy)
    built = Matcher.open(tmp_path / "once", embedder=FakeEmbedder(), config=config)
    built.sync(postings)
    expected = answers(built)
    if config.ranking.lexical_share < 1:  # the pruned path is taken in that case alone, or it proves nothing
        masks = built.view.allowed(Filters(include_archived=True))
        pruned = [Lexical.of(built.view, prepare(Candidate(q.get("text"), tuple(q.get("skills") or ())), built.view,
                                                 built.embedder), masks, config).whole is None for q in QUERIES]
        assert any(pruned) == (config.ranking == PRUNED.ranking)

    grown = Matcher.open(tmp_path / "grown", embedder=FakeEmbedder(), config=config)
    random_history(grown, postings, random.Random(11))
    grown.merge(wait=True)
    assert set(grown.view.where) == {p.id for p in postings}
    assert grown.view.manifest.writes > len(postings) // 40  # many separate commits, not one build
    assert_same(answers(grown), expected)

    grown.merge(force=True)  # one segment, no deletions: still the same
    assert len(grown.view.manifest.segments) == 1 and not grown.view.manifest.segments[0].deleted
    assert_same(answers(grown), expected)
    reopened = Matcher.load(tmp_path / "grown", embedder=FakeEmbedder(), config=config)
    assert_same(answers(reopened), expected)
