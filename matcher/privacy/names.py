"""Finding a candidate's name: labelled, introduced ("My name is ..."), or alone on a CV's first lines.

A name is recognised by its shape (2-4 capitalised words) and a first-name list (gender-guesser's, ~45,000 names
from many countries); words that are skills ("Ruby", "Go"), role or section words never count as a name.
spaCy / Presidio NER was measured and rejected: it tagged most technology names in CVs as PERSON (bench/RESULTS.md).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from functools import cache
from pathlib import Path

from matcher.skills.titles import keyword_families

HEADER_LINES = 4  # a name line is looked for among the first non-empty lines only
_TOKEN = re.compile(r"^(?:[A-Z][a-zà-öø-ÿ'’]+(?:-[A-Z][a-zà-öø-ÿ'’]+)?|[A-Z][A-Z'’-]+|[A-Z]\.)$")
_PARTICLES = {"van", "von", "de", "der", "den", "da", "di", "del", "della", "la", "le", "bin", "bint", "ibn", "al",
              "el", "ben", "dos", "das", "du", "y", "ter", "mac", "st."}
_HONORIFICS = {"mr", "mrs", "ms", "miss", "mx", "dr", "prof", "sir", "madam", "dame"}
# Words that head a CV's first lines and are not names (section titles, document names).
_SECTION_WORDS = {"curriculum", "vitae", "resume", "résumé", "cv", "profile", "summary", "contact", "contacts",
                  "personal", "details", "information", "objective", "about", "experience", "education", "skills",
                  "professional", "career", "work", "history", "references", "languages", "projects", "page",
                  "senior", "junior", "lead", "principal", "staff", "intern", "head", "chief", "freelance",
                  "remote", "english", "hebrew", "russian", "french", "german", "spanish", "tel", "cell", "phone",
                  "mobile", "email", "address", "city", "street", "linkedin", "github", "israel", "area"}
_INTRODUCERS = ("my name is", "my name's", "i am", "i'm", "i’m", "this is", "name is", "called")
INTRODUCED = re.compile(rf"\b(?:{'|'.join(_INTRODUCERS)})\s+"
                        r"((?:[A-Z][\w'’-]+|[A-Z]\.)(?:\s+(?:[A-Z][\w'’-]+|[A-Z]\.|(?:van|von|de|da|di|del|bin|al|el)"
                        r"(?=\s+[A-Z]))){0,3})")


def introduced(text: str) -> Iterable[re.Match[str]]:
    """`INTRODUCED`'s matches; none without one of its (case-sensitive) opening phrases, found far faster."""
    return INTRODUCED.finditer(text) if any(phrase in text for phrase in _INTRODUCERS) else ()


@cache
def _detector():  # type: ignore[no-untyped-def]
    import gender_guesser.detector as gender_guesser  # 0.2 s to read its name list: load on first use

    return gender_guesser.Detector(case_sensitive=False)


def is_first_name(word: str) -> bool:
    return _detector().get_gender(word.strip(".").capitalize()) != "unknown"


@cache
def _english_words() -> frozenset[str]:
    """Whole English words from the packaged model's WordPiece vocabulary (no list when it is not installed)."""
    from matcher.config import resolve_model

    try:
        vocab = Path(resolve_model().location) / "vocab.txt"
        words = vocab.read_text(encoding="utf-8").split()
    except Exception:  # noqa: BLE001 - no model folder or vocabulary: this one hint is simply off
        return frozenset()
    return frozenset(w for w in words if w.isalpha() and len(w) > 2)


@cache
def _skill(word: str) -> bool:
    from matcher.skills import default_vocabulary

    return default_vocabulary().resolve(word.lower()) is not None


def name_tokens(segment: str, *, first_line: bool = False) -> list[str]:
    """The name's words if `segment` (a line or a part of one) is a person's name, else []."""
    words = [w for w in segment.strip(" \t*#•·:-_,").split() if w.lower().strip(".") not in _HONORIFICS]
    core = [w for w in words if w.lower() not in _PARTICLES]
    if not 2 <= len(core) <= 4 or not all(_TOKEN.match(w) for w in core):
        return []
    if any(w.lower().strip(".") in _SECTION_WORDS or keyword_families(w.lower()) for w in core):
        return []
    if _skill(" ".join(core)) or all(_skill(w) for w in core):  # "Spring Boot", "Go Kafka"; "Ruby Smith" is a name
        return []
    # The first word must be a known first name ("Tel Aviv" is not a name although "Aviv" is one).
    if len(core[0].strip(".")) > 1 and is_first_name(core[0]):
        return core
    english = _english_words()
    # The first line of a CV, shaped like a name, of words that are not English words: a name the list lacks.
    if first_line and english and not all(w.lower() in english for w in core if len(w.strip(".")) > 1):
        return core
    return []


def header_names(text: str) -> list[tuple[int, int, list[str]]]:
    """(start, end, name words) of name-shaped segments among the first non-empty lines of `text`."""
    found = []
    seen = 0
    for line in re.finditer(r"^.*$", text, re.MULTILINE):
        if not line.group().strip():
            continue
        for segment in re.finditer(r"[^|•·\t]+?(?=\s{2,}|\t|\s[|•·,–—-]\s|[|•·,]|$)", line.group()):
            if ":" in line.group()[:segment.start()]:
                break  # a labelled list ("Skills: Java, Spring Boot"), not a name line
            tokens = name_tokens(segment.group(), first_line=seen == 0)
            if tokens:
                found.append((line.start() + segment.start(), line.start() + segment.end(), tokens))
        seen += 1
        if seen >= HEADER_LINES:
            break
    return found


def split_name(value: str) -> list[str]:
    """A labelled name's parts (nameparser: honorifics and suffixes dropped, 'Last, First' understood)."""
    from nameparser import HumanName

    parsed = HumanName(value)
    parts = " ".join([parsed.first, parsed.middle, parsed.last, parsed.nickname]).split()
    return [p.strip(",.\"'()") for p in parts if len(p.strip(",.\"'()")) > 1]


def recurring(parts: Iterable[str]) -> re.Pattern[str] | None:
    """A pattern for the name's parts anywhere in the text, leaving out parts that are skills ("Ruby")."""
    words = sorted({p for p in parts if len(p) > 1 and not _skill(p)}, key=len, reverse=True)
    if not words:
        return None
    # As written or in capitals, never in lower case: "Will" and "Mark" are names, "will" and "mark" are words.
    alternatives = "|".join(re.escape(f) for w in words for f in dict.fromkeys((w.capitalize(), w.upper(), w)))
    return re.compile(rf"(?<![\w@.-])(?:{alternatives})(?:'s|’s)?(?![\w@])")
