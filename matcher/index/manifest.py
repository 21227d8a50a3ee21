"""The manifest stamped on every index version, and the check made when loading it."""

from __future__ import annotations

import json
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

from matcher import __version__
from matcher.errors import IndexMismatch

FORMAT_VERSION = 1


@dataclass(frozen=True)
class Manifest:
    """What an index was built with and what it holds."""

    model_id: str
    model_hash: str
    dimension: int
    postings: int
    passages: int
    tags: int
    passage_chars: int
    format_version: int = FORMAT_VERSION
    matcher_version: str = __version__
    created: str = field(default_factory=lambda: time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()))

    def save(self, folder: Path) -> None:
        (folder / "manifest.json").write_text(json.dumps(asdict(self), indent=2) + "\n")

    @classmethod
    def load(cls, folder: Path) -> Manifest:
        data = json.loads((folder / "manifest.json").read_text())
        known = {k: v for k, v in data.items() if k in cls.__dataclass_fields__}
        return cls(**known)

    def check(self, model_id: str, model_hash: str, dimension: int | None = None) -> None:
        """Raise IndexMismatch naming what differs between this index and the configured model."""
        if self.format_version != FORMAT_VERSION:
            raise IndexMismatch(
                f"index format {self.format_version} is not the format this matcher reads ({FORMAT_VERSION}); "
                "rebuild it with `matcher index`"
            )
        if self.model_id != model_id or self.model_hash != model_hash:
            raise IndexMismatch(
                f"index was built with model {self.model_id!r} (weights {self.model_hash}), but the configured model "
                f"is {model_id!r} (weights {model_hash}); use --model {self.model_id} or rebuild with `matcher index`"
            )
        if dimension is not None and dimension != self.dimension:
            raise IndexMismatch(f"index dimension {self.dimension} != model dimension {dimension}; rebuild the index")
