"""The registry of ranking systems the harness can score: name -> `(postings, queries, args) -> run`.

A run is `{qid: [posting ids, best first]}` (the harness scores the top 100). To add a system, register a
callable under a name, here or in a module passed with `--plugin`:

    from bench.quality.systems import SystemArgs, register

    @register("matcher")
    def matcher_system(postings, queries, args: SystemArgs) -> dict[str, list[str]]:
        ...  # build an index over `postings`, answer every query in one batch, keep the top args.k

Besides registered names, `rrf(a,b,...)` fuses the runs of registered systems by reciprocal rank (k = 60);
runs are computed once per invocation and shared (`args.run_of`).
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from bench.quality import baselines
from bench.quality.data import Query, Run
from matcher.postings import Posting

RRF_K = 60


@dataclass
class SystemArgs:
    """What a system gets besides postings and queries; `runs` and `seconds` are filled by `run_of`."""

    k: int = baselines.TOP_K
    quick: bool = False
    postings: Sequence[Posting] = ()
    queries: Sequence[Query] = ()
    runs: dict[str, Run] = field(default_factory=dict)
    seconds: dict[str, float] = field(default_factory=dict)

    def run_of(self, name: str) -> Run:
        """The run of system `name` over this invocation's postings and queries (computed once)."""
        if name not in self.runs:
            start = time.perf_counter()
            run = get_system(name)(self.postings, self.queries, self)
            self.seconds[name] = time.perf_counter() - start
            self.runs[name] = {qid: list(ids)[: self.k] for qid, ids in run.items()}
        return self.runs[name]


SystemFn = Callable[[Sequence[Posting], Sequence[Query], SystemArgs], Run]
REGISTRY: dict[str, SystemFn] = {}
DEFAULT_SYSTEMS = ("matcher", "bm25", "dense-head", "dense-max", "rrf(bm25,dense-head,dense-max)")
_RRF = re.compile(r"^rrf\((.+)\)$")


def register(name: str) -> Callable[[SystemFn], SystemFn]:
    """Decorator: make `fn` available as `--systems name`."""

    def add(fn: SystemFn) -> SystemFn:
        if name in REGISTRY:
            raise ValueError(f"system {name!r} is already registered")
        REGISTRY[name] = fn
        return fn

    return add


def available() -> list[str]:
    return sorted(REGISTRY) + ["rrf(NAME,NAME,...)"]


def get_system(name: str) -> SystemFn:
    """A registered system, or a reciprocal-rank fusion `rrf(a,b,...)` of registered systems."""
    if name in REGISTRY:
        return REGISTRY[name]
    fused = _RRF.match(name)
    if fused:
        parts = split_names(fused.group(1))
        for part in parts:
            get_system(part)  # fail now, with the list of valid names, not half-way through a run
        return lambda postings, queries, args: rrf([args.run_of(part) for part in parts], args.k)
    raise ValueError(f"unknown system {name!r}; available: {', '.join(available())}")


def split_names(spec: str) -> list[str]:
    """'bm25,rrf(bm25,dense-max)' -> ['bm25', 'rrf(bm25,dense-max)']: commas inside parentheses stay."""
    names, depth, current = [], 0, ""
    for char in spec:
        depth += {"(": 1, ")": -1}.get(char, 0)
        if char == "," and depth == 0:
            names.append(current.strip())
            current = ""
        else:
            current += char
    names.append(current.strip())
    return [name for name in names if name]


def rrf(runs: Sequence[Run], k: int = baselines.TOP_K, rrf_k: int = RRF_K) -> Run:
    """Reciprocal rank fusion: score(d) = sum over runs of 1 / (rrf_k + rank), ranks from 1; stable ties."""
    fused: Run = {}
    for qid in runs[0]:
        scores: dict[str, float] = {}
        for run in runs:
            for rank, doc in enumerate(run.get(qid, []), start=1):
                scores[doc] = scores.get(doc, 0.0) + 1.0 / (rrf_k + rank)
        fused[qid] = sorted(scores, key=lambda d: -scores[d])[:k]  # sorted() is stable
    return fused


@register("bm25")
def _bm25(postings: Sequence[Posting], queries: Sequence[Query], args: SystemArgs) -> Run:
    return baselines.bm25(postings, queries, args.k)


@register("dense-head")
def _dense_head(postings: Sequence[Posting], queries: Sequence[Query], args: SystemArgs) -> Run:
    return baselines.dense_head(postings, queries, args.k)


@register("dense-max")
def _dense_max(postings: Sequence[Posting], queries: Sequence[Query], args: SystemArgs) -> Run:
    return baselines.dense_max(postings, queries, args.k)
