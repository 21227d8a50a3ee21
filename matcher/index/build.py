"""Build a snapshot from postings, re-embedding only what is new or changed since the previous one."""

from __future__ import annotations

import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from tqdm.auto import tqdm

from matcher.embed import Embedder
from matcher.index.manifest import Manifest
from matcher.index.snapshot import Entry, Snapshot
from matcher.index.store import FaissStore
from matcher.lexical import LexicalIndex
from matcher.passages import TARGET_CHARS, Passage, split_passages
from matcher.postings import Posting
from matcher.skills import Vocabulary, extract_skills

ENCODE_CHUNK = 128


@dataclass(frozen=True)
class BuildStats:
    """What a build did: postings indexed (new or changed), unchanged, removed; passages embedded."""

    indexed: int
    unchanged: int
    removed: int
    passages_embedded: int
    seconds: float


HEAD_BODY_CHARS = 1500


def head_document(posting: Posting) -> str:
    """The text embedded as the posting's head: what a reader sees first (title, summary, start of the body)."""
    return "\n".join(part for part in (posting.title, posting.summary, posting.body[:HEAD_BODY_CHARS]) if part)


def passage_document(title: str, passage: Passage) -> str:
    """The text embedded for a passage: the title gives every passage its role context."""
    return f"{title}: {passage.text}"


def posting_tags(posting: Posting, vocab: Vocabulary) -> tuple[str, ...]:
    """Canonical tags of a posting: its hashtags (resolved through the vocabulary) plus skills its text names."""
    tags: list[str] = []
    for tag in posting.hashtags:
        resolved = vocab.resolve(tag)
        tags.append(resolved.tag if resolved else tag)
    for mention in extract_skills(f"{posting.title}\n{posting.body}", vocab):
        tags.append(mention.tag)
    return tuple(dict.fromkeys(tags))


def _encode(embedder: Embedder, texts: list[str], desc: str, progress: bool) -> np.ndarray:
    bar = tqdm(total=len(texts), desc=desc, unit="passage", disable=not progress or not texts, file=sys.stderr)
    chunks = []
    for start in range(0, len(texts), ENCODE_CHUNK):
        chunks.append(embedder.encode_documents(texts[start:start + ENCODE_CHUNK]))
        bar.update(min(ENCODE_CHUNK, len(texts) - start))
    bar.close()
    return np.concatenate(chunks) if chunks else np.zeros((0, embedder.dimension), dtype=np.float32)


def _tag_store(vocab: Vocabulary, embedder: Embedder, previous: Snapshot | None) -> tuple[FaissStore, tuple[str, ...]]:
    names = tuple(vocab.tags)
    store = FaissStore(embedder.dimension)
    if previous is not None and previous.tag_names == names:
        return previous.tags, names
    known = {tag: i for i, tag in enumerate(previous.tag_names)} if previous else {}
    vectors = np.zeros((len(names), embedder.dimension), dtype=np.float32)
    fresh = [i for i, tag in enumerate(names) if tag not in known]
    if previous is not None and len(names) - len(fresh):
        reused = [i for i, tag in enumerate(names) if tag in known]
        vectors[reused] = previous.tags.vectors(np.asarray([known[names[i]] for i in reused], dtype=np.int64))
    if fresh:
        vectors[fresh] = embedder.encode_documents([vocab.name(names[i]) for i in fresh])
    store.add(np.arange(len(names), dtype=np.int64), vectors)
    return store, names


def build_snapshot(
    postings: Sequence[Posting],
    embedder: Embedder,
    previous: Snapshot | None = None,
    *,
    progress: bool = False,
) -> tuple[Snapshot, BuildStats]:
    """Index `postings` (the whole corpus); reuse the previous snapshot's vectors for unchanged postings."""
    started = time.perf_counter()
    dim = embedder.dimension
    old = previous.entries if previous is not None else {}
    unchanged = {p.id for p in postings if p.id in old and old[p.id].posting.content_hash == p.content_hash}
    removed = [e for pid, e in old.items() if pid not in unchanged]
    fresh = [p for p in postings if p.id not in unchanged]

    passages = previous.passages.copy() if previous is not None else FaissStore(dim)
    titles = previous.titles.copy() if previous is not None else FaissStore(dim)
    passages.remove(pid for e in removed for pid in e.passage_ids)
    titles.remove(e.num for e in removed)
    heads = previous.heads.copy() if previous is not None else FaissStore(dim)
    heads.remove(e.num for e in removed)

    next_num = max((e.num for e in old.values()), default=-1) + 1
    next_pid = max((pid for e in old.values() for pid in e.passage_ids), default=-1) + 1
    split = {p.id: tuple(split_passages(p.body)) or (Passage(p.title, 0, 0, "intro"),) for p in fresh}
    texts = [passage_document(p.title, x) for p in fresh for x in split[p.id]]
    passage_vectors = _encode(embedder, texts, "passages", progress)
    title_vectors = embedder.encode_documents([p.title for p in fresh])

    drafts: dict[str, tuple[int, tuple[int, ...], tuple[Passage, ...]]] = {}
    for i, p in enumerate(fresh):
        pids = tuple(range(next_pid, next_pid + len(split[p.id])))
        drafts[p.id] = (next_num + i, pids, split[p.id])
        next_pid += len(pids)
    if fresh:
        passages.add(np.asarray([pid for p in fresh for pid in drafts[p.id][1]], dtype=np.int64), passage_vectors)
        titles.add(np.asarray([drafts[p.id][0] for p in fresh], dtype=np.int64), title_vectors)
    for p in postings:
        if p.id in unchanged:
            e = old[p.id]
            drafts[p.id] = (e.num, e.passage_ids, e.passages)

    # Tag weights are counted over the final tags (hashtags plus skills found in the text), so a skill that
    # is never a hashtag but appears in many bodies (excel, slack) is not mistaken for a rare, telling one.
    have_head = set(heads.ids().tolist())
    need_head = [p for p in postings if drafts[p.id][0] not in have_head]
    if need_head:
        heads.add(np.asarray([drafts[p.id][0] for p in need_head], dtype=np.int64),
                  _encode(embedder, [head_document(p) for p in need_head], "heads", progress))
    base = Vocabulary.build(p.hashtags for p in postings)
    tag_lists = {p.id: posting_tags(p, base) for p in postings}
    vocab = base.recount(tag_lists.values())
    entries = {p.id: Entry(p, drafts[p.id][0], tag_lists[p.id], drafts[p.id][1], drafts[p.id][2]) for p in postings}
    tags, tag_names = _tag_store(vocab, embedder, previous)
    lexical = LexicalIndex.build(postings, [entries[p.id].num for p in postings])
    manifest = Manifest(
        model_id=embedder.model_id,
        model_hash=embedder.model_hash,
        dimension=dim,
        postings=len(entries),
        passages=len(passages),
        tags=len(tag_names),
        passage_chars=TARGET_CHARS,
    )
    snapshot = Snapshot(manifest, entries, passages, titles, heads, tags, tag_names, vocab, lexical)
    stats = BuildStats(len(fresh), len(unchanged), len(set(old) - {p.id for p in postings}), len(texts),
                       time.perf_counter() - started)
    return snapshot, stats
