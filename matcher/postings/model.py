"""The typed posting."""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict, dataclass, field


@dataclass(frozen=True, slots=True)
class Posting:
    """One job posting. `id` is stable (the file stem for Markdown files)."""

    id: str
    title: str
    body: str
    company: str = ""
    location: str = ""
    host: str = ""
    url: str = ""
    apply_url: str = ""
    timestamp: int | None = None  # ms since the epoch
    hashtags: tuple[str, ...] = ()  # normalised, without '#', lower case, in source order
    job_type: str = ""
    logo_url: str = ""
    company_website: str = ""
    summary: str = ""
    summary_backup: str = ""
    featured: int | None = None
    archived: bool = False
    content_hash: str = field(default="", compare=False)

    def with_hash(self) -> Posting:
        """Return a copy whose `content_hash` covers every field that affects indexing."""
        data = asdict(self)
        data.pop("content_hash")
        digest = hashlib.sha256(json.dumps(data, sort_keys=True, ensure_ascii=False).encode()).hexdigest()
        return Posting(**{**data, "hashtags": self.hashtags, "content_hash": digest[:32]})

    def to_dict(self) -> dict[str, object]:
        """JSON-ready dict (hashtags as a list)."""
        data = asdict(self)
        data["hashtags"] = list(self.hashtags)
        return data

    @classmethod
    def from_dict(cls, data: dict[str, object]) -> Posting:
        """Inverse of `to_dict` (trusted input: the index's own metadata)."""
        values = dict(data)
        values["hashtags"] = tuple(values.get("hashtags") or ())  # type: ignore[arg-type]
        return cls(**values)  # type: ignore[arg-type]
