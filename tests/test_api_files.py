"""CV files through the HTTP API: multipart forms beside JSON, clear errors, nothing on disk or in the logs."""

from __future__ import annotations

import io
import json
import logging
import os
import tempfile
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from matcher.api import Settings, create_app
from matcher.documents import read_document
from matcher.engine import Matcher
from tests.documents_helpers import make_blank_pdf, make_docx, make_encrypted_pdf, make_pdf

CV = ("Backend engineer\nSix years building payment APIs in Python and Django on PostgreSQL.\n"
      "Ran services on AWS with Docker and Kubernetes; on call for a team of five.")
FILTERS = {"job_type": "software"}


@pytest.fixture(scope="module")
def client(seed_index: Path, embedder) -> Iterator[TestClient]:
    settings = Settings(index_dir=seed_index, warm_up=False, refresh_seconds=-1)
    with TestClient(create_app(matcher=Matcher.load(seed_index, embedder=embedder), settings=settings)) as c:
        yield c


def ranked(response: Any) -> list[dict[str, Any]]:
    assert response.status_code == 200, response.text
    return response.json()["results"]


def error(response: Any, status: int, code: str) -> str:
    assert response.status_code == status, response.text
    body = response.json()["error"]
    assert body["code"] == code and body["status"] == status
    return body["message"]


@pytest.mark.parametrize(("name", "make"), [("cv.pdf", make_pdf), ("cv.docx", make_docx),
                                            ("cv.md", lambda t: ("# CV\n" + t).encode())])
def test_match_a_file_ranks_like_its_text(client: TestClient, name: str, make: Any) -> None:
    data = make(CV)
    text = read_document(data, name).text
    form = {"skills": ["terraform", "go"], "k": "4", "filters": json.dumps(FILTERS)}
    from_file = ranked(client.post("/v1/match", files={"file": (name, data)}, data=form))
    from_json = ranked(client.post("/v1/match", json={"text": text, "skills": ["terraform", "go"], "k": 4,
                                                      "filters": FILTERS}))
    assert from_file == from_json and len(from_file) == 4
    assert any(m["candidate_term"].lower() == "terraform" for r in from_file for m in r["matched_tags"])


def test_form_without_file_is_the_json_form(client: TestClient) -> None:
    files = {"text": (None, CV), "k": (None, "3")}  # multipart, no file part
    assert ranked(client.post("/v1/match", files=files)) == ranked(client.post("/v1/match", json={"text": CV, "k": 3}))


@pytest.mark.parametrize(("upload", "status", "code", "needle"), [
    (("scan.pdf", make_blank_pdf()), 422, "no_text", "scanned"),
    (("cv.pdf", make_encrypted_pdf(CV)), 422, "encrypted_file", "password"),
    (("photo.png", b"\x89PNG\r\n\x1a\n" + bytes(64)), 415, "unsupported_file_type", ".png"),
    (("cv.doc", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(64)), 415, "unsupported_file_type", ".doc"),
    (("cv.pdf", b"not a pdf"), 422, "unreadable_file", "not a valid PDF"),
])
def test_unreadable_files_get_a_clear_error(client: TestClient, upload: tuple[str, bytes], status: int, code: str,
                                            needle: str) -> None:
    assert needle in error(client.post("/v1/match", files={"file": upload}), status, code)


def test_form_mistakes(client: TestClient) -> None:
    cv = ("cv.txt", CV.encode())
    error(client.post("/v1/match", files={"file": cv}, data={"text": CV}), 422, "invalid_input")
    assert "colour" in error(client.post("/v1/match", files={"file": cv}, data={"colour": "red"}), 422, "invalid_input")
    assert "filters" in error(client.post("/v1/match", files={"file": cv}, data={"filters": "{"}), 422, "invalid_input")
    error(client.post("/v1/match", files={"file": cv}, data={"k": "many"}), 422, "invalid_input")
    error(client.post("/v1/match", files={"k": (None, "3")}), 422, "invalid_input")  # neither text nor skills
    error(client.post("/v1/match", files={"skills": ("s.txt", b"go")}), 422, "invalid_input")
    error(client.post("/v1/match", content=CV, headers={"content-type": "text/plain"}), 415, "unsupported_media_type")


