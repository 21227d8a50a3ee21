"""The pages the service serves without a browser: offline API docs (assets local, no external URL)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from matcher.api import Settings, create_app
from matcher.engine import Matcher

EXTERNAL = re.compile(r"""(?:src|href)\s*=\s*["']?\s*(?:https?:)?//""", re.I)


@pytest.fixture(scope="module")
def client(seed_index: Path, embedder) -> Iterator[TestClient]:
    settings = Settings(index_dir=seed_index, warm_up=False, refresh_seconds=-1)
    with TestClient(create_app(matcher=Matcher.load(seed_index, embedder=embedder), settings=settings)) as c:
        yield c


def local_assets(client: TestClient, html: str) -> list[str]:
    """Every src / href of a page; each must be a local path that loads."""
    assert not EXTERNAL.search(html), EXTERNAL.search(html)
    assert "http://" not in html and "https://" not in html
    refs = re.findall(r"""(?:src|href)\s*=\s*["']([^"']+)["']""", html)
    for ref in refs:
        if ref.startswith("#"):
            continue
        assert ref.startswith("/"), ref
        response = client.get(ref)
        assert response.status_code == 200 and response.content, ref
    return refs


def test_docs_work_offline(client: TestClient) -> None:
    page = client.get("/docs")
    assert page.status_code == 200 and "SwaggerUIBundle" in page.text
    refs = local_assets(client, page.text)
    assert any(r.endswith("swagger-ui-bundle.js") for r in refs) and any(r.endswith(".css") for r in refs)
    assert "'/openapi.json'" in page.text and client.get("/openapi.json").status_code == 200
    assert '"validatorUrl": null' in page.text


def test_docs_can_be_turned_off(seed_index: Path, embedder) -> None:
    settings = Settings(index_dir=seed_index, docs=False, warm_up=False)
    with TestClient(create_app(matcher=Matcher.load(seed_index, embedder=embedder), settings=settings)) as c:
        assert c.get("/docs").status_code == 404 and c.get("/openapi.json").status_code == 404
