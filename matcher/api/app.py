"""The app factory. The model and index load in the lifespan (or are passed in), never at import."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import TYPE_CHECKING

from fastapi import FastAPI
from starlette.concurrency import run_in_threadpool

from matcher import __version__
from matcher.api import errors, forms, routes_docs, routes_health, routes_match, routes_pages, routes_postings, routes_tags
from matcher.api.deps import Refresher
from matcher.api.metrics import Metrics
from matcher.api.middleware import ServiceMiddleware
from matcher.api.schemas import request_models
from matcher.api.settings import Settings

if TYPE_CHECKING:
    from matcher.engine import Matcher

log = logging.getLogger("matcher.api")


def load_matcher(settings: Settings) -> Matcher:
    """Open the configured index with the configured model, and warm the model up."""
    from matcher.engine import Matcher

    if settings.torch_threads:
        import torch

        # Per-request intra-op threads: with several requests in flight (or other work on the CPU), more threads
        # than one per request oversubscribe the cores and a single query gets many times slower.
        torch.set_num_threads(settings.torch_threads)
    opener = Matcher.open if settings.allow_empty_index else Matcher.load
    matcher = opener(settings.store or settings.index_dir, model=settings.model)
    if settings.warm_up:
        # One query end to end when there is something to rank: besides the model, it builds what a first query
        # would (term-major counts, the compiled BM25 loops loaded or compiled, torch's kernels).
        if len(matcher):
            matcher.match("Software developer", k=1)
        else:
            matcher.embedder.encode_queries(["warm up"])
    log.info("serving %d postings from %s (model %s)", len(matcher), matcher.location, matcher.embedder.model_id)
    return matcher


@asynccontextmanager
async def lifespan(app: FastAPI) -> AsyncIterator[None]:
    if app.state.matcher is None:
        app.state.matcher = await run_in_threadpool(load_matcher, app.state.settings)
    yield
    Metrics.worker_stopped()


def create_app(matcher: Matcher | None = None, settings: Settings | None = None) -> FastAPI:
    """Build the service. Pass a ready `Matcher` (tests, embedding in another app), or let start-up load one.

    Example:
        >>> app = create_app(settings=Settings(index_dir="index/"))  # loads when the server starts
    """
    settings = settings or Settings()
    docs = settings.docs
    app = FastAPI(title="matcher", version=__version__, lifespan=lifespan, redoc_url=None,
                  docs_url=None, openapi_url="/openapi.json" if docs else None,
                  description="Semantic job search and candidate matching. Errors always have the shape "
                              "`{\"error\": {\"code\", \"message\", \"status\", \"details\"}}`.")
    app.state.settings = settings
    app.state.matcher = matcher
    app.state.refresher = Refresher(settings.refresh_seconds)
    app.state.metrics = Metrics(lambda: float(len(app.state.matcher)) if app.state.matcher is not None else 0.0)
    errors.install(app)
    models = request_models(settings)
    for module in (routes_health, routes_match, routes_postings, routes_tags):
        app.include_router(module.router(settings, models))
    forms.add_schemas(app, [models.match, models.score])
    if docs:
        routes_docs.install(app, "/openapi.json")  # Swagger UI from local files: /docs works offline
    routes_pages.install(app)  # the search page at /
    app.add_middleware(ServiceMiddleware, settings=settings, metrics=app.state.metrics)
    return app
