"""The store conformance suite: every backend (FAISS segments here) must pass it unchanged.

Each test checks a backend against an oracle computed in the test: brute-force dot products for dense search,
`Filters.accepts` for filters, the bm25s library for BM25 over the live postings, the written arrays for fetch.
Vectors come from a deterministic fake embedder (what matters is that they are stored and searched exactly).
"""

from __future__ import annotations

import random
from collections import Counter
from collections.abc import Callable
from pathlib import Path

import bm25s
import numpy as np
import pytest

from matcher.config import IndexShape, SegmentPolicy
from matcher.filters import Filters
from matcher.index.docs import IndexDoc, embed, lexical_text, prepare
from matcher.index.store import SegmentStore
from matcher.postings import Posting
from tests.helpers import FakeEmbedder, posting
from tests.milvus_helpers import SKIP_REASON, lite_version
from tests.milvus_helpers import lite_server as server

TITLES = ["Backend Engineer", "Frontend Developer", "Data Scientist", "Product Designer", "DevOps Engineer",
          "Sales Manager", "Go Developer", "QA Engineer"]
WORDS = ("python go golang kubernetes k8s postgres react figma sales terraform aws docker kafka pandas sql "
         "design customers pipelines testing selenium cypress rust linux teams remote growth").split()


def corpus(n: int, seed: int = 3) -> list[Posting]:
    rng = random.Random(seed)
    out = []
    for i in range(n):
        title = rng.choice(TITLES)
        paragraphs = ["\n".join(" ".join(rng.choices(WORDS, k=rng.randint(8, 30))) for _ in range(rng.randint(1, 3)))
                      for _ in range(rng.randint(1, 4))]
        out.append(posting(f"p{i:04d}", title, "\n\n".join(paragraphs), company=rng.choice(["Acme", "Globex", "Initech"]),
                           location=rng.choice(["Europe", "USA only", "Worldwide"]),
                           job_type=rng.choice(["software", "design", "sales"]),
                           timestamp=1_600_000_000_000 + i * 86_400_000, archived=rng.random() < 0.2,
                           hashtags=tuple(rng.sample(["golang", "k8s", "python", "react", "sql", "figma"], 2))))
    return out


def segment_store(root: Path) -> SegmentStore:
    fake = FakeEmbedder()
    return SegmentStore(root, model_id=fake.model_id, model_hash=fake.model_hash, dimension=None,
                        policy=SegmentPolicy(max_segments=3, merge_factor=3))


def milvus_store(location: str) -> SegmentStore:
    from matcher.milvus.store import MilvusStore

    fake = FakeEmbedder()
    return MilvusStore(location, model_id=fake.model_id, model_hash=fake.model_hash, dimension=None,  # type: ignore[return-value]
                       policy=SegmentPolicy(max_segments=3, merge_factor=3))


LITE = lite_version()
# name -> (engine label, factory of a store at a location): the label says which engine and version a test ran on.
BACKENDS: dict[str, tuple[str, Callable[[pytest.FixtureRequest, Path], SegmentStore]]] = {
    "faiss-segments": ("FAISS segments (embedded)", lambda request, tmp: segment_store(tmp / "index")),
    "milvus-lite": (f"Milvus Lite {LITE} embedded (a local file)",
                    lambda request, tmp: milvus_store(f"milvus-lite://{tmp}/milvus.db")),
    "milvus-lite-server": (f"Milvus Lite {LITE} server process (gRPC on localhost)",
                           lambda request, tmp: milvus_store(f"milvus://{request.getfixturevalue('lite_server')}/"
                                                             f"t{abs(hash(str(tmp))) % 10**9}")),
}
MILVUS = {"milvus-lite", "milvus-lite-server"}


@pytest.fixture(scope="module")
def lite_server(tmp_path_factory: pytest.TempPathFactory):
    """One Milvus Lite server for this module's tests (each test uses its own collections); stopped at the end."""
    with server(tmp_path_factory.mktemp("milvus-server")) as address:
        yield address


