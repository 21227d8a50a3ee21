"""HTTP rules a client relies on: 405 with a correct Allow header, HEAD on GET routes, 415 for a JSON endpoint sent
another type, validation errors naming the field the client sent, one failed-line shape, readiness that tells the
truth across workers. Served over an index built with the fake embedder (vectors do not matter here)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from matcher.api import Settings, create_app
from matcher.engine import Matcher
from matcher.errors import NotFound
from tests.helpers import FakeEmbedder, write_posting

KEY = "http-key"
AUTH = {"Authorization": f"Bearer {KEY}"}


def settings(folder: Path, **overrides: Any) -> Settings:
    return Settings(**({"index_dir": folder, "api_keys": (KEY,), "warm_up": False, "refresh_seconds": 0} | overrides))


@pytest.fixture(scope="module")
def index(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("http")
    for i in range(3):
        write_posting(root / "src", f"job-{i}", title=f"Job {i}", hashtags="#python,#go", timestamp=1_600_000_000_000)
    Matcher.open(root / "index", embedder=FakeEmbedder()).index([root / "src"])
    return root / "index"


@pytest.fixture(scope="module")
def client(index: Path) -> Iterator[TestClient]:
    with TestClient(create_app(matcher=Matcher.load(index, embedder=FakeEmbedder()), settings=settings(index))) as c:
        yield c


def error_of(response: Any, status: int) -> dict[str, Any]:
    assert response.status_code == status, response.text
    return response.json()["error"]


@pytest.mark.parametrize(("method", "path", "allow"), [
    ("DELETE", "/v1/match", "POST"),
    ("POST", "/healthz", "GET, HEAD"),
    ("PATCH", "/v1/postings/job-1", "GET, PUT, DELETE, HEAD"),
    ("GET", "/v1/postings:batch", "POST"),
    ("PUT", "/metrics", "GET, HEAD"),
])
def test_405_names_the_allowed_methods(client: TestClient, method: str, path: str, allow: str) -> None:
    response = client.request(method, path)
    error = error_of(response, 405)
    assert response.headers["allow"] == allow
    assert error["message"] == f"{method} is not allowed on {path}; use {allow}"


def test_head_answers_like_get_without_a_body(client: TestClient) -> None:
    for path in ("/healthz", "/readyz", "/metrics", "/v1/postings/job-1", "/v1/tags", "/openapi.json"):
        got, head = client.get(path), client.head(path)
        assert head.status_code == got.status_code == 200, (path, head.status_code)
        assert head.content == b"" and head.headers["content-type"] == got.headers["content-type"]
    assert client.head("/v1/postings/nope").status_code == 404
    response = client.head("/v1/match")
    assert response.status_code == 405 and response.headers["allow"] == "POST"


@pytest.mark.parametrize("path", ["/v1/match", "/v1/score", "/v1/postings:batch"])
def test_json_endpoints_answer_415_to_other_types(client: TestClient, path: str) -> None:
    for media in ("text/plain", "application/x-www-form-urlencoded", "text/markdown"):
        response = client.post(path, content=b'{"skills": ["go"]}', headers={**AUTH, "content-type": media})
        error = error_of(response, 415)
        assert error["code"] == "unsupported_media_type" and media in error["message"]
    ok = client.post("/v1/match", content=b'{"skills": ["go"]}', headers={"content-type": "application/json; charset=utf-8"})
    assert ok.status_code == 200


def test_validation_errors_name_the_field_the_client_sent(client: TestClient) -> None:
    cases = {
        json.dumps({"skills": ["go"], "filters": {"posted_after": "soon"}}):
            "body.filters.posted_after: not a date: give YYYY-MM-DD or ms since the epoch",
        json.dumps({"skills": ["go"], "filters": {"posted_before": True}}):
            "body.filters.posted_before: not a date: give YYYY-MM-DD or ms since the epoch",
        json.dumps({"skills": ["go"], "k": "5"}): "body.k: Input should be a valid integer",
        json.dumps({"skills": ["go"], "filters": {"colour": "red"}}): "body.filters.colour: Extra inputs are not permitted",
    }
    for body, message in cases.items():
        error = error_of(client.post("/v1/match", content=body, headers={"content-type": "application/json"}), 422)
        assert error["message"] == message
        assert not any("function-" in e["loc"] or "constrained" in e["loc"] for e in error["details"]["errors"])
    put = error_of(client.put("/v1/postings/x", json={"title": "T", "body": "B", "hashtags": 5}, headers=AUTH), 422)
    assert put["message"].startswith("body.hashtags: expected a string like '#golang,#aws' or a list of tags")


def test_a_failed_candidate_line_has_the_batch_shape(index: Path) -> None:
    from matcher.batch import run_batch

    class Flaky(Matcher):
        def score_pairs(self, candidate: Any, posting_ids: Any) -> Any:
            if candidate.skills == ("boom",):
                raise NotFound("no posting with id 'job-1' (deleted meanwhile)")
            return super().score_pairs(candidate, posting_ids)

    matcher = Flaky.load(index, embedder=FakeEmbedder())
    with TestClient(create_app(matcher=matcher, settings=settings(index))) as c:
        body = {"candidates": [{"id": "a", "skills": ["go"]}, {"id": "b", "skills": ["boom"]}], "posting_ids": ["job-1"]}
        lines = c.post("/v1/score", json=body, headers={"accept": "application/x-ndjson"}).text.splitlines()
    http_line = json.loads(lines[1])
    batch_line = next(run_batch(matcher, ['{"id": "b", "skills": "nope"}']))
    assert set(http_line) == set(batch_line) == {"id", "error"}
    assert set(http_line["error"]) == set(batch_line["error"]) == {"code", "message", "status", "details"}
    assert http_line["error"]["details"] == {"line": 2} and batch_line["error"]["details"] == {"line": 1}
    assert http_line["error"]["code"] == "not_found" and http_line["error"]["status"] == 404


def test_readiness_reports_the_live_version_not_a_worker_copy(index: Path, tmp_path: Path) -> None:
    import shutil

    folder = tmp_path / "index"
    shutil.copytree(index, folder)
    slow = settings(folder, refresh_seconds=3600)  # other requests would not look for an hour
    a = TestClient(create_app(matcher=Matcher.load(folder, embedder=FakeEmbedder()), settings=slow))
    b = TestClient(create_app(matcher=Matcher.load(folder, embedder=FakeEmbedder()), settings=slow))
    with a, b:
        before = b.get("/readyz").json()["version"]
        written = a.delete("/v1/postings/job-0", headers=AUTH).json()
        assert written["version"] != before
        for _ in range(3):
            # The live version is the write's, or a later one (a background merge may commit meanwhile); either
            # way both apps report the same, and B never the one it loaded before the write.
            seen_b, seen_a = b.get("/readyz").json(), a.get("/readyz").json()
            assert seen_b["version"] != before and seen_b["postings"] == 2
            if seen_b["version"] != seen_a["version"]:
                seen_b = b.get("/readyz").json()
            assert seen_b["version"] == seen_a["version"]
