"""`MilvusStore`: the store interface over a Milvus server or Milvus Lite (see `matcher.milvus.schema`).

A write inserts the new rows with `born = v+1`, marks the rows it replaces or deletes `died = v+1`, then moves
the version in the meta row: that last upsert is the commit point. Until then no reader (at version v) sees any
of it; a writer that died half-way leaves rows above the version, which the next writer removes first. Writers
must take turns (Milvus has no transactions): one process writes at a time, serialised here within a process;
run writes through one replica, or one `matcher index` at a time (docs/deploy.md).
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
from matcher.milvus.view import LISTED, MilvusView, RecordCache, stored_doc

META_KEY = "manifest"
INSERT_ROWS = 512  # rows per insert call (a gRPC message stays far below its size limit)
KEEP_COMMITS = 200
TERM_CACHE = 20_000  # postings whose term counts a process keeps (about 10-20 KB each)
VECTOR_CACHE = 5_000  # postings whose vectors a process keeps (about 15 KB each at 384 dimensions)


class MilvusStore:
    """An index held in Milvus collections; any number of processes read it, one writes at a time."""

    def __init__(self, location: str, *, model_id: str, model_hash: str, dimension: int | None,
                 shape: IndexShape = DEFAULT_SHAPE, policy: SegmentPolicy = DEFAULT_POLICY) -> None:
        self.location = location
        self.root = Path(location)  # for messages that name "the index"
        self.model_id, self.model_hash, self.dimension = model_id, model_hash, dimension
        self.shape, self.policy = shape, policy
        self.client, self.prefix = schema.connect(location)
        self._view: MilvusView | None = None
        self._lock = threading.RLock()
        self._tag_vectors: dict[str, np.ndarray] = {}
        self._records = RecordCache()
        self._terms = RecordCache(TERM_CACHE)
        self._vectors = RecordCache(VECTOR_CACHE)
        self._loaded_collections = False

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
        if not self.client.has_collection(self._name("meta")):
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
        self._check(meta)
        version = int(meta["writes"])
        rows = schema.query_all(self.client, self._name("docs"), schema.live(version), LISTED)
        self._update_tags()
        view = MilvusView(self, meta, rows, dict(self._tag_vectors), self.shape)
        self._view = view
        self.dimension = int(meta["dimension"])
        return view

    def _update_tags(self) -> None:
        """Fetch vectors of tags this process has not seen (a tag's vector never changes)."""
        names = [r["tag"] for r in schema.query_all(self.client, self._name("tags"), 'tag != ""', ["tag"])]
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
        """Load the version another process committed (one small query when nothing changed); True if it moved."""
        meta = self._meta()
        if meta is None or (self._view is not None and int(meta["generation"]) == self._view.manifest.generation):
            return False
        with self._lock:
            self._load(meta)
        return True

    def known_tags(self) -> set[str]:
        return set(self._tag_vectors) if self._view is not None else set()

    def record(self, doc: int) -> Any:
        """The stored posting of row `doc` (cached: rows never change)."""
        found = self._records.get(doc)
        if found is None:
            rows = self.client.query(self._name("docs"), filter=f"doc == {int(doc)}", output_fields=["record"])
            if not rows:
                raise IndexMissing(f"row {doc} is gone from {self.location} (merged away); retry the request")
            found = stored_doc(rows[0]["record"])
            self._records.put(doc, found)
        return found

    def term_counts(self, docs: Sequence[int]) -> list[dict[str, int]]:
        """Each row's term counts (cached by row: a replica fetches a posting's terms once, not per query)."""
        missing = [d for d in dict.fromkeys(docs) if d not in self._terms]
        for start in range(0, len(missing), 1000):
            listed = ", ".join(map(str, missing[start:start + 1000]))
            for row in self.client.query(self._name("docs"), filter=f"doc in [{listed}]",
                                         output_fields=["doc", "terms", "tfs"]):
                self._terms.put(int(row["doc"]), dict(zip(row["terms"], map(int, row["tfs"]), strict=True)))
        out = []
        for d in docs:
            counts = self._terms.get(d)
            if counts is None:  # evicted meanwhile (a cache smaller than one query's rows)
                row = self.client.query(self._name("docs"), filter=f"doc == {d}", output_fields=["terms", "tfs"])[0]
                counts = dict(zip(row["terms"], map(int, row["tfs"]), strict=True))
            out.append(counts)
        return out

    def vectors(self, docs: Sequence[int]) -> list[tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]]:
        """Each row's (head, title, passage vectors in passage order, passage kinds), cached by row."""
        missing = [d for d in dict.fromkeys(docs) if d not in self._vectors]
        for start in range(0, len(missing), 500):
            chunk = missing[start:start + 500]
            listed = ", ".join(map(str, chunk))
            heads = {int(r["doc"]): r for r in self.client.query(self._name("docs"), filter=f"doc in [{listed}]",
                                                                  output_fields=["doc", "head", "title_vec"])}
            parts: dict[int, list[tuple[int, list[float], int]]] = {d: [] for d in chunk}
            for r in schema.query_all(self.client, self._name("passages"), f"doc in [{listed}]",
                                      ["row", "doc", "vector", "kind"]):
                parts[int(r["doc"])].append((int(r["row"]), r["vector"], int(r["kind"])))
            for d in chunk:
                rows = sorted(parts[d], key=lambda x: x[0])
                self._vectors.put(d, (np.asarray(heads[d]["head"], dtype=np.float32),
                                      np.asarray(heads[d]["title_vec"], dtype=np.float32),
                                      np.asarray([x[1] for x in rows], dtype=np.float32).reshape(len(rows), -1),
                                      np.asarray([x[2] for x in rows], dtype=np.int64)))
        out = []
        for d in docs:
            found = self._vectors.get(d)
            if found is None:  # evicted meanwhile (more rows than the cache holds): read it alone
                found = self.vectors([d])[0]
            out.append(found)
        return out

    # -- writing ----------------------------------------------------------------------------------------------
    def ensure_writable(self) -> None:
        """Milvus reachable and accepting writes (checked again by the write itself)."""
        self.client.get_server_version()

    def _begin(self, dim: int) -> dict[str, Any]:
        """The newest meta (creating the collections on the first write), orphans of a dead writer removed."""
        meta = self._meta()
        if meta is None:
            schema.create(self.client, self.prefix, dim)
            meta = {"model_id": self.model_id, "model_hash": self.model_hash, "dimension": dim,
                    "shape": self.shape.as_dict(), "writes": 0, "generation": 0, "next_doc": 1, "passages": 0,
                    "commits": []}
        else:
            self._check(meta)
        v = int(meta["writes"])
        for part in ("docs", "passages"):
            self.client.delete(self._name(part), filter=f"born > {v}")
            key = "doc" if part == "docs" else "row"
            stale = schema.query_all(self.client, self._name(part), f"died > {v} and died < {schema.NEVER}", [key])
            self._mark(part, key, [int(r[key]) for r in stale], schema.NEVER)
        return meta

    def _mark(self, part: str, key: str, ids: list[int], died: int) -> None:
        for start in range(0, len(ids), INSERT_ROWS):
            self.client.upsert(self._name(part), [{key: i, "died": died} for i in ids[start:start + INSERT_ROWS]],
                               partial_update=True)

    def _kill(self, posting_ids: set[str], version: int, died: int) -> int:
        """Mark the live copies of `posting_ids` (and their passages) dead from version `died` on."""
        if not posting_ids:
            return 0
        docs: list[int] = []
        ids = sorted(posting_ids)
        for start in range(0, len(ids), 1000):
            listed = ", ".join(schema.literal(p) for p in ids[start:start + 1000])
            rows = schema.query_all(self.client, self._name("docs"),
                                    f"{schema.live(version)} and posting_id in [{listed}]", ["doc"])
            docs += [int(r["doc"]) for r in rows]
        self._mark("docs", "doc", docs, died)
        for start in range(0, len(docs), 1000):
            rows = schema.query_all(self.client, self._name("passages"),
                                    f"doc in [{', '.join(map(str, docs[start:start + 1000]))}]", ["row"])
            self._mark("passages", "row", [int(r["row"]) for r in rows], died)
        return len(docs)

    def _commit(self, meta: dict[str, Any], *, write: bool = True, **changes: Any) -> Manifest:
        now = time.time()
        meta = {**meta, **changes, "generation": int(meta["generation"]) + 1,
                "created": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(now))}
        if write:
            meta["writes"] = int(meta["writes"]) + 1
            meta["commits"] = [*meta.get("commits", [])[-KEEP_COMMITS:], [meta["writes"], now]]
        self.client.upsert(self._name("meta"), [{"key": META_KEY, "value": meta, "dummy": [0.0, 1.0]}])
        return self._load(meta).manifest

    def upsert(self, docs: Sequence[IndexDoc], tag_vectors: dict[str, np.ndarray]) -> Manifest:
        """Add or replace `docs` (by posting id) and add `tag_vectors`, in one commit."""
        if not docs and not tag_vectors:
            return self.reader().manifest
        dim = int(docs[0].head.shape[0]) if docs else int(next(iter(tag_vectors.values())).shape[0])
        for d in docs:
            _check_fits(d)
        with self._lock:
            meta = self._begin(dim)
            v, nv, first = int(meta["writes"]), int(meta["writes"]) + 1, int(meta["next_doc"])
            self._kill({d.posting.id for d in docs}, v, nv)
            doc_rows, passage_rows = [], []
            for i, d in enumerate(docs):
                doc_rows.append(_doc_row(first + i, nv, d))
                passage_rows += _passage_rows(first + i, nv, d)
            for part, rows in (("docs", doc_rows), ("passages", passage_rows)):
                for start in range(0, len(rows), INSERT_ROWS):
                    self.client.insert(self._name(part), rows[start:start + INSERT_ROWS])
            if tag_vectors:
                rows = [{"tag": t, "vector": np.asarray(vec, dtype=np.float32).tolist()} for t, vec in tag_vectors.items()]
                for start in range(0, len(rows), INSERT_ROWS):
                    self.client.upsert(self._name("tags"), rows[start:start + INSERT_ROWS])
            passages = int(meta.get("passages", 0)) + len(passage_rows)
            return self._commit(meta, next_doc=first + len(docs), passages=passages)

    def delete(self, posting_ids: Sequence[str]) -> Manifest:
        with self._lock:
            meta = self._meta()
            if meta is None:
                raise IndexMissing(f"no index in Milvus at {self.location}: nothing to delete")
            meta = self._begin(int(meta["dimension"]))
            self._kill(set(posting_ids), int(meta["writes"]), int(meta["writes"]) + 1)
            return self._commit(meta)

    def merge(self, *, force: bool = False) -> bool:
        """Remove rows dead long enough that no reader can still ask for them (all dead rows with `force`).

        Milvus compacts its own segments; what is left to matcher is dropping the copies a write replaced.
        """
        with self._lock:
            meta = self._meta()
            if meta is None:
                return False
            v = int(meta["writes"])
            horizon = v if force else max((ver for ver, at in meta.get("commits", [])
                                           if time.time() - at >= self.policy.retire_seconds), default=0)
            dead = f"died <= {horizon}"
            counted = self.client.query(self._name("docs"), filter=dead, output_fields=["count(*)"])
            if not horizon or not int(counted[0]["count(*)"]):
                return False
            self.client.delete(self._name("passages"), filter=dead)
            self.client.delete(self._name("docs"), filter=dead)
            self._commit(meta, write=False)
            return True

    def drop(self) -> None:
        """Remove the index's collections (tests, `matcher migrate --replace`)."""
        for part in ("meta", "docs", "passages", "tags"):
            if self.client.has_collection(self._name(part)):
                self.client.drop_collection(self._name(part))
        self._view = None

    def close(self) -> None:
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
            "record": record, "head": np.asarray(d.head, dtype=np.float32).tolist(),
            "title_vec": np.asarray(d.title, dtype=np.float32).tolist()}


def _passage_rows(doc: int, born: int, d: IndexDoc) -> list[dict[str, Any]]:
    fields = _filter_fields(d, born)
    return [{"row": doc * 4096 + j, "doc": doc, **fields, "kind": KINDS.index(x.kind) if x.kind in KINDS else 0,
             "vector": np.asarray(vec, dtype=np.float32).tolist()}
            for j, (x, vec) in enumerate(zip(d.prepared.passages, d.passage_vectors, strict=True))]


def is_milvus(location: str | Path) -> bool:
    return str(location).startswith(("milvus://", "milvus-lite://"))


__all__ = ["IndexMismatch", "MilvusStore", "is_milvus"]
