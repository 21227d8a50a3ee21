"""The HTTP API through the real app (`with TestClient(create_app(...))`), over a real index of the seeds."""

from __future__ import annotations

import json
import logging
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from matcher.api import Settings, create_app
from matcher.cli import app as cli
from matcher.engine import Matcher
from matcher.query import Candidate
from tests.conftest import ROOT

KEY = "test-key-123"
AUTH = {"Authorization": f"Bearer {KEY}"}
SKETCH = "backend-developer-sketch-gPFMI"
SKILLS = ["go", "postgres", "aws"]
CV = ("Backend engineer, six years building payment APIs in Python and Django on PostgreSQL. "
      "Ran services on AWS with Docker and Kubernetes; on call for a team of five.")
RESULT_KEYS = {"posting_id", "title", "company", "url", "score", "match_percent", "components", "matched_tags", "missing_tags",
               "passage"}
ERROR_KEYS = {"code", "message", "status", "details"}


def make_settings(index: Path, **overrides: Any) -> Settings:
    values: dict[str, Any] = {"index_dir": index, "api_keys": (KEY,), "warm_up": False, "refresh_seconds": 0}
    return Settings(**(values | overrides))


@pytest.fixture(scope="module")
def read_matcher(seed_index: Path, embedder) -> Matcher:
    return Matcher.load(seed_index, embedder=embedder)


@pytest.fixture(scope="module")
def client(read_matcher: Matcher, seed_index: Path) -> Iterator[TestClient]:
    with TestClient(create_app(matcher=read_matcher, settings=make_settings(seed_index))) as c:
        yield c


@pytest.fixture()
def writer(writable_index: Path, embedder) -> Iterator[TestClient]:
    matcher = Matcher.load(writable_index, embedder=embedder)
    with TestClient(create_app(matcher=matcher, settings=make_settings(writable_index))) as c:
        yield c


def assert_error(response: Any, status: int, code: str | None = None) -> dict[str, Any]:
    """The one error shape: {"error": {code, message, status, details}}, as JSON."""
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/json")
    body = response.json()
    assert set(body) == {"error"} and set(body["error"]) == ERROR_KEYS
    error = body["error"]
    assert error["status"] == status and isinstance(error["message"], str) and error["message"]
    assert isinstance(error["details"], dict) and isinstance(error["code"], str)
    if code is not None:
        assert error["code"] == code
    return error


def ids_scores(results: list[dict[str, Any]]) -> list[tuple[str, float]]:
    return [(r["posting_id"], r["score"]) for r in results]


def posting(title: str, body: str, **extra: Any) -> dict[str, Any]:
    return {"title": title, "body": body, "companyName": "Acme", "hashtags": "#python", **extra}


# -- service endpoints -----------------------------------------------------------------------------------
def test_health_ready_docs(client: TestClient, read_matcher: Matcher) -> None:
    assert client.get("/healthz").json() == {"status": "ok"}
    ready = client.get("/readyz").json()
    assert ready["status"] == "ready" and ready["postings"] == len(read_matcher) >= 30
    assert ready["model"] == read_matcher.embedder.model_id and ready["version"] == read_matcher.version
    assert client.get("/docs").status_code == 200
    paths = client.get("/openapi.json").json()["paths"]
    assert {"/v1/match", "/v1/score", "/v1/tags", "/v1/postings/{id}", "/v1/postings/{id}/similar",
            "/v1/postings:batch", "/healthz", "/readyz", "/metrics"} <= set(paths)


def test_spec_states_integer_bounds_as_json_schema(client: TestClient) -> None:
    # Clients (and the fuzzer) read minimum / maximum; pydantic's own ge / le keys would leave bounds unstated.
    spec = client.get("/openapi.json").text
    assert '"ge":' not in spec and '"le":' not in spec
    bodies = client.get("/openapi.json").json()["components"]["schemas"]
    k = next(v for name, v in bodies.items() if name.startswith("MatchRequest"))["properties"]["k"]
    assert k["minimum"] == 1 and k["maximum"] >= 1


