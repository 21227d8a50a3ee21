"""`MilvusStore`: the store interface over a Milvus server or Milvus Lite (see `matcher.milvus.schema`).

A write inserts the new rows with `born = v+1`, marks the rows it replaces or deletes `died = v+1`, then moves
the version in the meta row: that last upsert is the commit point. Until then no reader (at version v) sees any
of it; a writer that died half-way leaves rows above the version, which the next writer removes first. One
process writes at a time: it holds the index's writer lease (`matcher.milvus.lease`); within a process, writes
are serialised by a lock.

Costs: a write reads nothing but the meta row (its view knows which rows it replaces) and builds its next view in
memory from the rows it wrote (`MilvusView.advanced`); another process catches up by reading only the rows born
or died since its version. A query reads the candidates' vectors and records by primary key and runs one dense
search; filters, tags and BM25 are evaluated over the view's in-memory rows.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from matcher.config import DEFAULT_POLICY, DEFAULT_SHAPE, IndexShape, SegmentPolicy
from matcher.errors import IndexMismatch, IndexMissing, InvalidInput
from matcher.index.docs import IndexDoc
from matcher.index.manifest import Manifest
from matcher.index.segment import KINDS
from matcher.milvus import schema
from matcher.milvus.lease import Lease
from matcher.milvus.listing import LISTED, Chunk
from matcher.milvus.view import ROW_STRIDE, MilvusView, RecordCache, stored_doc

META_KEY = "manifest"
INSERT_ROWS = 512  # rows per insert call (a gRPC message stays far below its size limit)
KEEP_COMMITS = 200
VECTOR_CACHE = 5_000  # postings whose vectors a process keeps (about 15 KB each at 384 dimensions)
FETCH_ROWS = 2_000  # primary keys per read
FLUSH_ROWS = 1_000  # a write of this many passages flushes them into a sealed Milvus segment at once


class MilvusStore:
    """An index held in Milvus collections; any number of processes read it, one writes at a time."""

    def __init__(self, location: str, *, model_id: str, model_hash: str, dimension: int | None,
                 shape: IndexShape = DEFAULT_SHAPE, policy: SegmentPolicy = DEFAULT_POLICY) -> None:
        self.location = location
        self.root = Path(location)  # for messages that name "the index"
        self.model_id, self.model_hash, self.dimension = model_id, model_hash, dimension
        self.shape, self.policy = shape, policy
        self.client, self.prefix = schema.connect(location)
        self.lease = Lease(self.client, self._name("meta"), location)
        self._view: MilvusView | None = None
        self._lock = threading.RLock()
        self._tag_vectors: dict[str, np.ndarray] = {}
        self._records = RecordCache()
        self._vectors = RecordCache(VECTOR_CACHE)
        self._loaded_collections = False
        self._dirty = False  # a write of this process failed before its commit: clean up before the next one

    def _name(self, part: str) -> str:
        return f"{self.prefix}_{part}"

    # -- reading ----------------------------------------------------------------------------------------------
    def _ensure_loaded(self) -> None:
        """Load the collections into memory once per process: a restarted Milvus (Lite) keeps them released."""
        if self._loaded_collections:
            return
        for part in ("meta", "docs", "passages", "tags"):
            name = self._name(part)
            if self.client.has_collection(name):
                state = str(self.client.get_load_state(name).get("state", ""))
                if "Loaded" not in state:
                    self.client.load_collection(name)
        self._loaded_collections = True

    def _meta(self) -> dict[str, Any] | None:
        if not self._loaded_collections and not self.client.has_collection(self._name("meta")):
            return None
        self._ensure_loaded()
        rows = self.client.query(self._name("meta"), filter=f'key == "{META_KEY}"', output_fields=["value"])
        return dict(rows[0]["value"]) if rows else None

    def open(self, *, must_exist: bool) -> MilvusStore:
        meta = self._meta()
        if meta is None:
            if must_exist:
                raise IndexMissing(f"no index in Milvus at {self.location}: build one with "
                                   f"`matcher index PATHS --index {self.location}` or `matcher migrate`")
            return self
        self._load(meta)
        return self

    def _check(self, meta: dict[str, Any]) -> None:
        Manifest(model_id=meta["model_id"], model_hash=meta["model_hash"], dimension=meta["dimension"],
                 shape=meta["shape"]).check(self.model_id, self.model_hash, self.shape.as_dict())

    def _load(self, meta: dict[str, Any]) -> MilvusView:
        """The whole version `meta` names: every live row's small fields, in one chunk (opening)."""
        self._check(meta)
        rows = schema.query_all(self.client, self._name("docs"), schema.live(int(meta["writes"])), LISTED)
        self._update_tags(meta)
        chunks = [Chunk(rows)] if rows else []
        view = MilvusView(self, meta, chunks, [np.ones(len(c), dtype=bool) for c in chunks], dict(self._tag_vectors),
                          self.shape)
        self._view = view
        self.dimension = int(meta["dimension"])
        return view

    def _catch_up(self, meta: dict[str, Any]) -> MilvusView:
        """Move this process's view to `meta`'s version reading only what changed since (rows born or died)."""
        view = self._view
        if view is None or int(meta["writes"]) < view.at or meta.get("model_hash") != view.meta.get("model_hash"):
            return self._load(meta)  # a first open, or the index was replaced
        old, new = view.at, int(meta["writes"])
        born: list[dict[str, Any]] = []
        died: list[int] = []
        if new > old:
            born = schema.query_some(self.client, self._name("docs"),
                                     f"born > {old} and born <= {new} and died > {new}", LISTED)
            died = [int(r["doc"]) for r in schema.query_some(
                self.client, self._name("docs"), f"born <= {old} and died > {old} and died <= {new}", ["doc"])]
        self._update_tags(meta)
        self._view = view.advanced(meta, born, died, dict(self._tag_vectors))
        return self._view

    def _update_tags(self, meta: dict[str, Any]) -> None:
        """Fetch vectors of tags this process has not seen (a tag's vector never changes), when the count moved."""
        if meta.get("tags") is not None and int(meta["tags"]) == len(self._tag_vectors):
            return
        names = [r["tag"] for r in schema.query_some(self.client, self._name("tags"), 'tag != ""', ["tag"])]
        missing = [t for t in names if t not in self._tag_vectors]
        for start in range(0, len(missing), 1000):
            chunk = missing[start:start + 1000]
            listed = ", ".join(schema.literal(t) for t in chunk)
            for row in self.client.query(self._name("tags"), filter=f"tag in [{listed}]", output_fields=["tag", "vector"]):
                self._tag_vectors[row["tag"]] = np.asarray(row["vector"], dtype=np.float32)

    def reader(self) -> MilvusView:
        if self._view is None:
            raise IndexMissing(f"no index in Milvus at {self.location}: build one with "
                               f"`matcher index PATHS --index {self.location}`")
        return self._view

    @property
    def loaded(self) -> bool:
        return self._view is not None

    def refresh(self) -> bool:
        """Catch up with the version another process committed (one small query when nothing changed)."""
        meta = self._meta()
        if meta is None or (self._view is not None and int(meta["generation"]) == self._view.manifest.generation):
            return False
        with self._lock:
            self._catch_up(meta)
        return True

    def known_tags(self) -> set[str]:
        return set(self._tag_vectors) if self._view is not None else set()

    def record(self, doc: int) -> Any:
        """The stored posting of row `doc` (cached: rows never change)."""
        found = self._records.get(doc)
        if found is None:
            rows = self.client.query(self._name("docs"), filter=f"doc in [{int(doc)}]", output_fields=["record"])
            if not rows:
                raise IndexMissing(f"row {doc} is gone from {self.location} (merged away); retry the request")
            found = stored_doc(rows[0]["record"])
            self._records.put(doc, found)
        return found

    def vectors(self, docs: Sequence[int], counts: Sequence[int]) -> list[tuple[np.ndarray, ...]]:
        """Each row's (head, title, passage vectors in passage order, passage kinds), cached by row. Rows are read
        by primary key (docs, and passages `doc * 4096 + i` for the `counts[i]` passages): no scan."""
        n_passages = dict(zip(docs, counts, strict=True))
        missing = [d for d in dict.fromkeys(docs) if d not in self._vectors]
        for start in range(0, len(missing), 500):
            chunk = missing[start:start + 500]
            heads = {int(r["doc"]): r for r in self.client.query(
                self._name("docs"), filter=f"doc in [{', '.join(map(str, chunk))}]",
                output_fields=["doc", "head", "title_vec"])}
            rows = [d * ROW_STRIDE + j for d in chunk for j in range(n_passages[d])]
            parts: dict[int, dict[int, Any]] = {d: {} for d in chunk}
            for first in range(0, len(rows), FETCH_ROWS):
                for r in self.client.query(self._name("passages"), output_fields=["row", "vector", "kind"],
                                           filter=f"row in [{', '.join(map(str, rows[first:first + FETCH_ROWS]))}]"):
                    parts[int(r["row"]) // ROW_STRIDE][int(r["row"]) % ROW_STRIDE] = r
            for d in chunk:
                if d not in heads or len(parts[d]) != n_passages[d]:
                    raise IndexMissing(f"row {d} is gone from {self.location} (merged away); retry the request")
                ordered = [parts[d][j] for j in range(n_passages[d])]
                self._vectors.put(d, (np.asarray(heads[d]["head"], dtype=np.float32),
                                      np.asarray(heads[d]["title_vec"], dtype=np.float32),
                                      np.asarray([x["vector"] for x in ordered], dtype=np.float32).reshape(len(ordered), -1),
                                      np.asarray([x["kind"] for x in ordered], dtype=np.int64)))
        out = []
        for d in docs:
            found = self._vectors.get(d)
            if found is None:  # evicted meanwhile (more rows than the cache holds): read it alone
                found = self.vectors([d], [n_passages[d]])[0]
            out.append(found)
        return out

    # -- writing ----------------------------------------------------------------------------------------------
    def ensure_writable(self) -> None:
        """Milvus reachable and accepting writes (checked again by the write itself)."""
        self.client.get_server_version()

    def _begin(self, dim: int | None) -> dict[str, Any]:
        """Hold the writer lease; the newest meta (collections created on the first write), this process's view
        caught up with it, and the orphans of a writer that died half-way removed."""
        meta = self._meta()
        if meta is None:
            if dim is None:
                raise IndexMissing(f"no index in Milvus at {self.location}: nothing to delete")
            schema.create(self.client, self.prefix, dim)
            self._ensure_loaded()
        claimed, leftovers = self.lease.acquire()
        if claimed:
            meta = self._meta()  # another writer may have committed before we held the lease
        if meta is None:
            meta = {"model_id": self.model_id, "model_hash": self.model_hash, "dimension": dim,
                    "shape": self.shape.as_dict(), "writes": 0, "generation": 0, "next_doc": 1, "passages": 0,
                    "tags": 0, "commits": []}
        else:
            self._check(meta)
            if self._view is None or int(meta["generation"]) != self._view.manifest.generation:
                self._catch_up(meta)
        if leftovers or self._dirty:
            self._remove_orphans(int(meta["writes"]))
        self._dirty = True
        return meta

    def _remove_orphans(self, v: int) -> None:
        """Rows a writer that died left above the committed version `v`: new rows deleted, `died` marks undone."""
        for part, key in (("docs", "doc"), ("passages", "row")):
            self.client.delete(self._name(part), filter=f"born > {v}")
            stale = schema.query_some(self.client, self._name(part), f"died > {v} and died < {schema.NEVER}", [key])
            self._mark(part, key, [int(r[key]) for r in stale], schema.NEVER)

    def _mark(self, part: str, key: str, ids: list[int], died: int) -> None:
        for start in range(0, len(ids), INSERT_ROWS):
            self.client.upsert(self._name(part), [{key: i, "died": died} for i in ids[start:start + INSERT_ROWS]],
                               partial_update=True)

    def _kill(self, posting_ids: set[str], died: int) -> list[int]:
        """Mark the live copies of `posting_ids` (and their passages) dead from version `died` on; their rows.
        The view (caught up with the committed version) knows them: nothing is read."""
        view = self._view
        if view is None or not posting_ids:
            return []
        refs = [view.where[p] for p in sorted(posting_ids) if p in view.where]
        docs = view.docs_of(refs)
        counts = [int(view.segments[s].n_passages[d]) for s, d in refs]  # type: ignore[attr-defined]
        self._mark("docs", "doc", docs, died)
        self._mark("passages", "row", [d * ROW_STRIDE + j for d, n in zip(docs, counts, strict=True)
                                       for j in range(n)], died)
        return docs

    def _commit(self, meta: dict[str, Any], rows: Sequence[dict[str, Any]] = (), died: Sequence[int] = (), *,
                write: bool = True, **changes: Any) -> Manifest:
        self.lease.check()
        now = time.time()
        meta = {**meta, **changes, "generation": int(meta["generation"]) + 1, "tags": len(self._tag_vectors),
                "created": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(now))}
        if write:
            meta["writes"] = int(meta["writes"]) + 1
            meta["commits"] = [*meta.get("commits", [])[-KEEP_COMMITS:], [meta["writes"], now]]
        self.client.upsert(self._name("meta"), [{"key": META_KEY, "value": meta, "dummy": [0.0, 1.0]},
                                                self.lease.lingering()])
        self._dirty = False
        base = self._view or MilvusView(self, meta, [], [], {}, self.shape)
        self._view = base.advanced(meta, rows, died, dict(self._tag_vectors))
        self.dimension = int(meta["dimension"])
        return self._view.manifest

    def _writing(self, dim: int | None, work: Any) -> Manifest:
        """Run `work(meta)` as this process's one write (lease held, view current); on failure the lease goes."""
        with self._lock:
            try:
                return work(self._begin(dim))
            except BaseException:
                self.lease.release()
                raise

    def upsert(self, docs: Sequence[IndexDoc], tag_vectors: dict[str, np.ndarray]) -> Manifest:
        """Add or replace `docs` (by posting id) and add `tag_vectors`, in one commit."""
        if not docs and not tag_vectors:
            return self.reader().manifest
        dim = int(docs[0].head.shape[0]) if docs else int(next(iter(tag_vectors.values())).shape[0])
        for d in docs:
            _check_fits(d)

        def work(meta: dict[str, Any]) -> Manifest:
            nv, first = int(meta["writes"]) + 1, int(meta["next_doc"])
            died = self._kill({d.posting.id for d in docs}, nv)
            doc_rows, passage_rows = [], []
            for i, d in enumerate(docs):
                doc_rows.append(_doc_row(first + i, nv, d))
                passage_rows += _passage_rows(first + i, nv, d)
            for part, rows in (("docs", doc_rows), ("passages", passage_rows)):
                for start in range(0, len(rows), INSERT_ROWS):
                    self.client.insert(self._name(part), rows[start:start + INSERT_ROWS])
            if len(passage_rows) >= FLUSH_ROWS:
                # Rows not yet flushed are filtered one by one in Python by Milvus Lite at every search.
                for part in ("docs", "passages"):
                    self.client.flush(self._name(part))
            if tag_vectors:
                rows = [{"tag": t, "vector": np.asarray(vec, dtype=np.float32).tolist()} for t, vec in tag_vectors.items()]
                for start in range(0, len(rows), INSERT_ROWS):
                    self.client.upsert(self._name("tags"), rows[start:start + INSERT_ROWS])
                self._tag_vectors.update((t, np.asarray(vec, dtype=np.float32)) for t, vec in tag_vectors.items())
            passages = int(meta.get("passages", 0)) + len(passage_rows) - self._passages_of(died)
            return self._commit(meta, doc_rows, died, next_doc=first + len(docs), passages=passages)

        return self._writing(dim, work)

    def _passages_of(self, docs: Sequence[int]) -> int:
        view = self._view
        if view is None:
            return 0
        return sum(int(view.segments[s].n_passages[d]) for ref in map(view.ref_of, docs)  # type: ignore[attr-defined]
                   if ref is not None for s, d in [ref])

    def delete(self, posting_ids: Sequence[str]) -> Manifest:
        def work(meta: dict[str, Any]) -> Manifest:
            died = self._kill(set(posting_ids), int(meta["writes"]) + 1)
            return self._commit(meta, (), died, passages=int(meta.get("passages", 0)) - self._passages_of(died))

        return self._writing(None, work)

    def merge(self, *, force: bool = False) -> bool:
        """Remove rows dead long enough that no reader can still ask for them (all dead rows with `force`).

        Milvus compacts its own segments; what is left to matcher is dropping the copies a write replaced.
        """
        if self._view is None and self._meta() is None:
            return False

        def work(meta: dict[str, Any]) -> bool:
            v = int(meta["writes"])
            horizon = v if force else max((ver for ver, at in meta.get("commits", [])
                                           if time.time() - at >= self.policy.retire_seconds), default=0)
            dead = f"died <= {horizon}"
            if not horizon or not self.client.query(self._name("docs"), filter=dead, output_fields=["doc"], limit=1):
                self._dirty = False
                self.client.upsert(self._name("meta"), [self.lease.lingering()])  # nothing to commit
                return False
            self.client.delete(self._name("passages"), filter=dead)
            self.client.delete(self._name("docs"), filter=dead)
            self._commit(meta, write=False)
            return True

        return self._writing(None, work)  # type: ignore[arg-type]

    def drop(self) -> None:
        """Remove the index's collections (tests, `matcher migrate --replace`)."""
        for part in ("meta", "docs", "passages", "tags"):
            if self.client.has_collection(self._name(part)):
                self.client.drop_collection(self._name(part))
        self._view = None
        self._loaded_collections = False

    def close(self) -> None:
        self.lease.release(self._dirty)
        self.client.close()


