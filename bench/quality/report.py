"""Render scored systems as Markdown tables (one per metric) and as the JSON written to --out."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from bench.quality.metrics import LABELS, METRICS

KINDS = ("all", "cv", "profile", "skills")


def _table(header: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    lines = [
        "| " + " | ".join(header) + " |",
        "|" + "|".join("---" if i == 0 else "--:" for i in range(len(header))) + "|",
    ]
    lines += ["| " + " | ".join(row) + " |" for row in rows]
    return "\n".join(lines)


def metric_tables(results: Mapping[str, Mapping[str, Any]], counts: Mapping[str, int]) -> str:
    """One table per metric (nDCG@10 first): rows = systems, columns = all / cv / profile / skills."""
    header_kinds = [f"{kind} ({counts.get(kind, 0)})" for kind in KINDS]
    blocks = []
    for name in METRICS:
        digits = 2 if name == "judged10" else 3
        rows = [
            [f"`{system}`"] + [f"{r['metrics'][k][name]:.{digits}f}" if k in r["metrics"] else "-" for k in KINDS]
            for system, r in results.items()
        ]
        blocks.append(f"**{LABELS[name]}**\n\n" + _table(["system"] + header_kinds, rows))
    return "\n\n".join(blocks)


def unjudged_table(results: Mapping[str, Mapping[str, Any]]) -> str:
    """Unjudged postings in the top 10, summed over the queries of each kind, and each system's run time."""
    rows = [
        [f"`{system}`"] + [str(r["unjudged_top10"].get(k, 0)) for k in KINDS] + [f"{r['seconds']:.1f}"]
        for system, r in results.items()
    ]
    return "**Unjudged postings in the top 10** (summed over queries) **and run time**\n\n" + _table(
        ["system"] + list(KINDS) + ["seconds"], rows
    )


def write_json(path: Path, payload: Mapping[str, Any]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(payload, indent=1, sort_keys=False) + "\n", encoding="utf-8")


def write_run(path: Path, run: Mapping[str, Sequence[str]]) -> None:
    """A run file in the format score.py reads: one `{"qid", "ids"}` object a line."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", encoding="utf-8") as fh:
        for qid, ids in run.items():
            fh.write(json.dumps({"qid": qid, "ids": list(ids)}) + "\n")
