"""The Milvus side of the store: connection, the server version matcher needs, collections and filter expressions.

Four collections per index (names `{prefix}_meta|docs|passages|tags`):
- meta: the commit point (model, shape, version counter, next document number, commit times, tag count) and
  the single-writer lease (`matcher.milvus.lease`), one row each;
- docs: one row per stored copy of a posting (never rewritten except its `died` mark): filter fields, tags,
  role families, distinct terms with their counts (exact BM25 statistics), its number of passages, the stored
  record, head and title vectors. `born` / `died` are the versions between which the copy is live: a reader at
  version v sees the rows with born <= v < died, so a write never changes what an open reader sees;
- passages: one row per passage vector, with the same filter fields, so filters run inside the vector search;
- tags: one vector per tag name (semantic neighbours of a skill).
"""

from __future__ import annotations

import json
import logging
import re
from typing import Any

from matcher.errors import IndexMismatch, IndexMissing
from matcher.filters import Filters

NEVER = 2**62  # `died` of a live row
MIN_SERVER = (2, 6, 0)  # upsert with partial_update (rewriting a `died` mark without resending vectors)
MIN_LITE = (3, 2, 0)
VARCHAR = 4096
MAX_TERMS = 4096  # Milvus caps ARRAY fields at 4,096 elements
MAX_TAGS = 1024
QUERY_PAGE = 4096
QUERY_LIMIT = 16_384  # Milvus's cap on rows per query call


def connect(location: str) -> tuple[Any, str]:
    """A `MilvusClient` for `milvus://HOST:PORT[/prefix]` or `milvus-lite:///PATH[#prefix]`, and the name prefix."""
    try:
        from pymilvus import MilvusClient
    except ImportError:
        raise IndexMissing("a Milvus store needs pymilvus: pip install 'matcher[milvus]'") from None
    prefix = "matcher"
    if location.startswith("milvus-lite://"):
        path, _, tag = location.removeprefix("milvus-lite://").partition("#")
        prefix = tag or prefix
        uri = path if path.endswith(".db") else f"{path.rstrip('/')}/matcher.db"
    elif location.startswith("milvus://"):
        host, _, tag = location.removeprefix("milvus://").partition("/")
        prefix = tag or prefix
        uri = f"http://{host}"
    else:
        raise IndexMissing(f"not a Milvus location: {location!r} (milvus://HOST:PORT or milvus-lite:///PATH)")
    if not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]{0,40}", prefix):
        raise IndexMissing(f"collection prefix {prefix!r}: use letters, digits and _ (at most 41)")
    # Milvus Lite has no MVCC timestamp for iterators: pymilvus warns on every page and uses the client's clock,
    # which is what a read-your-writes reader wants anyway. Keep that out of the service's log.
    logging.getLogger("pymilvus.client.iterator.query_iterator").setLevel(logging.ERROR)
    try:
        client = MilvusClient(uri=uri, timeout=10)
    except Exception as exc:  # pymilvus raises its own types for refused connections and locked folders
        raise IndexMissing(f"cannot reach Milvus at {location}: {_first_line(exc)}") from None
    check_version(client.get_server_version(), location)
    return client, prefix


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__


def check_version(reported: str, location: str) -> tuple[int, ...]:
    """Refuse a server older than matcher needs, naming both versions (an old one ranks worse in silence)."""
    lite = reported.startswith("milvus_lite")
    numbers = tuple(int(x) for x in re.findall(r"\d+", reported.split("-")[-1])[:3])
    need = MIN_LITE if lite else MIN_SERVER
    if numbers < need:
        wanted = f"milvus-lite {'.'.join(map(str, MIN_LITE))}" if lite else f"Milvus {'.'.join(map(str, MIN_SERVER))}"
        raise IndexMismatch(f"the Milvus server at {location} is {reported}; matcher needs {wanted} or newer "
                            "(partial upserts, exact filtered search)")
    return numbers


