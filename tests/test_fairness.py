"""Invariance: who the candidate is (name, gender, age, nationality, family status, religion) must not move their
ranking. Real CVs from ../shared (skipped when absent) and CVs written here, each under pairs of headers and inline
mentions that differ only in such attributes: the top 10 must be identical and the scores equal within 1e-3."""

from __future__ import annotations

from pathlib import Path

import pytest

from bench.fairness.pairs import PAIRS, WRITTEN, Case, RememberingEmbedder, cases, real_cvs
from matcher.embed import Embedder
from matcher.engine import Matcher
from matcher.query import Candidate, headline
from tests.conftest import SHARED

VANETIK = SHARED / "data" / "labels" / "vanetik_cvs"
TOLERANCE = 1e-3


@pytest.fixture(scope="module")
def fair_matcher(seed_index: Path, embedder: Embedder) -> Matcher:
    return Matcher.load(seed_index, embedder=RememberingEmbedder(embedder))


def _ranking(matcher: Matcher, text: str, blind: bool = True) -> list[tuple[str, float]]:
    response = matcher.match_response(Candidate(text, (), blind), k=10)
    return [(r.posting_id, r.score) for r in response.results]


def _differences(matcher: Matcher, case: Case, blind: bool = True) -> tuple[bool, float]:
    """(the top-10 ids differ, the largest score difference of a posting in both lists)."""
    a, b = dict(_ranking(matcher, case.a, blind)), dict(_ranking(matcher, case.b, blind))
    same_ids = list(a) == list(b)
    return not same_ids, max((abs(a[p] - b[p]) for p in a.keys() & b.keys()), default=1.0)


def _assert_invariant(matcher: Matcher, all_cases: list[Case]) -> None:
    failures = []
    for case in all_cases:
        moved, largest = _differences(matcher, case)
        if moved or largest > TOLERANCE:
            failures.append(f"{case.cv}/{case.pair}/{case.style}: top 10 moved={moved}, score diff {largest:.4f}")
    assert not failures, "\n".join(failures)


@pytest.mark.model
def test_written_cvs_rank_the_same_whoever_wrote_them(fair_matcher: Matcher) -> None:
    written = list(cases(WRITTEN))
    assert {c.pair for c in written} == set(PAIRS)  # name, gender, age, nationality, family, religion, all at once
    _assert_invariant(fair_matcher, written)


@pytest.mark.model
def test_the_check_can_fail_without_blinding(fair_matcher: Matcher) -> None:
    """The same pairs with blinding off do move rankings: the invariance above is blinding's doing."""
    moved = [_differences(fair_matcher, c, blind=False) for c in cases(WRITTEN) if c.pair == "all"]
    assert any(ids or diff > TOLERANCE for ids, diff in moved)


@pytest.mark.model
@pytest.mark.shared
@pytest.mark.skipif(not VANETIK.is_dir(), reason=f"real CVs not found at {VANETIK} (../shared is absent)")
def test_real_cvs_rank_the_same_whoever_wrote_them(fair_matcher: Matcher) -> None:
    real = list(cases(real_cvs(VANETIK), styles=("labelled",)))
    assert len(real) == 15 * len(PAIRS)
    _assert_invariant(fair_matcher, real)


def test_a_name_on_the_first_line_is_never_taken_for_the_role() -> None:
    for case in cases(WRITTEN):
        for text in (case.a, case.b):
            assert headline(Candidate(text).text) == case.a.split("\n\n", 1)[1].splitlines()[0]
    assert headline(Candidate("Emily Walsh\nSenior Backend Engineer", blind=False).text) == "Emily Walsh"


def test_blinded_texts_of_a_pair_are_identical() -> None:
    """The mechanism behind the invariance, checked without a model on every written and real case."""
    folder = VANETIK if VANETIK.is_dir() else Path("/nonexistent")
    for case in [*cases(WRITTEN), *cases(real_cvs(folder) if folder.is_dir() else {})]:
        assert Candidate(case.a).text == Candidate(case.b).text, (case.cv, case.pair, case.style)
