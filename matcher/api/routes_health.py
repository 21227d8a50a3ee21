"""Liveness, readiness and Prometheus metrics."""

# No `from __future__ import annotations` in route modules: FastAPI reads the annotations at definition time,
# and the request models are built per app (with its limits), so they are local names, not module globals.

from fastapi import APIRouter, Request, Response

from matcher.api.errors import responses
from matcher.api.schemas import Health, Ready, RequestModels
from matcher.api.settings import Settings
from matcher.errors import IndexMissing


def router(settings: Settings, models: RequestModels) -> APIRouter:
    r = APIRouter(tags=["service"])

    @r.get("/healthz", response_model=Health, summary="The process is alive")
    async def healthz() -> Health:
        return Health()

    @r.get("/readyz", response_model=Ready, responses=responses(500, 503), summary="The index is loaded")
    def readyz(request: Request) -> Ready:
        # With several workers each holds its own copy: catch up with the folder's live version before answering
        # (one read of the pointer when nothing moved), so no worker reports a version another already replaced.
        matcher = request.app.state.matcher
        if matcher is None or not matcher.version:
            raise IndexMissing(f"no index loaded from {settings.index_dir}")
        request.app.state.refresher.check(matcher, force=True)
        return Ready(postings=len(matcher), model=matcher.embedder.model_id, version=matcher.version)

    @r.get("/metrics", response_class=Response, summary="Prometheus metrics",
           responses={200: {"content": {"text/plain": {"schema": {"type": "string"}}}}, **responses(500)})
    async def metrics(request: Request) -> Response:
        registry = request.app.state.metrics
        return Response(registry.render(), media_type=registry.content_type)

    return r
