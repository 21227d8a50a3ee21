"""Posting parsing: the real format, JSON Lines, and every malformed kind reported with file, field, reason."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from matcher.errors import PostingError
from matcher.postings import load_postings, parse_markdown
from tests.conftest import CROCODER, SEEDS, needs_shared

GOOD = """---
title: "Backend Developer"
location: "Remote"
companyName: "Acme"
url: "https://example.com/1"
timestamp: 1608681600000
hashtags: "#golang,#AWS, #postgresql,#golang"
jobType: "software"
featured: 20
archived: "true"
---

We build APIs in **Go**.
"""


def write(folder: Path, name: str, content: str | bytes) -> Path:
    path = folder / name
    path.write_bytes(content if isinstance(content, bytes) else content.encode())
    return path


def test_parses_the_real_format() -> None:
    p = parse_markdown(GOOD, "backend-acme")
    assert p.id == "backend-acme" and p.title == "Backend Developer" and p.company == "Acme"
    assert p.hashtags == ("golang", "aws", "postgresql")
    assert p.archived is True and p.timestamp == 1608681600000 and p.featured == 20
    assert p.body == "We build APIs in **Go**." and len(p.content_hash) == 32


def test_seed_posting_parses() -> None:
    report = load_postings([SEEDS])
    assert not report.rejected
    sketch = next(p for p in report.postings if p.id == "backend-developer-sketch-gPFMI")
    assert sketch.company == "Sketch" and "golang" in sketch.hashtags and sketch.archived


def test_content_hash_changes_with_content() -> None:
    a = parse_markdown(GOOD, "x")
    b = parse_markdown(GOOD.replace("APIs", "services"), "x")
    assert a.content_hash != b.content_hash
    assert parse_markdown(GOOD, "x").content_hash == a.content_hash


BAD = {
    "yaml.md": ("---\ntitle: [unclosed\n---\nbody\n", "front matter", "invalid YAML"),
    "notitle.md": ("---\ncompanyName: A\n---\nbody\n", "title", "missing"),
    "nobody.md": ("---\ntitle: T\n---\n\n", "body", "missing"),
    "types.md": ("---\ntitle: T\ntimestamp: yesterday\n---\nbody\n", "timestamp", "milliseconds"),
    "archived.md": ("---\ntitle: T\narchived: maybe\n---\nbody\n", "archived", "true or false"),
    "tags.md": ("---\ntitle: T\nhashtags: 5\n---\nbody\n", "hashtags", "expected a string"),
    "empty.md": ("", "file", "empty"),
    "nofront.md": ("just text\n", "front matter", "missing"),
}


@pytest.mark.parametrize("name", sorted(BAD))
def test_malformed_posting_is_reported_and_others_indexed(tmp_path: Path, name: str) -> None:
    content, field, reason = BAD[name]
    write(tmp_path, "good.md", GOOD)
    write(tmp_path, name, content)
    report = load_postings([tmp_path])
    assert [p.id for p in report.postings] == ["good"]
    (rejection,) = report.rejected
    assert rejection.source.endswith(name) and rejection.field == field and reason in rejection.reason


def test_not_utf8_and_duplicates(tmp_path: Path) -> None:
    write(tmp_path, "a.md", GOOD)
    write(tmp_path, "latin.md", GOOD.replace("Acme", "Acmé").encode("latin-1"))
    sub = tmp_path / "sub"
    sub.mkdir()
    write(sub, "a.md", GOOD)
    report = load_postings([tmp_path])
    reasons = {(r.source, r.field): r.reason for r in report.rejected}
    assert "not UTF-8" in reasons[(str(tmp_path / "latin.md"), "file")]
    # The later file is rejected, and the message names the file that defined the id first.
    assert f"duplicate id 'a': {tmp_path / 'a.md'} already defines it" in reasons[(str(sub / "a.md"), "id")]
    assert [p.id for p in report.postings] == ["a"]


def test_strict_raises_first_error(tmp_path: Path) -> None:
    write(tmp_path, "bad.md", BAD["notitle.md"][0])
    with pytest.raises(PostingError) as err:
        load_postings([tmp_path], strict=True)
    assert err.value.field == "title" and "bad.md" in err.value.source


def test_jsonl_postings(tmp_path: Path) -> None:
    lines = [
        json.dumps({"id": "j1", "title": "Data Analyst", "body": "SQL and Tableau.", "hashtags": "#sql",
                    "companyName": "Beta", "archived": False}),
        "{not json",
        json.dumps({"title": "No id", "body": "x"}),
        json.dumps({"id": "j2", "title": "Designer", "body": "Figma", "hashtags": ["#figma", "sketch"]}),
    ]
    write(tmp_path, "postings.jsonl", "\n".join(lines) + "\n")
    report = load_postings([tmp_path / "postings.jsonl"])
    assert [p.id for p in report.postings] == ["j1", "j2"]
    assert report.postings[1].hashtags == ("figma", "sketch")
    assert [(r.source.rsplit(":", 1)[1], r.field) for r in report.rejected] == [("2", "line"), ("3", "id")]


@needs_shared()
def test_whole_crocoder_corpus_parses() -> None:
    report = load_postings([CROCODER])
    assert len(report.postings) == 1503 and not report.rejected
    assert sum(p.archived for p in report.postings) > 1000
