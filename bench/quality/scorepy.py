"""Load ../shared/eval/score.py as a module, to check the harness's figures against the reference scorer."""

from __future__ import annotations

import importlib.util
from pathlib import Path
from types import ModuleType


def load_score_module(shared: Path) -> ModuleType:
    """`score.py` from `shared/eval`, imported by path (it is a script, not a package)."""
    path = shared / "eval" / "score.py"
    spec = importlib.util.spec_from_file_location("shared_eval_score", path)
    if spec is None or spec.loader is None:
        raise FileNotFoundError(path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def disagreements(ours: dict[str, dict[str, float]], reference: dict[str, dict[str, float]]) -> list[str]:
    """Every (kind, metric) where the two scorers differ by more than rounding noise."""
    out = []
    for kind in sorted(set(ours) | set(reference)):
        for name in sorted(set(ours.get(kind, {})) | set(reference.get(kind, {}))):
            a, b = ours.get(kind, {}).get(name), reference.get(kind, {}).get(name)
            if a is None or b is None or abs(a - b) > 1e-9:
                out.append(f"{kind}/{name}: ours {a}, score.py {b}")
    return out
