"""Cut posting bodies (and long queries) into passages the model can read, labelled by section kind."""

from __future__ import annotations

import re
from dataclasses import dataclass

from matcher.skills.gate import may_contain, required_literals

TARGET_CHARS = 700
MAX_CHARS = 900

# Section kinds, from headings. Boilerplate kinds say little about fit and are damped in ranking.
_KIND_PATTERNS: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("eeo", re.compile(r"equal (employment )?opportunit|diversity|inclusion|\beeo\b|accommodation|non-?discriminat", re.I)),
    ("benefits", re.compile(r"benefit|perks|we offer|what we offer|compensation|salary|why (join|work)|in it for you|"
                            r"what you('ll| will) get|we provide|our offer|package", re.I)),
    ("requirements", re.compile(r"require|qualific|about you|you have|you are|looking for|must|nice to have|bonus|"
                                r"skills|experience|essentials|who you are|ideal|profile|what you bring|you'll need", re.I)),
    ("role", re.compile(r"responsib|what you('ll| will) do|the role|your role|job description|tasks|day[- ]to[- ]day|"
                        r"the job|position|mission|what you('ll| will) be doing|duties|impact", re.I)),
    ("about", re.compile(r"about (us|the company|the team)|who we are|our (story|company|team|culture)|about\b", re.I)),
)
_EEO_PATTERN = (r"equal (employment )?opportunity|regardless of (race|age|gender)|without regard to|"
                r"protected (veteran|characteristic)|reasonable accommodation")
_EEO_TEXT = re.compile(_EEO_PATTERN, re.I)
# Speed: a case-insensitive search tries every branch at every position (~35 us a passage). IGNORECASE matches
# an ASCII letter only with ASCII letters and these four (tests/test_passages.py checks every code point), and
# lower() maps no other character onto ASCII: without them, lower-cased text, the case-sensitive pattern and a
# look for the words it needs first give the same answer at a tenth of the cost.
_FOLDS_ONTO_ASCII = re.compile("[\u0130\u0131\u017f\u212a]")
_EEO_LOWER = re.compile(_EEO_PATTERN)
_EEO_NEEDS = required_literals(_EEO_PATTERN)
_HEADING = re.compile(r"^\s*(#{1,6}\s+.+|\*\*[^*]{2,80}\*\*:?\s*|__[^_]{2,80}__:?\s*|[A-Z][^.!?\n]{2,60}:\s*)$")
_SENTENCE_END = re.compile(r"[.!?]\s+")  # its ends: after the spaces following a sentence's last mark
_MARKDOWN_LINKS = re.compile(r"!\[[^\]]*\]\([^)]*\)|\[([^\]]*)\]\([^)]*\)")  # images go, links keep their label
_MARKDOWN_MARKS = "*_`>#"


@dataclass(frozen=True, slots=True)
class Passage:
    """A piece of a text: its characters [start, end) in the source and its section kind."""

    text: str
    start: int
    end: int
    kind: str


def clean(text: str) -> str:
    """Strip Markdown markup (links keep their label) and squeeze whitespace."""
    if "](" in text:
        text = _MARKDOWN_LINKS.sub(lambda m: m.group(1) or " ", text)
    for mark in _MARKDOWN_MARKS:  # str.replace is C-fast; a regex or translate table is ~50x slower here
        text = text.replace(mark, " ")
    return " ".join(text.split())


def _eeo_text(text: str) -> bool:
    """Whether `text` reads as an equal-opportunity statement."""
    if text.isascii() or not _FOLDS_ONTO_ASCII.search(text):
        low = text.lower()
        return may_contain(low, _EEO_NEEDS) and _EEO_LOWER.search(low) is not None
    return _EEO_TEXT.search(text) is not None


def heading_kind(heading: str) -> str | None:
    """The section kind a heading announces, if any."""
    for kind, pattern in _KIND_PATTERNS:
        if pattern.search(heading):
            return kind
    return None


def _paragraphs(body: str) -> list[tuple[int, int]]:
    spans, start = [], 0
    for match in re.finditer(r"\n\s*\n", body):
        if body[start:match.start()].strip():
            spans.append((start, match.start()))
        start = match.end()
    if body[start:].strip():
        spans.append((start, len(body)))
    return spans


def _split_long(body: str, start: int, end: int) -> list[tuple[int, int]]:
    """Split [start, end) into pieces of at most MAX_CHARS at sentence (else line, else word) boundaries."""
    pieces: list[tuple[int, int]] = []
    cursor = start
    while end - cursor > MAX_CHARS:
        window = body[cursor:cursor + MAX_CHARS]
        cut = max((m.end() for m in _SENTENCE_END.finditer(window, 0, MAX_CHARS) if m.end() >= TARGET_CHARS // 2),
                  default=-1)
        if cut < 0:
            cut = window.rfind("\n", TARGET_CHARS // 2)
        if cut < 0:
            cut = window.rfind(" ", TARGET_CHARS // 2)
        if cut <= 0:
            cut = MAX_CHARS
        pieces.append((cursor, cursor + cut))
        cursor += cut
    pieces.append((cursor, end))
    return pieces


def split_passages(body: str, *, target: int = TARGET_CHARS) -> list[Passage]:
    """Group paragraphs into passages of about `target` characters, never across a section heading."""
    passages: list[Passage] = []
    kind = "intro"  # before any heading: often the role pitch, sometimes the company; not damped
    group: list[tuple[int, int]] = []

    def flush() -> None:
        if group:
            start, end = group[0][0], group[-1][1]
            text = clean(body[start:end])
            if text:
                own_kind = "eeo" if len(text) < 2 * target and _eeo_text(text) else kind
                passages.append(Passage(text, start, end, own_kind))
            group.clear()

    for start, end in _paragraphs(body):
        first_line = body[start:end].strip().split("\n", 1)[0]
        if _HEADING.match(first_line) and len(first_line) < 90:
            new_kind = heading_kind(first_line)
            if new_kind:
                flush()
                kind = new_kind
        for piece in _split_long(body, start, end):
            size = sum(e - s for s, e in group)
            if group and size >= target * 0.4 and size + (piece[1] - piece[0]) > MAX_CHARS:
                flush()
            group.append(piece)
    flush()
    return passages


def split_query(text: str, *, target: int = 1000) -> list[str]:
    """Cut a long query (a CV) into chunks near the model's reading length (~256 word pieces)."""
    return [p.text for p in split_passages(text, target=target)] or [clean(text)]
