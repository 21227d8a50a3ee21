"""A query's lexical evidence: its terms, the BM25 leaders among the allowed postings, and the exact BM25 of any
posting, reading only the postings lists a query needs (`Lexical.of`)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from matcher.config import MatcherConfig
from matcher.index.docs import tokenize
from matcher.index.view import Groups, Ref, View
from matcher.query import PreparedQuery


def query_terms(prepared: PreparedQuery, config: MatcherConfig) -> Counter[str]:
    """The candidate's lexical query: its terms and how often each occurs."""
    return Counter(tokenize([prepared.lexical], config.shape.stopwords)[0])


def retrieval_terms(terms: Counter[str], idfs: Mapping[str, float], dfs: Mapping[str, int],
                    share: float) -> Counter[str]:
    """The rarest of `terms` that carry at least `share` of the query's BM25 weight (idf x count; `idfs` holds the
    terms found in a posting, `dfs` their document frequencies).

    A CV has a few hundred terms and its commonest ones fill most of the postings lists a search would read, yet
    they carry little of its weight (a low idf); left out of retrieval they still score every candidate.
    """
    weight = {t: idf * terms[t] for t, idf in idfs.items()}
    budget = (1.0 - share) * sum(weight.values())
    kept, dropped = Counter({t: terms[t] for t in weight}), 0.0
    for t in sorted(weight, key=lambda t: (-dfs[t], t)):  # the commonest first
        if dropped + weight[t] > budget:
            break
        dropped += weight[t]
        del kept[t]
    return kept


@dataclass(frozen=True)
class Lexical:
    """A query's BM25: its leaders (exact over every term) and the exact value for any posting."""

    terms: Counter[str]  # the whole lexical query
    leaders: list[Ref]  # the `candidate_lexical` allowed postings with the best BM25, ties by posting id
    whole: list[np.ndarray] | None  # per segment, the BM25 of every allowed posting, when retrieval read every term
    known: dict[Ref, float]  # exact values already computed (the rescored pool)

    @classmethod
    def of(cls, view: View, prepared: PreparedQuery, masks: Sequence[np.ndarray], config: MatcherConfig) -> Lexical:
        r = config.ranking
        terms = query_terms(prepared, config)
        idfs = view.idfs(terms)
        dfs = view.dfs(idfs)
        # Leaving terms out pays only when it skips more postings-list entries than rescoring reads (the pool's and
        # the other candidates' own rows; see `Ranking.lexical_skip_factor`): never when all lists hold fewer.
        limit = r.lexical_skip_factor * r.lexical_rerank * view.avgdl
        chosen = retrieval_terms(terms, idfs, dfs, r.lexical_share) if sum(dfs.values()) > limit else terms
        if sum(df for t, df in dfs.items() if t not in chosen) <= limit:
            whole = view.bm25(terms, masks, idfs)  # every term (those in no posting add nothing)
            return cls(terms, view.top(whole, r.candidate_lexical), whole, {})
        pool = view.top(view.bm25(chosen, masks, idfs), r.lexical_rerank)
        exact = view.bm25_of(terms, pool, idfs)
        best = sorted(range(len(pool)), key=lambda i: (-exact[i], view.posting_id(pool[i])))[:r.candidate_lexical]
        return cls(terms, [pool[i] for i in best], None, dict(zip(pool, exact.tolist(), strict=True)))

    def values(self, view: View, refs: Sequence[Ref], groups: Groups | None = None) -> np.ndarray:
        """The exact BM25 of each ref (allowed ones: refs a query retrieved, or any live posting under no filter);
        `groups`: `refs` by segment, when the caller has them."""
        if self.whole is not None:
            if groups is None:
                return np.asarray([self.whole[s][d] for s, d in refs], dtype=np.float64)
            out = np.zeros(len(refs), dtype=np.float64)
            for s, (positions, docs) in groups.items():
                out[positions] = self.whole[s][docs]
            return out
        missing = [ref for ref in refs if ref not in self.known]
        found = dict(zip(missing, view.bm25_of(self.terms, missing).tolist(), strict=True)) if missing else {}
        return np.asarray([self.known[ref] if ref in self.known else found[ref] for ref in refs], dtype=np.float64)
