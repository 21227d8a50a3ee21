"""What indexing derives from one posting, before and after embedding: passages, tags, families, terms, vectors.

Everything here is a function of the posting alone (and the fixed skill catalog), never of the rest of the
corpus, so a posting indexed today and the same posting indexed in another batch give identical documents.
"""

from __future__ import annotations

import re
import sys
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache

import numpy as np
from tqdm.auto import tqdm

from matcher.config import DEFAULT_SHAPE, IndexShape
from matcher.embed import Embedder
from matcher.passages import Passage, split_passages
from matcher.postings import Posting
from matcher.skills import extract_skills, title_families
from matcher.skills.vocab import Vocabulary, default_vocabulary

ENCODE_CHUNK = 128


def head_document(posting: Posting, shape: IndexShape = DEFAULT_SHAPE) -> str:
    """The text embedded as the posting's head: what a reader sees first (title, summary, start of the body)."""
    return "\n".join(part for part in (posting.title, posting.summary, posting.body[:shape.head_body_chars]) if part)


def passage_document(title: str, passage: Passage) -> str:
    """The text embedded for a passage: the title gives every passage its role context."""
    return f"{title}: {passage.text}"


def lexical_text(posting: Posting) -> str:
    """What BM25 indexes for a posting: the title twice (it says most about the role), hashtags, body."""
    return "\n".join([posting.title, posting.title, " ".join(posting.hashtags), posting.body])


# `bm25s.tokenize`'s default token pattern; tests/test_tokenize.py holds it, and every token, equal to bm25s's own.
TOKEN_PATTERN = r"(?u)\b\w\w+\b"
_WORDS = re.compile(TOKEN_PATTERN).findall


@cache
def _stopwords(stopwords: str) -> frozenset[str]:
    from bm25s.tokenization import _infer_stopwords

    return frozenset(_infer_stopwords(stopwords))


def tokenize(texts: Sequence[str], stopwords: str = "en") -> list[list[str]]:
    """Lower-cased word tokens without stopwords: exactly `bm25s.tokenize`'s, as the lexical index always used.

    Its own steps (lower-case, split on its pattern, drop its stopwords) without its per-call progress bars,
    stopword set and token ids, which cost a query ~0.2 ms.
    """
    stop = _stopwords(stopwords)
    return [[token for token in _WORDS(text.lower()) if token not in stop] for text in texts]


def posting_tags(posting: Posting, vocab: Vocabulary | None = None) -> tuple[str, ...]:
    """Canonical tags: the posting's hashtags (resolved through the catalog) plus skills its text names."""
    vocab = vocab or default_vocabulary()
    tags: list[str] = []
    for tag in posting.hashtags:
        resolved = vocab.resolve(tag)
        tags.append(resolved.tag if resolved else tag)
    for mention in extract_skills(f"{posting.title}\n{posting.body}", vocab):
        tags.append(mention.tag)
    return tuple(t for t in dict.fromkeys(tags) if t)


@dataclass(frozen=True)
class Prepared:
    """A posting cut and analysed, ready to embed."""

    posting: Posting
    passages: tuple[Passage, ...]
    tags: tuple[str, ...]
    families: tuple[str, ...]
    terms: Counter[str]


@dataclass(frozen=True)
class IndexDoc:
    """A posting with everything a segment stores for it, vectors included."""

    prepared: Prepared
    passage_vectors: np.ndarray  # (len(passages), dim)
    head: np.ndarray  # (dim,)
    title: np.ndarray  # (dim,)

    @property
    def posting(self) -> Posting:
        return self.prepared.posting


def prepare(posting: Posting, shape: IndexShape = DEFAULT_SHAPE) -> Prepared:
    """Cut, tag and tokenise one posting (no model)."""
    passages = tuple(split_passages(posting.body, target=shape.passage_chars)) or (Passage(posting.title, 0, 0, "intro"),)
    tokens = tokenize([lexical_text(posting)], shape.stopwords)[0]
    families = tuple(sorted(title_families(posting.title)))
    return Prepared(posting, passages, posting_tags(posting), families, Counter(tokens))


def _encode(embedder: Embedder, texts: list[str], desc: str, progress: bool) -> np.ndarray:
    bar = tqdm(total=len(texts), desc=desc, unit="text", disable=not progress or not texts, file=sys.stderr)
    chunks = []
    for start in range(0, len(texts), ENCODE_CHUNK):
        chunks.append(embedder.encode_documents(texts[start:start + ENCODE_CHUNK]))
        bar.update(min(ENCODE_CHUNK, len(texts) - start))
    bar.close()
    return np.concatenate(chunks) if chunks else np.zeros((0, embedder.dimension), dtype=np.float32)


def embed(prepared: Sequence[Prepared], embedder: Embedder, shape: IndexShape = DEFAULT_SHAPE,
          progress: bool = False) -> list[IndexDoc]:
    """Embed passages, heads and titles of `prepared` postings (the whole cost of indexing)."""
    texts = [passage_document(p.posting.title, x) for p in prepared for x in p.passages]
    passage_vectors = _encode(embedder, texts, "passages", progress)
    heads = _encode(embedder, [head_document(p.posting, shape) for p in prepared], "heads", progress)
    titles = embedder.encode_documents([p.posting.title for p in prepared])
    docs, row = [], 0
    for i, p in enumerate(prepared):
        docs.append(IndexDoc(p, passage_vectors[row:row + len(p.passages)], heads[i], titles[i]))
        row += len(p.passages)
    return docs
