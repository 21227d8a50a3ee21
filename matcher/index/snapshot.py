"""An immutable, in-memory snapshot of one index version, and its files on disk.

Queries read one snapshot from start to end; writers build a new snapshot and swap the reference, so a
reader never sees a half-applied write.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from matcher.index.manifest import Manifest
from matcher.index.store import FaissStore
from matcher.lexical import LexicalIndex
from matcher.passages import Passage
from matcher.postings import Posting
from matcher.skills import Vocabulary


@dataclass(frozen=True)
class Entry:
    """One indexed posting: its number in the vector stores, canonical tags and passages."""

    posting: Posting
    num: int
    tags: tuple[str, ...]
    passage_ids: tuple[int, ...]
    passages: tuple[Passage, ...]

    def to_json(self) -> dict[str, object]:
        return {
            "posting": self.posting.to_dict(),
            "num": self.num,
            "tags": list(self.tags),
            "passages": [[pid, p.start, p.end, p.kind] for pid, p in zip(self.passage_ids, self.passages, strict=True)],
        }

    @classmethod
    def from_json(cls, data: dict) -> Entry:
        from matcher.passages import clean

        posting = Posting.from_dict(data["posting"])
        spans = data["passages"]
        passages = tuple(Passage(clean(posting.body[s:e]), s, e, kind) for _, s, e, kind in spans)
        return cls(posting, int(data["num"]), tuple(data["tags"]), tuple(int(x[0]) for x in spans), passages)


@dataclass
class Snapshot:
    """Everything a query needs, consistent with one manifest."""

    manifest: Manifest
    entries: dict[str, Entry]
    passages: FaissStore
    titles: FaissStore
    heads: FaissStore  # one vector per posting: title + summary + the head of the body
    tags: FaissStore
    tag_names: tuple[str, ...]
    vocab: Vocabulary
    lexical: LexicalIndex
    by_num: dict[int, str] = field(init=False)
    passage_owner: dict[int, tuple[str, int]] = field(init=False)
    tag_postings: dict[str, set[str]] = field(init=False)

    def __post_init__(self) -> None:
        self.by_num = {e.num: pid for pid, e in self.entries.items()}
        self.passage_owner = {
            passage_id: (posting_id, i)
            for posting_id, e in self.entries.items()
            for i, passage_id in enumerate(e.passage_ids)
        }
        self.tag_postings = {}
        for posting_id, e in self.entries.items():
            for tag in e.tags:
                self.tag_postings.setdefault(tag, set()).add(posting_id)

    def save(self, folder: Path) -> None:
        self.manifest.save(folder)
        with (folder / "postings.jsonl").open("w", encoding="utf-8") as fh:
            for entry in self.entries.values():
                fh.write(json.dumps(entry.to_json(), ensure_ascii=False) + "\n")
        self.passages.save(folder / "passages.faiss")
        self.titles.save(folder / "titles.faiss")
        self.heads.save(folder / "heads.faiss")
        self.tags.save(folder / "tags.faiss")
        (folder / "vocab.json").write_text(json.dumps({"vocab": self.vocab.to_dict(), "tag_names": self.tag_names}))
        self.lexical.save(folder / "bm25")

    @classmethod
    def load(cls, folder: Path) -> Snapshot:
        manifest = Manifest.load(folder)
        entries: dict[str, Entry] = {}
        with (folder / "postings.jsonl").open(encoding="utf-8") as fh:
            for line in fh:
                entry = Entry.from_json(json.loads(line))
                entries[entry.posting.id] = entry
        vocab_data = json.loads((folder / "vocab.json").read_text())
        return cls(
            manifest=manifest,
            entries=entries,
            passages=FaissStore.load(folder / "passages.faiss"),
            titles=FaissStore.load(folder / "titles.faiss"),
            # an index written before heads existed gets them on its next `matcher index` (nothing else re-embeds)
            heads=FaissStore.load(folder / "heads.faiss") if (folder / "heads.faiss").exists()
            else FaissStore(manifest.dimension),
            tags=FaissStore.load(folder / "tags.faiss"),
            tag_names=tuple(vocab_data["tag_names"]),
            vocab=Vocabulary.from_dict(vocab_data["vocab"]),
            lexical=LexicalIndex.load(folder / "bm25"),
        )

    def passage_vectors(self, posting_id: str) -> np.ndarray:
        return self.passages.vectors(np.asarray(self.entries[posting_id].passage_ids, dtype=np.int64))