def test_metrics_count_routes_by_template(client: TestClient, read_matcher: Matcher) -> None:
    client.get(f"/v1/postings/{SKETCH}")
    client.get("/v1/postings/nope")
    client.get("/no/such/route")
    text = client.get("/metrics").text
    assert 'matcher_http_requests_total{method="GET",route="/v1/postings/{id}",status="200"}' in text
    assert 'matcher_http_requests_total{method="GET",route="/v1/postings/{id}",status="404"}' in text
    assert 'route="<unmatched>",status="404"' in text
    assert 'matcher_http_request_duration_seconds_bucket{le="0.005",method="GET",route="/v1/postings/{id}"' in text
    assert f"matcher_index_postings {float(len(read_matcher))}" in text


def test_apps_have_their_own_registries(seed_index: Path, read_matcher: Matcher) -> None:
    for _ in range(2):  # a second app in the same process must not clash on metric names
        with TestClient(create_app(matcher=read_matcher, settings=make_settings(seed_index))) as c:
            assert c.get("/metrics").status_code == 200


# -- match, similar, tags --------------------------------------------------------------------------------
def test_match_returns_the_library_results(client: TestClient, read_matcher: Matcher) -> None:
    response = client.post("/v1/match", json={"skills": SKILLS, "k": 5})
    assert response.status_code == 200, response.text
    body = response.json()
    assert set(body) == {"results", "candidates_examined", "blinded", "provenance", "took_ms"}
    assert body["blinded"] == {"enabled": True, "removed": {}}  # a skills list alone: nothing to remove
    assert body["provenance"] == read_matcher.match_response(Candidate(None, tuple(SKILLS)), k=5).provenance.to_dict()
    assert body["provenance"]["index_version"] == read_matcher.version and body["provenance"]["weights"]
    assert body["results"] and all(set(r) == RESULT_KEYS for r in body["results"])
    expected = [r.to_dict() for r in read_matcher.match(skills=SKILLS, k=5)]
    assert body["results"] == expected
    live = sum(1 for pid in read_matcher.view.where if not read_matcher.get(pid).archived)
    assert body["candidates_examined"] == live and body["took_ms"] > 0


def test_match_text_and_filters(client: TestClient, read_matcher: Matcher) -> None:
    filters = {"tags_any": ["python"], "posted_after": "2020-01-01", "include_archived": True}
    body = client.post("/v1/match", json={"text": CV, "skills": ["django"], "k": 3, "filters": filters}).json()
    expected = read_matcher.match(text=CV, skills=["django"], k=3, filters=filters)
    assert ids_scores(body["results"]) == [(r.posting_id, r.score) for r in expected]
    assert all("python" in read_matcher.tags_of(r["posting_id"]) for r in body["results"])
    nothing = client.post("/v1/match", json={"skills": SKILLS, "filters": {"company": "no such company"}}).json()
    assert nothing["results"] == [] and nothing["candidates_examined"] == 0


def test_get_posting_and_similar(client: TestClient, read_matcher: Matcher) -> None:
    got = client.get(f"/v1/postings/{SKETCH}").json()
    assert got["id"] == SKETCH and got["company"] == "Sketch" and got["archived"] is True
    assert got["tags"] == list(read_matcher.tags_of(SKETCH)) and "golang" in got["hashtags"]
    similar = client.get(f"/v1/postings/{SKETCH}/similar", params={"k": 3, "include_archived": True}).json()
    expected = read_matcher.similar(SKETCH, k=3, filters={"include_archived": True})
    assert similar["results"] == [r.to_dict() for r in expected] and len(expected) == 3
    assert_error(client.get("/v1/postings/no-such-posting"), 404, "not_found")
    assert_error(client.get("/v1/postings/no-such-posting/similar"), 404, "not_found")


