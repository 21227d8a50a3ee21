"""The search page in a real browser (headless Chromium + Playwright) against the app served on loopback.

Covers: paste a CV and get explained results, upload a PDF and a DOCX made here, skills with autocompletion,
filters (and which filter emptied the results), similar jobs and the posting page, keyboard-only use, the error
and not-ready states, no console errors; saves screenshots at desktop and phone widths (to bench/out/screenshots/;
with MATCHER_UPDATE_SCREENSHOTS=1 to docs/screenshots/, the README's).
to docs/screenshots/, the README's).
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from matcher.api import Settings, create_app
from matcher.engine import Matcher
from tests.browser_helpers import browser_missing, chromium, serve
from tests.conftest import ROOT
from tests.documents_helpers import make_blank_pdf, make_docx, make_pdf

pytestmark = pytest.mark.skipif(browser_missing() is not None, reason=str(browser_missing()))

# Screenshots go to bench/out/screenshots (ignored by git); MATCHER_UPDATE_SCREENSHOTS=1 refreshes the README's.
SHOTS = ROOT / "docs" / "screenshots" if os.environ.get("MATCHER_UPDATE_SCREENSHOTS") == "1" \
    else ROOT / "bench" / "out" / "screenshots"
CV = ("Backend engineer\n"
      "Six years building payment APIs in Go and Python on PostgreSQL. Docker, Kubernetes and Terraform on AWS;\n"
      "on call for a team of five. Mentored two junior engineers.")
DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
LIMIT = 2_000_000  # a smaller body limit than the default, so the too-large upload stays quick
EXPECTED_HTTP_ERROR = re.compile(r"Failed to load resource: the server responded with a status of (413|415|422|503)")


@pytest.fixture(scope="module")
def app(seed_index: Path, embedder) -> Any:
    settings = Settings(index_dir=seed_index, warm_up=False, refresh_seconds=-1, access_log=False,
                        max_body_bytes=LIMIT)
    return create_app(matcher=Matcher.load(seed_index, embedder=embedder), settings=settings)


@pytest.fixture(scope="module")
def base(app: Any) -> Iterator[str]:
    with serve(app) as url:
        yield url


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    with chromium() as b:
        yield b


class Console:
    """Console errors and uncaught exceptions of one page; HTTP error statuses a test provokes may be allowed."""

    def __init__(self, page: Any) -> None:
        self.errors: list[str] = []
        self.allow_http_errors = False
        page.on("console", lambda m: self.errors.append(m.text) if m.type == "error" else None)
        page.on("pageerror", lambda e: self.errors.append(f"uncaught: {e}"))

    def unexpected(self) -> list[str]:
        return [e for e in self.errors if not (self.allow_http_errors and EXPECTED_HTTP_ERROR.search(e))]


def offline(context: Any, base: str) -> list[str]:
    """Refuse (and record) every request that leaves the test server: the pages must need nothing else."""
    outside: list[str] = []

    def route(r: Any) -> None:
        if r.request.url.startswith(base) or r.request.url.startswith(("data:", "blob:")):
            r.continue_()
        else:
            outside.append(r.request.url)
            r.abort()

    context.route("**/*", route)
    return outside


@pytest.fixture()
def page(browser: Any, base: str) -> Iterator[Any]:
    context = browser.new_context(viewport={"width": 1280, "height": 900}, base_url=base)
    outside = offline(context, base)
    page = context.new_page()
    page.set_default_timeout(20_000)
    page.console = Console(page)
    page.goto("/")
    page.wait_for_function("!document.getElementById('go').disabled")  # /readyz answered
    yield page
    unexpected = page.console.unexpected()
    context.close()
    assert unexpected == [], unexpected
    assert outside == [], f"requests that left the server: {outside}"


def api_match(base: str, **body: Any) -> list[dict[str, Any]]:
    response = httpx.post(f"{base}/v1/match", json=body, timeout=60)
    assert response.status_code == 200, response.text
    return response.json()["results"]


def search(page: Any) -> None:
    """Submit, then wait for this search's answer (the page clears the previous message on submit)."""
    page.get_by_role("button", name="Find jobs").click()
    page.wait_for_function("""() => !document.getElementById('search').hasAttribute('aria-busy') &&
        (!document.getElementById('message').hidden || !document.getElementById('results').hidden)""")


def shown_titles(page: Any) -> list[str]:
    return page.locator(".result h3").all_inner_texts()


def alert(page: Any) -> str:
    page.wait_for_selector("#message:not([hidden])")
    return page.locator("#message").inner_text()


