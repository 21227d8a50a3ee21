"""The vocabulary: canonical tags (catalog + corpus), their document frequency, weights and term resolution."""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from functools import cache
from typing import Any

from matcher.errors import InvalidInput
from matcher.skills.catalog import CATALOG, SUFFIXES, VENDORS
from matcher.skills.model import Resolution, Skill, Via
from matcher.skills.scan import Scanner, compact

FORMAT = 1
# A tag on at most this share of postings is fully informative (weight 1).
REFERENCE_SHARE = 0.02
# Generic tags are multiplied by this on top of their idf. The board tags them from incidental words (its
# `ui/ux` fires on "build", `office` on "home office"), in a CV they are soft skills every role claims, and the
# chat and mail tools are used by everyone: they say little about fit even in a corpus where they are rare.
GENERIC_DAMPING = 0.5
GENERIC: frozenset[str] = frozenset({
    "management", "office", "operations", "ui/ux", "english", "communication", "analysis", "optimization",
    "content", "leadership", "teamwork", "problemsolving", "timemanagement", "innovation", "presentation",
    "mentoring", "research", "slack", "zoom", "msteams", "googleworkspace", "word", "outlook", "touchtyping",
})

_PUNCT = re.compile(r"[()\[\]{},;:\"'`*|]+")
_SPACES = re.compile(r"\s+")


def normalise_term(term: str) -> str:
    """'  #Amazon Web Services (AWS) ' -> 'amazon web services aws'."""
    return _SPACES.sub(" ", _PUNCT.sub(" ", term.lower())).strip().lstrip("#").strip()


def _idf(df: int, n_docs: int) -> float:
    """Probabilistic idf, log((1 - p) / p): zero for a tag on half the postings, negative above."""
    p = (df + 0.5) / (n_docs + 1)
    return math.log((1 - p) / p)


def _is_acronym(word: str, before: list[str], upper: bool) -> bool:
    """'aws' after 'amazon web services', or any short word the user wrote in capitals ('SSIS')."""
    letters = re.sub(r"[^a-z0-9]", "", word)
    if not 2 <= len(letters) <= 6:
        return False
    return upper or letters == "".join(w[0] for w in before[-len(letters):])