def test_tags_vocabulary_for_autocompletion(client: TestClient, read_matcher: Matcher) -> None:
    body = client.get("/v1/tags").json()
    rows = {row["tag"]: row for row in body["tags"]}
    assert body["count"] == len(rows) == len(read_matcher.view.vocab.tags)
    assert rows["python"]["postings"] >= 2 and rows["python"]["name"]
    assert any(row["aliases"] for row in rows.values())
    counts = [row["postings"] for row in body["tags"]]
    assert counts == sorted(counts, reverse=True)
    go = client.get("/v1/tags", params={"prefix": "golang", "min_postings": 1}).json()
    assert "golang" in {row["tag"] for row in go["tags"]} and all(r["postings"] >= 1 for r in go["tags"])
    assert client.get("/v1/tags", params={"limit": 2}).json()["tags"] == body["tags"][:2]


# -- batch scoring ---------------------------------------------------------------------------------------
def test_score_top_k_json_and_ndjson(client: TestClient, read_matcher: Matcher) -> None:
    request = {"candidates": [{"id": "a", "skills": SKILLS}, {"id": "b", "text": CV}], "k": 4}
    body = client.post("/v1/score", json=request).json()
    assert [line["id"] for line in body["results"]] == ["a", "b"]
    assert body["results"][0]["results"] == [r.to_dict() for r in read_matcher.match(skills=SKILLS, k=4)]
    assert body["results"][1]["results"] == [r.to_dict() for r in read_matcher.match(text=CV, k=4)]
    streamed = client.post("/v1/score", json=request, headers={"Accept": "application/x-ndjson"})
    assert streamed.status_code == 200 and streamed.headers["content-type"].startswith("application/x-ndjson")
    lines = [json.loads(line) for line in streamed.text.splitlines()]
    assert [{k: v for k, v in line.items() if k != "provenance"} for line in lines] == body["results"]
    assert all(line["provenance"] == body["provenance"] for line in lines)


def test_score_pairs_with_explanations(client: TestClient, read_matcher: Matcher) -> None:
    top = read_matcher.match(skills=SKILLS, k=40)
    ids = [top[2].posting_id, top[0].posting_id, SKETCH]  # any order, archived ones too: filters do not apply
    request = {"candidates": [{"id": "a", "skills": SKILLS}], "posting_ids": ids}
    line = client.post("/v1/score", json=request).json()["results"][0]
    assert [r["posting_id"] for r in line["results"]] == ids and line["candidates_examined"] == 3
    by_id = {r.posting_id: r.to_dict() for r in top}
    assert line["results"][0] == by_id[ids[0]] and line["results"][1] == by_id[ids[1]]  # same score as match
    assert set(line["results"][2]) == RESULT_KEYS
    unknown = client.post("/v1/score", json={**request, "posting_ids": [ids[0], "nope"]})
    assert assert_error(unknown, 404, "not_found")["details"]["unknown"] == ["nope"]


# -- errors and limits -----------------------------------------------------------------------------------
def test_every_error_path_has_the_canonical_shape(client: TestClient) -> None:
    assert_error(client.get("/no/such/route"), 404, "not_found")
    assert_error(client.delete("/v1/match"), 405, "method_not_allowed")
    assert_error(client.post("/v1/match", json={}), 422, "invalid_input")
    assert_error(client.post("/v1/match", json={"skills": ["  "]}), 422, "invalid_input")
    assert_error(client.post("/v1/match", content=b"{not json", headers={"content-type": "application/json"}), 422)
    assert_error(client.post("/v1/match", json={"skills": SKILLS, "k": "5"}), 422, "invalid_input")
    assert_error(client.post("/v1/match", json={"skills": SKILLS, "filters": {"colour": "red"}}), 422)
    assert_error(client.post("/v1/match", json={"skills": SKILLS, "filters": {"posted_after": "2021-02-30"}}), 422)
    assert_error(client.get("/v1/postings/bad id"), 422, "invalid_input")
    assert_error(client.get(f"/v1/postings/{SKETCH}/similar", params={"k": 0}), 422, "invalid_input")
    assert_error(client.put(f"/v1/postings/{SKETCH}", json=posting("T", "B")), 401, "unauthorized")
    assert_error(client.put("/v1/postings/x", content=b"hi", headers={**AUTH, "content-type": "text/plain"}), 415)
    error = assert_error(client.post("/v1/match", json={"k": 1000, "skills": []}), 422)
    assert {e["loc"] for e in error["details"]["errors"]} >= {"body.k", "body.skills"}