def create(client: Any, prefix: str, dim: int) -> None:
    """Create the four collections (an existing one is kept)."""
    from pymilvus import DataType

    def schema(pk: str, pk_type: Any) -> Any:
        s = client.create_schema(auto_id=False, enable_dynamic_field=False)
        if pk_type == DataType.VARCHAR:
            s.add_field(pk, pk_type, is_primary=True, max_length=512)
        else:
            s.add_field(pk, pk_type, is_primary=True)
        return s

    def filter_fields(s: Any) -> None:
        s.add_field("born", DataType.INT64)
        s.add_field("died", DataType.INT64)
        for name in ("job_type", "company", "location"):
            s.add_field(name, DataType.VARCHAR, max_length=VARCHAR)  # lower-cased: filters are case-insensitive
        s.add_field("ts", DataType.INT64)
        s.add_field("has_ts", DataType.BOOL)
        s.add_field("archived", DataType.BOOL)
        s.add_field("tags", DataType.ARRAY, element_type=DataType.VARCHAR, max_capacity=MAX_TAGS, max_length=256)

    def make(name: str, s: Any, vectors: list[str]) -> None:
        if client.has_collection(name):
            return
        index = client.prepare_index_params()
        for field in vectors:
            index.add_index(field, index_type="FLAT", metric_type="IP")  # exact: see docs/deploy.md for ANN
        client.create_collection(name, schema=s, index_params=index, consistency_level="Strong")

    meta = schema("key", DataType.VARCHAR)
    meta.add_field("value", DataType.JSON)
    meta.add_field("dummy", DataType.FLOAT_VECTOR, dim=2)  # Milvus wants a vector field in every collection
    make(f"{prefix}_meta", meta, ["dummy"])
    docs = schema("doc", DataType.INT64)
    filter_fields(docs)
    docs.add_field("posting_id", DataType.VARCHAR, max_length=512)
    docs.add_field("title", DataType.VARCHAR, max_length=VARCHAR)
    docs.add_field("content_hash", DataType.VARCHAR, max_length=128)
    docs.add_field("families", DataType.ARRAY, element_type=DataType.VARCHAR, max_capacity=64, max_length=256)
    docs.add_field("terms", DataType.ARRAY, element_type=DataType.VARCHAR, max_capacity=MAX_TERMS, max_length=512)
    docs.add_field("tfs", DataType.ARRAY, element_type=DataType.INT64, max_capacity=MAX_TERMS)
    docs.add_field("doclen", DataType.INT64)
    docs.add_field("n_passages", DataType.INT64)  # its passage rows are doc * 4096 + 0 .. n_passages-1
    docs.add_field("record", DataType.JSON)
    docs.add_field("head", DataType.FLOAT_VECTOR, dim=dim)
    docs.add_field("title_vec", DataType.FLOAT_VECTOR, dim=dim)
    make(f"{prefix}_docs", docs, ["head", "title_vec"])
    passages = schema("row", DataType.INT64)
    filter_fields(passages)
    passages.add_field("doc", DataType.INT64)
    passages.add_field("kind", DataType.INT64)
    passages.add_field("vector", DataType.FLOAT_VECTOR, dim=dim)
    make(f"{prefix}_passages", passages, ["vector"])
    tags = schema("tag", DataType.VARCHAR)
    tags.add_field("vector", DataType.FLOAT_VECTOR, dim=dim)
    make(f"{prefix}_tags", tags, ["vector"])


def literal(value: str) -> str:
    """A Milvus string literal (JSON escaping is what its expression parser reads)."""
    return json.dumps(value, ensure_ascii=False)


def like_literal(needle: str) -> str | None:
    """A LIKE pattern matching `needle` anywhere, or None when it cannot be escaped (a backslash)."""
    if "\\" in needle:
        return None
    return literal("%" + needle.replace("%", "\\%").replace("_", "\\_") + "%")


def live(version: int) -> str:
    return f"born <= {version} and died > {version}"


def expression(version: int, filters: Filters, any_tags: list[str], all_tags: list[str],
               values: dict[str, set[str]]) -> str:
    """`filters` as a Milvus boolean expression over docs or passages (both carry the filter fields).

    Text filters are case-insensitive substrings over lower-cased copies (LIKE); a needle LIKE cannot escape is
    resolved against the distinct values (`values`, lower-cased) into an `in` list.
    """
    parts = [live(version)]
    if not filters.include_archived:
        parts.append("archived == false")
    for name in ("job_type", "company", "location"):
        want = getattr(filters, name)
        if want:
            needle = want.lower()
            pattern = like_literal(needle)
            if pattern is not None:
                parts.append(f"{name} like {pattern}")
            else:
                hits = sorted(v for v in values.get(name, ()) if needle in v)
                parts.append(f"{name} in [{', '.join(literal(v) for v in hits)}]")
    if filters.posted_after is not None:
        parts.append(f"has_ts == true and ts >= {int(filters.posted_after)}")
    if filters.posted_before is not None:
        parts.append(f"has_ts == true and ts < {int(filters.posted_before)}")
    if any_tags:
        parts.append(f"array_contains_any(tags, [{', '.join(literal(t) for t in any_tags)}])")
    if all_tags:
        parts.append(f"array_contains_all(tags, [{', '.join(literal(t) for t in all_tags)}])")
    return " and ".join(f"({p})" for p in parts)


def query_some(client: Any, collection: str, expr: str, fields: list[str]) -> list[dict[str, Any]]:
    """Every row matching `expr`, in one call when they are few (an iterator costs several round trips)."""
    rows = client.query(collection, filter=expr, output_fields=fields, limit=QUERY_LIMIT)
    return rows if len(rows) < QUERY_LIMIT else query_all(client, collection, expr, fields)


def query_all(client: Any, collection: str, expr: str, fields: list[str]) -> list[dict[str, Any]]:
    """Every row matching `expr` (past Milvus's 16,384-row query limit, page by page)."""
    iterator = client.query_iterator(collection, batch_size=QUERY_PAGE, filter=expr, output_fields=fields)
    rows: list[dict[str, Any]] = []
    try:
        while batch := iterator.next():
            rows.extend(batch)
    finally:
        iterator.close()
    return rows
