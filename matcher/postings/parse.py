"""Parse postings from Markdown + YAML front matter or from JSON records, validating every field."""

from __future__ import annotations

import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import frontmatter
import yaml

from matcher.errors import PostingError
from matcher.postings.model import Posting

# front-matter key -> Posting attribute. JSON records may use either spelling.
_STRING_FIELDS = {
    "location": "location",
    "host": "host",
    "companyName": "company",
    "url": "url",
    "applyUrl": "apply_url",
    "jobType": "job_type",
    "logoUrl": "logo_url",
    "companyWebsite": "company_website",
    "summary": "summary",
    "summaryBackup": "summary_backup",
}
_ID_RE = re.compile(r"^(?!\.{1,2}$)[A-Za-z0-9._:-]{1,200}$")
MAX_BODY_CHARS = 200_000


def normalise_hashtags(value: object, source: str) -> tuple[str, ...]:
    """'#golang,#aws' or ['golang', '#aws'] -> ('golang', 'aws'); lower case, de-duplicated, order kept."""
    if value is None or value == "":
        return ()
    if isinstance(value, str):
        items: list[object] = list(value.split(","))
    elif isinstance(value, list | tuple):
        items = list(value)
    else:
        raise PostingError(source, "hashtags", f"expected a string like '#golang,#aws' or a list, got {type(value).__name__}")
    tags: list[str] = []
    for item in items:
        if not isinstance(item, str):
            raise PostingError(source, "hashtags", f"expected strings, got {type(item).__name__}")
        tag = item.strip().lstrip("#").strip().lower()
        if tag and tag not in tags:
            tags.append(tag)
    return tuple(tags)


def _pick(meta: Mapping[str, Any], camel: str, snake: str) -> Any:
    return meta[camel] if camel in meta else meta.get(snake)


def _as_str(value: object, source: str, name: str) -> str:
    if value is None:
        return ""
    if isinstance(value, bool) or not isinstance(value, str | int | float):
        raise PostingError(source, name, f"expected a string, got {type(value).__name__}")
    return str(value).strip()


def _as_timestamp(value: object, source: str) -> int | None:
    if value is None or value == "":
        return None
    if isinstance(value, bool):
        raise PostingError(source, "timestamp", "expected milliseconds since the epoch (an integer), got a boolean")
    if isinstance(value, str) and value.strip().isdigit():
        value = int(value.strip())
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if not isinstance(value, int) or value < 0:
        raise PostingError(source, "timestamp", f"expected milliseconds since the epoch (an integer >= 0), got {value!r}")
    return value


def _as_bool(value: object, source: str, name: str) -> bool:
    if value is None or value == "":
        return False
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.strip().lower() in {"true", "false", "yes", "no", "1", "0"}:
        return value.strip().lower() in {"true", "yes", "1"}
    raise PostingError(source, name, f"expected true or false (a boolean or the string \"true\"/\"false\"), got {value!r}")


def _as_int(value: object, source: str, name: str) -> int | None:
    if value is None or value == "":
        return None
    if isinstance(value, str) and value.strip().lstrip("-").isdigit():
        return int(value)
    if isinstance(value, bool) or not isinstance(value, int):
        raise PostingError(source, name, f"expected an integer, got {value!r}")
    return value


def build_posting(posting_id: str, meta: Mapping[str, Any], body: object, source: str) -> Posting:
    """Validate the fields of one posting and return it, hashed. Raises `PostingError`."""
    if not isinstance(posting_id, str) or not _ID_RE.match(posting_id):
        raise PostingError(source, "id", f"expected 1-200 characters of letters, digits, '.', '_', ':', '-', got {posting_id!r}")
    title = _as_str(meta.get("title"), source, "title")
    if not title:
        raise PostingError(source, "title", "missing or empty; every posting needs a title")
    if not isinstance(body, str) or not body.strip():
        raise PostingError(source, "body", "missing or empty; every posting needs a Markdown body")
    if len(body) > MAX_BODY_CHARS:
        raise PostingError(source, "body", f"{len(body)} characters, more than the limit of {MAX_BODY_CHARS}")
    strings = {attr: _as_str(_pick(meta, key, attr), source, key) for key, attr in _STRING_FIELDS.items()}
    posting = Posting(
        id=posting_id,
        title=title,
        body=body.strip(),
        timestamp=_as_timestamp(meta.get("timestamp"), source),
        hashtags=normalise_hashtags(meta.get("hashtags"), source),
        featured=_as_int(meta.get("featured"), source, "featured"),
        archived=_as_bool(meta.get("archived"), source, "archived"),
        **strings,
    )
    return posting.with_hash()


def parse_markdown(text: str, posting_id: str, source: str | None = None) -> Posting:
    """Parse Markdown with YAML front matter."""
    src = source or posting_id
    if not text.strip():
        raise PostingError(src, "file", "empty")
    if not text.lstrip("\ufeff").startswith("---"):
        raise PostingError(src, "front matter", "missing: the file must start with '---' and YAML keys (title, ...)")
    try:
        post = frontmatter.loads(text.lstrip("\ufeff"))
    except yaml.YAMLError as exc:
        reason = " ".join(str(exc).split())
        raise PostingError(src, "front matter", f"invalid YAML: {reason}") from None
    if not isinstance(post.metadata, dict) or not post.metadata:
        raise PostingError(src, "front matter", "expected a mapping of keys such as title, companyName, hashtags")
    return build_posting(posting_id, post.metadata, post.content, src)


def parse_markdown_file(path: Path) -> Posting:
    """Parse one `.md` posting; the id is the file stem."""
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise PostingError(str(path), "file", f"cannot read: {exc.strerror}") from None
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise PostingError(str(path), "file", f"not UTF-8 (byte {exc.start}): save the file as UTF-8") from None
    return parse_markdown(text, path.stem, str(path))


def parse_json_record(record: object, source: str) -> Posting:
    """Parse one JSON object with the front-matter keys plus `id` and `body`."""
    if not isinstance(record, dict):
        raise PostingError(source, "record", f"expected a JSON object, got {type(record).__name__}")
    if "id" not in record:
        raise PostingError(source, "id", "missing; JSON postings need an 'id'")
    posting_id = record["id"]
    if isinstance(posting_id, int) and not isinstance(posting_id, bool):
        posting_id = str(posting_id)
    return build_posting(posting_id, record, record.get("body"), source)