def test_validation_errors_never_echo_input(client: TestClient) -> None:
    secret = "zebra-secret-cv-" * 10
    response = client.post("/v1/match", json={"text": secret, "k": 0})
    assert_error(response, 422) and secret not in response.text


def test_configured_limits(seed_index: Path, read_matcher: Matcher) -> None:
    limits = {"max_k": 5, "max_text_chars": 50, "max_skills": 3, "max_candidates": 2, "max_pairs": 3,
              "max_body_bytes": 2_000}
    with TestClient(create_app(matcher=read_matcher, settings=make_settings(seed_index, **limits))) as c:
        assert c.post("/v1/match", json={"skills": SKILLS, "k": 5}).status_code == 200
        assert_error(c.post("/v1/match", json={"skills": SKILLS, "k": 6}), 422, "invalid_input")
        assert_error(c.post("/v1/match", json={"text": "x" * 51}), 422, "invalid_input")
        assert_error(c.post("/v1/match", json={"skills": ["a", "b", "c", "d"]}), 422, "invalid_input")
        three = [{"id": str(i), "skills": ["go"]} for i in range(3)]
        assert_error(c.post("/v1/score", json={"candidates": three}), 422, "invalid_input")
        pairs = {"candidates": three[:2], "posting_ids": [SKETCH, SKETCH]}
        assert_error(c.post("/v1/score", json=pairs), 422, "invalid_input")
        big = assert_error(c.post("/v1/match", json={"text": "x" * 3_000}), 413, "payload_too_large")
        assert big["details"]["limit_bytes"] == 2_000
        chunked = c.post("/v1/match", content=iter([b'{"text": "', b"x" * 3_000, b'"}']),
                         headers={"content-type": "application/json"})
        assert_error(chunked, 413, "payload_too_large")
        schema = c.get("/openapi.json").json()["components"]["schemas"]
        assert schema["MatchRequest"]["properties"]["k"]["maximum"] == 5


def test_default_limits_match_the_issue() -> None:
    s = Settings()
    assert (s.max_text_chars, s.max_skills, s.max_k, s.max_candidates) == (100_000, 200, 100, 1_000)
    assert s.api_keys == () and s.read_auth is False


def test_500_is_canonical_and_logs_no_input(seed_index: Path, read_matcher: Matcher,
                                            caplog: pytest.LogCaptureFixture) -> None:
    class Broken(Matcher):
        def match_response(self, *args: Any, **kwargs: Any) -> Any:
            raise RuntimeError(f"boom {args}")

    broken = Broken.load(seed_index, embedder=read_matcher.embedder)
    with TestClient(create_app(matcher=broken, settings=make_settings(seed_index))) as c, caplog.at_level(logging.INFO):
        error = assert_error(c.post("/v1/match", json={"text": "secret-cv-words"}), 500, "internal_error")
    assert "secret" not in error["message"]
    assert "RuntimeError" in caplog.text and "secret-cv-words" not in caplog.text


def test_503_until_the_index_is_loaded(seed_index: Path) -> None:
    c = TestClient(create_app(settings=make_settings(seed_index)))  # no `with`: the lifespan has not run
    assert_error(c.get("/readyz"), 503, "index_missing")
    assert_error(c.post("/v1/match", json={"skills": SKILLS}), 503, "index_missing")
    assert c.get("/healthz").status_code == 200


def test_lifespan_loads_the_index(seed_index: Path) -> None:
    with TestClient(create_app(settings=make_settings(seed_index))) as c:
        assert c.get("/readyz").json()["postings"] >= 30
        assert c.post("/v1/match", json={"skills": SKILLS, "k": 1}).json()["results"]


