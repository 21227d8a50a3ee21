"""Request and response models. Request limits come from `Settings`, so each app documents its own."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import TYPE_CHECKING, Annotated, Any, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    StrictBool,
    StrictInt,
    StringConstraints,
    WithJsonSchema,
    model_validator,
)

from matcher import limits

if TYPE_CHECKING:
    from matcher.api.settings import Settings

# At least one character that is whitespace neither to Python (str.strip, the parsers) nor to JSON Schema's
# ECMA-262 regexes (what clients and fuzzers read): \x1c-\x1f and \x85 are Python-only, \ufeff ECMA-only.
NONBLANK = r"[^\s\x1c-\x1f\x85\ufeff]"
ID_PATTERN = limits.POSTING_ID_PATTERN
DATE_PATTERN = r"^\d{4}-\d{2}-\d{2}$"
MAX_EPOCH_MS = limits.MAX_SAFE_INT
BLIND_HELP = ("Remove names, contact details and protected attributes (age, gender, nationality, family status, "
              "religion, ethnicity, health) from the text before ranking; the response's `blinded` says what went. "
              "Turn it off only when you must rank on the text as written.")


# -- errors ----------------------------------------------------------------------------------------------
class ErrorBody(BaseModel):
    code: str = Field(description="Stable machine-readable code, e.g. not_found, invalid_input.")
    message: str = Field(description="What went wrong and what is valid, in one sentence.")
    status: int = Field(description="The HTTP status, repeated.")
    details: dict[str, Any] = Field(default_factory=dict, description="Extra facts, e.g. validation errors.")


class ErrorResponse(BaseModel):
    """Every error the service returns has this shape."""

    error: ErrorBody


# -- results ---------------------------------------------------------------------------------------------
class TagMatchOut(BaseModel):
    tag: str
    via: Literal["exact", "alias", "semantic"]
    candidate_term: str
    similarity: float


class MatchResultOut(BaseModel):
    """One ranked posting, exactly as the library's `MatchResult.to_dict()`; `score` = sum of `components`."""

    posting_id: str
    title: str
    company: str
    url: str
    score: float
    match_percent: int | None = Field(
        description="Calibrated chance (0-100) that a reviewer rates this posting a good or strong match; the same "
        "number means the same across queries. Monotone in `score`; null when the server runs weights or a model "
        "it was not fitted for.")
    components: dict[str, float]
    matched_tags: list[TagMatchOut]
    missing_tags: list[str]
    passage: str


class SimilarResultOut(BaseModel):
    """A similar posting, exactly as the library's `SimilarResult.to_dict()`."""

    posting_id: str
    title: str
    company: str
    url: str
    score: float
    components: dict[str, float]
    shared_tags: list[str]
    only_in_source: list[str]
    only_in_similar: list[str]
    passage: str


class BlindedOut(BaseModel):
    """What blinding removed from the candidate's text before ranking: kinds and counts, never the text."""

    enabled: bool = Field(description="Whether the text was blinded (the request's `blind`, true by default).")
    removed: dict[str, int] = Field(description="Removed items by kind: name, email, phone, address, url, "
                                                "date_of_birth, age, gender, pronouns, nationality, family, religion, "
                                                "ethnicity, health. Kinds with none are left out.")


class ProvenanceOut(BaseModel):
    """What produced the ranking, so that it can be explained and re-run."""

    index_version: str = Field(description="The index version that was searched (`v` + the number of writes it holds).")
    model_id: str
    model_hash: str
    weights: dict[str, float] = Field(description="The score components' weights.")
    ranking_version: str = Field(description="The version of the ranking code and rules, blinding included.")


class MatchResponse(BaseModel):
    results: list[MatchResultOut]
    candidates_examined: int = Field(description="How many postings were scored.")
    blinded: BlindedOut
    provenance: ProvenanceOut
    took_ms: float


class SimilarResponse(BaseModel):
    results: list[SimilarResultOut]
    took_ms: float


class CandidateResults(BaseModel):
    """One candidate's results in a `/v1/score` answer. Streamed, a candidate that fails (say, a posting was
    deleted meanwhile) has the line `{"id", "error": {code, message, status, details: {line}}}` (`line`: the
    candidate's position, from 1; the same shape as a failed line of `matcher batch`) and the rest go on."""

    id: str
    results: list[MatchResultOut]
    candidates_examined: int
    blinded: BlindedOut


class ScoreResponse(BaseModel):
    """Streamed (`Accept: application/x-ndjson`), each line also carries `provenance`."""

    results: list[CandidateResults]
    provenance: ProvenanceOut
    took_ms: float


