"""A query-time view of a snapshot: passage vectors grouped by posting, in one contiguous matrix."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from matcher.index.snapshot import Snapshot
from matcher.skills import title_families

# How much a passage of each section kind can contribute: boilerplate says little about fit.
KIND_DAMP = {"eeo": 0.6, "benefits": 0.75, "about": 0.85}


@dataclass(frozen=True)
class Layout:
    """Postings in a fixed order; rows offsets[i]:offsets[i+1] of `matrix` are posting i's passages."""

    posting_ids: tuple[str, ...]
    position: dict[str, int]
    offsets: np.ndarray  # int64, len n+1
    matrix: np.ndarray  # float32 (passages, dim), unit rows
    damp: np.ndarray  # float32 (passages,)
    titles: np.ndarray  # float32 (n, dim)
    heads: np.ndarray  # float32 (n, dim)
    lexical_rows: np.ndarray  # int64 (n,): the posting's document number in the lexical index
    families: tuple[frozenset[str], ...]  # role families named by each posting's title

    @classmethod
    def of(cls, snapshot: Snapshot) -> Layout:
        ids = tuple(snapshot.entries)
        entries = [snapshot.entries[i] for i in ids]
        counts = np.asarray([len(e.passage_ids) for e in entries], dtype=np.int64)
        offsets = np.concatenate([[0], np.cumsum(counts)]).astype(np.int64)
        pids = np.asarray([pid for e in entries for pid in e.passage_ids], dtype=np.int64)
        dim = snapshot.manifest.dimension
        matrix = snapshot.passages.vectors(pids) if len(pids) else np.zeros((0, dim), dtype=np.float32)
        damp = np.asarray([KIND_DAMP.get(p.kind, 1.0) for e in entries for p in e.passages], dtype=np.float32)
        nums = np.asarray([e.num for e in entries], dtype=np.int64)
        titles = snapshot.titles.vectors(nums) if len(nums) else np.zeros((0, dim), dtype=np.float32)
        # An index from before heads existed scores them 0 until the next `matcher index` adds them.
        complete = len(snapshot.heads) == len(nums) and len(nums)
        heads = snapshot.heads.vectors(nums) if complete else np.zeros((len(nums), dim), dtype=np.float32)
        lex_index = {int(k): i for i, k in enumerate(snapshot.lexical.keys)}
        lexical_rows = np.asarray([lex_index[int(n)] for n in nums], dtype=np.int64)
        families = tuple(title_families(e.posting.title, snapshot.vocab) for e in entries)
        return cls(ids, {p: i for i, p in enumerate(ids)}, offsets, matrix, damp, titles, heads, lexical_rows,
                   families)

    def rows(self, positions: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Matrix rows of the postings at `positions`, and the start of each posting's run within them."""
        starts, ends = self.offsets[positions], self.offsets[positions + 1]
        lengths = ends - starts
        run_starts = np.concatenate([[0], np.cumsum(lengths)[:-1]]).astype(np.int64)
        rows = np.repeat(starts - run_starts, lengths) + np.arange(int(lengths.sum()))
        return rows, run_starts