# -- auth ------------------------------------------------------------------------------------------------
def test_writes_need_a_configured_key(writable_index: Path, embedder) -> None:
    matcher = Matcher.load(writable_index, embedder=embedder)
    body = posting("Basket weaver", "We weave baskets.")
    with TestClient(create_app(matcher=matcher, settings=make_settings(writable_index, api_keys=()))) as c:
        assert_error(c.put("/v1/postings/w1", json=body, headers=AUTH), 403, "forbidden")
        assert_error(c.delete(f"/v1/postings/{SKETCH}", headers=AUTH), 403, "forbidden")
    with TestClient(create_app(matcher=matcher, settings=make_settings(writable_index))) as c:
        missing = c.put("/v1/postings/w1", json=body)
        assert_error(missing, 401, "unauthorized") and missing.headers["www-authenticate"] == "Bearer"
        assert_error(c.put("/v1/postings/w1", json=body, headers={"Authorization": "Bearer nope"}), 401)
        assert_error(c.put("/v1/postings/w1", json=body, headers={"Authorization": f"Basic {KEY}"}), 401)
        assert_error(c.post("/v1/postings:batch", json={"postings": [{**body, "id": "w2"}]}), 401)
        assert_error(c.delete(f"/v1/postings/{SKETCH}"), 401)
        assert c.get("/v1/postings/w1").status_code == 404  # nothing was written
        assert c.put("/v1/postings/w1", json=body, headers=AUTH).status_code == 200


def test_keyed_reads(seed_index: Path, read_matcher: Matcher) -> None:
    settings = make_settings(seed_index, api_keys=("k1", "k2"), read_auth=True)
    with TestClient(create_app(matcher=read_matcher, settings=settings)) as c:
        assert_error(c.post("/v1/match", json={"skills": SKILLS}), 401, "unauthorized")
        assert_error(c.get("/v1/tags"), 401)
        assert c.post("/v1/match", json={"skills": SKILLS}, headers={"Authorization": "Bearer k2"}).status_code == 200
        assert c.get("/healthz").status_code == 200 and c.get("/readyz").status_code == 200


def test_api_keys_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MATCHER_API_KEYS", " a, b ,,c ")
    monkeypatch.setenv("MATCHER_MAX_K", "7")
    s = Settings()
    assert s.api_keys == ("a", "b", "c") and s.max_k == 7


# -- live writes -----------------------------------------------------------------------------------------
WEAVER = ("Underwater basket weaver", "Weave wicker baskets underwater. You know rattan, willow and reed, "
          "and you hold your breath for a long time while weaving.")


def test_upsert_then_match_sees_it_and_delete_hides_it(writer: TestClient) -> None:
    query = {"text": "underwater basket weaving with rattan and willow", "k": 3}
    before = writer.post("/v1/match", json=query).json()["results"]
    assert "weaver-1" not in {r["posting_id"] for r in before}
    put = writer.put("/v1/postings/weaver-1", json=posting(*WEAVER, hashtags=["crafts"]), headers=AUTH)
    assert put.status_code == 200, put.text
    written = put.json()
    assert written["ids"] == ["weaver-1"] and written["indexed"] == 1 and written["version"]
    assert writer.get("/readyz").json()["version"] == written["version"]
    assert writer.post("/v1/match", json=query).json()["results"][0]["posting_id"] == "weaver-1"
    assert writer.get("/v1/postings/weaver-1").json()["title"] == WEAVER[0]
    gone = writer.delete("/v1/postings/weaver-1", headers=AUTH)
    assert gone.status_code == 200 and gone.json()["removed"] == 1
    assert "weaver-1" not in {r["posting_id"] for r in writer.post("/v1/match", json=query).json()["results"]}
    assert_error(writer.get("/v1/postings/weaver-1"), 404)
    assert_error(writer.delete("/v1/postings/weaver-1", headers=AUTH), 404, "not_found")


