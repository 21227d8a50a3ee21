"""The blinder: what it removes (by kind), what it keeps (skills, employers, schools, titles), and that it only
reports kinds and counts."""

from __future__ import annotations

import functools
import random
import re
from collections.abc import Iterable

import pytest

from matcher.privacy import KINDS, blind

HEADER = ("Maria Gonzalez\n"
          "Female, 52 years old, Mexican citizen, married with three children, Catholic\n"
          "Date of birth: 12/03/1972\n"
          "Email: maria.gonzalez@example.com  Phone: +1 415 555 0199\n"
          "LinkedIn: https://linkedin.com/in/mgonzalez\n\n")
BODY = ("Senior Java Developer\n"
        "Experience: Google (2015-2020), Catholic Charities USA (2010-2015).\n"
        "Education: Catholic University of Leuven, MSc Computer Science.\n"
        "Skills: Java, Ruby, Go, Kafka, Spring Boot, PostgreSQL, Kubernetes.\n"
        "Mobile: iOS, Android, Flutter\n"
        "Built single-page applications; engaged stakeholders; 5 years of experience; comma-separated values.")


def test_header_attributes_are_removed_and_counted() -> None:
    result = blind(HEADER + BODY)
    assert result.removed == {"name": 1, "email": 1, "phone": 1, "url": 1, "date_of_birth": 1, "age": 1,
                              "gender": 1, "nationality": 1, "family": 1, "religion": 1}
    for gone in ("Maria", "Gonzalez", "Female", "52", "Mexican", "married", "children", "1972", "@", "415",
                 "linkedin"):
        assert gone not in result.text
    assert result.text.splitlines()[0] == "Senior Java Developer"  # the stated role is now the first line


def test_evidence_of_fit_survives() -> None:
    result = blind(HEADER + BODY)
    assert result.text.endswith(BODY)
    assert blind(BODY).text == BODY and blind(BODY).removed == {}


KIND_EXAMPLES = [
    ("Name: Oluwaseun Adeyemi", "name"),
    ("My name is Lakisha Washington and I build APIs.", "name"),
    ("JAMES SMITH | Backend Engineer", "name"),
    ("Gender: non-binary", "gender"),
    ("Sex: F", "gender"),
    ("Pronouns: she/her", "pronouns"),
    ("Age: 34", "age"),
    ("I am a 61-year-old engineer.", "age"),
    ("DOB: 1984", "date_of_birth"),
    ("Born on 3 March 1990 in a small town.", "date_of_birth"),
    ("Nationality: Nigerian", "nationality"),
    ("Citizenship: Israel", "nationality"),
    ("I am a German citizen.", "nationality"),
    ("Originally from Vietnam, I moved to Berlin.", "nationality"),
    ("Marital status: divorced", "family"),
    ("I am a mother of two.", "family"),
    ("Religion: Hindu", "religion"),
    ("I am a practising Muslim.", "religion"),
    ("Ethnicity: Hispanic", "ethnicity"),
    ("I am of Korean descent.", "ethnicity"),
    ("Disability: wheelchair user", "health"),
    ("I have dyslexia.", "health"),
    ("Address: 12 Main Street, Springfield", "address"),
    ("Tel: 054-123-4567", "phone"),
    ("call (415) 555-0199", "phone"),
    ("see github.com/mgonzalez", "url"),
]


@pytest.mark.parametrize(("text", "kind"), KIND_EXAMPLES)
def test_each_kind(text: str, kind: str) -> None:
    result = blind(text)
    assert kind in result.removed, (text, result.removed)


def test_a_name_is_removed_wherever_it_recurs_but_not_a_skill_that_is_also_a_name() -> None:
    result = blind("Ruby Smith\nBackend developer. Ruby led the Ruby on Rails migration; Smith's team used Go.")
    assert "Smith" not in result.text
    assert "Ruby on Rails" in result.text and "Go." in result.text
    assert blind("Mark Evans\nI will mark this as done.").text == "I will mark this as done."


