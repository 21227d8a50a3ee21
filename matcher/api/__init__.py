"""The HTTP API: a thin FastAPI layer over the `Matcher` facade. Build it with `create_app`."""

from matcher.api.app import create_app
from matcher.api.settings import Settings

__all__ = ["Settings", "create_app"]