def test_put_markdown_and_batch(writer: TestClient) -> None:
    text = f'---\ntitle: "{WEAVER[0]}"\ncompanyName: Reeds Ltd\nhashtags: "#crafts"\n---\n\n{WEAVER[1]}\n'
    md = writer.put("/v1/postings/weaver-md", content=text.encode(),
                    headers={**AUTH, "content-type": "text/markdown; charset=utf-8"})
    assert md.status_code == 200, md.text
    assert writer.get("/v1/postings/weaver-md").json()["company"] == "Reeds Ltd"
    markdown = {**AUTH, "content-type": "text/markdown"}
    bad = writer.put("/v1/postings/weaver-bad", content=b"no front matter", headers=markdown)
    assert_error(bad, 422, "invalid_posting")
    batch = {"postings": [{**posting("Glassblower", "Blow glass vases in a hot shop."), "id": "glass-1"},
                          {**posting("Potter", "Throw stoneware pots on a wheel."), "id": "pot-1"}]}
    response = writer.post("/v1/postings:batch", json=batch, headers=AUTH)
    assert response.status_code == 200, response.text
    assert response.json()["ids"] == ["glass-1", "pot-1"] and response.json()["indexed"] == 2
    assert writer.get("/v1/postings/pot-1").json()["title"] == "Potter"
    assert_error(writer.put("/v1/postings/x", json={"title": "T"}, headers=AUTH), 422, "invalid_input")
    assert_error(writer.put("/v1/postings/x", json={**posting("T", "B"), "id": "y"}, headers=AUTH), 422)


def test_writes_survive_a_restart(writable_index: Path, embedder) -> None:
    settings = make_settings(writable_index)
    with TestClient(create_app(matcher=Matcher.load(writable_index, embedder=embedder), settings=settings)) as c:
        assert c.put("/v1/postings/weaver-1", json=posting(*WEAVER), headers=AUTH).status_code == 200
        assert c.delete(f"/v1/postings/{SKETCH}", headers=AUTH).status_code == 200
    with TestClient(create_app(matcher=Matcher.load(writable_index, embedder=embedder), settings=settings)) as c:
        assert c.get("/v1/postings/weaver-1").json()["title"] == WEAVER[0]
        assert_error(c.get(f"/v1/postings/{SKETCH}"), 404)


def test_a_second_process_picks_up_writes(writable_index: Path, embedder) -> None:
    """Two apps over one folder stand in for two workers: B reloads when CURRENT moves."""
    settings = make_settings(writable_index, refresh_seconds=0)
    a = create_app(matcher=Matcher.load(writable_index, embedder=embedder), settings=settings)
    b = create_app(matcher=Matcher.load(writable_index, embedder=embedder), settings=settings)
    with TestClient(a) as ca, TestClient(b) as cb:
        assert_error(cb.get("/v1/postings/weaver-1"), 404)
        assert ca.put("/v1/postings/weaver-1", json=posting(*WEAVER), headers=AUTH).status_code == 200
        assert cb.get("/v1/postings/weaver-1").status_code == 200
        assert cb.get("/readyz").json()["version"] == ca.get("/readyz").json()["version"]


# -- privacy ---------------------------------------------------------------------------------------------
def test_cv_text_and_skills_stay_out_of_logs_and_disk(writer: TestClient, writable_index: Path,
                                                     caplog: pytest.LogCaptureFixture) -> None:
    secret_text, secret_skill = "Zanzibarian falconry expert", "quixotic-skill-zz9"
    with caplog.at_level(logging.DEBUG):
        writer.post("/v1/match", json={"text": secret_text, "skills": [secret_skill]})
        writer.post("/v1/score", json={"candidates": [{"id": "c", "text": secret_text}]})
        writer.post("/v1/match", json={"text": secret_text, "k": 0})
    access = [r.getMessage() for r in caplog.records if r.name == "matcher.access"]
    assert any(line.startswith("POST /v1/match 200 ") and "in=" in line and "out=" in line for line in access)
    assert secret_text not in caplog.text and secret_skill not in caplog.text
    for file in writable_index.rglob("*"):
        if file.is_file():
            data = file.read_bytes()
            assert secret_text.encode() not in data and secret_skill.encode() not in data


# -- parity ----------------------------------------------------------------------------------------------
PERSONAL = ("Maria Gonzalez\nFemale, 52 years old, Mexican citizen, married with three children\n"
            "Email: maria@example.com  Phone: +1 415 555 0199\n")


