"""The blinder: what it removes (by kind), what it keeps (skills, employers, schools, titles), and that it only
reports kinds and counts."""

from __future__ import annotations

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


def _corpus() -> list[str]:
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
    return texts


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
