"""An immutable segment: a folder holding a batch of postings with their vectors, tags and term counts.

A segment is written once (every file fsynced before the manifest names it) and never changed; deletions live in
the manifest. Its arrays sit in one file that is memory-mapped on open, so opening costs little whatever the
segment's size; stored fields (the posting, passage spans) are read line by line, only for the postings a query
returns. Three files (four with an ANN index), so a one-posting write costs a few fsyncs:

- segment.json: format, counts, filter columns (id, title, job type, company, location, timestamp, archived,
  content hash), the term list, tag and family names, where each array sits in arrays.bin;
- arrays.bin: passage vectors and offsets, passage kinds, head and title vectors, the doc x term count matrix
  (CSR), doc lengths, tag and family ids per doc, vectors of the tags this segment brought;
- docs.jsonl: one line per posting (the posting, its tags, its passage spans), with offsets in arrays.bin;
- passages.ivf: a FAISS IVF index over the passage vectors, for segments large enough to need one.
"""

from __future__ import annotations

import json
import mmap
import os
import shutil
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path

import numpy as np
import orjson
import scipy.sparse as sp

from matcher.errors import IndexDamaged
from matcher.index.docs import IndexDoc
from matcher.passages import Passage, clean
from matcher.postings import Posting

FORMAT = 2
KINDS = ("intro", "role", "requirements", "benefits", "about", "eeo")
NO_TIME = np.iinfo(np.int64).min  # a posting without a timestamp: never passes a date filter
ALIGN = 64


def damaged(root: Path, what: str) -> IndexDamaged:
    """The one message for a damaged index: what is wrong, where, and what to do."""
    return IndexDamaged(f"the index at {root} is damaged: {what}; rebuild it with `matcher index PATHS --index NEW_DIR` "
                        "(or restore the folder from a backup)")


def new_name() -> str:
    """A unique segment name."""
    return f"{os.getpid():x}-{uuid.uuid4().hex[:12]}"


def fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _flat(lists: Sequence[Sequence[str]]) -> tuple[list[str], np.ndarray, np.ndarray]:
    """Per-doc string lists as (names, ids, offsets): doc i holds names[ids[offsets[i]:offsets[i+1]]]."""
    names: dict[str, int] = {}
    ids = [names.setdefault(x, len(names)) for items in lists for x in items]
    offsets = np.concatenate([[0], np.cumsum([len(items) for items in lists])]).astype(np.int64)
    return list(names), np.asarray(ids, dtype=np.int32), offsets


def _write_arrays(path: Path, arrays: dict[str, np.ndarray]) -> dict[str, list]:
    """Write arrays back to back (aligned) into one file; return name -> [dtype, shape, offset]."""
    table: dict[str, list] = {}
    with path.open("wb") as fh:
        offset = 0
        for name, array in arrays.items():
            array = np.ascontiguousarray(array)
            pad = -offset % ALIGN
            fh.write(b"\0" * pad)
            offset += pad
            table[name] = [array.dtype.str, list(array.shape), offset]
            fh.write(array.tobytes())
            offset += array.nbytes
        fh.flush()
        os.fsync(fh.fileno())
    return table


def _write_durable(path: Path, data: bytes) -> None:
    with path.open("wb") as fh:
        fh.write(data)
        fh.flush()
        os.fsync(fh.fileno())


def write_segment(root: Path, docs: Sequence[IndexDoc], tag_vectors: dict[str, np.ndarray], dim: int,
                  ivf: object | None = None) -> str:
    """Write `docs` as a new segment under root/segments; returns its name once every file is durable."""
    name = new_name()
    folder = root / "segments" / name
    staging = folder.with_name(name + ".tmp")
    staging.mkdir(parents=True)
    try:
        _fill(staging, name, docs, tag_vectors, dim, ivf)
        staging.rename(folder)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)  # a failed write leaves nothing behind
        raise
    fsync_dir(folder.parent)
    return name


