"""Skills: our curated catalog, the corpus vocabulary and its weights, extraction from text, role families."""

from matcher.skills.catalog import CATALOG, check_catalog
from matcher.skills.extract import candidate_skills, extract_skills, extract_tags
from matcher.skills.model import SKILL_FAMILIES, Mention, Resolution, Skill
from matcher.skills.titles import TITLE_FAMILIES, keyword_families, text_families, title_families
from matcher.skills.vocab import GENERIC, Vocabulary, default_vocabulary, normalise_term

__all__ = [
    "CATALOG",
    "GENERIC",
    "SKILL_FAMILIES",
    "TITLE_FAMILIES",
    "Mention",
    "Resolution",
    "Skill",
    "Vocabulary",
    "candidate_skills",
    "check_catalog",
    "default_vocabulary",
    "extract_skills",
    "extract_tags",
    "keyword_families",
    "normalise_term",
    "text_families",
    "title_families",
]
