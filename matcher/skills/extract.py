"""Find skills named in free text (a CV, a posting body); bare ambiguous names count only in a skill context."""

from __future__ import annotations

import re
from bisect import bisect_left, bisect_right
from collections.abc import Iterable
from dataclasses import dataclass

from matcher.skills.model import Mention, Resolution
from matcher.skills.vocab import Vocabulary

# The rule for an ambiguous bare form (go, r, c, rust, swift, excel, office, react, node, ...):
#  1. It must be written as in the skill's name ("Go", "R", "REST") or in capitals; a hyphen or '&' glued to
#     it vetoes it ("go-to", "C-level", "R&D", "rust-coloured"), as does a year after it ("Spring 2022").
#  2. Then it counts with a skill context: a cue word before ("in Go", "with R", "Skills: Excel") or after
#     ("Go developer", "R programming", "Excel spreadsheets"), a version ("Go 1.16"), being alone on a bullet
#     line, or being an item of a list whose neighbour is a trusted skill ("R, Python", "C/C++").
#  3. Without a context, a name of 3+ letters still counts when its capital is deliberate: not at the start of
#     a sentence or line, and not inside a run of capitalised words ("Office Manager", "Head Chef").
# Forms of one or two letters (go, r, c, and short aliases such as "bi") also reject a glued hyphen or '&'.
MAX_LIST_GAP = 40
_WINDOW = 80  # how far around a candidate the context rules look (keeps extraction linear in the text)
_CUE_BEFORE = frozenset(
    "in with using use uses know knows like including via languages language skills stack technologies tools "
    "tech developer developers engineer engineers programmer programmers proficient proficiency expertise "
    "familiarity familiar fluent".split()
)
_CUE_BEFORE_PAIRS = frozenset({"knowledge of", "use of", "understanding of", "command of", "such as", "written in"})
_CUE_AFTER = frozenset(
    "developer developers engineer engineers engineering programming programmer programmers language languages "
    "lang code coding codebase codebases dev development stack backend backends service services microservice "
    "microservices framework frameworks library libraries module modules package packages sdk api apis app apps "
    "application applications project projects experience skills expertise proficiency knowledge script scripts "
    "scripting spreadsheet spreadsheets document documents macro macros formula formulas template templates "
    "cookbook cookbooks manifest manifests engine editor plugin plugins certification certified expert compiler "
    "runtime ecosystem toolchain tooling studio".split()
)
_LIST_GAP = re.compile(
    r"(?:[\s,;/|&+()\[\]*_:\\>\x01\u00b7\u2022-]|\d{1,2}\\?[.)]"
    r"|\b(?:and|or|plus|as well as|etc|e\.g|i\.e|including|such as|like|nor|vs|versus|with|also)\b\.?)*",
    re.IGNORECASE,
)
# A list gap must hold a real separator: "Identity Access Management" is a name, "Jira & Confluence" a list.
_SEPARATOR = re.compile(r"[,;/|&+()\[\]\n\u00b7\u2022]|\\?\d[.)]|\b(?:and|or|plus|etc|vs|versus|nor)\b", re.IGNORECASE)
_LINE_LEAD = r"[\s>#*_\u00b7\u2022+-]*(?:\d{1,2}\\?[.)]\s*)?[*_\s]*"
_LEAD = re.compile(_LINE_LEAD)
_BULLET_REST = re.compile(r"[*_\s.,;:]*")
_MARKS = frozenset(".!?:")  # a capital after one of these (and spaces, then any of _MARK_TAIL) is forced
_MARK_TAIL = "*_\"'(["
_OPENERS = " \t\n*_(\"'`:["  # may stand between a cue word and the name: "in **Go**", "Skills: R"
_NEXT_WORD = re.compile(r"[\s*_)\"'`\]]*([A-Za-z]+)")
_VERSION = re.compile(r"[ ]?v?\d{1,2}(?:\.\d+)*(?![\d,])")
_YEAR = re.compile(r"[ ]?(?:19|20)\d\d\b")
_TITLE_BEFORE = re.compile(r"[A-Z][\w'.]*[ ]$")
_TITLE_AFTER = re.compile(r"[ ][A-Z]")


@dataclass(slots=True)
class _Hit:
    start: int
    end: int
    tag: str
    key: str
    spelling: str | None  # the spelling an ambiguous form must have, None when the form is trusted


def _glued(text: str, start: int, end: int) -> bool:
    """A hyphen or '&' joins the form to a neighbouring word or letter ("C-level", "R&D", "go-to")."""
    before = start >= 2 and text[start - 1] in "-&" and text[start - 2].isalnum()
    after = end + 1 < len(text) and text[end] in "-&" and text[end + 1].isalnum()
    wrapped = start >= 2 and text[start - 1] == "(" and text[start - 2].isalnum() and text[end:end + 1] == ")"
    return before or after or wrapped


def _line_prefix(text: str, start: int) -> str:
    """The line before `start`, at most `_WINDOW` characters; a cut line gets a leading \\x02 (not a line start)."""
    low = max(0, start - _WINDOW)
    newline = text.rfind("\n", low, start)
    if newline >= 0:
        return text[newline + 1:start]
    return text[:start] if low == 0 else "\x02" + text[low:start]


