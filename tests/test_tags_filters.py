"""Tags the way a person reads them: filters understand aliases (`go`, `k8s`), and a skill the candidate gave that
the posting lists always shows as matched, however common the tag is in the corpus."""

from __future__ import annotations

import pytest

from matcher.engine import Matcher
from tests.conftest import SEEDS
from tests.helpers import FakeEmbedder


@pytest.fixture(scope="module")
def seeds(tmp_path_factory: pytest.TempPathFactory) -> Matcher:
    m = Matcher.open(tmp_path_factory.mktemp("tags") / "index", embedder=FakeEmbedder())
    m.index([SEEDS])
    return m


@pytest.mark.parametrize(("alias", "tag"), [("go", "golang"), ("k8s", "kubernetes"), ("#Postgres", "postgresql")])
def test_tag_filters_resolve_aliases(seeds: Matcher, alias: str, tag: str) -> None:
    by_alias = seeds.match(skills=["developer"], k=50, filters={"tags_any": [alias], "include_archived": True})
    by_tag = seeds.match(skills=["developer"], k=50, filters={"tags_any": [tag], "include_archived": True})
    assert by_alias and [r.posting_id for r in by_alias] == [r.posting_id for r in by_tag]
    assert all(tag in seeds.tags_of(r.posting_id) for r in by_alias)
    everything = seeds.match(skills=["developer"], k=50, filters={"tags_all": [alias, tag], "include_archived": True})
    assert [r.posting_id for r in everything] == [r.posting_id for r in by_tag]


def test_every_tag_the_candidate_has_shows_as_matched(seeds: Matcher) -> None:
    skills = ["python", "django", "postgres"]
    results = seeds.match(skills=skills, k=38, filters={"include_archived": True})
    common = [t for t in ("python",) if seeds.view.vocab.weight(t) < 0.2]
    for r in results:
        tags = set(seeds.tags_of(r.posting_id))
        have = {m.tag for m in r.matched_tags}
        assert {"python", "django", "postgresql"} & tags <= have, (r.title, tags, have)
        assert not have & set(r.missing_tags)
    scientist = next(r for r in results if "Data Scientist" in r.title)
    assert "python" in {m.tag for m in scientist.matched_tags}, common
