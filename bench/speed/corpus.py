"""Benchmark inputs: crocoder posting files, RemoteWLB records as matcher postings, and candidate queries."""

from __future__ import annotations

import calendar
import gzip
import json
import random
import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bench.speed.common import require, shared_dir

CV_CHARS = 3_000  # "a ~3 KB CV"
_BAD_ID = re.compile(r"[^A-Za-z0-9._:-]")


def crocoder_dir() -> Path:
    return require(shared_dir() / "data" / "postings" / "crocoder", "the crocoder corpus")


def crocoder_files() -> list[Path]:
    """Every posting file of the corpus (jobs/ and jobs_deleted_from_head/), sorted."""
    root = crocoder_dir()
    return sorted(p for p in root.rglob("*.md") if p.name.lower() != "readme.md")


def sample(items: Sequence[Any], n: int | None, seed: int) -> list[Any]:
    """A seeded random sample of n items in their original order (all items when n is None or too big)."""
    if n is None or n >= len(items):
        return list(items)
    picked = sorted(random.Random(seed).sample(range(len(items)), n))
    return [items[i] for i in picked]


def remotewlb_path() -> Path:
    return require(shared_dir() / "data" / "postings" / "remotewlb.jsonl.gz", "the RemoteWLB corpus")


def remotewlb_records() -> Iterator[dict[str, Any]]:
    with gzip.open(remotewlb_path(), "rt", encoding="utf-8") as fh:
        for line in fh:
            if line.strip():
                yield json.loads(line)


def month_ms(month: str | None) -> int | None:
    """'2024-01' -> ms since the epoch of its first day (UTC)."""
    if not month or not re.fullmatch(r"\d{4}-\d{2}", month):
        return None
    year, mon = map(int, month.split("-"))
    return calendar.timegm((year, mon, 1, 0, 0, 0)) * 1000


def remotewlb_to_matcher(record: dict[str, Any]) -> dict[str, Any]:
    """A RemoteWLB record as a matcher JSON posting. Its id ('C#/2024-01/slug') has characters matcher ids do
    not allow, so they become '_'; the skill category becomes the one hashtag; the month the timestamp."""
    category = record.get("skill_category")
    return {
        "id": _BAD_ID.sub("_", str(record["id"])),
        "title": record.get("title"),
        "companyName": record.get("company"),
        "location": record.get("location"),
        "url": record.get("apply_url"),
        "body": record.get("body_markdown"),
        "hashtags": [category] if category else [],
        "timestamp": month_ms(record.get("month")),
    }


@dataclass(frozen=True)
class Queries:
    """Candidate queries from the dev set: skills lists and CVs trimmed to ~3 KB."""

    skills: list[list[str]]
    cvs: list[str]

    def as_candidates(self) -> dict[str, list[dict[str, Any]]]:
        return {"skills": [{"skills": s} for s in self.skills], "cv": [{"text": t} for t in self.cvs]}


def trim(text: str, limit: int) -> str:
    """Cut at the last whitespace before `limit` characters."""
    if len(text) <= limit:
        return text
    cut = text.rfind(" ", 0, limit)
    return text[: cut if cut > limit // 2 else limit]


def load_queries() -> Queries:
    """Skills lists (kind 'skills') and the CVs (kind 'cv') long enough to give ~3 KB, trimmed to 3,000 chars."""
    path = require(shared_dir() / "eval" / "queries.dev.jsonl", "the dev queries")
    skills, cvs = [], []
    for line in path.read_text(encoding="utf-8").splitlines():
        if not line.strip():
            continue
        q = json.loads(line)
        if q.get("kind") == "skills" and q.get("skills"):
            skills.append(list(q["skills"]))
        elif q.get("kind") == "cv" and len(q.get("text") or "") >= CV_CHARS * 0.95:
            cvs.append(trim(q["text"], CV_CHARS))
    if not skills or not cvs:
        raise SystemExit(f"error: {path} holds no skills queries or no CV of ~3 KB")
    return Queries(skills, cvs)


def passage_texts(postings: Sequence[Any]) -> list[str]:
    """Exactly the passage texts `Matcher.index` embeds for these postings (see matcher/index/docs.py)."""
    from matcher.index.docs import passage_document
    from matcher.passages import Passage, split_passages

    texts = []
    for p in postings:
        parts = tuple(split_passages(p.body)) or (Passage(p.title, 0, 0, "intro"),)
        texts.extend(passage_document(p.title, x) for x in parts)
    return texts