def _has_cue(text: str, hit: _Hit) -> bool:
    """A cue word before or after, a version number after, or the form alone on a bullet line."""
    prefix = _line_prefix(text, hit.start)
    words = prefix[-40:].rstrip(_OPENERS).rstrip(".").lower().split()[-2:]
    if words and (words[-1] in _CUE_BEFORE or " ".join(words) in _CUE_BEFORE_PAIRS):
        return True
    after = text[hit.end:hit.end + 40]
    following = _NEXT_WORD.match(after)
    if following and following.group(1).lower() in _CUE_AFTER:
        return True
    if _VERSION.match(after) and not _YEAR.match(after):
        return True
    rest = text[hit.end:hit.end + _WINDOW].split("\n", 1)[0]
    return _LEAD.fullmatch(prefix) is not None and _BULLET_REST.fullmatch(rest) is not None


def _forced_capital(prefix: str) -> bool:
    """A capital is forced at the end of `prefix` (a line's start, no newline): it only holds a bullet, or it ends
    with a sentence mark, spaces and then only quotes, brackets or emphasis ("Done. **")."""
    # r"(?:^LEAD|[.!?:]\s*[*_\"'(\[]*)$" in two parts; stripping finds the second without a scan of the line.
    return _LEAD.fullmatch(prefix) is not None or prefix.rstrip(_MARK_TAIL).rstrip()[-1:] in _MARKS


def _deliberate_capital(text: str, hit: _Hit) -> bool:
    """A 3+ letter name capitalised mid-sentence and not inside a run of capitalised words."""
    if len(hit.key) < 3:
        return False
    prefix = _line_prefix(text, hit.start)
    if _forced_capital(prefix):
        return False
    # A capitalised word just before: it holds no space, so the search starts after the last one.
    before = _TITLE_BEFORE.search(prefix, prefix.rfind(" ", 0, len(prefix) - 1) + 1)
    return not (before or _TITLE_AFTER.match(text, hit.end))


def _candidates(text: str, vocab: Vocabulary) -> list[_Hit]:
    spellings = vocab.ambiguous_spellings
    hits: list[_Hit] = []
    for start, end, tag, key in vocab.scanner.finditer(text):
        spelling = spellings.get(key)
        if (spelling is not None or len(key) <= 2) and _glued(text, start, end):
            continue
        if spelling is not None:
            surface = text[start:end]
            if surface != spelling and not (len(surface) > 1 and surface.isupper()):
                continue
            if _YEAR.match(text, end):
                continue
        hits.append(_Hit(start, end, tag, key, spelling))
    return hits


def _masked(text: str, hits: list[_Hit]) -> str:
    """`text` with the undecided candidates replaced by \\x01, so a list gap may run over them ("Go, R and Python")."""
    parts: list[str] = []
    last = 0
    for hit in hits:
        parts.append(text[last:hit.start])
        parts.append("\x01" * (hit.end - hit.start))
        last = hit.end
    parts.append(text[last:])
    return "".join(parts)


def _in_list(masked: str, hit: _Hit, anchors: list[_Hit]) -> bool:
    for other in anchors:
        if other is hit:
            continue
        if 0 <= hit.start - other.end <= MAX_LIST_GAP:
            gap = masked[other.end:hit.start]
        elif 0 <= other.start - hit.end <= MAX_LIST_GAP:
            gap = masked[hit.end:other.start]
        else:
            continue
        if _LIST_GAP.fullmatch(gap) and _SEPARATOR.search(gap):
            return True
    return False


def extract_skills(text: str, vocab: Vocabulary) -> list[Mention]:
    """Every catalog skill named in `text`, in order of position (a skill may be mentioned several times)."""
    hits = _candidates(text, vocab)
    trusted = [h.spelling is None or _has_cue(text, h) or _deliberate_capital(text, h) for h in hits]
    if not all(trusted):
        masked = _masked(text, [h for h, ok in zip(hits, trusted, strict=True) if not ok])
        anchors = [h for h, ok in zip(hits, trusted, strict=True) if ok]
        ends = [a.end for a in anchors]
        starts = [a.start for a in anchors]
        trusted = [
            ok or _in_list(masked, h, anchors[bisect_left(ends, h.start - MAX_LIST_GAP):
                                              bisect_right(starts, h.end + MAX_LIST_GAP)])
            for h, ok in zip(hits, trusted, strict=True)
        ]
    exact = vocab.exact_keys
    return [
        Mention(h.tag, text[h.start:h.end], h.start, h.end, "exact" if h.key in exact else "alias")
        for h, ok in zip(hits, trusted, strict=True)
        if ok
    ]


def extract_tags(text: str, vocab: Vocabulary) -> list[str]:
    """The distinct tags of `extract_skills`, in order of first mention."""
    return list(dict.fromkeys(m.tag for m in extract_skills(text, vocab)))


def candidate_skills(terms: Iterable[str], vocab: Vocabulary) -> tuple[list[Resolution], list[str]]:
    """Resolve a user's skills list: (one resolution per distinct tag, the terms that named no tag)."""
    resolved: dict[str, Resolution] = {}
    unresolved: list[str] = []
    for term in terms:
        if not term.strip():
            continue
        found = vocab.resolve_all(term)
        if not found:
            unresolved.append(term.strip())
        for r in found:
            resolved.setdefault(r.tag, r)
    return list(resolved.values()), unresolved