def _fill(staging: Path, name: str, docs: Sequence[IndexDoc], tag_vectors: dict[str, np.ndarray], dim: int,
          ivf: object | None) -> None:
    postings = [d.posting for d in docs]
    offsets, lines = [0], []
    for d in docs:
        line = (json.dumps({"posting": d.posting.to_dict(), "tags": list(d.prepared.tags),
                            "passages": [[p.start, p.end, p.kind] for p in d.prepared.passages]},
                           ensure_ascii=False) + "\n").encode()
        lines.append(line)
        offsets.append(offsets[-1] + len(line))
    _write_durable(staging / "docs.jsonl", b"".join(lines))
    counts = [len(d.prepared.passages) for d in docs]
    terms: dict[str, int] = {}
    rows, cols, vals = [], [], []
    for i, d in enumerate(docs):
        for term, count in d.prepared.terms.items():
            rows.append(i)
            cols.append(terms.setdefault(term, len(terms)))
            vals.append(count)
    tf = sp.csr_matrix((np.asarray(vals, dtype=np.float32), (np.asarray(rows, dtype=np.int64),
                        np.asarray(cols, dtype=np.int64))), shape=(len(docs), len(terms)))
    tf.sort_indices()
    tag_names, tag_ids, tag_offsets = _flat([d.prepared.tags for d in docs])
    family_names, family_ids, family_offsets = _flat([d.prepared.families for d in docs])
    vector_names = sorted(tag_vectors)
    empty = np.zeros((0, dim), np.float32)
    arrays = {
        "doc_offsets": np.asarray(offsets, dtype=np.int64),
        "passages": np.concatenate([d.passage_vectors for d in docs]).astype(np.float32) if docs else empty,
        "passage_offsets": np.concatenate([[0], np.cumsum(counts)]).astype(np.int64),
        "passage_kinds": np.asarray([KINDS.index(p.kind) if p.kind in KINDS else 0
                                     for d in docs for p in d.prepared.passages], dtype=np.uint8),
        "heads": np.stack([d.head for d in docs]).astype(np.float32) if docs else empty,
        "titles": np.stack([d.title for d in docs]).astype(np.float32) if docs else empty,
        "tf_data": tf.data.astype(np.float32), "tf_indices": tf.indices.astype(np.int32),
        "tf_indptr": tf.indptr.astype(np.int64),
        "doclen": np.asarray([sum(d.prepared.terms.values()) for d in docs], dtype=np.float32),
        "tag_ids": tag_ids, "tag_offsets": tag_offsets, "family_ids": family_ids, "family_offsets": family_offsets,
        "tag_vectors": np.stack([tag_vectors[t] for t in vector_names]).astype(np.float32) if vector_names else empty,
    }
    table = _write_arrays(staging / "arrays.bin", arrays)
    if ivf is not None:
        import faiss

        faiss.write_index(ivf, str(staging / "passages.ivf"))
        with (staging / "passages.ivf").open("rb") as fh:
            os.fsync(fh.fileno())
    meta = {
        "format": FORMAT, "name": name, "docs": len(docs), "passages": int(sum(counts)), "dimension": dim,
        "ann": "ivf" if ivf is not None else "flat", "arrays": table,
        "fields": {"id": [p.id for p in postings], "title": [p.title for p in postings],
                   "job_type": [p.job_type for p in postings], "company": [p.company for p in postings],
                   "location": [p.location for p in postings], "content_hash": [p.content_hash for p in postings],
                   "timestamp": [p.timestamp for p in postings], "archived": [bool(p.archived) for p in postings]},
        "terms": list(terms), "tag_names": tag_names, "family_names": family_names, "tag_vector_names": vector_names,
    }
    _write_durable(staging / "segment.json", json.dumps(meta, ensure_ascii=False).encode())
    fsync_dir(staging)


@dataclass(frozen=True)
class StoredDoc:
    """A posting's stored fields: the posting, its canonical tags and its passage spans."""

    posting: Posting
    tags: tuple[str, ...]
    spans: tuple[tuple[int, int, str], ...]

    def passage(self, i: int) -> Passage:
        """Passage `i` (clamped to the posting's passages), its text cleaned of Markdown."""
        start, end, kind = self.spans[min(max(i, 0), len(self.spans) - 1)]
        return Passage(clean(self.posting.body[start:end]) or self.posting.title, start, end, kind)

    @property
    def passages(self) -> tuple[Passage, ...]:
        return tuple(self.passage(i) for i in range(len(self.spans)))


