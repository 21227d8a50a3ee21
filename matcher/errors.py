"""Domain errors. Each carries an HTTP-ish status so the API and CLI render them the same way."""

from __future__ import annotations

import errno
from collections.abc import Iterator
from contextlib import contextmanager


class MatcherError(Exception):
    """Base class: something the caller can act on. `status` maps it to HTTP."""

    status: int = 400
    code: str = "bad_request"

    def __init__(self, message: str, *, details: dict[str, object] | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.details = details or {}

    def to_dict(self, **details: object) -> dict[str, object]:
        """The error object every surface shows: `{code, message, status, details}` (plus any extra details)."""
        return {"code": self.code, "message": self.message, "status": self.status,
                "details": {**self.details, **details}}


class InvalidInput(MatcherError):
    """The request or a parameter is malformed; the message says what is valid."""

    status = 422
    code = "invalid_input"


class PostingError(InvalidInput):
    """A posting could not be parsed: names the source, the field and the reason."""

    code = "invalid_posting"

    def __init__(self, source: str, field: str, reason: str) -> None:
        super().__init__(f"{source}: {field}: {reason}", details={"source": source, "field": field})
        self.source = source
        self.field = field
        self.reason = reason


class NotFound(MatcherError):
    """An id that is not in the index."""

    status = 404
    code = "not_found"


class IndexMismatch(MatcherError):
    """The index on disk was built with another model, dimension or format version."""

    status = 409
    code = "index_mismatch"


class IndexBusy(MatcherError):
    """Another process holds the index's single-writer lease (Milvus stores)."""

    status = 409
    code = "index_busy"


class IndexMissing(MatcherError):
    """No index at the given folder."""

    status = 503
    code = "index_missing"


class ModelUnavailable(MatcherError):
    """The embedding model cannot be loaded (not installed, or a hub download was needed offline)."""

    status = 503
    code = "model_unavailable"


class IndexDamaged(MatcherError):
    """A file of the index cannot be read or disagrees with the rest: rebuild, or restore the folder."""

    status = 503
    code = "index_damaged"



class IndexWriteFailed(MatcherError):
    """The file system refused a write (disk full, read-only folder): nothing was published, the previous
    version stays live. 507 when space ran out, 503 otherwise."""

    status = 503
    code = "index_write_failed"


_FULL = {errno.ENOSPC, errno.EDQUOT, errno.EFBIG}
_READ_ONLY = {errno.EACCES, errno.EPERM, errno.EROFS}


def write_failure(exc: OSError, index_dir: object) -> IndexWriteFailed:
    """An OSError from writing the index at `index_dir`, as one clear error."""
    if exc.errno in _FULL:
        hint = "the disk is full (or a file-size limit was reached); free space and retry"
    elif exc.errno in _READ_ONLY:
        hint = "the index folder is read-only for this process; reads go on, writes need write access"
    else:
        hint = "check the folder and retry"
    error = IndexWriteFailed(f"cannot write the index at {index_dir}: {exc.strerror or exc}; {hint}. "
                             "Nothing was changed: the previous version is still live.",
                             details={"errno": errno.errorcode.get(exc.errno or 0, "")})
    error.status = 507 if exc.errno in _FULL else 503
    return error


@contextmanager
def index_writes(index_dir: object) -> Iterator[None]:
    """Turn the file system's refusal of an index write into `IndexWriteFailed` (for the CLI and the API)."""
    try:
        yield
    except OSError as exc:
        raise write_failure(exc, index_dir) from None