def test_links_and_places() -> None:
    text = ("Backend developer\nmgonzalez.dev | https://github.com/mg\nLocation: Tel Aviv, Israel\nSkills: ASP.NET, "
            "Socket.IO, Node.js\n\n\n\n\n\n\nExperience: Elpisor (www.elpisor.com), 2019-2023")
    result = blind(text)
    assert result.removed == {"url": 2}
    assert "Location: Tel Aviv, Israel" in result.text  # where one lives is kept: postings' locations are requirements
    assert "ASP.NET, Socket.IO, Node.js" in result.text and "www.elpisor.com" in result.text  # an employer's site
    assert "Address" not in blind("Address: 12 Main Street, Springfield").text


def test_pronouns_become_neutral_so_variants_read_the_same() -> None:
    she, he = blind("She led the team and her work shipped."), blind("He led the team and his work shipped.")
    assert she.text == he.text == "They led the team and their work shipped."
    assert she.removed == he.removed == {"pronouns": 2}


def test_pronouns_in_letters_that_lower_case_differently_are_replaced_too() -> None:
    """A case-insensitive regex takes "ſ" for "s" and "ı", "İ" for "i"; blinding once failed on them (KeyError)."""
    result = blind("ſhe led the team; hİs and hıs work shipped; SHE wrote it.")
    assert result.text == "they led the team; their and their work shipped; They wrote it."
    assert result.removed == {"pronouns": 4}


def test_ordinary_cv_words_stay() -> None:
    text = ("Registered Nurse\nMobile: iOS and Android apps\nWeb: HTML5/CSS3\nLanguages: Russian, Hebrew, English\n"
            "Single sign-on, separated concerns, a man-hours estimate, Beketov National University, "
            "Tel Aviv office, Christian Dior, 10 years of experience, aged care software.")
    assert blind(text).removed == {} or set(blind(text).removed) <= {"age"}
    assert "Registered Nurse" in blind(text).text and "Beketov National University" in blind(text).text


def test_only_kinds_and_counts_leave_the_function() -> None:
    result = blind(HEADER)
    assert set(result.removed) <= set(KINDS) and all(isinstance(v, int) and v > 0 for v in result.removed.values())
    assert list(result.removed) == [k for k in KINDS if k in result.removed]  # a stable order
    assert result.text == "" and result.total == sum(result.removed.values())


# At least one text for every phrase rule, in the spellings that are easiest to get wrong when choosing its words.
PHRASE_EXAMPLES = (
    "Born and raised in New Zealand; grew up in the Netherlands; a Mexican-born engineer.",
    "New immigrant from Ukraine, made aliyah in 2015; Olim from France.",
    "Dual citizen of Canada and Ireland, native of the Philippines; double nationality.",
    "Now in my mid-20s, in her early thirties, in their 40s.",
    "Mr. Smith and Mrs Jones, Ms Lee, Miss Kaur.",
    "I have two kids, has a toddler, with a baby son.",
    "Back from maternity leave, a stay-at-home dad, my fiancée and my husband; partner and I relocated.",
    "I attend the local church and go to temple; goes to the mosque.",
    "A devout Bahá'í, a Baha'i, Roman Catholic, Orthodox Jewish, Sunni.",
    "Biracial, African-American, Afro-Caribbean, of Irish descent, mixed race, White British.",
    "Hard of hearing, HIV-positive, on the autism spectrum, a wheelchair user, chronic pain.",
    "she/her, he / him / his; they/them; 25yo, 31 y.o., 40-year-old, aged 52, female, non-binary, a mother of "
    "three, married with 2 children, single, no kids. Email: a.b+c@mail.example.org, x.com/abc, t.me/abc, "
    "uk.linkedin.com/in/abc, Born 12 May 1980.",
)


@functools.cache
def _corpus() -> tuple[str, ...]:
    """Texts that exercise every phrase rule: this module's, the fairness pairs' (written CVs, and real ones when
    ../shared is present) and the dev set's CVs."""
    from bench.fairness.pairs import WRITTEN, cases, real_cvs
    from tests.conftest import SHARED

    texts = [HEADER + BODY, *PHRASE_EXAMPLES] + [t for t, _ in KIND_EXAMPLES]
    cvs = dict(WRITTEN)
    if (SHARED / "data" / "labels" / "vanetik_cvs").is_dir():
        cvs |= real_cvs(SHARED / "data" / "labels" / "vanetik_cvs", limit=40)
    texts += [side for case in cases(cvs) for side in (case.a, case.b)]
    queries = SHARED / "eval" / "queries.dev.jsonl"
    if queries.is_file():
        import json

        texts += [q["text"] for q in map(json.loads, queries.read_text().splitlines()) if q.get("text")]
    return tuple(texts)


