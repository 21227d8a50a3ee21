"""Domain errors. Each carries an HTTP-ish status so the API and CLI render them the same way."""

from __future__ import annotations


class MatcherError(Exception):
    """Base class: something the caller can act on. `status` maps it to HTTP."""

    status: int = 400
    code: str = "bad_request"

    def __init__(self, message: str, *, details: dict[str, object] | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.details = details or {}


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


class IndexBusy(MatcherError):
    """A write could not be committed (the disk is full or read-only, or the folder is not writable)."""

    status = 503
    code = "index_write_failed"
