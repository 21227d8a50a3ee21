"""The facade: `Matcher` holds the verbs (index, upsert, delete, match, similar, score, info); the modules under
it own the rest (the store: locking, commits, merges, reloading; ranking: retrieval, scoring, results)."""

from __future__ import annotations

import threading
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from matcher.calibration import DEFAULT_CALIBRATION, Calibration
from matcher.config import DEFAULT_INDEX_DIR, MatcherConfig, Weights
from matcher.embed import Embedder
from matcher.errors import IndexMissing, InvalidInput, NotFound
from matcher.filters import Filters
from matcher.index import writer
from matcher.index.store import SegmentStore
from matcher.index.view import View
from matcher.index.writer import WriteStats
from matcher.limits import MAX_K
from matcher.postings import Posting, Rejection, load_postings
from matcher.query import Candidate, prepare
from matcher.ranking import match as rank_match
from matcher.ranking import score_pairs as rank_pairs
from matcher.ranking import similar as rank_similar
from matcher.results import MatchResponse, MatchResult, Provenance, SimilarResult
from matcher.stores import open_store

BuildStats = WriteStats  # the name earlier releases used


@dataclass(frozen=True)
class IndexReport:
    """The outcome of `Matcher.index`: counts, and every rejected posting with its reason.

    `stale` counts live postings absent from the indexed paths: kept, unless `prune=True` removed them.
    """

    indexed: int
    unchanged: int
    removed: int
    rejected: tuple[Rejection, ...]
    postings: int
    passages_embedded: int
    seconds: float
    version: str = ""
    stale: int = 0
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
                 calibration: Calibration | None = None, config: MatcherConfig | None = None) -> None:
        self.index_dir = Path(index_dir)
        self.embedder = embedder or Embedder(model)
        self.config = config or MatcherConfig(weights=weights or Weights())
        if weights is not None and config is not None:
            self.config = MatcherConfig(weights, config.shape, config.ranking, config.segments)
        # The shipped curves fit the shipped weights and model: otherwise no match percentage unless given curves.
        fits = self.weights == Weights() and self.embedder.model_id == DEFAULT_CALIBRATION.model_id
        self.calibration = calibration or (DEFAULT_CALIBRATION if fits else None)
        # A folder, or a Milvus URL (matcher.stores): the facade is the same over either.
        self.location = str(index_dir)
        self.store: SegmentStore = open_store(index_dir, model_id=self.embedder.model_id,
                                              model_hash=self.embedder.model_hash, dimension=None,
                                              shape=self.config.shape, policy=self.config.segments)
        self._merger: threading.Thread | None = None

    @property
    def weights(self) -> Weights:
        return self.config.weights

    # -- opening ---------------------------------------------------------------------------------------------
    @classmethod
    def load(cls, index_dir: str | Path = DEFAULT_INDEX_DIR, **kwargs: Any) -> Matcher:
        """Open an existing index; fails with IndexMissing / IndexMismatch / IndexDamaged when it cannot be served."""
        matcher = cls(index_dir, **kwargs)
        matcher.store.open(must_exist=True)
        return matcher

    @classmethod
    def open(cls, index_dir: str | Path = DEFAULT_INDEX_DIR, **kwargs: Any) -> Matcher:
        """Like `load`, but an absent index is fine (empty until `index` or `upsert`)."""
        matcher = cls(index_dir, **kwargs)
        matcher.store.open(must_exist=False)
        return matcher

    @property
    def view(self) -> View:
        """The version queries read now (one consistent set of segments)."""
        return self.store.reader()

    def __len__(self) -> int:
        return len(self.store.reader()) if self.store.loaded else 0

    @property
    def version(self) -> str:
        """The loaded index version ('' when none is loaded)."""
        return self.store.reader().version if self.store.loaded else ""

    def refresh(self) -> bool:
        """Load the version another process committed (cheap when nothing changed); True if it moved."""
        return self.store.refresh()

    # -- writing ---------------------------------------------------------------------------------------------
    def index(self, paths: Iterable[str | Path], *, strict: bool = False, progress: bool = False,
              prune: bool = False, allow_empty: bool = False) -> IndexReport:
        """Add and update the postings under `paths` (only new or changed ones are embedded). Postings absent from
        `paths` stay unless `prune`; a prune that would leave the index empty needs `allow_empty`."""
        report = load_postings(paths, strict=strict)
        if not report.postings:
            listed = f" ({len(report.rejected)} rejected)" if report.rejected else ""
            raise InvalidInput(f"no valid postings found under {', '.join(str(p) for p in paths)}{listed}; "
                               "nothing was changed")
        return self.sync(report.postings, rejected=report.rejected, progress=progress, prune=prune,
                         allow_empty=allow_empty)

    def sync(self, postings: Sequence[Posting], *, rejected: Sequence[Rejection] = (), progress: bool = False,
             prune: bool = False, allow_empty: bool = False) -> IndexReport:
        """Add and update `postings`; with `prune`, also remove live postings that are not among them."""
        keep = {p.id for p in postings}
        stale = sorted(pid for pid in (self.view.where if self.store.loaded else {}) if pid not in keep)
        if prune and stale and not keep and not allow_empty:
            raise InvalidInput("this would remove every posting from the index; pass allow_empty to do it")
        stats = writer.upsert(self.store, self.embedder, postings, self.config, progress=progress)
        removed = 0
        if prune and stale:
            removed = writer.delete(self.store, stale).removed
        self.merge(wait=True)
        return IndexReport(stats.indexed, stats.unchanged, removed, tuple(rejected), len(self),
                           stats.passages_embedded, round(stats.seconds, 3), self.version,
                           0 if prune else len(stale))

    def upsert(self, postings: Sequence[Posting]) -> WriteStats:
        """Add or replace postings (by id): durable and visible to the next query when this returns."""
        stats = writer.upsert(self.store, self.embedder, postings, self.config)
        self.merge(wait=False)
        return stats

    def delete(self, posting_ids: Iterable[str]) -> int:
        """Remove postings by id; unknown ids raise NotFound and nothing changes."""
        ids = list(dict.fromkeys(posting_ids))
        self.store.refresh()
        live = self.view.where if self.store.loaded else {}
        unknown = [i for i in ids if i not in live]
        if unknown:
            raise NotFound(f"unknown posting id(s): {', '.join(unknown[:5])}")
        writer.delete(self.store, ids)
        self.merge(wait=False)
        return len(ids)

    def merge(self, *, wait: bool = True, force: bool = False) -> None:
        """Compact segments as the merge policy says (in the background unless `wait`)."""
        def run() -> None:
            if force:
                self.store.merge(force=True)
                return
            while self.store.merge():
                pass
        if wait:
            run()
            return
        if self._merger is None or not self._merger.is_alive():
            self._merger = threading.Thread(target=run, name="matcher-merge", daemon=True)
            self._merger.start()

    # -- reading ---------------------------------------------------------------------------------------------
    def get(self, posting_id: str) -> Posting:
        return self.view.stored(self._ref(posting_id)).posting

    def tags_of(self, posting_id: str) -> tuple[str, ...]:
        return tuple(self.view.tags(self._ref(posting_id)))

    def _ref(self, posting_id: str) -> tuple[int, int]:
        ref = self.view.where.get(posting_id)
        if ref is None:
            raise NotFound(f"no posting with id {posting_id!r}")
        return ref

    def match(self, text: str | None = None, skills: Sequence[str] | None = None, k: int = 10,
              filters: Filters | Mapping[str, Any] | None = None) -> list[MatchResult]:
        """Rank postings for a candidate given as CV text, a skills list, or both."""
        return next(self.match_many([Candidate(text, tuple(skills or ()))], k=k, filters=filters))

    def match_with_stats(self, text: str | None = None, skills: Sequence[str] | None = None, k: int = 10,
                         filters: Filters | Mapping[str, Any] | None = None) -> tuple[list[MatchResult], int]:
        """`match`, and how many postings were scored exactly (the API's `candidates_examined`)."""
        check_k(k)
        view = self.view
        prepared = prepare(Candidate(text, tuple(skills or ())), view, self.embedder)
        ranked = rank_match(view, prepared, k, _filters(filters), self.config, self.calibration)
        return ranked.results, ranked.examined

    def match_many(self, candidates: Iterable[Candidate], k: int = 10,
                   filters: Filters | Mapping[str, Any] | None = None) -> Iterator[list[MatchResult]]:
        """Rank postings for each candidate in turn (lazily, so a stream stays in constant memory)."""
        check_k(k)
        flt = _filters(filters)
        for candidate in candidates:
            view = self.view  # one version for the whole query: writers publish new views, never mutate one
            prepared = prepare(candidate, view, self.embedder)
            yield rank_match(view, prepared, k, flt, self.config, self.calibration).results

    def match_response(self, candidate: Candidate, k: int = 10,
                       filters: Filters | Mapping[str, Any] | None = None) -> MatchResponse:
        """`match` for a `Candidate`, with what blinding removed and what produced the ranking (`provenance`)."""
        check_k(k)
        view = self.view
        prepared = prepare(candidate, view, self.embedder)
        ranked = rank_match(view, prepared, k, _filters(filters), self.config, self.calibration)
        return MatchResponse(ranked.results, ranked.examined, candidate.blinding,
                             Provenance.of(view.version, self.embedder, self.weights))

    def score_pairs(self, candidate: Candidate, posting_ids: Sequence[str]) -> list[MatchResult]:
        """Score `candidate` on exactly `posting_ids`, in that order, with explanations; filters do not apply.

        Each score is the one `match` gives that posting with `include_archived=True` and no other filter.
        """
        view = self.view
        unknown = [pid for pid in posting_ids if pid not in view.where]
        if unknown:
            raise NotFound(f"unknown posting id(s): {', '.join(unknown[:5])}")
        prepared = prepare(candidate, view, self.embedder)
        return rank_pairs(view, prepared, posting_ids, self.config, self.calibration)

    def similar(self, posting_id: str, k: int = 10,
                filters: Filters | Mapping[str, Any] | None = None) -> list[SimilarResult]:
        """Postings like `posting_id` (never itself), with the tags they share and those that differ."""
        check_k(k)
        self._ref(posting_id)
        return rank_similar(self.view, posting_id, k, _filters(filters), self.config)

    def info(self) -> dict[str, Any]:
        """What the index holds and was built with."""
        from dataclasses import asdict

        view = self.view  # IndexMissing when there is no index: `info` says so rather than "built: false"
        manifest = asdict(view.manifest)
        manifest["segments"] = len(view.manifest.segments)
        manifest["deleted"] = sum(len(s.deleted) for s in view.manifest.segments)
        archived = sum(int((seg.archived & live).sum()) for seg, live in zip(view.segments, view.live, strict=True))
        return {"index_dir": self.location, "model": self.embedder.model_id, "built": True,
                "postings": len(view), "archived": archived, "version": view.version, "manifest": manifest}


def _filters(filters: Filters | Mapping[str, Any] | None) -> Filters:
    return filters if isinstance(filters, Filters) else Filters.from_mapping(filters)


def check_k(k: int) -> None:
    if not isinstance(k, int) or isinstance(k, bool) or not 1 <= k <= MAX_K:
        raise InvalidInput(f"k must be an integer from 1 to {MAX_K}, got {k!r}")


__all__ = ["BuildStats", "IndexMissing", "IndexReport", "Matcher", "check_k"]
