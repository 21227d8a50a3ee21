"""Two API replicas on one Milvus (a Milvus Lite server process this module starts and stops): a write through one
is visible through the other within a second, and a restarted replica serves at once without rebuilding."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from matcher.api import Settings, create_app
from matcher.engine import Matcher
from tests.conftest import SEEDS
from tests.helpers import FakeEmbedder
from tests.milvus_helpers import SKIP_REASON, lite_server, lite_version

LITE = lite_version()
pytestmark = pytest.mark.skipif(LITE is None, reason=SKIP_REASON)
KEY = "replica-key"
AUTH = {"Authorization": f"Bearer {KEY}"}
ENGINE = f"Milvus Lite {LITE} server process, two clients"


@pytest.fixture(scope="module")
def location(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    with lite_server(tmp_path_factory.mktemp("milvus-replicas")) as address:
        where = f"milvus://{address}/replicas"
        Matcher.open(where, embedder=FakeEmbedder()).index([SEEDS])
        yield where


def replica(where: str) -> TestClient:
    settings = Settings(store=where, api_keys=(KEY,), warm_up=False, refresh_seconds=0.25)
    return TestClient(create_app(matcher=Matcher.load(where, embedder=FakeEmbedder()), settings=settings))


def wait_for(check: Any, limit: float = 1.0) -> float:
    started = time.monotonic()
    while not check():
        assert time.monotonic() - started < limit, f"not visible within {limit} s"
        time.sleep(0.02)
    return time.monotonic() - started


def test_a_write_through_one_replica_is_seen_by_the_other_within_a_second(location: str, record_property) -> None:
    record_property("engine", ENGINE)
    print(f"engine: {ENGINE}")
    with replica(location) as a, replica(location) as b:
        body = {"title": "Milvus Replica Engineer", "body": "Go, Kubernetes and Milvus on call.", "companyName": "Acme"}
        assert a.put("/v1/postings/replica-1", json=body, headers=AUTH).status_code in (200, 201)
        seen = wait_for(lambda: b.get("/v1/postings/replica-1").status_code == 200)
        assert b.get("/v1/postings/replica-1").json()["title"] == "Milvus Replica Engineer"
        assert b.delete("/v1/postings/replica-1", headers=AUTH).status_code in (200, 204)
        gone = wait_for(lambda: a.get("/v1/postings/replica-1").status_code == 404)
        print(f"write visible through the other replica after {seen:.3f} s, delete after {gone:.3f} s")


def test_a_restarted_replica_serves_the_same_answers_without_rebuilding(location: str, tmp_path: Path) -> None:
    print(f"engine: {ENGINE}")
    first = Matcher.load(location, embedder=FakeEmbedder())
    before = [r.to_dict() for r in first.match(skills=["go", "postgres"], k=5)]
    version = first.version
    del first  # "killed": nothing of it is needed by the next one
    started = time.monotonic()
    again = Matcher.load(location, embedder=FakeEmbedder())
    opened = time.monotonic() - started
    assert again.version == version and len(again) >= 30
    assert [r.to_dict() for r in again.match(skills=["go", "postgres"], k=5)] == before
    print(f"reopened in {opened:.2f} s at {version}")
