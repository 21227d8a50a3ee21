"""Skills layer: catalog, aliases, vocabulary weights, extraction with ambiguous names, title families."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from matcher.errors import InvalidInput
from matcher.skills import (
    CATALOG,
    SKILL_FAMILIES,
    TITLE_FAMILIES,
    Vocabulary,
    candidate_skills,
    check_catalog,
    extract_skills,
    extract_tags,
    text_families,
    title_families,
)

CROCODER = Path(__file__).resolve().parents[1].parent / "shared" / "data/postings/crocoder"
BOARD_TAGS = (
    "golang rubylang cplusplus csharp reactjs nodejs vuejs googlecloud rustlang objectivec javascript "
    "typescript python java kotlin swift php scala elixir clojure aws azure docker kubernetes terraform "
    "ansible chef puppet postgresql mysql mariadb mongodb redis cassandra dynamodb elasticsearch kafka "
    "spark hadoop tensorflow pytorch keras pandas sql figma sketch photoshop illustrator zeplin jira "
    "asana salesforce hubspot crm seo analytics socialmedia content branding marketing sales finance "
    "accountant xero hr customersupport english german french dutch spanish italian management office "
    "operations ui/ux scrum agile git linux windows macos rest graphql android ios flutter reactnative "
    "django flask rails spring laravel wordpress qa selenium cypress devops monitoring jquery heroku "
    "firebase unity unreal matlab webpack jenkins redux translation"
).split()


@pytest.fixture(scope="module")
def vocab() -> Vocabulary:
    return Vocabulary.build([])


def tags_in(text: str, vocab: Vocabulary) -> list[str]:
    return extract_tags(text, vocab)


# catalog


def test_catalog_is_consistent_and_covers_the_board() -> None:
    check_catalog()
    assert len(CATALOG) >= 250
    assert {s.family for s in CATALOG} <= set(SKILL_FAMILIES)
    missing = set(BOARD_TAGS) - {s.tag for s in CATALOG}
    assert not missing


# resolution


@pytest.mark.parametrize(
    ("term", "tag"),
    [
        ("go", "golang"), ("Golang", "golang"), ("postgres", "postgresql"), ("js", "javascript"),
        ("node.js", "nodejs"), ("k8s", "kubernetes"), ("react", "reactjs"), ("#React", "reactjs"),
        ("Amazon Web Services AWS", "aws"), ("Atlassian JIRA", "jira"), ("Microsoft Excel", "excel"),
        ("Red Hat Enterprise Linux", "rhel"), ("Teradata Database", "teradata"), ("Oracle PL/SQL", "plsql"),
        ("Salesforce software", "salesforce"), ("Hypertext markup language HTML", "html"), ("C++", "cplusplus"),
        ("C#", "csharp"), ("Apple macOS", "macos"), ("Autodesk AutoCAD", "autocad"), ("Google Angular", "angular"),
        ("Structured query language (SQL)", "sql"), ("Microsoft GitHub", "github"), ("Docker software", "docker"),
        ("Microsoft SQL Server Integration Services SSIS", "ssis"), ("Microsoft Power BI", "powerbi"),
    ],
)
def test_resolve_aliases_and_vendor_spellings(vocab: Vocabulary, term: str, tag: str) -> None:
    found = vocab.resolve(term)
    assert found is not None and found.tag == tag and found.term == term


def test_resolve_says_how(vocab: Vocabulary) -> None:
    assert vocab.resolve("#golang").via == "exact"
    assert vocab.resolve("go").via == "alias"
    assert vocab.resolve("Amazon Web Services AWS").via == "alias"
    assert vocab.resolve("quantum basket weaving") is None
    assert vocab.resolve("  ") is None


def test_resolve_all_splits_compound_terms(vocab: Vocabulary) -> None:
    assert [r.tag for r in vocab.resolve_all("Python/Django")] == ["python", "django"]
    assert [r.tag for r in vocab.resolve_all("Microsoft SQL Server Integration Services SSIS")] == ["ssis"]


def test_candidate_skills_returns_unresolved_terms(vocab: Vocabulary) -> None:
    resolved, unresolved = candidate_skills(["Go", "Postgres", "golang", "Quantum basket weaving", " "], vocab)
    assert [r.tag for r in resolved] == ["golang", "postgresql"]
    assert unresolved == ["Quantum basket weaving"]


# extraction


@pytest.mark.parametrize(
    ("text", "tag"),
    [
        ("Backend in Go and Python", "golang"), ("We are hiring a Go developer", "golang"),
        ("Languages: Go, Rust", "golang"), ("R and Python", "r"), ("Statistics in R.", "r"),
        ("Experience with C, C++ and C#", "c"), ("C/C++ on embedded Linux", "c"), ("We write Rust daily", "rustlang"),
        ("Our apps are written in Swift", "swift"), ("Proficient in Excel", "excel"), ("MS Excel and Word", "word"),
        ("Node.js and React", "nodejs"), ("ASP.NET and .NET Core", "dotnet"), ("CI/CD with k8s", "cicd"),
        ("- Go\n- Python", "golang"), ("Go 1.16 services", "golang"), ("javascript", "javascript"),
        ("Amazon Web Services (AWS)", "aws"), ("#golang", "golang"), ("Microsoft Office", "office"),
    ],
)
def test_extract_finds(vocab: Vocabulary, text: str, tag: str) -> None:
    assert tag in tags_in(text, vocab)


@pytest.mark.parametrize(
    ("text", "tag"),
    [
        ("I like to go home", "golang"), ("Go home early on Fridays", "golang"), ("good vibes only", "golang"),
        ("a rust-coloured sofa", "rustlang"), ("a Rust-coloured sofa", "rustlang"), ("javascript", "java"),
        ("meet the C-level team", "c"), ("our R&D team", "r"), ("air con (a/c) included", "c"),
        ("a Series C startup", "c"), ("swift onboarding", "swift"), ("in spring we meet", "spring"),
        ("Spring 2022 offsite", "spring"), ("Office Manager at our Head Office", "office"), ("You will excel", "excel"),
        ("a word of advice", "word"), ("react quickly to incidents", "reactjs"), ("each node in the cluster", "nodejs"),
        ("Rust is everywhere", "rustlang"), ("bi-weekly syncs", "bi"), ("Ext.js widgets", "javascript"),
    ],
)
def test_extract_ignores(vocab: Vocabulary, text: str, tag: str) -> None:
    assert tag not in tags_in(text, vocab)


def test_mentions_point_into_the_text(vocab: Vocabulary) -> None:
    text = "Senior engineer: Golang, PostgreSQL (postgres), K8s and Amazon Web Services."
    mentions = extract_skills(text, vocab)
    assert [m.tag for m in mentions] == ["golang", "postgresql", "postgresql", "kubernetes", "aws"]
    assert all(text[m.start:m.end] == m.term for m in mentions)
    assert [m.via for m in mentions] == ["exact", "exact", "alias", "alias", "alias"]


# vocabulary


def test_weights_follow_document_frequency() -> None:
    lists = [["common"] if i < 70 else [] for i in range(100)]
    lists[99] = ["rare"]
    v = Vocabulary.build(lists)
    assert v.n_docs == 100 and v.df("common") == 70 and v.df("rare") == 1
    assert v.weight("common") < 0.1 < 0.9 < v.weight("rare")
    assert v.weight("never-seen") == 1.0
    assert v.weight("kubernetes") == 1.0  # in the catalog, on no posting
    assert v.weight("management") == 0.5  # generic: damped even when rare
    assert Vocabulary.build([]).weight("python") == 1.0


def test_build_canonicalises_board_spellings() -> None:
    v = Vocabulary.build([["rust", "#RustLang"], ["rust"], ["Lorem"]])
    assert v.df("rustlang") == 2 and "rust" not in v
    assert v.canonical("#Rust") == "rustlang" and v.canonical("lorem") == "lorem"
    assert "lorem" in v.tags and v.name("lorem") == "lorem" and v.family("lorem") == "general"
    assert v.resolve("lorem").via == "exact"
    assert list(v.tags) == sorted(v.tags)
    assert v.name("golang") == "Go" and v.family("golang") == "backend" and "go" in v.aliases("golang")


def test_round_trip(vocab: Vocabulary) -> None:
    v = Vocabulary.build([["golang", "aws", "lorem"], ["aws", "management"], ["rust"]])
    again = Vocabulary.from_dict(json.loads(json.dumps(v.to_dict())))
    assert again.tags == v.tags and again.n_docs == v.n_docs
    assert all(again.df(t) == v.df(t) and again.weight(t) == v.weight(t) for t in v.tags)
    assert again.resolve("Atlassian JIRA") == v.resolve("Atlassian JIRA")
    assert again.canonical("rust") == "rustlang"
    assert tags_in("Go, Python", again) == tags_in("Go, Python", v)
    with pytest.raises(InvalidInput, match="format"):
        Vocabulary.from_dict({**v.to_dict(), "format": 99})


# families


@pytest.mark.parametrize(
    ("title", "expected"),
    [
        ("Senior Backend Engineer (Go)", {"backend", "engineering"}),
        ("Head of Growth Marketing", {"marketing", "management"}),
        ("Customer Success Manager", {"support"}),
        ("Technical Writer", {"writing"}),
        ("Accountant", {"finance"}),
        ("Talent Acquisition Partner", {"people"}),
        ("Network Administrator", {"it"}),
        ("Database Administrator", {"data"}),
        ("IT Project Manager", {"it", "management"}),
        ("Data Scientist", {"data", "ml"}),
        ("UX/UI Designer", {"design"}),
        ("Public Relations Specialist", {"marketing"}),
        ("Training and Development Specialist", {"people", "education"}),
        ("Market Research Analyst", {"marketing"}),
        ("Full Stack Developer", {"fullstack", "backend", "frontend", "engineering"}),
        ("Product Manager", {"product"}),
        ("Senior Ruby Developer", {"backend", "engineering"}),
    ],
)
def test_title_families(title: str, expected: set[str]) -> None:
    assert title_families(title) == expected
    assert expected <= set(TITLE_FAMILIES)


def test_text_families_weighs_the_title_most() -> None:
    cv = "Jane Doe\nFrontend Developer\n\nSkills: React, TypeScript, CSS, Figma\nWorked with Go on a side project."
    scores = text_families(cv)
    assert next(iter(scores)) == "frontend"
    assert scores["frontend"] > scores.get("backend", 0.0)
    assert all(0.0 < s <= 1.0 for s in scores.values())


# the real corpus


@pytest.mark.shared
@pytest.mark.skipif(not CROCODER.is_dir(), reason=f"shared corpus not found at {CROCODER} (../shared is absent)")
def test_real_corpus_weights_and_extraction() -> None:
    from matcher.postings import load_postings

    postings = load_postings([CROCODER]).postings
    vocab = Vocabulary.build(p.hashtags for p in postings)
    assert vocab.n_docs == len(postings) > 1000
    for generic in ("management", "office", "ui/ux"):
        assert vocab.weight(generic) < 0.2, generic
    for specific in ("golang", "kubernetes"):
        assert vocab.weight(specific) > 0.5, specific

    found = [set(extract_tags(f"{p.title}\n{p.body}", vocab)) for p in postings]

    # The board generated its hashtags from body keywords, so the body should name the tagged skill.
    for tag in ("golang", "python", "kubernetes", "javascript"):
        carrying = [i for i, p in enumerate(postings) if tag in {vocab.canonical(h) for h in p.hashtags}]
        share = sum(tag in found[i] for i in carrying) / len(carrying)
        assert share >= 0.7, (tag, share)