def test_every_phrase_match_holds_one_of_its_trigger_words() -> None:
    """Blinding skips a phrase rule on a text without its trigger words: that is only safe if no match of the rule
    can exist without one, so every match found here must overlap a token that is a trigger word."""
    from matcher.privacy import rules

    matched = set()
    for text in _corpus():
        tokens = [(t.start(), t.end(), t.group().lower()) for t in rules.TRIGGER_TOKENS.finditer(text)]
        for i, (kind, rx, words) in enumerate(rules.COMPILED_PHRASES):
            for m in rx.finditer(text):
                matched.add(i)
                inside = {w for start, end, w in tokens if start < m.end() and end > m.start()}
                assert words is None or words & inside, (kind, rx.pattern[:40], m.group())
    # Every rule is exercised (a rule that never matches here would prove nothing about its words).
    assert matched == set(range(len(rules.COMPILED_PHRASES))), sorted(set(range(len(rules.COMPILED_PHRASES))) - matched)


# Texts that stress the gates in matcher/privacy/gates.py: plus signs before and away from digits, labels before
# brackets and odd colons, comma lines of attribute words, profile links in any case, and the characters that
# lower-case differently from how a case-insensitive regex matches them.
TRICKY = (
    "+1 415 555 0199", "+972-54-123-4567", "＋44 20 7946 0958", "+ (972) 54 1234567", "+x972 54 123 4567",
    "+X44 20 7946 0958", "+ー972541234567", "+.-/ 33 1 23 45 67 89", "10+ years", "C++", "JUnit5 + Hamcrest",
    "+\n972 54 123 4567", "tel:+1-201-555-0123;phone-context=+1", "+*44 20", "(+44) 20 7946 0958", "+٩٧٢٥٤١٢٣٤٥٦٧",
    "++44 20 7946 0958", "1+1=2", "Phone: 054-123-4567", "Tel.: +49 30 1234567", "Mobile: iOS, Android",
    "Mob (private): 054 1234567", "Foo (age: 3): bar", "Age (years): 34", "Name：Maria Gonzalez", "D.O.B.: 1980",
    "Birthday:  Languages: English", "Gender (optional) : female", "Nationality.....: Mexican", "Religion\t: Hindu",
    "Web (personal): https://x.y", "AGE: 52", "NAME: JOHN SMITH", "Full name: Dr. Jane van der Berg", "Sex: F",
    "Female, 52, single", "male, 34", "34, married", "Black, 40, Female", " Woman ;  29 y ;  widowed ", "M, 45",
    "f | 31 yo | single", "non-binary • 27 years", "Latina, in a relationship", "European, 18", "16,17,18",
    "İ am from Turkey", "ſingle, 34", "SHE led; Hers was; He/him", "https://LinkedIn.com/in/abc", "X.com/abc",
    "GITHUB.IO", "ſtackoverflow.com/u/1", "netflix.com/x", "40 yrs old, 25yo, 31 y.o.", "In her early thirties",
    "Mexican Citizen, American nationals, US passport holder", "I’m from Peru", "coming from The Hague",
    "My name is Lakisha Washington", "This is Anna Karenina", "(415) 555-0199, 054-123-4567, 2015-2020, 1.234.5678",
    "a/054 123 4567", "x054 123 45678", "Married, two children", "Arabic speaker, Multiple projects, first nations",
)
_SEPARATORS = ("\n", " ", ", ", "; ", " | ", " • ", "\t", "  ", ": ", "：", " (", ") ", "\n\n", ",", "\r\n")