@pytest.mark.parametrize("blind", [True, False])
def test_blinding_and_provenance_agree_across_library_cli_and_http(client: TestClient, read_matcher: Matcher,
                                                                   seed_index: Path, blind: bool) -> None:
    library = read_matcher.match_response(Candidate(PERSONAL + CV, tuple(SKILLS), blind), k=5).to_dict()
    flag = ["--blind"] if blind else ["--no-blind"]
    out = CliRunner().invoke(cli, ["match", "--text", PERSONAL + CV, "--skills", ",".join(SKILLS), "-k", "5", "--json",
                                   "--index", str(seed_index), *flag])
    assert out.exit_code == 0, out.output
    from_cli = json.loads(out.stdout)
    from_http = client.post("/v1/match", json={"text": PERSONAL + CV, "skills": SKILLS, "k": 5, "blind": blind}).json()
    from_http.pop("took_ms")
    assert library == from_cli == from_http
    removed = library["blinded"]["removed"]
    if blind:
        assert removed == {"name": 1, "email": 1, "phone": 1, "age": 1, "gender": 1, "nationality": 1, "family": 1}
        for secret in ("Maria", "Gonzalez", "maria@", "555 0199", "Mexican"):
            assert secret not in out.stdout and secret not in json.dumps(from_http)
    else:
        assert library["blinded"] == {"enabled": False, "removed": {}}
    table = CliRunner().invoke(cli, ["match", "--text", PERSONAL + CV, "-k", "2", "--index", str(seed_index), *flag])
    assert table.stdout.splitlines()[0] == ("blinded: name 1, email 1, phone 1, age 1, gender 1, nationality 1, family 1"
                                            if blind else "blinded: off")


def test_score_reports_blinding_per_candidate(client: TestClient, read_matcher: Matcher) -> None:
    body = {"candidates": [{"id": "a", "text": PERSONAL + CV}, {"id": "b", "skills": SKILLS}], "k": 3}
    answer = client.post("/v1/score", json=body).json()
    assert [c["blinded"]["removed"] for c in answer["results"]] == [
        {"name": 1, "email": 1, "phone": 1, "age": 1, "gender": 1, "nationality": 1, "family": 1}, {}]
    assert answer["provenance"]["index_version"] == read_matcher.version
    off = client.post("/v1/score", json={**body, "blind": False}).json()
    assert [c["blinded"] for c in off["results"]] == [{"enabled": False, "removed": {}}] * 2
    lines = client.post("/v1/score", json=body, headers={"accept": "application/x-ndjson"}).text.splitlines()
    assert [json.loads(line)["blinded"] for line in lines] == [c["blinded"] for c in answer["results"]]
    assert all(json.loads(line)["provenance"] == answer["provenance"] for line in lines)


def test_library_cli_and_http_agree(client: TestClient, read_matcher: Matcher, seed_index: Path) -> None:
    library = [(r.posting_id, r.score) for r in read_matcher.match(text=CV, skills=SKILLS, k=5)]
    out = CliRunner().invoke(cli, ["match", "--text", CV, "--skills", ",".join(SKILLS), "-k", "5", "--json",
                                   "--index", str(seed_index)])
    assert out.exit_code == 0, out.output
    from_cli = ids_scores(json.loads(out.stdout)["results"])
    from_http = ids_scores(client.post("/v1/match", json={"text": CV, "skills": SKILLS, "k": 5}).json()["results"])
    assert library == from_cli == from_http and len(library) == 5
    similar = CliRunner().invoke(cli, ["similar", SKETCH, "-k", "3", "--include-archived", "--json",
                                       "--index", str(seed_index)])
    http = client.get(f"/v1/postings/{SKETCH}/similar", params={"k": 3, "include_archived": True}).json()
    assert ids_scores(json.loads(similar.stdout)["results"]) == ids_scores(http["results"])