class PostingOut(BaseModel):
    """A stored posting (the library's field names) and its canonical tags."""

    id: str
    title: str
    body: str
    company: str
    location: str
    host: str
    url: str
    apply_url: str
    timestamp: int | None
    hashtags: list[str]
    job_type: str
    logo_url: str
    company_website: str
    summary: str
    summary_backup: str
    featured: int | None
    archived: bool
    content_hash: str
    tags: list[str] = Field(description="Canonical tags: hashtags resolved through the vocabulary, plus skills "
                                        "the text names.")


class TagOut(BaseModel):
    tag: str
    name: str
    aliases: list[str]
    postings: int = Field(description="Postings in the index carrying this tag.")


class TagsResponse(BaseModel):
    tags: list[TagOut]
    count: int


class WriteResponse(BaseModel):
    """The outcome of a write: the index version it published and what the build did."""

    ids: list[str]
    version: str
    postings: int = Field(description="Postings in the index after the write.")
    indexed: int = 0
    unchanged: int = 0
    removed: int = 0


class Health(BaseModel):
    status: Literal["ok"] = "ok"


class Ready(BaseModel):
    status: Literal["ready"] = "ready"
    postings: int = Field(description="Postings in the version this worker serves.")
    model: str
    version: str = Field(description="The index version live in the folder: the worker loads it before answering "
                                     "(other requests catch up within MATCHER_REFRESH_SECONDS).")


# -- requests --------------------------------------------------------------------------------------------
def _iso_date(value: str) -> str:
    dt.date.fromisoformat(value)  # ValueError -> 422 for e.g. 2021-02-30
    return value


def _integral(value: object) -> object:
    """JSON Schema counts 3.0 as an integer; so do we (but not "3", nor 3.5)."""
    return int(value) if isinstance(value, float) and value.is_integer() else value


# Bounds go before the validator, so they stay plain integer bounds (minimum / maximum) in the JSON schema.
INTEGRAL = BeforeValidator(_integral)
IsoDate = Annotated[
    str,
    StringConstraints(pattern=DATE_PATTERN),
    AfterValidator(_iso_date),
    WithJsonSchema({"type": "string", "format": "date", "pattern": DATE_PATTERN}),
]
BoundedInt = Annotated[StrictInt, Field(ge=-MAX_EPOCH_MS, le=MAX_EPOCH_MS), INTEGRAL]  # exact in a JSON double
Short = Annotated[str, StringConstraints(max_length=limits.MAX_FILTER_CHARS)]
TagName = Annotated[str, StringConstraints(max_length=limits.MAX_TAG_CHARS)]


class Strict(BaseModel):
    """Base for request bodies: JSON types as written (no "5" for 5), no unknown keys, Python's regexes."""

    model_config = ConfigDict(strict=True, extra="forbid", regex_engine="python-re")


class FiltersIn(Strict):
    """Which postings may be returned; the same names as the library's `Filters`."""

    job_type: Short | None = Field(None, description="Case-insensitive substring of the job type.")
    company: Short | None = Field(None, description="Case-insensitive substring of the company name.")
    location: Short | None = Field(None, description="Case-insensitive substring of the location.")
    tags_any: list[TagName] = Field([], max_length=limits.MAX_FILTER_TAGS,
                                    description="The posting has at least one of these tags.")
    tags_all: list[TagName] = Field([], max_length=limits.MAX_FILTER_TAGS,
                                    description="The posting has every one of these tags.")
    posted_after: BoundedInt | IsoDate | None = Field(None, description="Posted on or after: YYYY-MM-DD or ms "
                                                                     "since the epoch.")
    posted_before: BoundedInt | IsoDate | None = Field(None, description="Posted before: YYYY-MM-DD or ms.")
    include_archived: StrictBool = False

    def to_mapping(self) -> dict[str, Any]:
        return self.model_dump(exclude_none=True)


MetaStr = Annotated[str, StringConstraints(max_length=limits.MAX_FIELD_CHARS)]  # a front-matter string field


@dataclass(frozen=True)
class RequestModels:
    """The request models of one app, with that app's limits."""

    match: type[BaseModel]
    score: type[BaseModel]
    posting: type[BaseModel]
    posting_batch: type[BaseModel]


def _candidate_schema(schema: dict[str, Any]) -> None:
    """Say in the schema what the validator checks: text, or a non-empty skills list, or both."""
    schema["anyOf"] = [{"required": ["text"], "properties": {"text": {"type": "string"}}},
                       {"required": ["skills"], "properties": {"skills": {"type": "array", "minItems": 1}}}]