def _check_fits(doc: IndexDoc) -> None:
    terms = doc.prepared.terms
    if len(terms) > schema.MAX_TERMS or len(doc.prepared.tags) > schema.MAX_TAGS:
        raise InvalidInput(f"posting {doc.posting.id}: {len(terms)} distinct words and {len(doc.prepared.tags)} tags; "
                           f"a Milvus index holds at most {schema.MAX_TERMS} and {schema.MAX_TAGS} per posting")
    long = [t for t in terms if len(t) > 500]
    if long:
        raise InvalidInput(f"posting {doc.posting.id}: a word of {len(long[0])} characters; at most 500 in Milvus")


def _filter_fields(d: IndexDoc, born: int) -> dict[str, Any]:
    p = d.posting
    for name in ("job_type", "company", "location"):
        if len(getattr(p, name) or "") > schema.VARCHAR // 4:
            raise InvalidInput(f"posting {p.id}: {name} is longer than {schema.VARCHAR // 4} characters")
    return {"born": born, "died": schema.NEVER, "job_type": (p.job_type or "").lower(),
            "company": (p.company or "").lower(), "location": (p.location or "").lower(),
            "ts": int(p.timestamp) if p.timestamp is not None else 0, "has_ts": p.timestamp is not None,
            "archived": bool(p.archived), "tags": list(d.prepared.tags)}


