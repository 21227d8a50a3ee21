"""The facade: `Matcher` builds and updates an index folder, and answers match / similar / batch questions."""

from __future__ import annotations

import threading
from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

try:
    import fcntl
except ImportError:  # pragma: no cover - not POSIX: writers are serialised within one process only
    fcntl = None  # type: ignore[assignment]

from matcher.calibration import DEFAULT_CALIBRATION, Calibration
from matcher.config import DEFAULT_INDEX_DIR
from matcher.embed import Embedder
from matcher.errors import IndexMissing, InvalidInput, NotFound
from matcher.explain import passage_text, tag_explanation
from matcher.filters import Filters
from matcher.index import folder
from matcher.index.build import BuildStats, build_snapshot
from matcher.index.snapshot import Snapshot
from matcher.layout import Layout
from matcher.limits import MAX_K
from matcher.postings import Posting, Rejection, load_postings
from matcher.query import Candidate, PreparedQuery, prepare
from matcher.results import MatchResponse, MatchResult, Provenance, SimilarResult
from matcher.scoring import MIN_INFORMATIVE, Scored, Weights, score
from matcher.similar import similar_to

EXHAUSTIVE_LIMIT = 2_000  # up to this many allowed postings, every one is scored exactly
CANDIDATE_PASSAGES = 2_000
CANDIDATE_LEXICAL = 300
WRITE_LOCK = ".write-lock"  # flock'ed by a writer, so writers in different processes take turns


@dataclass(frozen=True)
class State:
    """A snapshot, its query-time layout and the name of its version folder, swapped together."""

    snapshot: Snapshot
    layout: Layout
    version: str = ""

    @classmethod
    def of(cls, snapshot: Snapshot, version: str = "") -> State:
        return cls(snapshot, Layout.of(snapshot), version)


@dataclass(frozen=True)
class IndexReport:
    """The outcome of `Matcher.index`: counts, and every rejected posting with its reason."""

    indexed: int
    unchanged: int
    removed: int
    rejected: tuple[Rejection, ...]
    postings: int
    passages_embedded: int
    seconds: float
    version: str = ""
    extra: dict[str, Any] = field(default_factory=dict)