class Segment:
    """An open segment (read-only). Local doc numbers are 0..docs-1; passage rows 0..passages-1."""

    def __init__(self, root: Path, name: str) -> None:
        self.name = name
        self.folder = root / "segments" / name
        try:
            meta = json.loads((self.folder / "segment.json").read_text(encoding="utf-8"))
            if meta.get("format") != FORMAT:
                raise damaged(root, f"segment {name} has format {meta.get('format')}, expected {FORMAT}")
            # A plain ndarray over the mapped file: slicing a np.memmap costs a Python-level hook per access.
            blob = np.asarray(np.memmap(self.folder / "arrays.bin", dtype=np.uint8, mode="r")) \
                if (self.folder / "arrays.bin").stat().st_size else np.zeros(0, np.uint8)
            arrays = {key: _view(blob, dtype, shape, offset) for key, (dtype, shape, offset) in meta["arrays"].items()}
            with (self.folder / "docs.jsonl").open("rb") as fh:
                self._docs = mmap.mmap(fh.fileno(), 0, access=mmap.ACCESS_READ) if fh.seek(0, 2) else None
        except IndexDamaged:
            raise
        except (OSError, ValueError, KeyError, TypeError, json.JSONDecodeError) as exc:
            raise damaged(root, f"segment {name} cannot be read ({type(exc).__name__}: {exc})") from None
        self.meta = meta
        fields = meta["fields"]
        n = int(meta["docs"])
        self.passages: np.ndarray = arrays["passages"]
        self.passage_offsets: np.ndarray = arrays["passage_offsets"]
        self.passage_kinds: np.ndarray = arrays["passage_kinds"]
        self.heads: np.ndarray = arrays["heads"]
        self.titles: np.ndarray = arrays["titles"]
        self.doclen: np.ndarray = arrays["doclen"]
        self._doc_offsets: np.ndarray = arrays["doc_offsets"]
        self.tf = sp.csr_matrix((arrays["tf_data"], arrays["tf_indices"], arrays["tf_indptr"]),
                                shape=(n, len(meta["terms"])))
        self.terms: dict[str, int] = {t: i for i, t in enumerate(meta["terms"])}
        self.tag_lists = _Lists(meta["tag_names"], arrays["tag_ids"], arrays["tag_offsets"])
        self.family_lists = _Lists(meta["family_names"], arrays["family_ids"], arrays["family_offsets"])
        self.tag_vectors = dict(zip(meta["tag_vector_names"], arrays["tag_vectors"], strict=True))
        if not (len(fields["id"]) == len(self.heads) == len(self.titles) == len(self.doclen) == n
                and len(self.passages) == int(self.passage_offsets[-1]) == len(self.passage_kinds)
                and len(self._doc_offsets) == n + 1):
            raise damaged(root, f"segment {name} is inconsistent (its parts disagree on the number of postings)")
        self.ids: list[str] = fields["id"]
        self.titles_text: list[str] = fields["title"]
        self.content_hash: list[str] = fields["content_hash"]
        self.archived = np.asarray(fields["archived"], dtype=bool)
        self.timestamp = np.asarray([NO_TIME if t is None else t for t in fields["timestamp"]], dtype=np.int64)
        self.text_fields: dict[str, list[str]] = {k: fields[k] for k in ("job_type", "company", "location")}
        self.ivf = None
        if (self.folder / "passages.ivf").exists():
            import faiss

            # Zero-copy: the inverted lists are read in place from the mapped file (as fast as an index held in
            # memory, ~2x faster than IO_FLAG_MMAP's lists; opening stays instant and the pages are shared between
            # processes). Older FAISS builds lack the flag and fall back to IO_FLAG_MMAP.
            flag = getattr(faiss, "IO_FLAG_MMAP_IFC", faiss.IO_FLAG_MMAP)
            self.ivf = faiss.read_index(str(self.folder / "passages.ivf"), flag)

    def __len__(self) -> int:
        return len(self.ids)

    @cached_property
    def tf_csc(self) -> sp.csc_matrix:
        """Term-major copy of the term counts, for scoring a query's terms (built on first use)."""
        return self.tf.tocsc()

    @cached_property
    def df(self) -> np.ndarray:
        """Documents of this segment (deleted or not) containing each local term."""
        return np.bincount(self.tf.indices, minlength=len(self.terms)).astype(np.int64)

    @cached_property
    def doc_of(self) -> dict[str, int]:
        """posting id -> local doc (a later copy of an id in the same segment wins; writes never make one)."""
        return {pid: d for d, pid in enumerate(self.ids)}

    @cached_property
    def doclen_total(self) -> float:
        return float(np.asarray(self.doclen, dtype=np.float64).sum())

    def stored(self, doc: int) -> StoredDoc:
        """The stored fields of local doc `doc`."""
        if self._docs is None:
            raise damaged(self.folder.parent.parent, f"segment {self.name} has no stored postings")
        raw = self._docs[int(self._doc_offsets[doc]):int(self._doc_offsets[doc + 1])]
        try:
            data = _loads(raw)
            posting = Posting.from_dict(data["posting"])
        except (ValueError, KeyError, TypeError) as exc:
            raise damaged(self.folder.parent.parent, f"segment {self.name}: stored posting {doc} cannot be read ({exc})") \
                from None
        return StoredDoc(posting, tuple(data["tags"]), tuple((int(s), int(e), str(k)) for s, e, k in data["passages"]))

    def passage_rows(self, doc: int) -> tuple[int, int]:
        return int(self.passage_offsets[doc]), int(self.passage_offsets[doc + 1])


