"""Batch scoring on a Ray cluster: Ray Data carries the input lines, a pool of actors (one `Matcher`, so one model,
each) scores them, and the output comes back in input order, line for line what `matcher batch` writes locally.

Ray is optional (`pip install 'matcher[ray]'`); it is imported only here, and only when asked for.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from matcher.errors import InvalidInput

# Measured on 2 cores: two actors at one CPU each leave nothing for the read step and the job never finishes;
# half a CPU each lets Ray schedule both actors and its own tasks (see ../shared/MEASURED.md).
ACTOR_CPUS = 0.5
BATCH_LINES = 16


@dataclass(frozen=True)
class Opener:
    """How a worker opens the index: the same folder and model as the driver (or an embedder class, for tests;
    a class rather than an instance because an embedder holds locks, which do not pickle)."""

    index: str
    model: str | None = None
    embedder: Callable[[], Any] | None = None
    options: dict[str, Any] = field(default_factory=dict)  # k, include_archived, blind, base
    # The driver's torch threads: Ray starts actors with OMP_NUM_THREADS=1, and another thread count sums the
    # model's dot products in another order, which moves a score in its sixth decimal now and then.
    torch_threads: int | None = None

    def open(self) -> Any:
        from matcher.engine import Matcher

        return Matcher.load(self.index, model=self.model, embedder=self.embedder() if self.embedder else None)


class Scorer:
    """A Ray actor: opens the index once, then scores batches of `{"number", "raw"}` rows."""

    def __init__(self, opener: Opener) -> None:
        if opener.torch_threads:
            import torch

            torch.set_num_threads(opener.torch_threads)
        self.matcher = opener.open()
        self.options = opener.options

    def __call__(self, batch: dict[str, Any]) -> dict[str, Any]:
        import numpy as np

        from matcher.batch import run_line

        lines, failed = [], []
        for number, raw in zip(batch["number"], batch["raw"], strict=True):
            row = run_line(self.matcher, bytes(raw), int(number), **self.options)
            lines.append(json.dumps(row, ensure_ascii=False))
            failed.append("error" in row)
        return {"line": np.asarray(lines, dtype=object), "failed": np.asarray(failed, dtype=bool)}


def _ray() -> Any:
    try:
        import ray
    except ImportError:
        raise InvalidInput("--ray needs Ray: pip install 'matcher[ray]' (ray[data] 2.60)") from None
    return ray


def connect(address: str | None, cpus: int | None = None) -> bool:
    """Join the cluster at `address` (also RAY_ADDRESS), or start a local one; True if this call started Ray."""
    import os

    ray = _ray()
    if ray.is_initialized():
        return False
    quiet: dict[str, Any] = {"include_dashboard": False, "log_to_driver": False, "logging_level": "ERROR"}
    if address or os.environ.get("RAY_ADDRESS"):
        ray.init(address=address, log_to_driver=False, logging_level="ERROR")
    else:
        ray.init(num_cpus=cpus or os.cpu_count() or 2, **quiet)
    return True


def run_ray_batch(opener: Opener, lines: Iterable[str | bytes], *, actors: int = 2) -> Iterator[tuple[str, bool]]:
    """Score the non-blank `lines` on the connected Ray cluster; yield `(json_line, failed)` in input order."""
    ray = _ray()
    from ray.data import ActorPoolStrategy, DataContext

    context = DataContext.get_current()
    context.execution_options.preserve_order = True  # otherwise blocks come back in the order they finish
    context.enable_progress_bars = False
    items = [{"number": number, "raw": raw if isinstance(raw, bytes) else raw.encode("utf-8", "surrogatepass")}
             for number, raw in enumerate(lines, start=1) if raw.strip()]
    if not items:
        return
    dataset = ray.data.from_items(items, override_num_blocks=min(len(items), max(actors, min(len(items) // BATCH_LINES, 200))))
    scored = dataset.map_batches(Scorer, fn_constructor_args=(opener,), batch_size=BATCH_LINES, batch_format="numpy",
                                 compute=ActorPoolStrategy(size=actors), num_cpus=ACTOR_CPUS)
    for row in scored.iter_rows():
        yield str(row["line"]), bool(row["failed"])


def local_threads() -> int:
    """The torch threads a local batch in this process would use (what actors should use to give equal output)."""
    import torch

    return int(torch.get_num_threads())


def disconnect() -> None:
    _ray().shutdown()


def options(k: int, include_archived: bool, blind: bool, base: Path | None) -> dict[str, Any]:
    return {"k": k, "include_archived": include_archived, "blind": blind, "base": base}