@pytest.fixture(params=sorted(BACKENDS))
def make_store(request: pytest.FixtureRequest, tmp_path: Path, record_property) -> Callable[[], SegmentStore]:
    """A factory of stores over one location (calling it again reopens the same data)."""
    if request.param in MILVUS and LITE is None:
        pytest.skip(SKIP_REASON)
    engine, factory = BACKENDS[request.param]
    record_property("engine", engine)
    print(f"engine: {engine}")
    return lambda: factory(request, tmp_path).open(must_exist=False)


EMBEDDER = FakeEmbedder()


def docs_of(postings: list[Posting]) -> list[IndexDoc]:
    return embed([prepare(p) for p in postings], EMBEDDER)


def live_postings(store: SegmentStore) -> dict[str, Posting]:
    view = store.reader()
    return {pid: view.stored(ref).posting for pid, ref in view.where.items()}


def load(store: SegmentStore, postings: list[Posting], batches: int = 3) -> None:
    size = max(1, len(postings) // batches)
    for start in range(0, len(postings), size):
        store.upsert(docs_of(postings[start:start + size]), {})


def test_upsert_fetch_round_trip_and_reopen(make_store) -> None:
    store = make_store()
    postings = corpus(40)
    load(store, postings)
    view = store.reader()
    assert len(view) == 40 and set(view.where) == {p.id for p in postings}
    wanted = [p.id for p in postings[::7]]
    refs = [view.where[pid] for pid in wanted]
    fetched = view.fetch(refs)
    for i, doc in enumerate(docs_of([p for p in postings if p.id in wanted])):
        assert fetched.posting_ids[i] == doc.posting.id
        rows = fetched.passages[fetched.offsets[i]:fetched.offsets[i + 1]]
        assert np.array_equal(rows, doc.passage_vectors)
        assert np.array_equal(fetched.heads[i], doc.head) and np.array_equal(fetched.titles[i], doc.title)
        assert view.stored(refs[i]).posting == doc.posting
    again = make_store()
    assert again.reader().version == view.version and set(again.reader().where) == set(view.where)


def test_upsert_replaces_and_delete_removes(make_store) -> None:
    store = make_store()
    postings = corpus(20)
    load(store, postings)
    changed = posting(postings[3].id, "Rust Engineer", "rust linux kernels")
    store.upsert(docs_of([changed]), {})
    store.delete([postings[5].id])
    live = live_postings(store)
    assert len(live) == 19 and postings[5].id not in live
    assert live[changed.id].title == "Rust Engineer"
    assert make_store().reader().version == store.reader().version


def test_a_reader_keeps_its_version_while_writes_go_on(make_store) -> None:
    store = make_store()
    load(store, corpus(10), batches=1)
    before = store.reader()
    store.delete(["p0001"])
    store.upsert(docs_of([posting("new-one", "Go Developer")]), {})
    assert "p0001" in before.where and "new-one" not in before.where
    assert before.stored(before.where["p0001"]).posting.id == "p0001"
    assert "p0001" not in store.reader().where and "new-one" in store.reader().where


@pytest.mark.parametrize("flt", [
    Filters(), Filters(include_archived=True), Filters(job_type="SOFT"), Filters(company="acme", location="europe"),
    Filters(tags_any=("go",)), Filters(tags_all=("golang", "kubernetes"), include_archived=True),
    Filters(posted_after=1_600_000_000_000 + 10 * 86_400_000, posted_before=1_600_000_000_000 + 30 * 86_400_000),
])
def test_filters_are_data_and_agree_with_the_predicate(make_store, flt: Filters) -> None:
    store = make_store()
    postings = corpus(60)
    load(store, postings)
    store.delete(["p0002", "p0010"])
    view = store.reader()
    masks = view.allowed(flt)
    got = {view.segments[s].ids[d] for s, mask in enumerate(masks) for d in np.flatnonzero(mask)}
    vocab = view.vocab
    canonical = Filters(**{**flt.to_dict(), "tags_any": tuple(vocab.canonical(t) for t in flt.tags_any),
                           "tags_all": tuple(vocab.canonical(t) for t in flt.tags_all)})
    expected = {pid for pid, p in live_postings(store).items() if canonical.accepts(p, view.tags(view.where[pid]))}
    assert got == expected
    assert view.count(masks) == len(expected)


def test_dense_search_matches_brute_force_with_filters(make_store) -> None:
    store = make_store()
    postings = corpus(80)
    load(store, postings, batches=4)
    store.delete([p.id for p in postings[::9]])
    view = store.reader()
    flt = Filters(job_type="software", include_archived=True)
    masks = view.allowed(flt)
    queries = EMBEDDER.encode_queries(["golang kubernetes backend", "figma design", "sales customers"])
    for n in (5, 40):
        got = {view.segments[s].ids[d] for s, d in view.dense_hits(queries, n, masks, nprobe=8)}
        rows, owners = [], []
        for pid, ref in view.where.items():
            if masks[ref[0]][ref[1]]:
                fetched = view.fetch([ref])
                rows.append(fetched.passages)
                owners += [pid] * len(fetched.passages)
        sims = queries @ np.concatenate(rows).T
        expected = {owners[i] for row in sims for i in np.argsort(-row, kind="stable")[:n]}
        assert got == expected


def test_bm25_equals_the_bm25s_library_over_live_postings(make_store) -> None:
    store = make_store()
    postings = corpus(50)
    load(store, postings)
    store.delete([p.id for p in postings[::4]])
    store.upsert(docs_of([posting(postings[1].id, "Python Engineer", "python pandas sql pipelines")]), {})
    view = store.reader()
    live = live_postings(store)
    ids = sorted(live)
    model = bm25s.BM25(k1=IndexShape().bm25_k1, b=IndexShape().bm25_b, method="lucene")
    model.index(bm25s.tokenize([lexical_text(live[i]) for i in ids], stopwords="en", show_progress=False),
                show_progress=False)
    query = "python golang pipelines sql sql remote"
    tokens = bm25s.tokenize([query], stopwords="en", return_ids=False, show_progress=False)[0]
    expected = model.get_scores([t for t in tokens if t in model.vocab_dict])
    scores = view.bm25(Counter(tokens), view.allowed(Filters(include_archived=True)))
    got = np.asarray([scores[view.where[i][0]][view.where[i][1]] for i in ids])
    assert np.allclose(got, expected, rtol=1e-5, atol=1e-6)
    # Scoring reads candidates' BM25 from their own term counts: exactly the values above, in any order asked.
    refs = [view.where[i] for i in reversed(ids)]
    assert view.bm25_of(Counter(tokens), refs).tolist() == got[::-1].tolist()
    texts = bm25s.tokenize([lexical_text(live[i]) for i in ids], stopwords="en", return_ids=False, show_progress=False)
    assert view.dfs(tokens) == {t: sum(t in set(words) for words in texts) for t in tokens}


def test_merges_change_nothing_a_query_sees(make_store) -> None:
    store = make_store()
    postings = corpus(60)
    load(store, postings, batches=6)
    store.delete([p.id for p in postings[::5]])
    before = store.reader()
    query = EMBEDDER.encode_queries(["golang kubernetes"])
    masks = before.allowed(Filters())
    hits = {before.segments[s].ids[d] for s, d in before.dense_hits(query, 20, masks, nprobe=8)}
    bm = before.bm25(Counter(["golang", "sql"]), masks)
    bm_by_id = {pid: bm[s][d] for pid, (s, d) in before.where.items()}
    while store.merge():
        pass
    store.merge(force=True)
    after = store.reader()
    assert len(after.manifest.segments) == 1 and not after.manifest.segments[0].deleted
    assert set(after.where) == set(before.where)
    masks = after.allowed(Filters())
    assert {after.segments[s].ids[d] for s, d in after.dense_hits(query, 20, masks, nprobe=8)} == hits
    bm = after.bm25(Counter(["golang", "sql"]), masks)
    assert all(abs(bm[s][d] - bm_by_id[pid]) < 1e-9 for pid, (s, d) in after.where.items())
    assert after.vocab.df("golang") == before.vocab.df("golang")
