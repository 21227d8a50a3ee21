"""Interactive API docs at /docs that work offline: Swagger UI's files come from the installed package
`fastapi-offline` (MIT; Swagger UI itself is Apache-2.0), never from a CDN."""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI, Request
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.responses import HTMLResponse
from fastapi.staticfiles import StaticFiles

ASSETS = "/static/docs"


def _swagger_dir() -> Path:
    import fastapi_offline

    return Path(fastapi_offline.__file__).parent / "static"


def install(app: FastAPI, openapi_url: str) -> None:
    """Serve Swagger UI at /docs with its assets under /static/docs."""
    app.mount(ASSETS, StaticFiles(directory=_swagger_dir()), name="docs-assets")

    @app.get("/docs", include_in_schema=False)
    async def docs(request: Request) -> HTMLResponse:
        root = request.scope.get("root_path", "")
        return get_swagger_ui_html(
            openapi_url=f"{root}{openapi_url}", title=f"{app.title} - API docs",
            swagger_js_url=f"{root}{ASSETS}/swagger-ui-bundle.js", swagger_css_url=f"{root}{ASSETS}/swagger-ui.css",
            swagger_favicon_url=f"{root}{ASSETS}/favicon.png",
            # no validator badge: it would send the spec to an online validator
            swagger_ui_parameters={"validatorUrl": None})
