"""Locate ../shared, load the judged queries, the qrels and the crocoder corpus; build the --quick subset."""

from __future__ import annotations

import json
import os
import sys
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from matcher.postings import Posting, load_postings

REPO = Path(__file__).resolve().parents[2]
CORPUS_FOLDERS = ("jobs", "jobs_deleted_from_head")  # archived postings are part of the evaluation corpus

Qrels = dict[str, dict[str, int]]  # qid -> posting id -> grade 0..3
Run = dict[str, list[str]]  # qid -> ranked posting ids


class SharedMissing(SystemExit):
    """../shared (queries, qrels, corpus) is not there: exit with a message saying where it was looked for."""


def shared_dir() -> Path:
    """`$MATCHER_SHARED`, else the `shared` folder next to the repo."""
    return Path(os.environ.get("MATCHER_SHARED") or REPO.parent / "shared")


def require_shared() -> Path:
    """The shared folder, checked to hold the eval set and the corpus."""
    root = shared_dir()
    needed = [root / "eval" / "queries.dev.jsonl", root / "eval" / "qrels.dev.jsonl"]
    needed += [root / "data" / "postings" / "crocoder" / name for name in CORPUS_FOLDERS]
    missing = [str(path) for path in needed if not path.exists()]
    if missing:
        raise SharedMissing(
            "bench.quality needs the shared eval set and corpus; missing: "
            + ", ".join(missing)
            + " (set MATCHER_SHARED to the folder holding eval/ and data/)"
        )
    return root


@dataclass(frozen=True)
class Query:
    """One judged candidate query: a CV or profile `text`, or a `skills` list."""

    qid: str
    kind: str  # cv | profile | skills
    text: str = ""
    skills: tuple[str, ...] = ()
    raw: dict[str, Any] = field(default_factory=dict, compare=False, repr=False)

    def as_text(self, skills_sep: str = ", ") -> str:
        """The query as one string: the text, or the skills joined with `skills_sep`."""
        return self.text if self.text else skills_sep.join(self.skills)


def load_queries(path: Path) -> list[Query]:
    queries = []
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.strip():
            raw = json.loads(line)
            queries.append(Query(raw["qid"], raw["kind"], raw.get("text") or "", tuple(raw.get("skills") or ()), raw))
    return queries


def load_qrels(path: Path) -> Qrels:
    qrels: Qrels = defaultdict(dict)
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.strip():
            row = json.loads(line)
            qrels[row["qid"]][row["doc"]] = int(row["rel"])
    return dict(qrels)


def load_corpus(root: Path) -> list[Posting]:
    folder = root / "data" / "postings" / "crocoder"
    report = load_postings([folder / name for name in CORPUS_FOLDERS])
    if report.rejected:
        print(f"warning: {len(report.rejected)} postings rejected, first: {report.rejected[0]}", file=sys.stderr)
    return report.postings


@dataclass
class EvalSet:
    root: Path
    queries: list[Query]
    qrels: Qrels
    postings: list[Posting]


def load_eval_set() -> EvalSet:
    root = require_shared()
    return EvalSet(
        root,
        load_queries(root / "eval" / "queries.dev.jsonl"),
        load_qrels(root / "eval" / "qrels.dev.jsonl"),
        load_corpus(root),
    )


def quick_subset(data: EvalSet, per_kind: int = 2, size: int = 120) -> EvalSet:
    """The first `per_kind` queries of each kind, every posting judged for them, padded to `size` postings.

    The padding is every k-th other posting (deterministic), so the rankers still have distractors.
    """
    queries = [q for kind in ("cv", "profile", "skills") for q in [x for x in data.queries if x.kind == kind][:per_kind]]
    judged = {doc for q in queries for doc in data.qrels.get(q.qid, {})}
    keep = [p for p in data.postings if p.id in judged]
    others = [p for p in data.postings if p.id not in judged]
    room = max(0, size - len(keep))
    if room and others:
        step = max(1, len(others) // room)
        keep += others[::step][:room]
    order = {p.id: i for i, p in enumerate(data.postings)}
    keep.sort(key=lambda p: order[p.id])
    return EvalSet(data.root, queries, {q.qid: data.qrels[q.qid] for q in queries if q.qid in data.qrels}, keep)
