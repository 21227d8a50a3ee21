"""Role families from job titles (keyword rules) and from a whole CV or profile (its top lines and its skills)."""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Sequence
from itertools import islice

from matcher.skills.extract import extract_skills
from matcher.skills.gate import LiteralGate, may_contain, required_literals
from matcher.skills.model import Mention
from matcher.skills.vocab import Vocabulary, default_vocabulary

# Families a title can name. Skill families minus the non-role ones (office, language, general), plus a few
# only titles express: "engineering" (any engineer/developer: "Software Engineer" shares it with "Backend
# Engineer"), "fullstack" (which also implies backend and frontend), "management", "education", "legal".
TITLE_FAMILIES: tuple[str, ...] = (
    "backend", "frontend", "fullstack", "mobile", "games", "devops", "it", "data", "ml", "qa", "security",
    "engineering", "design", "product", "marketing", "sales", "support", "people", "finance", "operations",
    "writing", "management", "education", "legal",
)
NON_ROLE_FAMILIES = frozenset({"office", "language", "general"})

_RULES: tuple[tuple[str, str], ...] = (
    ("backend", r"back[\s-]?end|server[\s-]?side|\bapi\b|platform engineer"),
    ("frontend", r"front[\s-]?end|\bui (?:engineer|developer)|web (?:developer|engineer)"),
    ("fullstack", r"full[\s-]?stack"),
    ("mobile", r"\bmobile\b|\bios\b|\bandroid\b|react native|flutter"),
    ("games", r"\bgames?\b|gameplay|game (?:developer|designer|engineer|artist)"),
    ("devops", r"dev[\s-]?ops|\bsre\b|site reliability|infrastructure|cloud (?:engineer|architect)|release engineer"
               r"|build engineer|platform engineer"),
    ("it", r"systems? administrator|sysadmin|systems engineer|network|help ?desk|desktop support|information technology"
           r"|computer (?:user|systems|network)|\bit (?:support|specialist|manager|technician|administrator)"),
    ("data", r"\bdata\b|database|\bdba\b|analytics|\bbi\b|business intelligence|\betl\b|statistician"),
    ("ml", r"machine learning|\bml\b|\bai\b|artificial intelligence|deep learning|data scientist|\bnlp\b"
           r"|computer vision|research scientist|mlops"),
    ("qa", r"\bqa\b|quality assurance|\btest(?:er|ers|ing)?\b|\bsdet\b|quality engineer"),
    ("security", r"security|infosec|penetration|pentest|appsec|cyber|\bsoc\b|detection engineer|fraud"),
    ("engineering", r"engineer|developer|programmer|\bsoftware\b|architect|\bcto\b|\bswe\b|coder"),
    ("design", r"design|\bux\b|\bui\b|user experience|illustrator|graphic|art director|animator|visual|\bartist\b"),
    ("product", r"product (?:manager|owner|management|lead|director|analyst|ops|operations|strategist)"
                r"|(?:head|vp|vice president|director|chief) (?:of )?product|\bcpo\b"),
    ("marketing", r"marketing|marketer|growth|\bseo\b|\bsem\b|\bppc\b|content (?:strateg|manager|creator|specialist)"
                  r"|\bbrand\b|social media|community (?:manager|lead|specialist)|public relations|communications"
                  r"|market research|demand gen|lifecycle|advertising|media buyer|campaign|user acquisition"
                  r"|developer (?:advocate|relations)|devrel|evangelist|copywriter"),
    ("sales", r"\bsales\b|account executive|account manager|business development|\bbdr\b|\bsdr\b|inside sales"
              r"|partnerships|pre-?sales|solutions consultant|revenue|closer"),
    ("support", r"customer (?:support|service|success|experience|care|happiness)|\bsupport\b"
                r"|client (?:services|success)|call cent(?:er|re)|service representative|help ?desk"),
    ("people", r"\bhr\b|human resources|\bpeople\b|talent|recruit|sourcer|training and development|\bl&d\b"
               r"|learning and development|payroll|compensation|benefits|hrbp"),
    ("finance", r"financ|accountant|accounting|bookkeep|controller|\bcfo\b|treasury|\btax\b|audit|fp&a|investment"
                r"|payroll|billing|actuar"),
    ("writing", r"writer|writing|editor|documentation|journalist|proofreader|translat|locali[sz]ation"),
    ("operations", r"operations|\bops\b|office manager|administrative|\badmin\b|assistant|coordinator|logistics"
                   r"|supply chain|procurement|chief of staff|bizops|revops"),
    ("management", r"\bhead\b|director|\bvp\b|vice president|chief|\bc[etfoimp]o\b|founder|president|team lead"
                   r"|\bmanagers?\b|\bmanagement\b"),
    ("education", r"teacher|tutor|instructor|trainer|training|teaching|educat|professor|lecturer|curriculum"
                  r"|instructional|mentor"),
    ("legal", r"lawyer|attorney|legal|counsel|paralegal|compliance"),
)
_COMPILED = tuple((family, re.compile(pattern)) for family, pattern in _RULES if family != "management")
_MANAGEMENT = re.compile(dict(_RULES)["management"])
# Most lines of a CV name no family, and Python's re tries every branch of every rule at every position (~70 us a
# line). One pass for the literals each rule needs ("engineer", "back", "api", ...) rules most of them out exactly.
_GATE = LiteralGate(dict(_RULES))
# Capitalised acronyms that are ordinary words in lower case.
_CASED = tuple((family, re.compile(pattern), required_literals(pattern))
               for family, pattern in (("it", r"\bIT\b"), ("marketing", r"\bPR\b"), ("sales", r"\bAE\b")))
