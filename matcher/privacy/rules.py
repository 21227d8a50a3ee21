"""The patterns blinding uses: labelled lines ("Nationality: ...") and phrases in running text, by kind.

Each rule is narrow on purpose: skills, employers, schools and job titles are evidence of fit and must survive,
so a word that is also an ordinary CV word ("single", "engaged", "Mobile:", "Catholic University") is only taken
in a context that makes it personal.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

# Labels, by kind. A label counts only before a colon, at the start of a line or after a separator.
LABELS: dict[str, tuple[str, ...]] = {
    "name": ("name", "full name", "first name", "last name", "surname", "family name", "given name",
             "candidate name", "first and last name", "middle name", "maiden name"),
    "email": ("e-?mail", "e-?mail address", "mail"),
    "phone": ("phone", "phone number", "telephone", "tel", "mobile", "mobile phone", "cell", "cell phone",
              "cellphone", "whatsapp", "mob", "contact number", "viber", "telegram"),
    # Street addresses only: the city or country a candidate lives in ("Location:", "Residence:") is kept, as a
    # posting's location is a legitimate requirement; removing it cost 0.019 nDCG@10 on the judged CVs.
    "address": ("address", "home address", "postal address", "street address", "street", "zip code", "postcode",
                "post code"),
    "url": ("linkedin", "github", "gitlab", "website", "web ?site", "homepage", "portfolio", "facebook",
            "twitter", "instagram", "skype", "personal site", "blog", "stack ?overflow", "behance", "dribbble"),
    "date_of_birth": ("date of birth", "birth ?date", "dob", "d\\.o\\.b\\.?", "born", "birthday",
                      "year of birth", "date and place of birth"),
    "age": ("age",),
    "gender": ("gender", "sex", "gender identity"),
    "pronouns": ("pronouns", "preferred pronouns"),
    "nationality": ("nationality", "nationalities", "citizenship", "citizenships", "country of citizenship",
                    "country of origin", "national origin", "place of birth", "birthplace", "birth ?place",
                    "passport", "country of birth", "origin", "aliyah", "immigration", "year of aliyah"),
    "family": ("marital status", "family status", "civil status", "family", "children", "kids", "dependants",
               "dependents", "spouse", "relationship status", "number of children"),
    "religion": ("religion", "faith", "religious affiliation", "denomination", "religious beliefs"),
    "ethnicity": ("ethnicity", "ethnic origin", "ethnic background", "race", "ethnic group"),
    "health": ("health", "health status", "disability", "disabilities", "medical conditions",
               "medical condition", "disability status", "health condition"),
}
# What a value must look like for labels that are also ordinary CV headings ("Mobile: iOS, Android").
VALUE_CHECKS: dict[str, re.Pattern[str]] = {
    "phone": re.compile(r"(?:\d[\s().-]*){7}"),
    "email": re.compile(r"@"),
    "url": re.compile(r"^\S+$|[/.]\w"),
}
_LABEL_TO_KIND = [(label, kind) for kind, labels in LABELS.items() for label in labels]
# Longest label first, so "date of birth" wins over "birth" and "e-mail address" over "e-mail".
_LABEL_ALTERNATION = "|".join(f"(?P<k{i}>{label})" for i, (label, _) in
                              sorted(enumerate(_LABEL_TO_KIND), key=lambda p: -len(p[1][0])))
_LABEL_WORDS = "|".join(label for label, _ in sorted(_LABEL_TO_KIND, key=lambda p: -len(p[0])))
SEPARATOR = r"(?:^|(?<=[\t|•·;,])|(?<=\s\s)|(?<=[\t|•·;,]\s))"


def _spellings(pattern: str) -> set[str]:
    """The strings a label pattern matches (labels use only optional characters: "e-?mail", "d\\.o\\.b\\.?")."""
    m = re.search(r"(\\?.)\?", pattern)
    if m is None:
        return {pattern.replace("\\", "")}
    head, tail = pattern[:m.start()], pattern[m.end():]
    return _spellings(head + m.group(1) + tail) | _spellings(head + tail)


# The last word of every label: a line can hold a labelled value only if one of these stands before a colon
# (`BEFORE_COLON`), a test that lets blinding skip the slow LABELLED scan on nearly every line of a CV.
LABEL_LAST_WORDS = frozenset(re.findall(r"\w+", spelling)[-1].lower()
                             for label, _ in _LABEL_TO_KIND for spelling in _spellings(label))
BEFORE_COLON = re.compile(r"(\w+)[ \t.]*(?:\([^)\n]{0,30}\)[ \t]*)?[:：]")
LABELLED = re.compile(
    rf"{SEPARATOR}[ \t*#•·-]*(?:{_LABEL_ALTERNATION})(?:\s*\([^)\n]{{0,30}}\))?[ \t]*[:：][ \t]*"
    r"(?P<value>.*?)(?=\s{2,}|\t|\s[|•·]\s|\s*[|;]|[,.]?\s+(?:(?-i:[A-Z])[a-z]+|"
    rf"{_LABEL_WORDS})\s*:|$)",
    re.IGNORECASE | re.MULTILINE)


def label_kind(match: re.Match[str]) -> str:
    """The kind of a LABELLED match (which alternative matched)."""
    for name, value in match.groupdict().items():
        if value is not None and name.startswith("k"):
            return _LABEL_TO_KIND[int(name[1:])][1]
    raise AssertionError("a LABELLED match always names its label")  # pragma: no cover


MONTHS = r"(?:jan|feb|mar|apr|may|jun|jul|aug|sep|sept|oct|nov|dec)[a-z]*\.?"
COUNT = r"(?:no|one|two|three|four|five|six|seven|eight|nine|ten|several|\d{1,2})"
RELIGIONS = (r"christian|catholic|roman catholic|protestant|evangelical|orthodox christian|orthodox jew(?:ish)?"
             r"|muslim|moslem|islamic|jewish|jew|hindu|buddhist|sikh|jain|bahá?[ '’]?í|baha'?i|mormon|baptist"
             r"|lutheran|methodist|anglican|presbyterian|pentecostal|quaker|atheist|agnostic|shia|shiite|sunni"
             r"|pagan|zoroastrian|taoist|shinto")
ETHNICITIES = (r"hispanic|latino|latina|latinx|caucasian|african[- ]american|asian[- ]american|afro-\w+"
               r"|native american|first nations|aboriginal|indigenous|pacific islander|mixed[- ]race|biracial"
               r"|romani|arab|berber|kurdish|white british|black british")
HEALTH = (r"disabled|disability|disabilities|wheelchair(?: user)?|chronic (?:illness|pain|condition)|diabetic"
          r"|diabetes|epilepsy|epileptic|autism|autistic|on the autism spectrum|adhd|dyslexia|dyslexic|deaf"
          r"|hard of hearing|visually impaired|partially sighted|hiv[- ]positive|cancer survivor|pregnant"
          r"|pregnancy|mental illness|mental health condition|multiple sclerosis|cerebral palsy")
_NOT_AN_ORG = r"(?![ \t]+(?-i:[A-Z])|[ \t]+(?:of\b|&)|-\w)"  # "Catholic University", "Jewish Community Center" stay


def _words(words: str) -> frozenset[str]:
    return frozenset(words.split())


@dataclass(frozen=True)
class Literals:
    """Strings one of which every match of a phrase rule holds: lower-cased, or as written when `cased`."""

    strings: tuple[str, ...]
    cased: bool = False


# A phrase can only match a text holding one of its trigger words (lower-cased, whole `\w+` words, or "@"): a set
# lookup lets blinding skip most of the rules on most texts (they were half its time). `None`: always run.
# tests/test_blind.py checks, on every text it blinds, that each match's text holds one of its rule's words.
RELIGION_WORDS = _words("christian catholic roman protestant evangelical orthodox muslim moslem islamic jewish jew"
                        " hindu buddhist sikh jain bah bahá baha bahí baháí bahai mormon baptist lutheran methodist"
                        " anglican presbyterian pentecostal quaker atheist agnostic shia shiite sunni pagan"
                        " zoroastrian taoist shinto")
ETHNICITY_WORDS = _words("hispanic latino latina latinx caucasian african asian afro native first aboriginal"
                         " indigenous pacific mixed biracial romani arab berber kurdish white black")
HEALTH_WORDS = _words("disabled disability disabilities wheelchair chronic diabetic diabetes epilepsy epileptic autism"
                      " autistic adhd dyslexia dyslexic deaf hard visually partially hiv cancer pregnant pregnancy"
                      " mental multiple cerebral")


def _any(literals: str) -> tuple[str, ...]:
    return tuple(literals.split("|"))


# Phrases in running text, by kind: (kind, pattern, trigger words, literals). Case-insensitive unless the pattern sets
# (?-i). Literals, where given, are a second, narrower gate for rules whose trigger words are common ("t", "from",
# "first", "multiple"): every match of the rule holds one of them, lower-cased (`Literals.cased`: as written).
# tests/test_blind.py checks both gates on every text it blinds.
PHRASES: tuple[tuple[str, str, frozenset[str] | None, Literals | None], ...] = (
    ("email", r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+", _words("@"), None),
    ("url", r"\b(?:[\w-]+\.)?(?:linkedin\.com|github\.com|gitlab\.com|facebook\.com|fb\.com|twitter\.com|x\.com"
            r"|instagram\.com|t\.me|medium\.com|stackoverflow\.com|behance\.net|dribbble\.com|github\.io"
            r"|bitbucket\.org|kaggle\.com)(?:/[^\s,;)>\]]*)?",
     _words("linkedin github gitlab facebook fb twitter x instagram t medium stackoverflow behance dribbble"
            " bitbucket kaggle"),
     Literals(_any("linkedin.com|github.com|gitlab.com|facebook.com|fb.com|twitter.com|x.com|instagram.com|t.me"
                   "|medium.com|stackoverflow.com|behance.net|dribbble.com|github.io|bitbucket.org|kaggle.com"))),
    # The look-behinds stand after the first character (a digit or "("), which lets the regex engine skip ahead to
    # one; `(?<![\w/.+-])(?:\(\d{2,4}\)[ .-]?|\d{2,4}[ .-])\d{3}...` said the same, 2x slower (tests/test_blind.py).
    ("phone", r"[(\d](?<![\w/.+-][(\d])(?:(?<=\()\d{2,4}\)[ .-]?|(?<=\d)\d{1,3}[ .-])\d{3}[ .-]?\d{3,4}(?![\w/.-])",
     None, None),
    ("date_of_birth", rf"\bborn (?:on |in )?(?:the )?(?:\d{{1,2}}(?:st|nd|rd|th)?(?: of)? )?(?:{MONTHS} )?"
                      rf"(?:\d{{1,2}}(?:st|nd|rd|th)?,? )?(?:19|20)\d\d\b", _words("born"), None),
    ("nationality", r"\b(?:born|raised|grew up) in (?:the )?(?-i:[A-Z][\w'’-]+(?:[ -][A-Z][\w'’-]+){0,2})",
     _words("born raised grew"), None),
    ("nationality", r"(?-i:\b[A-Z][a-z]+-born\b)", _words("born"), None),
    ("nationality", r"(?-i:\b[A-Z][a-z]+(?:[ -][A-Z][a-z]+)? (?:[Cc]itizen(?:ship)?|nationals?|[Nn]ationality"
                    rf"|passport(?: holder)?)\b){_NOT_AN_ORG}",
     _words("citizen citizenship national nationals nationality passport"),
     Literals(_any(" citizen| Citizen| national| Nationality| passport"), cased=True)),
    ("nationality", r"\b(?:new )?(?:repatriate|immigrant|oleh|olah|olim)\b(?: from (?:the )?"
                    r"(?-i:[A-Z][\w'’-]+(?:[ -][A-Z][\w'’-]+){0,2}))?|\bmade (?:an |my )?aliyah\b",
     _words("repatriate immigrant oleh olah olim aliyah"), None),
    ("nationality", r"\b(?:dual |double )?(?:citizen(?:ship)?|national|native) of (?:the )?"
                    r"(?-i:[A-Z][\w'’-]+(?:[ -][A-Z][\w'’-]+){0,2})", _words("citizen citizenship national native"),
     Literals(_any("citizen of|citizenship of|national of|native of"))),
    ("nationality", r"\b(?:dual|double) (?:citizen(?:ship)?|nationality)\b", _words("dual double"), None),
    ("nationality", r"\b(?:originally|i am|i'm|i’m|who is|coming) from (?:the )?"
                    r"(?-i:[A-Z][\w'’-]+(?:[ -][A-Z][\w'’-]+){0,2})", _words("from"),
     Literals(_any("originally from|i am from|i'm from|i’m from|who is from|coming from"))),
    ("nationality", r"\b(?:immigrated|emigrated|moved|relocated) (?:here |to \w+ )?from (?:the )?"
                    r"(?-i:[A-Z][\w'’-]+(?:[ -][A-Z][\w'’-]+){0,2})(?= in (?:19|20)\d\d| as a| at the age)",
     _words("immigrated emigrated moved relocated"), None),
    # As "phone": `\b\d{1,2}[- ]?(?:years?|yrs?|y\.?o\.?)[- ]old\b|\b\d{1,2} ?y\.?o\.?(?!\w)`, 3x faster.
    ("age", r"\d(?<!\w\d)(?:\d?[- ]?(?:years?|yrs?|y\.?o\.?)[- ]old\b|\d? ?y\.?o\.?(?!\w))", None, None),
    ("age", r"\baged? \d{1,2}\b(?! ?(?:%|years? of|\+))", _words("age aged"), None),
    ("age", r"\bin (?:my|his|her|their) (?:early |mid[- ]?|late )?(?:teens|twenties|thirties|forties|fifties"
            r"|sixties|seventies|[2-7]0s)\b", _words("my his her their"), Literals(_any("in my |in his |in her |in their "))),
    ("gender", r"\b(?:female|male|non-?binary|transgender|trans (?:wo)?man|genderqueer|gender[- ]?fluid"
               r"|cisgender|intersex)\b",
     _words("female male non nonbinary transgender trans genderqueer gender genderfluid cisgender intersex"),
     Literals(_any("male|binary|gender|trans man|trans woman|intersex"))),
    ("gender", r"\b(?:a|an|as a|am a) (?:\d{1,2}[- ]year[- ]old )?(?:young |mature |older |single )?"
               r"(?:woman|man|lady|gentleman|girl|boy|mother|father|mom|mum|dad)\b(?! of\b)(?![-/])",
     _words("woman man lady gentleman girl boy mother father mom mum dad"), None),
    ("gender", r"(?-i:\b(?:Mr|Mrs|Ms|Mx|Miss)\.?)(?= (?-i:[A-Z]))", _words("mr mrs ms mx miss"), None),
    ("gender", r"(?-i:\b(?:woman|women|man|lady|gentleman|girl|boy|guy)\b)(?![-/])",
     _words("woman women man lady gentleman girl boy guy"), None),
    ("pronouns", r"\(?\b(?:she|he|they|ze|xe)\s*/\s*(?:her|him|them|hir|zir|xem)(?:\s*/\s*(?:hers|his|theirs))?"
                 r"\b\)?", _words("she he they ze xe"), None),
    ("family", rf"\b(?:happily )?(?:married|divorced|widowed|widow|widower)\b"
               rf"(?:,? (?:with|and) (?:a |{COUNT} )?(?:\w+ )?(?:children|kids|child|sons?|daughters?|boys?|girls?))?",
     _words("married divorced widowed widow widower"), None),
    ("family", rf"\b(?:an? )?(?:(?:single |proud |working )?(?:mother|father|mom|mum|dad|parent)) of {COUNT}"
               rf"(?: (?:\w+ )?(?:children|kids|boys|girls|sons|daughters))?\b",
     _words("mother father mom mum dad parent"), None),
    ("family", rf"\b(?:with |have |has |and )?{COUNT} (?:young |small |grown[- ]up |adult )?"
               rf"(?:children|kids|sons|daughters|grandchildren)\b",
     _words("children kids sons daughters grandchildren"),
     Literals(_any(" children| kids| sons| daughters| grandchildren"))),
    ("family", r"\b(?:have|has|with) (?:a |one |two )?(?:child|children|kids|baby|son|daughter|toddler)\b",
     _words("child children kids baby son daughter toddler"),
     Literals(_any(" child| kids| baby| son| daughter| toddler"))),
    ("family", r"\b(?:maternity|paternity|parental) leave\b|\bstay[- ]at[- ]home (?:mom|mum|dad|parent|mother"
               r"|father)\b|\b(?:my )?(?:wife|husband|spouse|fianc[ée]e?|partner and (?:I|our))\b",
     _words("leave stay wife husband spouse fiance fiancé fiancee fiancée partner"), None),
    ("family", r"\b(?:single|engaged|in a relationship|in a civil partnership|separated)"
               r"(?=,? (?:no|with|and|\d|one|two|three) (?:children|kids|child)|\s*[,;|•]\s*(?:no )?"
               r"(?:children|kids|\d{1,2}\b))", _words("single engaged relationship partnership separated"), None),
    ("family", r"\bno (?:children|kids)\b", _words("children kids"), Literals(_any("no children|no kids"))),
    ("religion", rf"\b(?:practi[cs]ing |devout |observant |religious |non-?practi[cs]ing )?(?:{RELIGIONS})\b"
                 rf"(?: faith| religion| by faith)?{_NOT_AN_ORG}", RELIGION_WORDS,
     Literals(_any("christian|catholic|protestant|evangelical|jew|muslim|moslem|islamic|hindu|buddhist|sikh|jain|bah"
                   "|mormon|baptist|lutheran|methodist|anglican|presbyterian|pentecostal|quaker|atheist|agnostic"
                   "|shia|shiite|sunni|pagan|zoroastrian|taoist|shinto"))),
    ("religion", r"\b(?:attend|attends|attending|go to|goes to) (?:the )?(?:local )?(?:church|mosque|synagogue"
                 r"|temple|gurdwara)\b", _words("church mosque synagogue temple gurdwara"), None),
    ("ethnicity", rf"\b(?:{ETHNICITIES})\b{_NOT_AN_ORG}", ETHNICITY_WORDS,
     Literals(_any("hispanic|latin|caucasian|african american|african-american|asian american|asian-american|afro-"
                   "|native american|first nations|aboriginal|indigenous|pacific islander|mixed race|mixed-race"
                   "|biracial|romani|arab|berber|kurdish|white british|black british"))),
    ("ethnicity", r"\bof (?-i:[A-Z][\w'’-]+(?:[ -][A-Z][\w'’-]+)?) (?:descent|origin|heritage|ancestry|background"
                  r"|roots|extraction)\b", _words("descent origin heritage ancestry background roots extraction"),
     None),
    ("health", rf"\b(?:{HEALTH})\b", HEALTH_WORDS,
     Literals(_any("disab|wheelchair|chronic |diabet|epilep|autis|adhd|dyslex|deaf|hard of hearing|visually impaired"
                   "|partially sighted|hiv-positive|hiv positive|cancer survivor|pregnan|mental illness"
                   "|mental health condition|multiple sclerosis|cerebral palsy"))),
)
# A link, or a bare lower-case domain ("mgonzalez.dev"; "ASP.NET" and "Socket.IO" are skills, not links).
LINK_ENDINGS = ("com", "dev", "io", "me", "net", "org")
LINK = re.compile(rf"(?i:https?://|www\.)[^\s,;)>\]]+|\b[a-z0-9-]+(?:\.[a-z0-9-]+)*\.(?:{'|'.join(LINK_ENDINGS)})"
                  r"(?:/[^\s,;)>\]]*)?(?![\w@])")
CONTACT_LINES = 8  # the contact block: links in a CV's first lines are the candidate's own
COMPILED_PHRASES = tuple((kind, re.compile(p, re.IGNORECASE), words) for kind, p, words, _ in PHRASES)
PHRASE_LITERALS = tuple(literals for *_, literals in PHRASES)
TRIGGER_TOKENS = re.compile(r"\w+|@")


def trigger_tokens(lower: str) -> set[str]:
    """The words a phrase's triggers are looked up in, from the lower-cased text."""
    return set(TRIGGER_TOKENS.findall(lower))

# Gendered pronouns are replaced, not deleted, so sentences still read; every variant maps to the same word.
NEUTRAL = {"she": "they", "he": "they", "her": "their", "him": "their", "his": "their", "hers": "theirs",
           "herself": "themselves", "himself": "themselves"}
PRONOUNS = re.compile(rf"\b(?:{'|'.join(NEUTRAL)})\b", re.IGNORECASE)
# A lone attribute word as a whole item of a personal-details line ("Female, 52, Catholic, single").
ITEM_WORDS: dict[str, re.Pattern[str]] = {
    "gender": re.compile(r"(?:female|male|woman|man|f|m|non-?binary)", re.IGNORECASE),
    "family": re.compile(r"(?:single|married|engaged|separated|divorced|widowed|in a relationship)", re.IGNORECASE),
    "ethnicity": re.compile(r"(?:black|white|asian|african|european|latin[oa])", re.IGNORECASE),
    "age": re.compile(r"(?:1[6-9]|[2-9]\d)(?: ?(?:y|yo|y\.o\.|years?))?"),
}
# Items that are only personal in a line that also states another attribute (a bare "34" in "male, 34").
NEEDS_COMPANY = {"age"}
