"""A query-time view of a snapshot: passage vectors grouped by posting, in one contiguous matrix."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field

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
    archived: np.ndarray  # bool (n,)
    tag_weight: np.ndarray  # float64 (n,): the summed informativeness of each posting's tags
    with_tag: dict[str, np.ndarray]  # tag -> positions of the postings that carry it
    with_family: dict[str, np.ndarray]  # role family -> positions of the postings whose title names it
    store: object = field(default=None, repr=False, compare=False)  # keeps the memory `matrix` may view alive

    @classmethod
    def of(cls, snapshot: Snapshot) -> Layout:
        # Postings in the order their passages sit in the vector store: a build adds each posting's passages
        # together and removal keeps the order, so the matrix is then the store's own memory, not a copy.
        stored = snapshot.passages.ids()
        where = {int(pid): row for row, pid in enumerate(stored)}
        ids = tuple(sorted(snapshot.entries, key=lambda p: min((where[i] for i in snapshot.entries[p].passage_ids),
                                                               default=-1)))
        entries = [snapshot.entries[i] for i in ids]
        counts = np.asarray([len(e.passage_ids) for e in entries], dtype=np.int64)
        offsets = np.concatenate([[0], np.cumsum(counts)]).astype(np.int64)
        pids = np.asarray([pid for e in entries for pid in e.passage_ids], dtype=np.int64)
        dim = snapshot.manifest.dimension
        if len(pids) and np.array_equal(pids, stored):
            matrix = snapshot.passages.matrix()
        else:
            matrix = snapshot.passages.vectors(pids) if len(pids) else np.zeros((0, dim), dtype=np.float32)
        damp = np.asarray([KIND_DAMP.get(p.kind, 1.0) for e in entries for p in e.passages], dtype=np.float32)
        nums = np.asarray([e.num for e in entries], dtype=np.int64)
        titles = snapshot.titles.vectors(nums) if len(nums) else np.zeros((0, dim), dtype=np.float32)
        # An index from before heads existed scores them 0 until the next `matcher index` adds them.
        complete = len(snapshot.heads) == len(nums) and len(nums)
        heads = snapshot.heads.vectors(nums) if complete else np.zeros((len(nums), dim), dtype=np.float32)
        lex_index = {int(k): i for i, k in enumerate(snapshot.lexical.keys)}
        lexical_rows = np.asarray([lex_index[int(n)] for n in nums], dtype=np.int64)
        # Titles repeat ("Software Engineer"): work out each distinct one once.
        of_title = {t: title_families(t, snapshot.vocab) for t in {e.posting.title for e in entries}}
        families = tuple(of_title[e.posting.title] for e in entries)
        weight = snapshot.vocab.weight
        archived = np.asarray([e.posting.archived for e in entries], dtype=bool)
        tag_weight = np.asarray([sum(weight(t) for t in e.tags) for e in entries], dtype=np.float64)
        return cls(ids, {p: i for i, p in enumerate(ids)}, offsets, matrix, damp, titles, heads, lexical_rows,
                   families, archived, tag_weight, _inverted(e.tags for e in entries), _inverted(families),
                   snapshot.passages)

    def per_posting(self, values: dict[str, float], index: dict[str, np.ndarray]) -> np.ndarray:
        """For every posting, the sum of `values[key]` over the keys `index` lists it under."""
        out = np.zeros(len(self.posting_ids), dtype=np.float64)
        for key, value in values.items():
            hits = index.get(key)
            if hits is not None and value:
                out[hits] += value
        return out

    def rows(self, positions: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Matrix rows of the postings at `positions`, and the start of each posting's run within them."""
        starts, ends = self.offsets[positions], self.offsets[positions + 1]
        lengths = ends - starts
        run_starts = np.concatenate([[0], np.cumsum(lengths)[:-1]]).astype(np.int64)
        rows = np.repeat(starts - run_starts, lengths) + np.arange(int(lengths.sum()))
        return rows, run_starts


def _inverted(keys_per_posting: Iterable[Iterable[str]]) -> dict[str, np.ndarray]:
    """key -> positions of the postings listing it (each position once per key)."""
    index: dict[str, list[int]] = defaultdict(list)
    for position, keys in enumerate(keys_per_posting):
        for key in dict.fromkeys(keys):
            index[key].append(position)
    return {key: np.asarray(positions, dtype=np.int64) for key, positions in index.items()}
