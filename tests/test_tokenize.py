"""Our tokenizer gives exactly bm25s's tokens (stored indexes were built with bm25s.tokenize), checked against bm25s."""

from __future__ import annotations

import inspect
import json
import random

import bm25s
import pytest

from matcher.index.docs import TOKEN_PATTERN, lexical_text, tokenize
from tests.conftest import CROCODER, SEEDS, SHARED, needs_shared

# Characters where lower-casing or the word class is subtle: 'İ' grows when lower-cased, combining marks and
# zero-width joiners are not word characters, digits of other scripts and ligatures are, '_' is.
_ODD = ("İıßẞΣσςДдé\u0301\u0307ñ中文字日本語한국어😀👩\u200d💻\u200b\u00a0\u2028\u2029\t\n\r-_&#+./,;:()[]*|ﬁǅⅫ²٣"
        "0123456789 aAbBzZ")
_WORDS = ("I", "a", "an", "the", "The", "THE", "and", "İstanbul", "STRASSE", "straße", "C++", "C#", "Go", "node.js",
          "back-end", "don't", "it's", "co-op", "x_y", "_", "__init__", "ÉCOLE", "Σύστημα", "Разработчик", "数据")


def _bm25s(texts: list[str]) -> list[list[str]]:
    return bm25s.tokenize(texts, stopwords="en", return_ids=False, show_progress=False)  # type: ignore[return-value]


def _unicode_texts(n: int) -> list[str]:
    rng = random.Random(11)
    texts = []
    for _ in range(n):
        parts = [rng.choice(_WORDS) if rng.random() < 0.5 else "".join(rng.choices(_ODD, k=rng.randint(1, 9)))
                 for _ in range(rng.randint(0, 40))]
        texts.append(rng.choice([" ", "", "\n", "-"]).join(parts))
    return texts


def test_the_pattern_is_bm25s_default() -> None:
    assert inspect.signature(bm25s.tokenize).parameters["token_pattern"].default == TOKEN_PATTERN


def test_same_tokens_as_bm25s_on_odd_unicode_and_seeds() -> None:
    from matcher.postings import load_postings

    texts = _unicode_texts(600) + ["", " ", "I", "İİ", "the and of"]
    texts += [lexical_text(p) for p in load_postings([SEEDS]).postings]
    assert tokenize(texts) == _bm25s(texts)
    assert [tokenize([t])[0] for t in texts[:50]] == _bm25s(texts[:50])  # alone or in a batch
    assert tokenize(texts[:20], "en") == bm25s.tokenize(texts[:20], stopwords="english", return_ids=False,
                                                        show_progress=False)


def test_unknown_stopwords_fail_as_in_bm25s() -> None:
    with pytest.raises(ValueError):
        tokenize(["text"], "klingon")


@needs_shared()
def test_same_tokens_as_bm25s_on_every_posting_and_dev_query() -> None:
    from matcher.postings import load_postings

    postings = load_postings([CROCODER]).postings
    texts = [lexical_text(p) for p in postings]
    queries = SHARED / "eval" / "queries.dev.jsonl"
    if queries.is_file():
        for line in queries.read_text().splitlines():
            q = json.loads(line) if line.strip() else {}
            texts += [q.get("text") or "", "\n".join(q.get("skills") or ())]
    assert len(postings) > 1000
    assert tokenize(texts) == _bm25s(texts)
