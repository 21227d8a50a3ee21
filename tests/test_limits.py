"""One set of posting limits, whatever the door: files and JSON Lines (`matcher index`), JSON PUT, Markdown PUT and
the HTTP batch. Each case is refused at every door with the field named, and the edge value is accepted at every door."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from matcher import limits
from matcher.api import Settings, create_app
from matcher.engine import Matcher
from matcher.postings import load_postings
from tests.helpers import FakeEmbedder, markdown

KEY = "limits-key"
AUTH = {"Authorization": f"Bearer {KEY}"}
BODY = "We build APIs in Go and Postgres."

# name -> (front-matter fields over the limit, the field the refusal names, fields exactly at the limit)
CASES: dict[str, tuple[dict[str, Any], str, dict[str, Any]]] = {
    "hashtags": ({"hashtags": [f"t{i}" for i in range(10_000)]}, "hashtags",
                 {"hashtags": [f"t{i}" for i in range(limits.MAX_HASHTAGS)]}),
    "long tag": ({"hashtags": ["x" * (limits.MAX_TAG_CHARS + 1)]}, "hashtags",
                 {"hashtags": ["x" * limits.MAX_TAG_CHARS]}),
    "title": ({"title": "T" * (limits.MAX_TITLE_CHARS + 1)}, "title", {"title": "T" * limits.MAX_TITLE_CHARS}),
    "company": ({"companyName": "C" * (limits.MAX_FIELD_CHARS + 1)}, "companyName",
                {"companyName": "C" * limits.MAX_FIELD_CHARS}),
    "timestamp": ({"timestamp": limits.MAX_TIMESTAMP_MS + 1}, "timestamp", {"timestamp": limits.MAX_TIMESTAMP_MS}),
    "negative timestamp": ({"timestamp": -1}, "timestamp", {"timestamp": limits.MIN_TIMESTAMP_MS}),
    "featured": ({"featured": limits.MAX_SAFE_INT + 1}, "featured", {"featured": limits.MAX_SAFE_INT}),
    "body": ({"body": "b" * (limits.MAX_POSTING_CHARS + 1)}, "body", {"body": "b" * limits.MAX_POSTING_CHARS}),
}


def record(posting_id: str, fields: dict[str, Any]) -> dict[str, Any]:
    return {"id": posting_id, "title": "Backend developer", "body": BODY, **fields}


def as_markdown(fields: dict[str, Any]) -> str:
    meta = {k: v for k, v in fields.items() if k not in ("title", "body")}
    return markdown(fields.get("title", "Backend developer"), fields.get("body", BODY), **meta)


@pytest.fixture(scope="module")
def client(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TestClient]:
    folder = tmp_path_factory.mktemp("limits-index")
    matcher = Matcher.open(folder, embedder=FakeEmbedder())
    settings = Settings(index_dir=folder, api_keys=(KEY,), warm_up=False, refresh_seconds=-1, allow_empty_index=True)
    with TestClient(create_app(matcher=matcher, settings=settings)) as c:
        yield c


def via_markdown_file(tmp: Path, client: TestClient, fields: dict[str, Any]) -> str | None:
    (tmp / "p.md").write_text(as_markdown(fields), encoding="utf-8")
    report = load_postings([tmp / "p.md"])
    return None if report.postings else f"{report.rejected[0].field}: {report.rejected[0].reason}"


def via_json_lines(tmp: Path, client: TestClient, fields: dict[str, Any]) -> str | None:
    (tmp / "p.jsonl").write_text(json.dumps(record("p", fields)) + "\n", encoding="utf-8")
    report = load_postings([tmp / "p.jsonl"])
    return None if report.postings else f"{report.rejected[0].field}: {report.rejected[0].reason}"


def _http(response: Any) -> str | None:
    if response.status_code == 200:
        return None
    assert response.status_code == 422, response.text
    return response.json()["error"]["message"]


def via_put_json(tmp: Path, client: TestClient, fields: dict[str, Any]) -> str | None:
    body = {k: v for k, v in record("p", fields).items() if k != "id"}
    return _http(client.put("/v1/postings/p", json=body, headers=AUTH))


def via_put_markdown(tmp: Path, client: TestClient, fields: dict[str, Any]) -> str | None:
    return _http(client.put("/v1/postings/p", content=as_markdown(fields).encode(),
                            headers={**AUTH, "content-type": "text/markdown"}))


def via_batch(tmp: Path, client: TestClient, fields: dict[str, Any]) -> str | None:
    return _http(client.post("/v1/postings:batch", json={"postings": [record("p", fields)]}, headers=AUTH))


DOORS: dict[str, Callable[[Path, TestClient, dict[str, Any]], str | None]] = {
    "markdown file": via_markdown_file, "json lines": via_json_lines, "PUT json": via_put_json,
    "PUT markdown": via_put_markdown, "batch": via_batch,
}


@pytest.mark.parametrize("door", sorted(DOORS))
@pytest.mark.parametrize("case", sorted(CASES))
def test_the_same_limits_at_every_door(tmp_path: Path, client: TestClient, door: str, case: str) -> None:
    over, field, edge = CASES[case]
    refusal = DOORS[door](tmp_path, client, over)
    assert refusal is not None, f"{door} accepted {case} over the limit"
    assert field in refusal, refusal
    assert DOORS[door](tmp_path, client, edge) is None, f"{door} refused {case} at the limit"


def test_ten_thousand_hashtags_are_refused_quickly_with_a_clear_message(client: TestClient) -> None:
    text = as_markdown({"hashtags": ",".join(f"#t{i}" for i in range(10_000))})
    response = client.put("/v1/postings/many-tags", content=text.encode(),
                          headers={**AUTH, "content-type": "text/markdown"})
    assert response.status_code == 422
    assert response.json()["error"]["message"] == (
        f"PUT many-tags: hashtags: 10000 tags, more than the limit of {limits.MAX_HASHTAGS}")


def test_front_matter_dates_are_timestamps(tmp_path: Path) -> None:
    (tmp_path / "dated.md").write_text("---\ntitle: T\ntimestamp: 2021-03-01\nlocation: 2021-03-01\n---\nbody\n")
    (tmp_path / "stamped.jsonl").write_text(json.dumps(record("iso", {"timestamp": "2021-03-01T00:00:00Z"})) + "\n")
    report = load_postings([tmp_path])
    assert not report.rejected
    assert {p.id: p.timestamp for p in report.postings} == {"dated": 1614556800000, "iso": 1614556800000}
    assert report.postings[0].location == "2021-03-01"


def test_file_names_that_are_not_ids_are_reported(tmp_path: Path) -> None:
    (tmp_path / "my job.md").write_text(as_markdown({}))
    (tmp_path / "ok-job.md").write_text(as_markdown({}))
    report = load_postings([tmp_path])
    assert [p.id for p in report.postings] == ["ok-job"]
    (rejection,) = report.rejected
    assert rejection.field == "id" and "file name makes the id 'my job'" in rejection.reason
    assert "rename the file" in rejection.reason


def test_dangling_symlinks_are_reported(tmp_path: Path) -> None:
    (tmp_path / "ok-job.md").write_text(as_markdown({}))
    (tmp_path / "gone.md").symlink_to(tmp_path / "nowhere.md")
    (tmp_path / "gone.jsonl").symlink_to(tmp_path / "nowhere.jsonl")
    report = load_postings([tmp_path])
    assert [p.id for p in report.postings] == ["ok-job"]
    assert sorted(Path(r.source).name for r in report.rejected) == ["gone.jsonl", "gone.md"]
    assert all("a symlink to" in r.reason and "does not exist" in r.reason for r in report.rejected)


def test_duplicate_ids_in_one_http_batch_are_refused_naming_both(client: TestClient) -> None:
    postings = [record("dup", {}), record("other", {}), record("dup", {"title": "Second"})]
    response = client.post("/v1/postings:batch", json={"postings": postings}, headers=AUTH)
    assert response.status_code == 422
    error = response.json()["error"]
    assert error["message"] == "postings[2]: id: duplicate id 'dup': postings[0] already defines it (the first one is kept)"
    assert error["details"] == {"source": "postings[2]", "field": "id"}
    assert client.get("/v1/postings/other").status_code == 404  # the batch is atomic: nothing was written


def test_every_limit_is_documented_with_its_value() -> None:
    from tests.conftest import ROOT

    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    for limit in limits.ALL_LIMITS:
        assert f"| `{limit.name}` | {limit.value} |" in readme, f"{limit.name} = {limit.value} is not in the README"


@pytest.mark.parametrize("field", ["body", "companyName", "hashtags"])
def test_a_lone_surrogate_is_refused_by_field_and_the_other_postings_load(tmp_path: Path, field: str) -> None:
    # JSON can spell a lone surrogate ("\ud800"), which is not text: it must be one rejection, never a traceback
    # that stops the rest of the file.
    bad = record("bad", {field: "Go \ud800 services" if field != "hashtags" else ["go", "x\udfff"]})
    lines = [json.dumps(record("good-1", {})), json.dumps(bad), json.dumps(record("good-2", {}))]
    (tmp_path / "p.jsonl").write_text("\n".join(lines) + "\n", encoding="utf-8")
    report = load_postings([tmp_path / "p.jsonl"])
    assert [p.id for p in report.postings] == ["good-1", "good-2"]
    assert [(r.field, "unpaired surrogate" in r.reason) for r in report.rejected] == [(field, True)]


@pytest.mark.parametrize("text, skills", [("Go developer \udcff with AWS", ()), (None, ("go", "k8s\ud800"))])
def test_a_candidate_that_is_not_text_gets_one_clear_error(text: str | None, skills: tuple[str, ...]) -> None:
    from matcher.errors import InvalidInput
    from matcher.query import Candidate

    with pytest.raises(InvalidInput, match="unpaired surrogate .* send UTF-8 text"):
        Candidate(text, skills)