@functools.cache
def _texts() -> tuple[str, ...]:
    """`_corpus()`, `TRICKY` and seeded random mixes of them (fragments joined by separators, characters inserted)."""
    rng = random.Random(9)
    mixes = ["".join(rng.choice(TRICKY) + rng.choice(_SEPARATORS) for _ in range(rng.randint(2, 8)))
             for _ in range(400)]
    mutated = []
    for _ in range(400):
        chars = list(rng.choice(TRICKY) + rng.choice(_SEPARATORS) + rng.choice(TRICKY))
        for _ in range(rng.randint(1, 4)):
            chars.insert(rng.randrange(len(chars) + 1), rng.choice("+＋-x() .:：,;|•·\n\t0123456789aA@/İıſ"))
        mutated.append("".join(chars))
    return (*_corpus(), *TRICKY, *mixes, *mutated)


def test_lower_case_literals_are_found_as_ignorecase_finds_them_but_for_three_characters() -> None:
    """The literal gates look for lower-case strings in `text.lower()`, the pronoun gate for words among its tokens:
    right only if, outside `gates.CASE_ODD`, a character matches a literal's character case-insensitively exactly
    when its `lower()` is that character, and `lower()` keeps one character per character and word characters
    apart from the rest."""
    from matcher.privacy import gates, rules

    strings = [s for literals in rules.PHRASE_LITERALS if literals and not literals.cased for s in literals.strings]
    chars = set("".join(strings + list(rules.NEUTRAL)))
    any_of = re.compile("[" + re.escape("".join(sorted(chars))) + "]", re.IGNORECASE)
    word = re.compile(r"\w")
    odd = set()
    for c in map(chr, range(0x110000)):
        lower = c.lower()
        if len(lower) != 1 or bool(word.match(c)) != bool(word.match(lower)):
            odd.add(c)
        elif any_of.match(c) or lower in chars:
            if [p for p in chars if re.match(re.escape(p), c, re.IGNORECASE)] != ([lower] if lower in chars else []):
                odd.add(c)
    assert odd == set(gates.CASE_ODD)


def test_every_phrase_match_holds_one_of_its_literals() -> None:
    """A phrase rule is skipped on a text without one of its literals: every match must hold one (lower-cased ones
    are only looked for in caseless texts)."""
    from matcher.privacy import gates, rules

    matched = set()
    for text in _texts():
        for i, ((kind, rx, _), literals) in enumerate(zip(rules.COMPILED_PHRASES, rules.PHRASE_LITERALS, strict=True)):
            if literals is None or not (literals.cased or gates.caseless(text)):
                continue
            for m in rx.finditer(text):
                matched.add(i)
                found = m.group() if literals.cased else m.group().lower()
                assert any(s in found for s in literals.strings), (kind, rx.pattern[:40], m.group())
    assert matched == {i for i, literals in enumerate(rules.PHRASE_LITERALS) if literals}


# The phone and age patterns as first written; rules.PHRASES holds faster equivalents.
_PHONE_AS_WRITTEN = r"(?<![\w/.+-])(?:\(\d{2,4}\)[ .-]?|\d{2,4}[ .-])\d{3}[ .-]?\d{3,4}(?![\w/.-])"
_AGE_AS_WRITTEN = r"\b\d{1,2}[- ]?(?:years?|yrs?|y\.?o\.?)[- ]old\b|\b\d{1,2} ?y\.?o\.?(?!\w)"


@pytest.mark.parametrize(("index", "written"), [(2, _PHONE_AS_WRITTEN), (12, _AGE_AS_WRITTEN)])
def test_rewritten_patterns_match_as_written(index: int, written: str) -> None:
    from matcher.privacy import rules

    rng = random.Random(index)
    alphabet = list("0123456789 .-/(+_a\nyY") + ["years", "yrs", "y.o.", "old", "yo", "٣"]
    fuzz = ["".join(rng.choice(alphabet) for _ in range(rng.randint(1, 30))) for _ in range(20000)]
    rewritten, original = rules.COMPILED_PHRASES[index][1], re.compile(written, re.IGNORECASE)
    hits = 0
    for text in (*_texts(), *fuzz):
        spans = [m.span() for m in original.finditer(text)]
        assert [m.span() for m in rewritten.finditer(text)] == spans, text
        hits += bool(spans)
    assert hits > 100  # the comparison saw many matches, not only texts without any