class Matcher:
    """Semantic job matching over one index folder.

    Example:
        >>> m = Matcher.open("index/")
        >>> m.index(["seeds/"])                      # doctest: +SKIP
        >>> m.match(skills=["go", "postgres"], k=5)  # doctest: +SKIP
    """

    def __init__(self, index_dir: str | Path = DEFAULT_INDEX_DIR, *, model: str | None = None,
                 weights: Weights | None = None, embedder: Embedder | None = None,
                 calibration: Calibration | None = None) -> None:
        self.index_dir = Path(index_dir)
        self.embedder = embedder or Embedder(model)
        self.weights = weights or Weights()
        # The shipped curves fit the shipped weights and model: otherwise no match percentage unless given curves.
        fits = self.weights == Weights() and self.embedder.model_id == DEFAULT_CALIBRATION.model_id
        self.calibration = calibration or (DEFAULT_CALIBRATION if fits else None)
        self._state: State | None = None
        self._write_lock = threading.Lock()

    # -- loading -------------------------------------------------------------------------------------------
    @classmethod
    def load(cls, index_dir: str | Path = DEFAULT_INDEX_DIR, **kwargs: Any) -> Matcher:
        """Open an existing index; fails with IndexMissing / IndexMismatch when it cannot be served."""
        matcher = cls(index_dir, **kwargs)
        matcher._state = matcher._read()
        return matcher

    @classmethod
    def open(cls, index_dir: str | Path = DEFAULT_INDEX_DIR, **kwargs: Any) -> Matcher:
        """Like `load`, but an absent index is fine (empty until `index` or `upsert`)."""
        matcher = cls(index_dir, **kwargs)
        try:
            matcher._state = matcher._read()
        except IndexMissing:
            matcher._state = None
        return matcher

    def _read(self) -> State:
        version = folder.current_version(self.index_dir)
        snapshot = Snapshot.load(version)
        snapshot.manifest.check(self.embedder.model_id, self.embedder.model_hash)
        return State.of(snapshot, version.name)

    @property
    def state(self) -> State:
        if self._state is None:
            raise IndexMissing(f"no index at {self.index_dir}: build one with `matcher index PATHS --index {self.index_dir}`")
        return self._state

    @property
    def snapshot(self) -> Snapshot:
        return self.state.snapshot

    def __len__(self) -> int:
        return len(self._state.snapshot.entries) if self._state else 0

    @property
    def version(self) -> str:
        """The name of the loaded index version ('' when none is loaded)."""
        return self._state.version if self._state else ""

    def refresh(self) -> bool:
        """Load the version another process published (`matcher index`, a sibling API worker); True if it did.

        Cheap when nothing changed: one read of the folder's CURRENT pointer.
        """
        try:
            if folder.current_version(self.index_dir).name == self.version:
                return False
        except IndexMissing:
            return False
        if not self._write_lock.acquire(blocking=False):
            return False  # a local write is running; it starts from, or publishes, the newest version
        try:
            return self._reload_if_moved()
        finally:
            self._write_lock.release()

    def _reload_if_moved(self) -> bool:
        """Load the folder's live version if it is not the one in memory. The caller holds the write lock."""
        try:
            live = folder.current_version(self.index_dir).name
        except IndexMissing:
            return False
        if live == self.version:
            return False
        self._state = self._read()
        return True

    # -- writing -------------------------------------------------------------------------------------------
    def _commit(self, postings: Sequence[Posting], progress: bool = False) -> tuple[BuildStats, str]:
        """Build a new snapshot for exactly `postings`, write it as a new version, then swap it in."""
        snapshot, stats = build_snapshot(postings, self.embedder, self._state.snapshot if self._state else None,
                                         progress=progress)
        self.index_dir.mkdir(parents=True, exist_ok=True)
        staging = folder.new_version(self.index_dir)
        snapshot.save(staging)
        final = folder.publish(self.index_dir, staging)
        self._state = State.of(snapshot, final.name)
        return stats, final.name

    @contextmanager
    def _writing(self) -> Iterator[None]:
        """Writers take turns, in this process (a lock) and across processes (an flock on DIR/.write-lock), and
        each starts from the version on disk, so a write another process made meanwhile is kept, not lost."""
        with self._write_lock:
            self.index_dir.mkdir(parents=True, exist_ok=True)
            with (self.index_dir / WRITE_LOCK).open("a") as handle:
                if fcntl is not None:
                    fcntl.flock(handle, fcntl.LOCK_EX)  # released when the file is closed
                self._reload_if_moved()
                yield

    def index(self, paths: Iterable[str | Path], *, strict: bool = False, progress: bool = False) -> IndexReport:
        """Make the index hold exactly the postings under `paths`: new and changed ones are embedded, unchanged
        ones reused, missing ones dropped. Bad postings are reported in `rejected` (raised with `strict`)."""
        report = load_postings(paths, strict=strict)
        return self.sync(report.postings, rejected=report.rejected, progress=progress)

    def sync(self, postings: Sequence[Posting], *, rejected: Sequence[Rejection] = (),
             progress: bool = False) -> IndexReport:
        """Make the index hold exactly `postings` (already parsed), embedding only what is new or changed."""
        with self._writing():
            stats, version = self._commit(postings, progress)
        return IndexReport(stats.indexed, stats.unchanged, stats.removed, tuple(rejected), len(self),
                           stats.passages_embedded, round(stats.seconds, 3), version)

    def upsert(self, postings: Sequence[Posting]) -> BuildStats:
        """Add or replace postings (by id), persisted atomically and visible to the next query."""
        with self._writing():
            current = dict(self._state.snapshot.entries) if self._state else {}
            merged = {pid: e.posting for pid, e in current.items()}
            merged.update({p.id: p for p in postings})
            return self._commit(list(merged.values()))[0]

    def delete(self, posting_ids: Iterable[str]) -> int:
        """Remove postings by id; unknown ids raise NotFound and nothing changes."""
        ids = list(posting_ids)
        with self._writing():
            entries = self.state.snapshot.entries
            unknown = [i for i in ids if i not in entries]
            if unknown:
                raise NotFound(f"unknown posting id(s): {', '.join(unknown[:5])}")
            keep = [e.posting for pid, e in entries.items() if pid not in set(ids)]
            self._commit(keep)
        return len(ids)

    # -- reading -------------------------------------------------------------------------------------------
    def get(self, posting_id: str) -> Posting:
        entry = self.state.snapshot.entries.get(posting_id)
        if entry is None:
            raise NotFound(f"no posting with id {posting_id!r}")
        return entry.posting

    def tags_of(self, posting_id: str) -> tuple[str, ...]:
        self.get(posting_id)
        return self.state.snapshot.entries[posting_id].tags

    def match(self, text: str | None = None, skills: Sequence[str] | None = None, k: int = 10,
              filters: Filters | Mapping[str, Any] | None = None) -> list[MatchResult]:
        """Rank postings for a candidate given as CV text, a skills list, or both."""
        return next(self.match_many([Candidate(text, tuple(skills or ()))], k=k, filters=filters))

    def match_with_stats(self, text: str | None = None, skills: Sequence[str] | None = None, k: int = 10,
                         filters: Filters | Mapping[str, Any] | None = None) -> tuple[list[MatchResult], int]:
        """`match`, and how many postings were scored exactly (the API's `candidates_examined`)."""
        check_k(k)
        flt = filters if isinstance(filters, Filters) else Filters.from_mapping(filters)
        return self._rank(self.state, Candidate(text, tuple(skills or ())), k, flt)

    def match_response(self, candidate: Candidate, k: int = 10,
                       filters: Filters | Mapping[str, Any] | None = None) -> MatchResponse:
        """`match` for a `Candidate`, with what blinding removed and what produced the ranking (`provenance`)."""
        check_k(k)
        flt = filters if isinstance(filters, Filters) else Filters.from_mapping(filters)
        state = self.state
        results, examined = self._rank(state, candidate, k, flt)
        return MatchResponse(results, examined, candidate.blinding, Provenance.of(state.version, self.embedder, self.weights))

    def score_pairs(self, candidate: Candidate, posting_ids: Sequence[str]) -> list[MatchResult]:
        """Score `candidate` on exactly `posting_ids`, in that order, with explanations; filters do not apply.

        Each score is the one `match` gives that posting with `include_archived=True` and no other filter.
        """
        state = self.state
        unknown = [pid for pid in posting_ids if pid not in state.layout.position]
        if unknown:
            raise NotFound(f"unknown posting id(s): {', '.join(unknown[:5])}")
        prepared = prepare(candidate, state.snapshot, self.embedder)
        wanted = np.asarray([state.layout.position[pid] for pid in posting_ids], dtype=np.int64)
        everyone = np.arange(len(state.layout.posting_ids), dtype=np.int64)
        # Score them among the postings `match` would score, so the lexical part is normalised the same way.
        positions = np.union1d(self._candidates(state, prepared.vectors, prepared.lexical, everyone), wanted)
        scored = score(prepared, state.snapshot, state.layout, positions, self.weights)
        return [self._result(state, prepared, scored, positions, int(i)) for i in np.searchsorted(positions, wanted)]

    def match_many(self, candidates: Iterable[Candidate], k: int = 10,
                   filters: Filters | Mapping[str, Any] | None = None) -> Iterator[list[MatchResult]]:
        """Rank postings for each candidate in turn (lazily, so a stream stays in constant memory)."""
        check_k(k)
        flt = filters if isinstance(filters, Filters) else Filters.from_mapping(filters)
        for candidate in candidates:
            state = self.state  # one snapshot for the whole query: writers swap, never mutate
            yield self._match_one(state, candidate, k, flt)

    def _allowed(self, state: State, filters: Filters) -> np.ndarray:
        layout = state.layout
        if filters.archive_only:
            mask = np.ones(len(layout.posting_ids), dtype=bool) if filters.include_archived else ~layout.archived
            return np.flatnonzero(mask).astype(np.int64)
        entries = state.snapshot.entries
        return np.asarray([i for i, pid in enumerate(layout.posting_ids)
                           if filters.accepts(entries[pid].posting, entries[pid].tags)], dtype=np.int64)

    def _candidates(self, state: State, prepared_vectors: np.ndarray, lexical: str, allowed: np.ndarray) -> np.ndarray:
        """Postings worth scoring exactly: all allowed ones when few, else the union of dense and BM25 hits."""
        if len(allowed) <= EXHAUSTIVE_LIMIT:
            return allowed
        snap, layout = state.snapshot, state.layout
        allowed_set = set(allowed.tolist())
        pids = None
        if len(allowed) < len(layout.posting_ids):
            pids = np.asarray([p for i in allowed for p in snap.entries[layout.posting_ids[i]].passage_ids])
        picked: set[int] = set()
        if len(prepared_vectors):
            _, ids = snap.passages.search(prepared_vectors, CANDIDATE_PASSAGES, allowed=pids)
            picked.update(layout.position[snap.passage_owner[int(p)][0]] for p in ids.ravel() if p >= 0)
        bm25 = snap.lexical.scores(lexical)[layout.lexical_rows[allowed]]
        picked.update(allowed[np.argsort(-bm25)[:CANDIDATE_LEXICAL]].tolist())
        return np.asarray(sorted(picked & allowed_set), dtype=np.int64)

    def _match_one(self, state: State, candidate: Candidate, k: int, filters: Filters) -> list[MatchResult]:
        return self._rank(state, candidate, k, filters)[0]

    def _rank(self, state: State, candidate: Candidate, k: int, filters: Filters) -> tuple[list[MatchResult], int]:
        """The top k results, and how many postings were scored."""
        prepared = prepare(candidate, state.snapshot, self.embedder)
        allowed = self._allowed(state, filters)
        positions = self._candidates(state, prepared.vectors, prepared.lexical, allowed)
        scored = score(prepared, state.snapshot, state.layout, positions, self.weights)
        results = [self._result(state, prepared, scored, positions, int(i)) for i in top_k(scored.total(), k)]
        results.sort(key=lambda r: (-r.score, r.posting_id))
        return results, len(positions)

    def _result(self, state: State, prepared: PreparedQuery, scored: Scored, positions: np.ndarray, i: int) -> MatchResult:
        """The i-th scored posting as a result, with its explanation."""
        snap, layout = state.snapshot, state.layout
        entry = snap.entries[layout.posting_ids[positions[i]]]
        components = scored.components(i)
        total = round(sum(components.values()), 6)
        matched, missing = tag_explanation(entry, prepared.tags, snap.vocab, MIN_INFORMATIVE)
        return MatchResult(
            posting_id=entry.posting.id, title=entry.posting.title, company=entry.posting.company,
            url=entry.posting.url, score=total,
            match_percent=self.calibration.percent(total, prepared.has_text) if self.calibration else None,
            components=components,
            matched_tags=matched, missing_tags=missing,
            passage=passage_text(entry, layout, int(scored.best_row[i])),
        )

    def similar(self, posting_id: str, k: int = 10,
                filters: Filters | Mapping[str, Any] | None = None) -> list[SimilarResult]:
        """Postings like `posting_id` (never itself), with the tags they share and those that differ."""
        check_k(k)
        self.get(posting_id)
        flt = filters if isinstance(filters, Filters) else Filters.from_mapping(filters)
        state = self.state
        allowed = self._allowed(state, flt)
        return similar_to(state.snapshot, state.layout, posting_id, allowed, k)

    def info(self) -> dict[str, Any]:
        """What the index holds and was built with."""
        from dataclasses import asdict

        data: dict[str, Any] = {"index_dir": str(self.index_dir), "model": self.embedder.model_id}
        if self._state is None:
            return {**data, "postings": 0, "built": False}
        snap = self._state.snapshot
        archived = sum(1 for e in snap.entries.values() if e.posting.archived)
        return {**data, "built": True, "manifest": asdict(snap.manifest), "archived": archived,
                "version": folder.current_version(self.index_dir).name}


def check_k(k: int) -> None:
    if not isinstance(k, int) or isinstance(k, bool) or not 1 <= k <= MAX_K:
        raise InvalidInput(f"k must be an integer from 1 to {MAX_K}, got {k!r}")


def top_k(values: np.ndarray, k: int) -> np.ndarray:
    """Indices of the k largest values, best first."""
    if len(values) <= k:
        return np.argsort(-values, kind="stable")
    part = np.argpartition(-values, k - 1)[:k]
    return part[np.argsort(-values[part], kind="stable")]