def request_models(s: Settings) -> RequestModels:
    """Build the request models with the limits in `s` (so /docs and validation agree with the settings)."""
    Text = Annotated[str, StringConstraints(max_length=s.max_text_chars, pattern=NONBLANK)]
    Skill = Annotated[str, StringConstraints(min_length=1, max_length=s.max_skill_chars, pattern=NONBLANK)]
    Skills = Annotated[list[Skill], Field(min_length=1, max_length=s.max_skills)]
    PostingId = Annotated[str, StringConstraints(pattern=ID_PATTERN)]

    class CandidateBase(Strict):
        model_config = ConfigDict(json_schema_extra=_candidate_schema)

        text: Text | None = Field(None, description=f"CV or profile text, up to {s.max_text_chars} characters.")
        skills: Skills | None = Field(None, description=f"Skills, up to {s.max_skills}.")

        @model_validator(mode="after")
        def check_not_empty(self) -> CandidateBase:
            if self.text is None and not self.skills:
                raise ValueError("give a CV or profile as text, a skills list, or both")
            return self

    class MatchRequest(CandidateBase):
        """A candidate (text and/or skills), how many results, and filters."""

        k: Annotated[StrictInt, Field(ge=1, le=s.max_k), INTEGRAL] = Field(min(10, s.max_k), description="How many results.")
        filters: FiltersIn = Field(default_factory=FiltersIn)
        blind: StrictBool = Field(True, description=BLIND_HELP)

    class CandidateIn(CandidateBase):
        id: Annotated[str, StringConstraints(min_length=1, max_length=limits.POSTING_ID_MAX_CHARS)]

    class ScoreRequest(Strict):
        """Top-k per candidate, or (with `posting_ids`) every candidate scored on exactly those postings."""

        candidates: list[CandidateIn] = Field(min_length=1, max_length=s.max_candidates)
        k: Annotated[StrictInt, Field(ge=1, le=s.max_k), INTEGRAL] = Field(
            min(10, s.max_k), description="Results per candidate (top-k).")
        filters: FiltersIn = Field(default_factory=FiltersIn, description="Top-k mode only.")
        blind: StrictBool = Field(True, description=BLIND_HELP)
        posting_ids: list[PostingId] | None = Field(
            None, min_length=1, max_length=s.max_posting_ids,
            description="Pairs mode: score each candidate on these postings, in this order, with explanations "
                        f"(filters do not apply). At most {s.max_pairs} candidate x posting pairs.")

    class PostingIn(Strict):
        """A posting as its front-matter keys plus `body` (Markdown)."""

        title: Annotated[str, StringConstraints(max_length=limits.MAX_TITLE_CHARS, pattern=NONBLANK)]
        body: Annotated[str, StringConstraints(max_length=s.max_posting_chars, pattern=NONBLANK)]
        companyName: MetaStr | None = None
        location: MetaStr | None = None
        host: MetaStr | None = None
        url: MetaStr | None = None
        applyUrl: MetaStr | None = None
        jobType: MetaStr | None = None
        logoUrl: MetaStr | None = None
        companyWebsite: MetaStr | None = None
        summary: MetaStr | None = None
        summaryBackup: MetaStr | None = None
        hashtags: (Annotated[str, StringConstraints(max_length=limits.MAX_FIELD_CHARS)]
                   | Annotated[list[TagName], Field(max_length=limits.MAX_HASHTAGS)] | None) = Field(
            None, description=f"'#golang,#aws' or a list of tags; at most {limits.MAX_HASHTAGS}.")
        timestamp: Annotated[StrictInt, Field(ge=limits.MIN_TIMESTAMP_MS, le=limits.MAX_TIMESTAMP_MS),
                             INTEGRAL] | None = Field(None, description="Posted at, in ms since the epoch.")
        featured: BoundedInt | None = None
        archived: StrictBool | None = None

        def record(self, posting_id: str) -> dict[str, Any]:
            """The JSON record `parse_json_record` reads."""
            return {**self.model_dump(exclude_none=True, exclude={"id"}), "id": posting_id}

    class PostingRecord(PostingIn):
        id: PostingId

    class PostingBatch(Strict):
        """Postings to add or replace, each with its `id`."""

        postings: list[PostingRecord] = Field(
            min_length=1, max_length=s.max_batch_postings,
            description="Distinct ids: a repeated id refuses the batch (422, naming both positions).")

    return RequestModels(MatchRequest, ScoreRequest, PostingIn, PostingBatch)