def test_label_and_item_gates_keep_every_line_that_matters() -> None:
    """`_labelled` and `_items` read only the lines their gates pass: each must give what reading every line gave."""
    from matcher.privacy import blinder, gates, rules

    def labelled(lines: Iterable[tuple[int, str]]) -> list[tuple[int, int]]:
        return [(start + m.start(), start + m.end()) for start, line in lines
                if blinder._may_hold_label(line) for m in rules.LABELLED.finditer(line)]

    def items_on_every_line(text: str) -> list[object]:
        spans = []
        for line in re.finditer(r"^.*$", text, re.MULTILINE):
            items = list(re.finditer(r"[^,;|•·]+", line.group()))
            if len(items) < 2 or len(line.group()) > 160:
                continue
            found = [blinder._Span(line.start() + item.start() + item.group().index(word),
                                   line.start() + item.start() + item.group().index(word) + len(word), kind)
                     for item in items for word in (item.group().strip(),)
                     for kind, rx in rules.ITEM_WORDS.items() if word and rx.fullmatch(word)]
            if any(s.kind not in rules.NEEDS_COMPANY for s in found):
                spans += found
        return spans

    with_labels = with_items = 0
    for text in _texts():
        every_line = [(m.start(), m.group()) for m in re.finditer(r"^[^\n:：]*[:：].*$", text, re.MULTILINE)]
        expected = labelled(every_line)
        assert labelled(gates.label_lines(text)) == expected, text
        spans = blinder._items(text)
        assert spans == items_on_every_line(text), text
        with_labels, with_items = with_labels + bool(expected), with_items + bool(spans)
    assert with_labels > 50 and with_items > 50  # many lines that matter were seen


def test_phonenumbers_finds_no_number_where_the_gate_says_none() -> None:
    """`_phones` skips phonenumbers on a text without a plus sign before a digit (through punctuation)."""
    import phonenumbers

    from matcher.privacy import gates

    rng = random.Random(5)
    alphabet = list("+＋0123456789 -.()/x*Xー٣a\n;") + ["phone-context=", "tel:"]
    fuzz = ["".join(rng.choice(alphabet) for _ in range(rng.randint(1, 25))) for _ in range(5000)]
    found = 0
    for text in (*_texts(), *fuzz):
        if phonenumbers.PhoneNumberMatcher(text, None, leniency=phonenumbers.Leniency.POSSIBLE).has_next():
            found += 1
            assert gates.may_hold_phone(text), text
    assert found > 500


def test_every_link_passes_the_link_gate() -> None:
    """`_contact_links` skips `rules.LINK` on a text where `gates.may_hold_link` is false."""
    from matcher.privacy import gates, rules

    links = 0
    for text in (*_texts(), "WwW.Example", "HTTPſ://x", "see a.io/b", "x.org"):
        for m in rules.LINK.finditer(text):
            links += 1
            assert gates.may_hold_link(m.group()), m.group()
    assert links > 100


def test_introduced_names_and_pronouns_gates() -> None:
    """An introduced name starts with one of `names._INTRODUCERS` as written; a pronoun in a caseless text is one of
    its lower-cased tokens."""
    from matcher.privacy import gates, names, rules

    for text in _texts():
        for m in names.INTRODUCED.finditer(text):
            assert any(m.group().startswith(phrase) for phrase in names._INTRODUCERS), m.group()
        if gates.caseless(text):
            tokens = rules.trigger_tokens(text.lower())
            assert all(m.group().lower() in tokens for m in rules.PRONOUNS.finditer(text))


def test_the_detector_benchmark_measures_what_blind_removes() -> None:
    import sys
    from pathlib import Path

    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # bench/ is not an installed package
    from bench.fairness.detectors import _ours
    from matcher.privacy.blinder import spans

    text = "Maria Gonzalez\nNationality: Mexican\nJava developer, +1 415 555 0100"
    found = _ours()(text)
    assert found == [(s.start, s.end) for s in spans(text)] and len(found) == 3
