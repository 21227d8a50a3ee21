"""Load many postings from files and folders; a bad posting is reported, the rest go on."""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from matcher.errors import InvalidInput, PostingError
from matcher.postings.model import Posting
from matcher.postings.parse import parse_json_record, parse_markdown_file, unreadable

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


def _is_dangling(path: Path) -> bool:
    return path.is_symlink() and not path.exists()


def iter_sources(paths: Iterable[str | Path]) -> Iterator[Path]:
    """Expand folders (recursively, sorted) into posting files; files are taken as given.

    A dangling symlink in a folder is yielded too, so the caller reports it rather than silently skipping it.
    """
    for raw in paths:
        path = Path(raw)
        if path.is_dir():
            for child in sorted(path.rglob("*")):
                wanted = child.suffix.lower() in SUFFIXES and child.name.lower() != "readme.md"
                if wanted and (child.is_file() or _is_dangling(child)):
                    yield child
        elif path.is_file():
            yield path
        elif _is_dangling(path):
            raise InvalidInput(f"{path}: a symlink to {path.readlink()}, which does not exist")
        else:
            raise InvalidInput(f"{path}: no such file or folder")


def _iter_jsonl(path: Path) -> Iterator[tuple[str, Posting | PostingError]]:
    try:
        fh = path.open("rb")
    except OSError as exc:
        yield str(path), unreadable(path, exc)
        return
    with fh:
        for number, raw in enumerate(fh, start=1):
            source = f"{path}:{number}"
            if not raw.strip():
                continue
            try:
                record = json.loads(raw.decode("utf-8"))
            except UnicodeDecodeError:
                yield source, PostingError(source, "line", "not UTF-8")
                continue
            except (json.JSONDecodeError, RecursionError) as exc:
                where = f": {exc.msg} at column {exc.colno}" if isinstance(exc, json.JSONDecodeError) else ""
                yield source, PostingError(source, "line", f"invalid JSON{where}")
                continue
            try:
                yield source, parse_json_record(record, source)
            except PostingError as exc:
                yield source, exc


def iter_postings(paths: Iterable[str | Path]) -> Iterator[tuple[str, Posting | PostingError]]:
    """Yield (source, posting or the error that rejected it) for every posting in `paths`, in order."""
    for path in iter_sources(paths):
        if path.suffix.lower() in (".jsonl", ".ndjson"):
            yield from _iter_jsonl(path)
            continue
        try:
            yield str(path), parse_markdown_file(path)
        except PostingError as exc:
            yield str(path), exc


class FirstIdWins:
    """The one rule for duplicate ids in one batch, whatever the door (files, JSON Lines, HTTP batch): the
    first posting with an id is kept; each later one is rejected, naming where the first came from."""

    def __init__(self) -> None:
        self.seen: dict[str, str] = {}

    def check(self, posting: Posting, source: str) -> PostingError | None:
        first = self.seen.setdefault(posting.id, source)
        if first == source:
            return None
        return PostingError(source, "id", f"duplicate id {posting.id!r}: {first} already defines it "
                                          "(the first one is kept)")


def load_postings(paths: Iterable[str | Path], *, strict: bool = False) -> LoadReport:
    """Parse every posting under `paths`. A duplicate id is rejected, naming both sources (the first one wins).

    With `strict`, the first error is raised instead of collected.
    """
    report = LoadReport()
    ids = FirstIdWins()
    for source, item in iter_postings(paths):
        if isinstance(item, Posting):
            item = ids.check(item, source) or item
        if isinstance(item, PostingError):
            if strict:
                raise item
            report.rejected.append(Rejection(item.source, item.field, item.reason))
            continue
        report.postings.append(item)
    return report
