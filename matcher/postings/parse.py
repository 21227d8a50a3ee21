"""Parse postings from Markdown + YAML front matter or from JSON records, validating every field."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import frontmatter
import yaml

from matcher import limits
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
MAX_BODY_CHARS = limits.MAX_POSTING_CHARS


def normalise_hashtags(value: object, source: str, limit: int = limits.MAX_HASHTAGS) -> tuple[str, ...]:
    """'#golang,#aws' or ['golang', '#aws'] -> ('golang', 'aws'); lower case, de-duplicated, order kept.

    More than `limit` items, or one longer than `limits.MAX_TAG_CHARS`, is refused before any other work.
    """
    if value is None or value == "":
        return ()
    if isinstance(value, str):
        items: list[object] = list(value.split(","))
    elif isinstance(value, list | tuple):
        items = list(value)
    else:
        raise PostingError(source, "hashtags", f"expected a string like '#golang,#aws' or a list, got {type(value).__name__}")
    if len(items) > limit:
        raise PostingError(source, "hashtags", f"{len(items)} tags, more than the limit of {limit}")
    tags: dict[str, None] = {}  # a dict keeps the order and de-duplicates in linear time
    for item in items:
        if not isinstance(item, str):
            raise PostingError(source, "hashtags", f"expected strings, got {type(item).__name__}")
        tag = _unicode(item.strip().lstrip("#").strip().lower(), source, "hashtags")
        if len(tag) > limits.MAX_TAG_CHARS:
            raise PostingError(source, "hashtags", f"a tag of {len(tag)} characters, more than the limit of "
                                                   f"{limits.MAX_TAG_CHARS}")
        if tag:
            tags[tag] = None
    return tuple(tags)


def _pick(meta: Mapping[str, Any], camel: str, snake: str) -> Any:
    return meta[camel] if camel in meta else meta.get(snake)


def _as_str(value: object, source: str, name: str, limit: int = limits.MAX_FIELD_CHARS) -> str:
    if value is None:
        return ""
    if isinstance(value, dt.date):  # YAML reads `location: 2021-03-01` as a date; keep what was written
        value = value.isoformat()
    if isinstance(value, bool) or not isinstance(value, str | int | float):
        raise PostingError(source, name, f"expected a string, got {type(value).__name__}")
    text = _unicode(str(value).strip(), source, name)
    if len(text) > limit:
        raise PostingError(source, name, f"{len(text)} characters, more than the limit of {limit}")
    return text


def _unicode(text: str, source: str, name: str) -> str:
    """`text`, if it is valid Unicode: JSON can spell a lone surrogate (\\ud800), which no UTF-8 text holds."""
    at = limits.unpaired_surrogate(text)
    if at is not None:
        raise PostingError(source, name, f"holds an unpaired surrogate (U+{ord(text[at]):04X}) at character {at}, "
                                         "which is not text: fix the encoding of the source")
    return text


TIMESTAMP_RULE = (f"expected milliseconds since the epoch (an integer from {limits.MIN_TIMESTAMP_MS} to "
                  f"{limits.MAX_TIMESTAMP_MS}) or a date (YYYY-MM-DD, or an ISO datetime)")


def _date_ms(value: dt.date) -> int:
    """A date (midnight UTC) or datetime (UTC when it names no zone) as ms since the epoch."""
    moment = value if isinstance(value, dt.datetime) else dt.datetime(value.year, value.month, value.day)
    moment = moment if moment.tzinfo else moment.replace(tzinfo=dt.UTC)
    return int(moment.timestamp() * 1000)


def _as_timestamp(value: object, source: str) -> int | None:
    """ms since the epoch, or a date: front matter often says `timestamp: 2021-03-01` (YAML reads a date)."""
    if value is None or value == "":
        return None
    if isinstance(value, str):
        text = value.strip()
        if text.isascii() and text.isdigit() and len(text) <= 20:
            value = int(text)
        else:
            try:
                value = dt.datetime.fromisoformat(text.replace("Z", "+00:00"))
            except ValueError:
                raise PostingError(source, "timestamp", f"{TIMESTAMP_RULE}, got {value[:40]!r}") from None
    if isinstance(value, dt.date):
        try:
            value = _date_ms(value)
        except (OverflowError, ValueError):
            raise PostingError(source, "timestamp", f"{TIMESTAMP_RULE}, got {value!r}") from None
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, bool) or not isinstance(value, int):
        raise PostingError(source, "timestamp", f"{TIMESTAMP_RULE}, got {type(value).__name__}")
    if not limits.MIN_TIMESTAMP_MS <= value <= limits.MAX_TIMESTAMP_MS:
        raise PostingError(source, "timestamp", f"{TIMESTAMP_RULE}, got {value}")
    return value


def _as_bool(value: object, source: str, name: str) -> bool:
    if value is None or value == "":
        return False
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.strip().lower() in {"true", "false", "yes", "no", "1", "0"}:
        return value.strip().lower() in {"true", "yes", "1"}
    raise PostingError(source, name, f"expected true or false (a boolean or the string \"true\"/\"false\"), "
                                     f"got {str(value)[:40]!r}")


def _as_int(value: object, source: str, name: str) -> int | None:
    if value is None or value == "":
        return None
    digits = value.strip().removeprefix("-") if isinstance(value, str) else ""
    if digits.isascii() and digits.isdigit() and len(digits) <= 20:
        value = int(value)  # type: ignore[arg-type]
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, bool) or not isinstance(value, int):
        raise PostingError(source, name, f"expected an integer, got {str(value)[:40]!r}")
    if abs(value) > limits.MAX_SAFE_INT:
        raise PostingError(source, name, f"expected an integer from -{limits.MAX_SAFE_INT} to {limits.MAX_SAFE_INT}")
    return value


def build_posting(posting_id: str, meta: Mapping[str, Any], body: object, source: str) -> Posting:
    """Validate the fields of one posting and return it, hashed. Raises `PostingError`."""
    if not limits.is_posting_id(posting_id):
        shown = posting_id[:60] if isinstance(posting_id, str) else type(posting_id).__name__
        raise PostingError(source, "id", f"expected {limits.POSTING_ID_RULE}, got {shown!r}")
    title = _as_str(meta.get("title"), source, "title", limits.MAX_TITLE_CHARS)
    if not title:
        raise PostingError(source, "title", "missing or empty; every posting needs a title")
    if not isinstance(body, str) or not body.strip():
        raise PostingError(source, "body", "missing or empty; every posting needs a Markdown body")
    if len(body) > MAX_BODY_CHARS:
        raise PostingError(source, "body", f"{len(body)} characters, more than the limit of {MAX_BODY_CHARS}")
    _unicode(body, source, "body")
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
    except (ValueError, TypeError, OverflowError, RecursionError) as exc:  # YAML well formed, value impossible
        reason = " ".join(str(exc).split())[:200] or type(exc).__name__  # e.g. the date 0000-01-01
        raise PostingError(src, "front matter", f"invalid value: {reason}") from None
    if not isinstance(post.metadata, dict) or not post.metadata:
        raise PostingError(src, "front matter", "expected a mapping of keys such as title, companyName, hashtags")
    return build_posting(posting_id, post.metadata, post.content, src)


def unreadable(path: Path, exc: OSError) -> PostingError:
    """The error for a posting file that cannot be opened, naming a dangling symlink as such."""
    if path.is_symlink() and not path.exists():
        return PostingError(str(path), "file", f"a symlink to {path.readlink()}, which does not exist")
    return PostingError(str(path), "file", f"cannot read: {exc.strerror or exc}")


def parse_markdown_file(path: Path) -> Posting:
    """Parse one `.md` posting; the id is the file stem (the name without `.md`), so it must be a valid id."""
    if not limits.is_posting_id(path.stem):
        raise PostingError(str(path), "id", f"the file name makes the id {path.stem[:60]!r}, which is not valid: "
                                            f"an id is {limits.POSTING_ID_RULE}; rename the file")
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise unreadable(path, exc) from None
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
