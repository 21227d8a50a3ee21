"""Run the service under uvicorn: one process, or N workers sharing a metrics folder that is removed on stop."""

from __future__ import annotations

import os
import shutil
import tempfile
from typing import Any

from matcher.api.metrics import MULTIPROC_ENV
from matcher.api.settings import Settings


def run(settings: Settings, host: str, port: int, workers: int, model: str | None, log_config: dict[str, Any]) -> None:
    """Serve until stopped. With several workers each builds its own app (and loads the index) from the
    environment, and their metrics meet in a private folder, so /metrics sums them whichever worker answers."""
    import uvicorn

    options: dict[str, Any] = {"host": host, "port": port, "access_log": False, "log_config": log_config}
    if workers <= 1:
        from matcher.api import create_app

        uvicorn.run(create_app(settings=settings), **options)
        return
    metrics_dir = tempfile.mkdtemp(prefix="matcher-metrics-")
    saved = {name: os.environ.get(name) for name in ("MATCHER_INDEX_DIR", "MATCHER_STORE", "MATCHER_MODEL",
                                                     MULTIPROC_ENV)}
    os.environ["MATCHER_INDEX_DIR"] = str(settings.index_dir)
    if settings.store:
        os.environ["MATCHER_STORE"] = settings.store
    os.environ[MULTIPROC_ENV] = metrics_dir
    if model:
        os.environ["MATCHER_MODEL"] = model
    try:
        uvicorn.run("matcher.api.app:create_app", factory=True, workers=workers, **options)
    finally:
        shutil.rmtree(metrics_dir, ignore_errors=True)
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value