def test_paste_a_cv_and_get_explained_results(page: Any, base: str) -> None:
    page.get_by_label("Paste your CV text").fill(CV)
    search(page)
    expected = api_match(base, text=CV, k=10)
    assert shown_titles(page) == [r["title"] for r in expected]  # the API's order, nothing re-ranked
    first, top = page.locator(".result").first, expected[0]
    assert f"{top['match_percent']}%" in first.locator(".percent").inner_text()
    assert first.locator(".bar .seg").count() == len(top["components"])
    legend = first.get_by_role("list", name="What made the score").inner_text()
    assert "meaning of the CV" in legend and "skills" in legend
    tags = first.locator(".tags").first.inner_text()
    for m in top["matched_tags"]:
        assert m["tag"] in tags
    assert any(m["via"] == "alias" for m in top["matched_tags"]) == ("alias of your" in tags)
    for missing in top["missing_tags"]:
        assert missing in first.locator(".tags.missing").inner_text()
    assert first.locator(".passage mark").count() >= 1
    assert page.locator("#blinded").is_hidden()  # nothing identifying in this CV
    posting = httpx.get(f"{base}/v1/postings/{top['posting_id']}").json()
    meta = first.locator(".meta").first.inner_text()
    assert posting["location"] in meta and "posted 20" in meta
    assert first.get_by_role("link", name="View the posting").get_attribute("href") == f"/postings/{top['posting_id']}"
    assert first.get_by_role("link", name=re.compile("Apply")).get_attribute("href") == (posting["apply_url"] or posting["url"])
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.set_viewport_size({"width": 1280, "height": 1500})
    page.evaluate("window.scrollTo(0, 0)")
    page.screenshot(path=str(SHOTS / "search-desktop.png"))


def test_what_blinding_removed_is_shown(page: Any) -> None:
    page.get_by_label("Paste your CV text").fill("Name: Jane Doe\nEmail: jane.doe@example.com\n" + CV)
    search(page)
    note = page.locator("#blinded").inner_text()
    assert "did not see" in note and "1 name" in note and "1 email" in note and "Jane" not in note


def test_upload_a_pdf_and_a_docx(page: Any, base: str) -> None:
    expected = [r["title"] for r in api_match(base, text=CV, k=10)]
    for name, mime, data in (("cv.pdf", "application/pdf", make_pdf(CV)), ("cv.docx", DOCX, make_docx(CV))):
        page.get_by_label("or upload a file").set_input_files({"name": name, "mimeType": mime, "buffer": data})
        search(page)
        assert page.locator("#message").is_hidden(), page.locator("#message").inner_text()
        assert shown_titles(page)[:5] == expected[:5], name
    page.get_by_role("button", name="Remove the file").click()
    assert page.get_by_label("or upload a file").input_value() == ""


def test_unreadable_files_and_empty_input_say_what_to_do(page: Any) -> None:
    page.console.allow_http_errors = True
    search(page)
    assert "Nothing to match yet" in alert(page)
    page.get_by_label("or upload a file").set_input_files({"name": "scan.pdf", "mimeType": "application/pdf",
                                                          "buffer": make_blank_pdf()})
    search(page)
    text = alert(page)
    assert "No text could be found in this file" in text and "scanned" in text
    assert page.locator("#results").is_hidden()
    page.get_by_label("or upload a file").set_input_files({"name": "cv.txt", "mimeType": "text/plain",
                                                          "buffer": b"x" * (LIMIT + 1)})
    search(page)
    assert "This CV is too large" in alert(page)
    page.get_by_label("or upload a file").set_input_files({"name": "cv.doc", "mimeType": "application/msword",
                                                          "buffer": b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(64)})
    search(page)
    assert "cannot be read" in alert(page) and "DOCX" in alert(page)


def test_skills_with_autocompletion(page: Any, base: str) -> None:
    box = page.get_by_role("combobox", name="Add a skill")
    box.type("kube")
    page.wait_for_selector("#skill-options [role=option]")
    assert page.get_by_role("option").first.inner_text().lower().startswith("kubernetes")
    box.press("ArrowDown")
    assert page.get_by_role("option").first.get_attribute("aria-selected") == "true"
    box.press("Enter")
    box.type("postg")
    page.get_by_role("option", name=re.compile("^postgresql", re.I)).click()
    box.type("quantum knitting")
    box.press("Enter")  # a skill not in the vocabulary is added as typed
    chips = page.get_by_role("list", name="Skills added")
    assert chips.locator("li").count() == 3
    page.get_by_role("button", name="Remove skill quantum knitting").click()
    names = [t.split("\n")[0] for t in chips.locator("li").all_inner_texts()]
    assert [n.lower() for n in names] == ["kubernetes", "postgresql"]
    search(page)
    expected = api_match(base, skills=names, k=10)
    assert shown_titles(page) == [r["title"] for r in expected]
    assert "kubernetes" in page.locator(".result").first.locator(".tags").first.inner_text()


