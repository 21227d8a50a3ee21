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


@pytest.mark.parametrize("path", ["/", "/postings/backend-developer-sketch-gPFMI"])
def test_pages_are_served_with_local_assets_only(client: TestClient, path: str) -> None:
    page = client.get(path)
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    csp = page.headers["content-security-policy"]
    assert "default-src 'self'" in csp and "connect-src 'self'" in csp and "script-src 'self'" in csp
    refs = local_assets(client, page.text)
    assert "/static/app.css" in refs and "/static/common.js" in refs


def test_page_scripts_call_only_this_server() -> None:
    from matcher.api.routes_pages import WEB

    for asset in (WEB / "static").iterdir():
        if asset.suffix in {".js", ".css", ".html"}:
            text = asset.read_text()
            assert "http://" not in text and "https://" not in text and "//cdn" not in text, asset
            # posting and CV text reach the DOM as text nodes only: no HTML parsing of anything the API returns
            assert not re.search(r"innerHTML|outerHTML|insertAdjacentHTML|document\.write|eval\(", text), asset


def test_the_search_form_is_labelled(client: TestClient) -> None:
    html = client.get("/").text
    for control in ("cv-text", "cv-file", "skill-input", "k"):
        assert f'for="{control}"' in html, control
    assert 'role="combobox"' in html and 'aria-controls="skill-options"' in html and 'role="alert"' in html
    for name in ("job_type", "company", "location", "tags_any", "posted_after", "posted_before", "include_archived"):
        assert f'name="{name}"' in html, name  # the filters keep the library's names
