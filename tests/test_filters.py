"""Filters: parsing from JSON-like input, validation messages, and the predicate (pure logic)."""

from __future__ import annotations

import pytest

from matcher.errors import InvalidInput
from matcher.filters import Filters
from matcher.postings import Posting

P = Posting(id="p", title="Go Dev", body="b", company="Acme Corp", location="Remote - Europe", job_type="software",
            timestamp=1_615_000_000_000, archived=False)


def test_defaults_exclude_archived() -> None:
    f = Filters()
    assert f.accepts(P, ("golang",))
    assert not f.accepts(Posting(id="a", title="t", body="b", archived=True), ())
    assert Filters(include_archived=True).accepts(Posting(id="a", title="t", body="b", archived=True), ())


def test_substring_tags_and_dates() -> None:
    f = Filters.from_mapping({"company": "acme", "location": "europe", "job_type": "soft", "tags_any": ["#GoLang", "x"],
                              "posted_after": "2021-03-01", "posted_before": "2021-04-01"})
    assert f.tags_any == ("golang", "x") and f.accepts(P, ("golang",))
    assert not f.accepts(P, ("python",))
    assert not Filters(tags_all=("golang", "aws")).accepts(P, ("golang",))
    assert not Filters.from_mapping({"posted_after": "2021-03-07"}).accepts(P, ())
    assert not Filters.from_mapping({"company": "globex"}).accepts(P, ())


@pytest.mark.parametrize("bad, message", [
    ({"colour": "red"}, "unknown key(s) colour; valid: job_type"),
    ({"posted_after": "last week"}, "expected a date"),
    ({"include_archived": "yes"}, "true or false"),
    ({"company": 5}, "expected a string"),
])
def test_invalid_filters_say_what_is_valid(bad: dict, message: str) -> None:
    with pytest.raises(InvalidInput, match=message.replace("(", r"\(").replace(")", r"\)")):
        Filters.from_mapping(bad)


def test_archive_only_is_just_the_archive_switch() -> None:
    assert Filters().archive_only and Filters(include_archived=True).archive_only
    assert not Filters(company="acme").archive_only
    assert not Filters(tags_any=("golang",), include_archived=True).archive_only
