"""Schema fuzzing: every operation of the OpenAPI spec, positive and negative data, bounded in size and count.

No 5xx, no response outside the documented statuses, content types and schemas; valid data is accepted and
invalid data refused. The app runs with small limits so generated inputs stay small and the run stays short.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.config import SchemathesisConfig
from schemathesis.specs.openapi.checks import positive_data_acceptance

from matcher.api import Settings, create_app
from matcher.engine import Matcher

KEY = "fuzz-key"
LIMITS: dict[str, Any] = {"max_text_chars": 400, "max_skills": 5, "max_skill_chars": 40, "max_k": 5,
                          "max_candidates": 3, "max_posting_ids": 4, "max_pairs": 12, "max_batch_postings": 3,
                          "max_posting_chars": 600}

WRITES = r"^(PUT|DELETE) |:batch$"

# The spec does not depend on the index, so the app is built here (loading nothing: the factory never does) and
# the fixture below hands it a real index. schemathesis' `from_fixture` does not run under pytest 9 (it reads
# `request.node._nodeid`), hence module-level schemas.
APP = create_app(settings=Settings(index_dir=Path("/nonexistent/matcher-fuzz"), allow_empty_index=True,
                                   api_keys=(KEY,), warm_up=False, refresh_seconds=-1, access_log=False, **LIMITS))
reads = schemathesis.openapi.from_asgi("/openapi.json", APP).exclude(name_regex=WRITES)
# Every accepted write rebuilds and publishes an index version (a real embedding each time), so writes skip the
# coverage phase, whose many boundary-value bodies would each be a rebuild; they get fewer examples as well.
writes = schemathesis.openapi.from_asgi("/openapi.json", APP, config=SchemathesisConfig.discover()).include(
    name_regex=WRITES)
writes.config.phases.update(phases=["examples", "fuzzing"])


@pytest.fixture(scope="module", autouse=True)
def served_index(seed_index: Path, embedder, tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    index = tmp_path_factory.mktemp("fuzz") / "index"
    shutil.copytree(seed_index, index)  # the fuzzer writes (with the key) too
    APP.state.matcher = Matcher.load(index, embedder=embedder)
    yield
    APP.state.matcher = None


def call_and_validate(case: Any) -> None:
    # Markdown bodies are valid only with YAML front matter, and an uploaded CV only if it is a readable PDF, DOCX
    # or text file with some text: neither can be expressed in a schema.
    # Nor can "ids in a batch are distinct" (a batch repeating an id is refused whole).
    unexpressible = case.media_type in ("text/markdown", "multipart/form-data") or case.path.endswith(":batch")
    excluded = [positive_data_acceptance] if unexpressible else []
    case.call_and_validate(headers={"Authorization": f"Bearer {KEY}"}, excluded_checks=excluded)


@reads.parametrize()
@settings(max_examples=12, deadline=None, derandomize=True, suppress_health_check=list(HealthCheck))
def test_reads_conform_to_the_schema(case: Any) -> None:
    call_and_validate(case)


@writes.parametrize()
@settings(max_examples=15, deadline=None, derandomize=True, suppress_health_check=list(HealthCheck))
def test_writes_conform_to_the_schema(case: Any) -> None:
    call_and_validate(case)