# "Manager" in these titles is an individual contributor's title, not a people manager.
_IC_MANAGER = re.compile(r"(?:product|account|success|community|content|social media|media|brand|case|office"
                         r"|channel|partner|territory|marketing|email)\s+managers?")
_IC_NEEDS = required_literals(_IC_MANAGER.pattern)
_IMPLIES = {"fullstack": ("backend", "frontend")}
MAX_TITLE_WORDS = 12
TOP_LINES = 12


def keyword_families(title: str) -> frozenset[str]:
    """Families named by the title's words alone ("Head of Growth Marketing" -> marketing, management)."""
    low = title.lower()
    maybe = _GATE.candidates(low)
    found = {family for family, rx in _COMPILED if family in maybe and rx.search(low)} if maybe else set()
    if title != low:  # the cased acronyms need capitals
        found.update(family for family, rx, needs in _CASED if may_contain(title, needs) and rx.search(title))
    unmanaged = _IC_MANAGER.sub(" ", low) if may_contain(low, _IC_NEEDS) else low
    if unmanaged != low:  # the cut may join words into a new literal
        maybe = _GATE.candidates(unmanaged)
    if "management" in maybe and _MANAGEMENT.search(unmanaged):
        found.add("management")
    for family, implied in _IMPLIES.items():
        if family in found:
            found.update(implied)
    return frozenset(found)


def title_families(title: str, vocab: Vocabulary | None = None) -> frozenset[str]:
    """Families of a job title: its keywords plus the families of skills it names ("Senior Ruby Developer")."""
    vocab = vocab or default_vocabulary()
    found = set(keyword_families(title))
    found.update(f for m in extract_skills(title, vocab) if (f := vocab.family(m.tag)) not in NON_ROLE_FAMILIES)
    return frozenset(found)


def _title_lines(text: str) -> list[str]:
    parts = (part.strip(" \t*#-•·:") for line in text.splitlines() for part in line.split(" | "))
    return list(islice(filter(None, parts), TOP_LINES))  # lazily: a CV has many more lines than it needs


def text_families(text: str, vocab: Vocabulary | None = None,
                  mentions: Sequence[Mention] | None = None) -> dict[str, float]:
    """Family scores in [0, 1] for a CV or profile, highest first.

    65% from title-like lines near the top (the first counts fully, each later one 0.6 times the previous),
    35% from the skills the whole text names (weighted by informativeness; office tools, languages and soft
    skills say nothing about the role and are left out). `mentions`: `extract_skills(text)`, when the caller
    already has it.
    """
    vocab = vocab or default_vocabulary()
    title: dict[str, float] = defaultdict(float)
    rank = 0
    for line in _title_lines(text):
        if len(line.split()) > MAX_TITLE_WORDS:
            continue
        families = keyword_families(line)
        if families:
            for family in families:
                title[family] = max(title[family], 0.6**rank)
            rank += 1
    skills: dict[str, float] = defaultdict(float)
    for tag in dict.fromkeys(m.tag for m in (extract_skills(text, vocab) if mentions is None else mentions)):
        family = vocab.family(tag)
        if family not in NON_ROLE_FAMILIES:
            skills[family] += vocab.weight(tag)
    top = max(skills.values(), default=0.0)
    scores = {f: 0.65 * title.get(f, 0.0) + (0.35 * skills.get(f, 0.0) / top if top else 0.0)
              for f in {*title, *skills}}
    return {f: round(s, 3) for f, s in sorted(scores.items(), key=lambda kv: (-kv[1], kv[0])) if s >= 0.05}
