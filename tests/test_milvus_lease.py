"""One writer at a time on a Milvus index: a second writer is refused with one line naming the holder, a writer
that lost the lease commits nothing, and the lease passes on when its holder closes."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from matcher.errors import IndexBusy
from matcher.milvus import lease
from tests.helpers import posting
from tests.milvus_helpers import SKIP_REASON, lite_version
from tests.test_store_conformance import corpus, docs_of, milvus_store

LITE = lite_version()
pytestmark = pytest.mark.skipif(LITE is None, reason=SKIP_REASON)


def open_store(where: str, wait: float = 0.5):
    store = milvus_store(where).open(must_exist=False)
    store.lease.wait = wait
    return store


def test_a_second_writer_is_refused_naming_the_holder(tmp_path: Path) -> None:
    print(f"engine: Milvus Lite {LITE} embedded")
    where = f"milvus-lite://{tmp_path}/milvus.db"
    first = open_store(where)
    first.upsert(docs_of(corpus(5)), {})
    second = open_store(where)
    with pytest.raises(IndexBusy) as refused:
        second.upsert(docs_of([posting("intruder", "Go Developer")]), {})
    message = str(refused.value)
    assert "\n" not in message and first.lease.holder in message and "one writer at a time" in message
    second.refresh()
    assert "intruder" not in second.reader().where and len(second.reader()) == 5
    first.upsert(docs_of([posting("p0000", "Rust Engineer", "rust")]), {})  # the holder goes on writing
    first.close()  # gives the lease up
    second.upsert(docs_of([posting("next", "Go Developer")]), {})
    assert {"next", "p0000"} <= set(second.reader().where) and len(second.reader()) == 6


def test_a_writer_that_lost_the_lease_commits_nothing(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    print(f"engine: Milvus Lite {LITE} embedded")
    where = f"milvus-lite://{tmp_path}/milvus.db"
    store = open_store(where)
    store.upsert(docs_of(corpus(4)), {})
    version = store.reader().version
    kill = store._kill

    def kill_and_lose(*args: object) -> list[int]:
        # Another writer's claim lands in the middle of this write (a claim slower than lease.GAP).
        taken = {"key": lease.KEY, "value": {"holder": "elsewhere pid 1", "until": time.time() + 1.0},
                 "dummy": [0.0, 1.0]}
        store.client.upsert(store.lease.collection, [taken])
        return kill(*args)

    monkeypatch.setattr(store, "_kill", kill_and_lose)
    with pytest.raises(IndexBusy, match="lost the writer lease .* elsewhere pid 1"):
        store.upsert(docs_of([posting("p0001", "Changed Title")]), {})
    time.sleep(1.0 + lease.SKEW)
    later = open_store(where, wait=5.0)
    assert later.reader().version == version and later.reader().title(later.reader().where["p0001"]) != "Changed Title"
    later.upsert(docs_of([posting("p0002", "Other Change")]), {})  # claims the lease, removes the loser's rows
    assert set(later.reader().where) == {"p0000", "p0001", "p0002", "p0003"}
    assert later.reader().title(later.reader().where["p0001"]) != "Changed Title"
    fresh = open_store(where)
    assert fresh.reader().title(fresh.reader().where["p0001"]) != "Changed Title" and len(fresh.reader()) == 4
