"""The skills layer's small value types: a catalog skill, a resolved term, a mention in text."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal

Via = Literal["exact", "alias"]

# Role families a skill can belong to. Titles use these plus a few that no single skill implies
# (see `matcher.skills.titles.TITLE_FAMILIES`).
SKILL_FAMILIES: tuple[str, ...] = (
    "backend", "frontend", "mobile", "games", "devops", "it", "data", "ml", "qa", "security",
    "design", "product", "marketing", "sales", "support", "people", "finance", "operations",
    "writing", "office", "language", "general",
)

_WORD = re.compile(r"[A-Za-z]+")


@dataclass(frozen=True, slots=True)
class Skill:
    """One catalog entry. `aliases` are lower-case surface forms; the tag and the lower-cased name count too.

    `ambiguous` marks a skill whose bare name is an ordinary word or a letter (Go, R, Swift, Excel):
    those bare forms are only trusted in free text when written as in `name` and in a skill context.
    Qualified forms (golang, ms excel, unity3d) are always trusted.
    """

    tag: str
    name: str
    aliases: tuple[str, ...]
    family: str
    ambiguous: bool = False

    def __post_init__(self) -> None:
        if self.family not in SKILL_FAMILIES:
            raise ValueError(f"skill {self.tag!r}: family {self.family!r} is not one of {', '.join(SKILL_FAMILIES)}")
        if self.tag != self.tag.lower() or " " in self.tag or not self.tag:
            raise ValueError(f"skill tag {self.tag!r}: expected lower case without spaces")
        bad = [a for a in self.aliases if a != a.lower() or a != a.strip() or not a]
        if bad:
            raise ValueError(f"skill {self.tag!r}: aliases must be lower case and trimmed, got {bad}")

    def surface_forms(self) -> tuple[str, ...]:
        """The tag, the lower-cased name and the aliases, without repeats."""
        return tuple(dict.fromkeys((self.tag, self.name.lower(), *self.aliases)))

    def ambiguous_spellings(self) -> dict[str, str]:
        """Bare forms that need care in free text -> the spelling that counts ('go' -> 'Go').

        They are the aliases that are one plain word of the display name: 'Go' -> go,
        'Microsoft Excel' -> excel, 'Ruby on Rails' -> rails. Empty unless `ambiguous`.
        """
        if not self.ambiguous:
            return {}
        words = {w.lower(): w for w in _WORD.findall(self.name)}
        return {form: words[form] for form in self.surface_forms() if form in words}


@dataclass(frozen=True, slots=True)
class Resolution:
    """A term resolved to a canonical tag: `exact` (the term is the tag) or `alias`."""

    tag: str
    via: Via
    term: str


@dataclass(frozen=True, slots=True)
class Mention:
    """A skill named in free text: `text[start:end] == term`."""

    tag: str
    term: str
    start: int
    end: int
    via: Via