class Vocabulary:
    """Canonical tags with document frequencies. Build with `build`, persist with `to_dict` / `from_dict`.

    Lookups are lenient: an unknown tag has df 0, the maximum weight, its own name and the family "general".
    """

    def __init__(self, skills: Iterable[Skill], df: Mapping[str, int], n_docs: int,
                 extra: Iterable[str] = (), canonical: Mapping[str, str] | None = None) -> None:
        self._skills = {s.tag: s for s in skills}
        self._extra = tuple(sorted(set(extra) - set(self._skills)))
        self._df = {tag: int(count) for tag, count in df.items() if count}
        self._n_docs = int(n_docs)
        self._canonical = dict(canonical or {})
        self._tags = tuple(sorted({*self._skills, *self._extra}))
        self._keys: dict[str, tuple[str, Via]] = {}
        for skill in self._skills.values():
            for form in skill.surface_forms():
                self._keys.setdefault(compact(form), (skill.tag, "alias"))
        for tag in self._tags:
            self._keys[compact(tag)] = (tag, "exact")
        self._exact = frozenset(compact(tag) for tag in self._tags)
        self._ref = min(math.log((1 - REFERENCE_SHARE) / REFERENCE_SHARE), _idf(0, self._n_docs))
        self._weights = {tag: self._weight(self._df.get(tag, 0), tag) for tag in self._tags}
        self._scanner: Scanner | None = None
        self._spellings: dict[str, str] | None = None

    # construction and persistence

    @classmethod
    def build(cls, tag_lists: Iterable[Sequence[str]], catalog: Sequence[Skill] = CATALOG) -> Vocabulary:
        """Tags of the catalog plus every tag in `tag_lists` (one item per posting), with document frequencies."""
        return cls(catalog, {}, 0).recount(tag_lists)

    def recount(self, tag_lists: Iterable[Sequence[str]]) -> Vocabulary:
        """A copy with df and n_docs counted over `tag_lists`; tags are canonicalised, new ones added."""
        df: Counter[str] = Counter()
        canonical = dict(self._canonical)
        extra = set(self._extra)
        n_docs = 0
        for tags in tag_lists:
            n_docs += 1
            seen: set[str] = set()
            for raw in tags:
                spelling = normalise_term(raw)
                if not spelling:
                    continue
                tag = self.canonical(spelling)
                if tag != spelling:
                    canonical[spelling] = tag
                if tag not in self._skills:
                    extra.add(tag)
                seen.add(tag)
            df.update(seen)
        return Vocabulary(self._skills.values(), df, n_docs, extra, canonical)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready; `from_dict` restores an equal vocabulary even if the catalog has changed since."""
        return {
            "format": FORMAT,
            "n_docs": self._n_docs,
            "df": dict(sorted(self._df.items())),
            "skills": [{"tag": s.tag, "name": s.name, "aliases": list(s.aliases), "family": s.family,
                        "ambiguous": s.ambiguous} for s in self._skills.values()],
            "extra": list(self._extra),
            "canonical": dict(sorted(self._canonical.items())),
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Vocabulary:
        """Inverse of `to_dict`."""
        if data.get("format") != FORMAT:
            raise InvalidInput(f"vocabulary format {data.get('format')!r} is not supported; expected {FORMAT}")
        skills = [Skill(d["tag"], d["name"], tuple(d["aliases"]), d["family"], bool(d["ambiguous"]))
                  for d in data["skills"]]
        return cls(skills, data["df"], data["n_docs"], data["extra"], data["canonical"])

    # tags

    @property
    def tags(self) -> tuple[str, ...]:
        """Every canonical tag, sorted."""
        return self._tags

    @property
    def n_docs(self) -> int:
        return self._n_docs

    def __len__(self) -> int:
        return len(self._tags)

    def __contains__(self, tag: object) -> bool:
        return isinstance(tag, str) and tag in self._weights

    def canonical(self, tag: str) -> str:
        """The canonical spelling of a tag or hashtag: '#Rust' -> 'rustlang'; unknown tags are only normalised."""
        spelling = normalise_term(tag)
        if spelling in self._canonical:
            return self._canonical[spelling]
        hit = self._keys.get(compact(spelling))
        return hit[0] if hit else spelling

    def skill(self, tag: str) -> Skill | None:
        """The catalog entry of `tag`, or None for a tag only seen in postings."""
        return self._skills.get(tag)

    def df(self, tag: str) -> int:
        """Number of postings carrying `tag`."""
        return self._df.get(tag, 0)

    def name(self, tag: str) -> str:
        skill = self._skills.get(tag)
        return skill.name if skill else tag

    def family(self, tag: str) -> str:
        skill = self._skills.get(tag)
        return skill.family if skill else "general"

    def aliases(self, tag: str) -> tuple[str, ...]:
        skill = self._skills.get(tag)
        return skill.aliases if skill else ()

    def weight(self, tag: str) -> float:
        """Informativeness in [0, 1]: 0 for tags on half the postings or more, 1 for rare ones (see module)."""
        found = self._weights.get(tag)
        return found if found is not None else self._weight(0, tag)

    def _weight(self, df: int, tag: str) -> float:
        value = 1.0 if self._n_docs == 0 or self._ref <= 0 else min(1.0, max(0.0, _idf(df, self._n_docs) / self._ref))
        return value * GENERIC_DAMPING if tag in GENERIC else value

    # resolution

    @property
    def scanner(self) -> Scanner:
        """Compiled matcher over the catalog skills' surface forms (built on first use)."""
        if self._scanner is None:
            forms = {form: s.tag for s in self._skills.values() for form in s.surface_forms()}
            self._scanner = Scanner(forms)
        return self._scanner

    @property
    def exact_keys(self) -> frozenset[str]:
        """Compact keys that are a tag itself (a match on them is "exact", not "alias")."""
        return self._exact

    @property
    def ambiguous_spellings(self) -> dict[str, str]:
        """Compact bare forms that need a context in free text -> the spelling that counts ('go' -> 'Go')."""
        if self._spellings is None:
            self._spellings = {compact(f): w for s in self._skills.values() for f, w in s.ambiguous_spellings().items()}
        return self._spellings

    def _lookup(self, spelling: str, term: str) -> Resolution | None:
        hit = self._keys.get(compact(spelling))
        return Resolution(hit[0], hit[1], term) if hit else None

    def resolve(self, term: str) -> Resolution | None:
        """The tag a term names: as a tag ("exact"), an alias, or an alias once a vendor prefix, a suffix such as
        "software", or a trailing acronym repeat is dropped ("Amazon Web Services AWS" -> aws)."""
        spelling = normalise_term(term)
        if not spelling:
            return None
        direct = self._lookup(spelling, term)
        if direct:
            return direct
        for variant in _variants(spelling, term):
            hit = self._lookup(variant, term)
            if hit:
                return Resolution(hit.tag, "alias", term)
        return None

    def resolve_all(self, term: str) -> list[Resolution]:
        """Every tag a term names: `resolve`, or else each skill found in it ("Python/Django" -> python, django)."""
        single = self.resolve(term)
        if single:
            return [single]
        found: dict[str, Resolution] = {}
        for _, _, tag, key in self.scanner.finditer(normalise_term(term)):
            found.setdefault(tag, Resolution(tag, "exact" if key == compact(tag) else "alias", term))
        return list(found.values())


def _variants(spelling: str, term: str) -> list[str]:
    """Shorter spellings to try: without a vendor prefix, a generic suffix, a trailing acronym repeat."""
    out = [spelling]
    for v in VENDORS:
        if spelling.startswith(v + " "):
            out.append(spelling[len(v) + 1:])
            break
    for base in list(out):
        for suffix in SUFFIXES:
            if base.endswith(" " + suffix):
                out.append(base[: -len(suffix) - 1])
                break
    last = term.split()[-1].strip("()[]{}") if term.split() else ""
    for base in list(out):
        words = base.split()
        upper = last.isupper() and normalise_term(last) == words[-1]
        if len(words) >= 2 and _is_acronym(words[-1], words[:-1], upper):
            out.extend([words[-1], " ".join(words[:-1])])
    return list(dict.fromkeys(out[1:]))


@cache
def default_vocabulary() -> Vocabulary:
    """The catalog alone (no postings counted: every weight is the maximum)."""
    return Vocabulary.build(())
