"""Lexical relevance: BM25 (bm25s) over title + tags + body, scored for every posting at once."""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path

import bm25s
import numpy as np

from matcher.postings import Posting


def posting_text(posting: Posting) -> str:
    """What BM25 indexes for a posting: the title twice (it says most about the role), tags, body."""
    return "\n".join([posting.title, posting.title, " ".join(posting.hashtags), posting.body])


def tokenize(texts: Sequence[str]) -> list[list[str]]:
    return bm25s.tokenize(list(texts), stopwords="en", return_ids=False, show_progress=False)  # type: ignore[return-value]


class LexicalIndex:
    """BM25 over postings; document i is `keys[i]` (a posting's internal number)."""

    def __init__(self, model: bm25s.BM25 | None, keys: np.ndarray) -> None:
        self._model = model
        self.keys = keys
        self._vocab: set[str] = set(model.vocab_dict) if model is not None else set()

    @classmethod
    def build(cls, postings: Sequence[Posting], keys: Sequence[int]) -> LexicalIndex:
        if not postings:
            return cls(None, np.zeros(0, dtype=np.int64))
        model = bm25s.BM25()
        model.index(tokenize([posting_text(p) for p in postings]), show_progress=False)
        return cls(model, np.asarray(keys, dtype=np.int64))

    def scores(self, query: str) -> np.ndarray:
        """BM25 score of `query` for every document, aligned with `keys` (zeros when nothing matches)."""
        tokens = [t for t in tokenize([query])[0] if t in self._vocab] if self._model is not None else []
        if not tokens:
            return np.zeros(len(self.keys), dtype=np.float32)
        return np.asarray(self._model.get_scores(tokens), dtype=np.float32)  # type: ignore[union-attr]

    def save(self, folder: Path) -> None:
        folder.mkdir(parents=True, exist_ok=True)
        np.save(folder / "keys.npy", self.keys)
        if self._model is not None:
            self._model.save(str(folder), show_progress=False)
        (folder / "lexical.json").write_text(json.dumps({"documents": len(self.keys)}))

    @classmethod
    def load(cls, folder: Path) -> LexicalIndex:
        keys = np.load(folder / "keys.npy")
        model = bm25s.BM25.load(str(folder)) if len(keys) else None
        return cls(model, keys)