def _doc_row(doc: int, born: int, d: IndexDoc) -> dict[str, Any]:
    terms = d.prepared.terms
    record = {"posting": d.posting.to_dict(), "tags": list(d.prepared.tags),
              "passages": [[x.start, x.end, x.kind] for x in d.prepared.passages]}
    return {"doc": doc, **_filter_fields(d, born), "posting_id": d.posting.id, "title": d.posting.title[:schema.VARCHAR],
            "content_hash": d.posting.content_hash or "", "families": list(d.prepared.families),
            "terms": list(terms), "tfs": [int(c) for c in terms.values()], "doclen": int(sum(terms.values())),
            "n_passages": len(d.prepared.passages),
            "record": record, "head": np.asarray(d.head, dtype=np.float32).tolist(),
            "title_vec": np.asarray(d.title, dtype=np.float32).tolist()}


def _passage_rows(doc: int, born: int, d: IndexDoc) -> list[dict[str, Any]]:
    fields = _filter_fields(d, born)
    return [{"row": doc * ROW_STRIDE + j, "doc": doc, **fields, "kind": KINDS.index(x.kind) if x.kind in KINDS else 0,
             "vector": np.asarray(vec, dtype=np.float32).tolist()}
            for j, (x, vec) in enumerate(zip(d.prepared.passages, d.passage_vectors, strict=True))]


def is_milvus(location: str | Path) -> bool:
    return str(location).startswith(("milvus://", "milvus-lite://"))


__all__ = ["IndexMismatch", "MilvusStore", "is_milvus"]
