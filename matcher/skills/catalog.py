"""Our curated skill catalog: canonical tags (in the job board's hashtag spelling), names, aliases, families."""

from __future__ import annotations

from matcher.skills import catalog_business as business
from matcher.skills import catalog_data as data
from matcher.skills import catalog_tech as tech
from matcher.skills.model import SKILL_FAMILIES, Skill
from matcher.skills.scan import compact

CATALOG: tuple[Skill, ...] = (
    *tech.LANGUAGES, *tech.WEB, *tech.MOBILE_GAMES, *tech.INFRA, *tech.IT,
    *data.DATABASES, *data.DATA_ML, *data.QA_SECURITY, *data.DESIGN, *data.PRODUCT,
    *business.MARKETING, *business.SALES_SUPPORT, *business.PEOPLE_FINANCE, *business.WRITING_OFFICE,
    *business.LANGUAGES_GENERAL,
)

# Companies whose name prefixes their products in occupational taxonomies ("Microsoft Excel", "Oracle Java").
# `Vocabulary.resolve` strips them when the full term is not an alias. Longest first, so "amazon web services"
# goes before "amazon".
VENDORS: tuple[str, ...] = tuple(sorted((
    "amazon web services", "microsoft office", "red hat", "the mathworks", "epic games", "hashicorp", "microsoft",
    "google", "adobe", "atlassian", "apple", "oracle", "amazon", "aws", "autodesk", "ibm", "sap", "salesforce",
    "apache", "jetbrains", "intuit", "meta", "facebook", "mathworks", "dassault systemes", "sas institute",
    "teradata", "tableau", "vmware", "cisco", "elastic", "mongodb", "github", "gitlab", "unity technologies",
    "progress", "opscode", "canonical", "bohemian", "statacorp", "maxon", "ms",
), key=len, reverse=True))

# Words that taxonomies append to a product name ("Teradata Database", "Salesforce software").
SUFFIXES: tuple[str, ...] = (
    "programming language", "software", "database", "databases", "platform", "framework", "language", "suite",
    "system", "systems", "tool", "tools", "application", "applications", "app", "server", "online",
)


def check_catalog(catalog: tuple[Skill, ...] = CATALOG) -> None:
    """Raise ValueError when two entries share a tag or a surface form (each must name one skill)."""
    tags: dict[str, str] = {}
    forms: dict[str, str] = {}
    for skill in catalog:
        if skill.tag in tags:
            raise ValueError(f"tag {skill.tag!r} is defined twice")
        tags[skill.tag] = skill.tag
        for form in skill.surface_forms():
            key = compact(form)
            if forms.setdefault(key, skill.tag) != skill.tag:
                raise ValueError(f"surface form {form!r} names both {forms[key]!r} and {skill.tag!r}")


__all__ = ["CATALOG", "SKILL_FAMILIES", "SUFFIXES", "VENDORS", "Skill", "check_catalog"]
