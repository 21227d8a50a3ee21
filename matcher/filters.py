"""Filters on postings, named the same on every surface (library, CLI, HTTP)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, fields
from typing import Any

from matcher.errors import InvalidInput
from matcher.postings import Posting
from matcher.postings.parse import normalise_hashtags

FILTER_NAMES = ("job_type", "company", "location", "tags_any", "tags_all", "posted_after", "posted_before",
                "include_archived")


def to_epoch_ms(value: object, name: str) -> int | None:
    """Accept ms since the epoch, an ISO date ('2021-03-01') or datetime; return ms since the epoch (UTC)."""
    if value is None or value == "":
        return None
    if isinstance(value, bool):
        raise InvalidInput(f"{name}: expected a date (YYYY-MM-DD), a datetime or ms since the epoch, got {value!r}")
    if isinstance(value, int | float):
        return int(value)
    if isinstance(value, dt.datetime):
        moment = value if value.tzinfo else value.replace(tzinfo=dt.UTC)
        return int(moment.timestamp() * 1000)
    if isinstance(value, dt.date):
        return to_epoch_ms(dt.datetime(value.year, value.month, value.day, tzinfo=dt.UTC), name)
    if isinstance(value, str):
        text = value.strip()
        if text.isdigit():
            return int(text)
        try:
            return to_epoch_ms(dt.datetime.fromisoformat(text.replace("Z", "+00:00")), name)
        except ValueError:
            pass
    raise InvalidInput(f"{name}: expected a date (YYYY-MM-DD), a datetime or ms since the epoch, got {value!r}")


@dataclass(frozen=True)
class Filters:
    """Which postings may be returned. Text filters are case-insensitive substrings; tags are canonical."""

    job_type: str | None = None
    company: str | None = None
    location: str | None = None
    tags_any: tuple[str, ...] = ()
    tags_all: tuple[str, ...] = ()
    posted_after: int | None = None  # ms since the epoch, inclusive
    posted_before: int | None = None  # ms since the epoch, exclusive
    include_archived: bool = False

    @classmethod
    def from_mapping(cls, data: Mapping[str, Any] | None) -> Filters:
        """Build from a dict (JSON input); unknown keys are an error that lists the valid ones."""
        if data is None:
            return cls()
        if not isinstance(data, Mapping):
            raise InvalidInput(f"filters: expected an object with keys {', '.join(FILTER_NAMES)}")
        unknown = sorted(set(data) - set(FILTER_NAMES))
        if unknown:
            raise InvalidInput(f"filters: unknown key(s) {', '.join(unknown)}; valid: {', '.join(FILTER_NAMES)}")
        values: dict[str, Any] = {}
        for name in ("job_type", "company", "location"):
            value = data.get(name)
            if value is not None and not isinstance(value, str):
                raise InvalidInput(f"filters.{name}: expected a string, got {type(value).__name__}")
            values[name] = value or None
        for name in ("tags_any", "tags_all"):
            values[name] = normalise_hashtags(data.get(name) or (), f"filters.{name}")
        values["posted_after"] = to_epoch_ms(data.get("posted_after"), "filters.posted_after")
        values["posted_before"] = to_epoch_ms(data.get("posted_before"), "filters.posted_before")
        archived = data.get("include_archived", False)
        if not isinstance(archived, bool):
            raise InvalidInput(f"filters.include_archived: expected true or false, got {archived!r}")
        values["include_archived"] = archived
        return cls(**values)

    def to_dict(self) -> dict[str, Any]:
        return {f.name: getattr(self, f.name) for f in fields(self)}

    @property
    def archive_only(self) -> bool:
        """True when no filter but `include_archived` is set (the common case, answered from a precomputed mask)."""
        return self == Filters(include_archived=self.include_archived)

    def accepts(self, posting: Posting, tags: frozenset[str] | set[str] | tuple[str, ...]) -> bool:
        """True when the posting passes every filter; `tags` are its canonical tags."""
        if posting.archived and not self.include_archived:
            return False
        for name, have in (("job_type", posting.job_type), ("company", posting.company), ("location", posting.location)):
            want = getattr(self, name)
            if want and want.lower() not in have.lower():
                return False
        if self.tags_any and not any(t in tags for t in self.tags_any):
            return False
        if self.tags_all and not all(t in tags for t in self.tags_all):
            return False
        ts = posting.timestamp
        if self.posted_after is not None and (ts is None or ts < self.posted_after):
            return False
        return not (self.posted_before is not None and (ts is None or ts >= self.posted_before))
