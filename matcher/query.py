"""Turn a candidate (CV text and/or skills list) into what ranking needs: vectors, tags, a lexical query."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Protocol

import numpy as np

from matcher import limits
from matcher.config import Ranking
from matcher.embed import Embedder
from matcher.errors import InvalidInput
from matcher.passages import split_query
from matcher.privacy import blind_text
from matcher.results import Blinding, TagMatch
from matcher.skills import Vocabulary, candidate_skills, extract_skills, text_families

_RANKING = Ranking()
MAX_QUERY_CHUNKS = _RANKING.max_query_chunks
SEMANTIC_TAG_THRESHOLD = _RANKING.semantic_tag_threshold
SEMANTIC_TAG_NEIGHBOURS = _RANKING.semantic_tag_neighbours


@dataclass(frozen=True)
class Candidate:
    """What a candidate brings: free text, a skills list, or both.

    With `blind` (the default) the text is blinded as the candidate is made: names, contact details and protected
    attributes are removed (`matcher.privacy`), so nothing downstream ever sees them; `blinding` says what went.
    """

    text: str | None = None
    skills: tuple[str, ...] = ()
    blind: bool = True
    blinding: Blinding = field(default=Blinding(False), init=False, compare=False)

    def __post_init__(self) -> None:
        if not (self.text and self.text.strip()) and not any(s.strip() for s in self.skills):
            raise InvalidInput("give a CV or profile as text, a skills list, or both; both were empty")
        limits.check_candidate(self.text, self.skills)  # every door builds a Candidate: the one check
        if self.blind:
            text, blinding = blind_text(self.text, self.skills)
            object.__setattr__(self, "text", text)  # the unblinded text is not kept
            object.__setattr__(self, "blinding", blinding)


@dataclass(frozen=True)
class PreparedQuery:
    """A candidate ready for scoring. `vectors` rows are unit vectors (text chunks, then the skills line)."""

    vectors: np.ndarray
    tags: dict[str, TagMatch]  # canonical tag -> how the candidate has it
    lexical: str
    headline: np.ndarray  # (1, dim) the candidate's stated role, or the mean query direction
    families: dict[str, float]  # role families the candidate's text and skills point to, 0..1
    whole: np.ndarray  # (1, dim) the whole candidate as one text (the model reads its first 256 word pieces)
    has_text: bool = False  # the candidate gave text (a CV or profile), not only a skills list
    blinding: Blinding = Blinding(False)  # what blinding removed from the candidate's text (kinds and counts)


_LETTERS = re.compile(r"[A-Za-z]{3,}")


def headline(text: str) -> str | None:
    """The first short line that names something (a CV's title or an occupation), skipping redacted lines."""
    for line in text.strip().splitlines()[:6]:
        line = line.strip(" *#-_:\t")
        if 3 <= len(line) <= 80 and _LETTERS.search(line) and not line.lower().startswith(("summary", "name")):
            return line
    return None


def _skills_line(skills: tuple[str, ...]) -> str:
    return "Skills: " + ", ".join(skills)


class TagSource(Protocol):
    """Where a query finds the vocabulary and the tag vectors (an index view)."""

    @property
    def vocab(self) -> Vocabulary: ...

    @property
    def tag_table(self) -> tuple[tuple[str, ...], np.ndarray]: ...


def semantic_neighbours(term_vectors: np.ndarray, table: tuple[tuple[str, ...], np.ndarray], n: int,
                        threshold: float) -> list[list[tuple[str, float]]]:
    """For each term vector, up to `n` tags whose vectors are at least `threshold` similar, best first."""
    names, matrix = table
    if not len(names) or not len(term_vectors):
        return [[] for _ in range(len(term_vectors))]
    sims = term_vectors @ matrix.T
    out = []
    for row in sims:
        best = np.argsort(-row, kind="stable")[:n]
        out.append([(names[int(i)], float(row[i])) for i in best if row[i] >= threshold])
    return out


def prepare(candidate: Candidate, snapshot: TagSource, embedder: Embedder) -> PreparedQuery:
    """Embed the candidate's text chunks and skills; resolve skills to tags (exact, alias, semantic)."""
    texts: list[str] = []
    if candidate.text and candidate.text.strip():
        texts.extend(split_query(candidate.text)[:MAX_QUERY_CHUNKS])
    skills = tuple(s.strip() for s in candidate.skills if s.strip())
    if skills:
        texts.append(_skills_line(skills))
    vocab = snapshot.vocab
    tags: dict[str, TagMatch] = {}
    resolved, unresolved = candidate_skills(skills, vocab)
    for r in resolved:
        tags.setdefault(r.tag, TagMatch(r.tag, r.via, r.term, 1.0))
    mentions = extract_skills(candidate.text, vocab) if candidate.text else []
    for m in mentions:
        if m.tag not in tags:  # a CV names most of its skills several times; a TagMatch is made once
            tags[m.tag] = TagMatch(m.tag, m.via, m.term, 1.0)
    unresolved = list(unresolved)
    head = headline(candidate.text) if candidate.text else None
    whole_text = "\n".join(([candidate.text.strip()] if candidate.text and candidate.text.strip() else [])
                           + ([", ".join(skills)] if skills else []))
    vectors = embedder.encode_queries(texts + unresolved + [whole_text] + ([head] if head else []))
    whole = vectors[len(texts) + len(unresolved):len(texts) + len(unresolved) + 1]
    term_vectors = vectors[len(texts):len(texts) + len(unresolved)]
    if head:
        head_vector = vectors[-1:]
    else:
        mean = vectors[: len(texts)].mean(axis=0)
        head_vector = (mean / (np.linalg.norm(mean) or 1.0))[None, :].astype(np.float32)
    if len(unresolved):
        found = semantic_neighbours(term_vectors, snapshot.tag_table, SEMANTIC_TAG_NEIGHBOURS, SEMANTIC_TAG_THRESHOLD)
        for term, neighbours in zip(unresolved, found, strict=True):
            for tag, score in neighbours:
                tags.setdefault(tag, TagMatch(tag, "semantic", term, round(score, 4)))
    lexical_terms = [candidate.text or ""] + list(skills) + [vocab.name(t) for t in tags]
    family_text = "\n".join(([candidate.text] if candidate.text else []) + ([_skills_line(skills)] if skills else []))
    families = text_families(family_text, vocab, mentions if family_text == candidate.text else None)
    has_text = bool(candidate.text and candidate.text.strip())
    return PreparedQuery(vectors[: len(texts)], tags, "\n".join(lexical_terms), head_vector, families, whole, has_text,
                         candidate.blinding)