# -- concurrency -----------------------------------------------------------------------------------------
def test_parallel_matches_during_upserts_see_whole_versions(writer: TestClient) -> None:
    """Each write replaces two postings at once with generation N in title and body; a response that shows
    both must show one generation (no torn read), every response must add up, and reads go on during writes."""
    def batch(gen: int) -> dict[str, Any]:
        body = f"Glass harmonica tuner, generation {gen}. Tune glass harmonicas and repair crystal bowls."
        return {"postings": [{**posting(f"Glass harmonica tuner g{gen}", body), "id": pid} for pid in ("gh-a", "gh-b")]}

    assert writer.post("/v1/postings:batch", json=batch(0), headers=AUTH).status_code == 200
    problems: list[str] = []
    answered: list[tuple[float, float]] = []  # (sent, answered) of every read
    writing: list[tuple[float, float]] = []
    done = threading.Event()

    def read() -> None:
        while not done.is_set():
            sent = time.monotonic()
            response = writer.post("/v1/match", json={"text": "glass harmonica tuner", "k": 5})
            answered.append((sent, time.monotonic()))
            if response.status_code != 200:
                problems.append(f"{response.status_code} {response.text[:200]}")
                continue
            results = response.json()["results"]
            gens = {r["title"].rsplit(" g", 1)[1] for r in results if r["posting_id"] in ("gh-a", "gh-b")}
            if len(gens) > 1:
                problems.append(f"torn read: generations {gens}")
            for r in results:
                if abs(sum(r["components"].values()) - r["score"]) > 1e-5:
                    problems.append(f"score != sum of components for {r['posting_id']}")
            if [r["score"] for r in results] != sorted((r["score"] for r in results), reverse=True):
                problems.append("results out of order")

    readers = [threading.Thread(target=read) for _ in range(4)]
    for t in readers:
        t.start()
    try:
        for gen in range(1, 5):
            started = time.monotonic()
            response = writer.post("/v1/postings:batch", json=batch(gen), headers=AUTH)
            writing.append((started, time.monotonic()))
            assert response.status_code == 200, response.text
    finally:
        done.set()
        for t in readers:
            t.join()
    assert not problems, problems[:5]
    # Some read was both sent and answered while a write was being applied: writes do not block reads.
    assert any(ws < sent and done_at < we for sent, done_at in answered for ws, we in writing)
    final = writer.post("/v1/match", json={"text": "glass harmonica tuner", "k": 2}).json()["results"]
    assert {r["title"] for r in final} == {"Glass harmonica tuner g4"}


# -- serve and docs --------------------------------------------------------------------------------------
def test_serve_starts_uvicorn(monkeypatch: pytest.MonkeyPatch, seed_index: Path) -> None:
    import uvicorn

    calls: list[tuple[Any, dict[str, Any]]] = []
    monkeypatch.setattr(uvicorn, "run", lambda app, **kw: calls.append((app, kw)))
    monkeypatch.setenv("MATCHER_INDEX_DIR", str(seed_index))  # restored afterwards: serve --workers sets it
    runner = CliRunner()
    assert runner.invoke(cli, ["serve", "--index", str(seed_index), "--port", "8123"]).exit_code == 0
    app, options = calls[-1]
    assert options["port"] == 8123 and options["host"] == "127.0.0.1" and app.state.matcher is None
    result = runner.invoke(cli, ["serve", "--index", str(seed_index), "--workers", "2"])
    assert result.exit_code == 0, result.output
    target, options = calls[-1]
    assert target == "matcher.api.app:create_app" and options["factory"] and options["workers"] == 2
    missing = runner.invoke(cli, ["serve", "--index", str(seed_index / "nowhere")])
    assert missing.exit_code != 0 and "error: no index" in missing.output


def test_every_setting_is_documented() -> None:
    docs = (ROOT / "README.md").read_text() if (ROOT / "README.md").is_file() else ""
    if "## HTTP API" not in docs:
        docs = (ROOT / "docs" / "api.md").read_text()
    for name, field in Settings.model_fields.items():
        assert f"MATCHER_{name.upper()}" in docs, f"MATCHER_{name.upper()} is not documented"
        assert field.description, name


@pytest.mark.model
def test_warm_up_runs_one_whole_query_so_the_first_request_is_not_slow(seed_index: Path) -> None:
    from matcher.api.app import load_matcher

    matcher = load_matcher(make_settings(seed_index, warm_up=True))
    # What a first query would otherwise build: the term-major counts every BM25 reads.
    assert all("tf_csc" in vars(seg) for seg in matcher.view.segments)