def _loads(raw: bytes) -> dict:  # type: ignore[type-arg]
    """A stored posting's JSON: orjson (twice as fast: a query reads one per result), or the standard library for
    what orjson refuses and `json.dumps` may have written (a lone surrogate escape from a posting sent over HTTP)."""
    try:
        return orjson.loads(raw)
    except orjson.JSONDecodeError:
        return json.loads(raw)


def _view(blob: np.ndarray, dtype: str, shape: list[int], offset: int) -> np.ndarray:
    dt = np.dtype(dtype)
    count = int(np.prod(shape)) if shape else 1
    if offset + count * dt.itemsize > len(blob):
        raise ValueError(f"array at {offset} runs past the end of arrays.bin")
    return blob[offset:offset + count * dt.itemsize].view(dt).reshape(shape)


class _Lists:
    """Per-doc string lists (tags, families) and their inverted index (name -> local docs)."""

    def __init__(self, names: list[str], ids: np.ndarray, offsets: np.ndarray) -> None:
        self.names = names
        self.ids = np.asarray(ids, dtype=np.int64)
        self.offsets = np.asarray(offsets, dtype=np.int64)
        self._counts: dict[str, np.ndarray] = {}

    def of(self, doc: int) -> list[str]:
        return [self.names[i] for i in self.ids[self.offsets[doc]:self.offsets[doc + 1]]]

    @cached_property
    def owners(self) -> np.ndarray:
        return np.repeat(np.arange(len(self.offsets) - 1), np.diff(self.offsets))

    def counts(self, include_archived: bool, archived: np.ndarray) -> np.ndarray:
        """Docs (deleted or not) carrying each name; without archived docs unless `include_archived`."""
        key = "all" if include_archived else "unarchived"
        if key not in self._counts:
            keep = np.ones(len(self.owners), dtype=bool) if include_archived else ~archived[self.owners]
            self._counts[key] = np.bincount(self.ids[keep], minlength=len(self.names)).astype(np.int64)
        return self._counts[key]

    @cached_property
    def index(self) -> dict[str, int]:
        return {name: i for i, name in enumerate(self.names)}

    def sums(self, docs: np.ndarray, weights: np.ndarray) -> np.ndarray:
        """For each of `docs`, the sum of `weights[id]` over its names' ids."""
        rows, owner = ranges(self.offsets, docs)
        return np.bincount(owner, weights[self.ids[rows]], minlength=len(docs)) if len(rows) else np.zeros(len(docs))

    @cached_property
    def inverted(self) -> dict[str, np.ndarray]:
        """name -> sorted local docs carrying it."""
        order = np.argsort(self.ids, kind="stable")
        ids, owners = self.ids[order], self.owners[order]
        cuts = np.flatnonzero(np.diff(ids)) + 1
        return {self.names[int(i[0])]: o for i, o in zip(np.split(ids, cuts), np.split(owners, cuts), strict=True)
                if len(i)}


def ranges(offsets: np.ndarray, docs: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Rows offsets[d]:offsets[d+1] of every doc in `docs`, concatenated, and for each row its position in `docs`."""
    starts = offsets[docs]
    lengths = offsets[docs + 1] - starts
    owner = np.repeat(np.arange(len(docs)), lengths)
    run_starts = np.cumsum(lengths) - lengths
    return np.repeat(starts - run_starts, lengths) + np.arange(int(lengths.sum())), owner
