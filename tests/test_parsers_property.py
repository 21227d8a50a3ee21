"""Property-based tests of the posting parsers: whatever the input, a posting or a rejection with field and
reason, never a crash; and a posting that parses always holds within the limits."""

from __future__ import annotations

import json
import string
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from matcher import limits
from matcher.errors import PostingError
from matcher.postings import Posting, load_postings, parse_json_record, parse_markdown

FIELDS = ["title", "companyName", "company", "location", "hashtags", "timestamp", "featured", "archived", "url",
          "jobType", "summary", "body", "id"]
scalars = st.one_of(st.none(), st.booleans(), st.integers(), st.floats(allow_nan=True), st.text(max_size=40),
                    st.dates().map(str), st.datetimes().map(lambda d: d.isoformat()))
values = st.recursive(scalars, lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner,
                                                                                            max_size=3), max_leaves=8)
records = st.dictionaries(st.sampled_from(FIELDS) | st.text(max_size=10), values, max_size=8)
yaml_value = st.one_of(st.text(alphabet=string.printable, max_size=40), st.integers().map(str),
                       st.sampled_from(["2021-03-01", "0000-01-01", "2021-02-30", "9999-12-31", "[a, b]", "{x: 1}",
                                        "!!python/object:os.system x", "*alias", "&a [1]", "true", "~", "'#go,#k8s'",
                                        "1e400", "-1", "99999999999999999999999", "2021-03-01 10:00:00+02:00",
                                        "'" + "#t," * 150 + "'"]))
front_matter = st.lists(st.tuples(st.sampled_from(FIELDS), yaml_value), max_size=6).map(
    lambda pairs: "\n".join(f"{k}: {v}" for k, v in pairs))


def check(outcome: Posting | PostingError) -> None:
    if isinstance(outcome, PostingError):
        assert outcome.field and outcome.reason and outcome.source
        return
    assert limits.is_posting_id(outcome.id) and outcome.title and outcome.body
    assert len(outcome.title) <= limits.MAX_TITLE_CHARS and len(outcome.body) <= limits.MAX_POSTING_CHARS
    assert len(outcome.hashtags) <= limits.MAX_HASHTAGS
    assert outcome.timestamp is None or limits.MIN_TIMESTAMP_MS <= outcome.timestamp <= limits.MAX_TIMESTAMP_MS
    json.dumps(outcome.to_dict())  # storable as the index stores it


def parse(fn, *args) -> Posting | PostingError:  # type: ignore[no-untyped-def]
    try:
        return fn(*args)
    except PostingError as exc:
        return exc


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=300))
def test_any_text_is_a_posting_or_a_rejection(text: str) -> None:
    check(parse(parse_markdown, text, "p"))


@settings(max_examples=400, deadline=None)
@given(front_matter, st.text(max_size=80))
def test_any_front_matter_is_a_posting_or_a_rejection(meta: str, body: str) -> None:
    check(parse(parse_markdown, f"---\n{meta}\n---\n{body}", "p"))


@settings(max_examples=400, deadline=None)
@given(records)
def test_any_json_record_is_a_posting_or_a_rejection(record: dict) -> None:
    check(parse(parse_json_record, record, "line 1"))


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(st.one_of(st.binary(max_size=80), records.map(lambda r: json.dumps(r).encode())), max_size=6))
def test_any_json_lines_file_gives_postings_and_rejections(tmp_path: Path, lines: list[bytes]) -> None:
    path = tmp_path / "feed.jsonl"
    path.write_bytes(b"\n".join(line.replace(b"\n", b" ") for line in lines))
    report = load_postings([path])
    for posting in report.postings:
        check(posting)
    for rejection in report.rejected:
        assert rejection.field and rejection.reason and rejection.source.startswith(str(path))
    assert len(report.postings) + len(report.rejected) <= len(lines)