def test_filters_and_which_filter_removed_everything(page: Any, base: str) -> None:
    page.get_by_label("Paste your CV text").fill(CV)
    page.get_by_text("Filters").click()
    page.get_by_label("Location").fill("europe")
    search(page)
    expected = api_match(base, text=CV, k=10, filters={"location": "europe"})
    assert shown_titles(page) == [r["title"] for r in expected] and len(expected) >= 1
    for r in expected:
        assert "europe" in httpx.get(f"{base}/v1/postings/{r['posting_id']}").json()["location"].lower()
    page.get_by_label("Company").fill("no-such-company")
    search(page)
    text = alert(page)
    assert "No jobs match under these filters" in text and "company “no-such-company”" in text
    assert "location" not in text.split("would give results:")[1]


def test_similar_jobs_and_the_posting_page(page: Any, base: str) -> None:
    page.get_by_label("Paste your CV text").fill(CV)
    search(page)
    first = page.locator(".result").first
    button = first.get_by_role("button", name="Similar jobs")
    button.click()
    similar = first.locator(".similar a")
    similar.first.wait_for()
    assert button.get_attribute("aria-expanded") == "true"
    top = page.locator(".result h3 a").first.get_attribute("href").split("/")[-1]
    expected = httpx.get(f"{base}/v1/postings/{top}/similar", params={"k": 5}).json()["results"]
    assert similar.all_inner_texts() == [s["title"] for s in expected]
    similar.first.click()
    page.wait_for_url(f"**/postings/{expected[0]['posting_id']}")
    page.wait_for_selector("#similar-list li")
    assert page.locator("#posting-title").inner_text() == expected[0]["title"]
    assert page.locator("#similar-list a").count() >= 1
    assert page.get_by_role("link", name=re.compile("Apply")).count() == 1
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / "posting-desktop.png"))


def test_keyboard_only(page: Any) -> None:
    order = []
    for _ in range(6):
        page.keyboard.press("Tab")
        order.append(page.evaluate("document.activeElement.id || document.activeElement.textContent"))
    # the skip link, the site's name (a link home), then the form in reading order
    assert order == ["skip", "matcher", "cv-text", "cv-file", "skill-input", "filters-summary"], order
    page.focus("#cv-text")
    page.keyboard.type(CV)
    page.keyboard.press("Tab")
    page.keyboard.press("Tab")  # past the file input
    page.keyboard.type("terra")
    page.wait_for_selector("#skill-options [role=option]")
    page.keyboard.press("ArrowDown")
    page.keyboard.press("Enter")
    assert page.get_by_role("list", name="Skills added").locator("li").count() == 1
    page.focus("#go")
    page.keyboard.press("Enter")
    page.wait_for_selector(".result")
    assert page.evaluate("document.activeElement.id") == "results-heading"  # focus follows the answer
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.getAttribute('href')").startswith("/postings/")
    while page.evaluate("document.activeElement.textContent") != "Similar jobs":
        page.keyboard.press("Tab")
    page.keyboard.press("Enter")
    page.wait_for_selector(".result .similar:not([hidden]) a")
    assert page.evaluate("document.activeElement.closest('.similar') !== null")  # focus moved into the list
    page.keyboard.press("Enter")
    page.wait_for_url("**/postings/*")


def test_phone_width_and_not_ready(browser: Any, base: str, app: Any) -> None:
    context = browser.new_context(viewport={"width": 375, "height": 812}, base_url=base, is_mobile=True)
    page = context.new_page()
    console = Console(page)
    page.goto("/")
    page.get_by_label("Paste your CV text").fill(CV)
    page.select_option("#k", "5")
    search(page)
    assert page.evaluate("document.documentElement.scrollWidth") <= 375  # no sideways scrolling
    page.evaluate("window.scrollTo(0, 0)")
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / "search-phone.png"), full_page=True, clip={"x": 0, "y": 0, "width": 375, "height": 2000})
    matcher, app.state.matcher = app.state.matcher, None  # as while the index is still loading
    try:
        console.allow_http_errors = True
        page.reload()
        page.wait_for_selector("#service:not([hidden])")
        assert "not ready" in page.locator("#service").inner_text()
        assert page.get_by_role("button", name="Find jobs").is_disabled()
    finally:
        app.state.matcher = matcher
    page.wait_for_selector("#service", state="hidden", timeout=10_000)  # the page retries by itself
    assert page.get_by_role("button", name="Find jobs").is_enabled()
    context.close()
    assert console.unexpected() == []


def test_api_docs_render_offline(page: Any) -> None:
    page.goto("/docs")
    page.wait_for_selector(".swagger-ui .opblock-summary-path")  # Swagger UI drew the operations from local files
    paths = page.locator(".opblock-summary-path").all_inner_texts()
    assert "/v1/match" in paths and "/v1/tags" in paths