def test_limits_are_the_same_as_for_text(seed_index: Path, embedder) -> None:
    settings = Settings(index_dir=seed_index, warm_up=False, refresh_seconds=-1, max_text_chars=100,
                        max_body_bytes=100_000)
    with TestClient(create_app(matcher=Matcher.load(seed_index, embedder=embedder), settings=settings)) as c:
        assert "100 characters" in error(c.post("/v1/match", files={"file": ("cv.docx", make_docx(CV))}), 413,
                                         "file_too_large")
        error(c.post("/v1/match", files={"file": ("cv.txt", b"x" * 150_000)}), 413, "payload_too_large")
        error(c.post("/v1/match", json={"text": CV}), 422, "invalid_input")  # the same limit for JSON text


def test_score_with_a_file_per_candidate(client: TestClient) -> None:
    request = {"candidates": [{"id": "ana"}, {"id": "bo", "skills": ["figma"]}], "k": 3}
    files = [("request", (None, json.dumps(request))), ("ana", ("ana.pdf", make_pdf(CV))),
             ("bo", ("bo.docx", make_docx("Product designer, user research")))]
    from_files = client.post("/v1/score", files=files)
    assert from_files.status_code == 200, from_files.text
    texts = {"ana": read_document(make_pdf(CV)).text, "bo": "Product designer, user research"}
    as_json = {"candidates": [{"id": "ana", "text": texts["ana"]}, {"id": "bo", "text": texts["bo"], "skills": ["figma"]}],
               "k": 3}
    expected = client.post("/v1/score", json=as_json).json()["results"]
    assert from_files.json()["results"] == expected
    stray = [("request", (None, json.dumps(request))), ("zed", ("z.txt", b"hello"))]
    assert "zed" in error(client.post("/v1/score", files=stray), 422, "invalid_input")
    error(client.post("/v1/score", files=[("ana", ("a.txt", b"hi"))]), 422, "invalid_input")  # no request field


def padded_docx(size: int) -> bytes:
    """A real CV DOCX made larger than Starlette's 1 MB spool threshold with an unreferenced, incompressible part."""
    out = io.BytesIO(make_docx(CV))
    with zipfile.ZipFile(out, "a", compression=zipfile.ZIP_STORED) as archive:
        archive.writestr("word/media/padding.bin", os.urandom(size))
    return out.getvalue()


class DiskWatch:
    """Records (and refuses) every way `tempfile` has to put bytes on disk."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.calls: list[str] = []
        for name in ("TemporaryFile", "NamedTemporaryFile", "mkstemp", "mkdtemp"):
            monkeypatch.setattr(tempfile, name, self._refuse(name, getattr(tempfile, name)))

    def _refuse(self, name: str, original: Any) -> Any:
        def refuse(*args: Any, **kwargs: Any) -> Any:
            self.calls.append(name)
            raise OSError(f"test: {name} called: an upload went to disk")
        return refuse


def test_uploads_never_touch_the_disk(client: TestClient, monkeypatch: pytest.MonkeyPatch, tmp_path: Path,
                                      caplog: pytest.LogCaptureFixture) -> None:
    data = padded_docx(1_500_000)
    assert len(data) > 1_400_000
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    watch = DiskWatch(monkeypatch)
    with caplog.at_level(logging.DEBUG):
        results = ranked(client.post("/v1/match", files={"file": ("Zed_Quixote_CV.docx", data)}, data={"k": "2"}))
    assert len(results) == 2 and watch.calls == [] and list(tmp_path.iterdir()) == []
    assert "Zed_Quixote" not in caplog.text and "payment APIs" not in caplog.text


def test_the_disk_watch_catches_starlettes_default_spool(monkeypatch: pytest.MonkeyPatch) -> None:
    """The check above can fail: Starlette's stock parser spools the same upload to a temporary file."""
    import asyncio

    from starlette.datastructures import Headers
    from starlette.formparsers import MultiPartParser

    request = TestClient(create_app(settings=Settings(warm_up=False))).build_request(
        "POST", "/v1/match", files={"file": ("cv.docx", padded_docx(1_500_000))})
    body = request.read()

    async def stream() -> Any:
        yield body

    watch = DiskWatch(monkeypatch)
    parser = MultiPartParser(Headers(raw=[(k.lower(), v) for k, v in request.headers.raw]), stream())
    with pytest.raises(OSError, match="went to disk"):
        asyncio.run(parser.parse())
    assert watch.calls == ["TemporaryFile"]
