"""The job seeker's pages: the search at `/` and a posting at `/postings/{id}`, with their static files.

The pages are static HTML + plain JavaScript shipped in the package (`matcher/web`); they call the JSON API and
show what it returns. A Content-Security-Policy keeps every asset and request on this server.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

from fastapi import FastAPI
from fastapi.responses import HTMLResponse
from fastapi.staticfiles import StaticFiles

WEB = Path(__file__).resolve().parent.parent / "web"
CSP = ("default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; connect-src 'self'; "
       "form-action 'self'; frame-ancestors 'none'; base-uri 'none'")


@cache
def _page(name: str) -> str:
    return (WEB / name).read_text(encoding="utf-8")


def _html(name: str) -> HTMLResponse:
    return HTMLResponse(_page(name), headers={"Content-Security-Policy": CSP, "X-Content-Type-Options": "nosniff",
                                              "Referrer-Policy": "no-referrer"})


def install(app: FastAPI) -> None:
    """Serve the pages and mount `/static` (after any more specific mount such as the docs' assets)."""

    @app.get("/", include_in_schema=False)
    async def search_page() -> HTMLResponse:
        return _html("index.html")

    @app.get("/postings/{id}", include_in_schema=False)
    async def posting_page(id: str) -> HTMLResponse:
        return _html("posting.html")  # the page reads the id from its address and asks the API

    app.mount("/static", StaticFiles(directory=WEB / "static"), name="static")
