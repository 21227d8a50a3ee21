"""Load many postings from files and folders; a bad posting is reported, the rest go on."""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from matcher.errors import InvalidInput, PostingError
from matcher.postings.model import Posting
from matcher.postings.parse import parse_json_record, parse_markdown_file

SUFFIXES = (".md", ".markdown", ".jsonl", ".ndjson")


@dataclass(frozen=True, slots=True)
class Rejection:
    """A posting that was not indexed, and why."""

    source: str
    field: str
    reason: str

    def __str__(self) -> str:
        return f"{self.source}: {self.field}: {self.reason}"


@dataclass
class LoadReport:
    """Postings parsed from sources, and the ones rejected."""

    postings: list[Posting] = field(default_factory=list)
    rejected: list[Rejection] = field(default_factory=list)


def iter_sources(paths: Iterable[str | Path]) -> Iterator[Path]:
    """Expand folders (recursively, sorted) into posting files; files are taken as given."""
    for raw in paths:
        path = Path(raw)
        if path.is_dir():
            for child in sorted(path.rglob("*")):
                if child.is_file() and child.suffix.lower() in SUFFIXES and child.name.lower() != "readme.md":
                    yield child
        elif path.is_file():
            yield path
        else:
            raise InvalidInput(f"{path}: no such file or folder")


def _iter_jsonl(path: Path) -> Iterator[Posting | PostingError]:
    with path.open("rb") as fh:
        for number, raw in enumerate(fh, start=1):
            source = f"{path}:{number}"
            if not raw.strip():
                continue
            try:
                record = json.loads(raw.decode("utf-8"))
            except UnicodeDecodeError:
                yield PostingError(source, "line", "not UTF-8")
                continue
            except json.JSONDecodeError as exc:
                yield PostingError(source, "line", f"invalid JSON: {exc.msg} at column {exc.colno}")
                continue
            try:
                yield parse_json_record(record, source)
            except PostingError as exc:
                yield exc


def iter_postings(paths: Iterable[str | Path]) -> Iterator[Posting | PostingError]:
    """Yield a posting or the error that rejected it, for every posting in `paths`."""
    for path in iter_sources(paths):
        if path.suffix.lower() in (".jsonl", ".ndjson"):
            yield from _iter_jsonl(path)
            continue
        try:
            yield parse_markdown_file(path)
        except PostingError as exc:
            yield exc


def load_postings(paths: Iterable[str | Path], *, strict: bool = False) -> LoadReport:
    """Parse every posting under `paths`. Duplicate ids are rejected (the first one wins).

    With `strict`, the first error is raised instead of collected.
    """
    report = LoadReport()
    seen: dict[str, str] = {}
    for item in iter_postings(paths):
        if isinstance(item, Posting) and item.id in seen:
            item = PostingError(item.id, "id", f"duplicate id, already defined by {seen[item.id]}")
        if isinstance(item, PostingError):
            if strict:
                raise item
            report.rejected.append(Rejection(item.source, item.field, item.reason))
            continue
        seen[item.id] = item.id
        report.postings.append(item)
    return report
