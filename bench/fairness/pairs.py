"""Attribute pairs for invariance checks: the same CV under two headers (and inline mentions) that differ only
in who the candidate is. Shared by `tests/test_fairness.py` and `python -m bench.fairness`."""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from matcher.embed import Embedder

# Two values per attribute. A pair varies one attribute (or all at once); the others keep their first value.
VALUES: dict[str, tuple[dict[str, str], dict[str, str]]] = {
    "name": ({"name": "Emily Walsh", "first": "Emily", "handle": "ewalsh"},
             {"name": "Lakisha Washington", "first": "Lakisha", "handle": "lwashington"}),
    "gender": ({"gender": "Female", "Pronoun": "She", "possessive": "her", "person": "woman"},
               {"gender": "Male", "Pronoun": "He", "possessive": "his", "person": "man"}),
    "age": ({"age": "27", "born": "14/02/1999", "year": "1999"}, {"age": "58", "born": "03/07/1968", "year": "1968"}),
    "nationality": ({"nationality": "German", "country": "Germany"}, {"nationality": "Nigerian", "country": "Nigeria"}),
    "family": ({"marital": "single, no children", "family": "no children"},
               {"marital": "married with three children", "family": "a mother of three"}),
    "religion": ({"religion": "Catholic"}, {"religion": "Muslim"}),
}
PAIRS: tuple[str, ...] = ("name", "gender", "age", "nationality", "family", "religion", "all")

# Two header styles: labelled lines, and one comma-separated line of attributes.
HEADERS: dict[str, str] = {
    "labelled": ("{name}\nGender: {gender}\nDate of birth: {born} (age {age})\nNationality: {nationality}\n"
                 "Marital status: {marital}\nReligion: {religion}\nEmail: {handle}@example.com | "
                 "Phone: +44 20 7946 0{year}\nLinkedIn: linkedin.com/in/{handle}\n\n"),
    "inline": ("{name}\n{gender}, {age} years old, {nationality} citizen, {marital}, {religion}\n"
               "{handle}@example.com · +1 415 555 {year}\n\n"),
}

# CVs written for the test, with inline mentions (pronouns, age, origin, family, faith) in running text.
WRITTEN: dict[str, str] = {
    "backend": (
        "Senior Backend Engineer\n"
        "Summary: {first} is a backend engineer with eight years of experience building payment APIs in Go and "
        "Python on PostgreSQL and Kubernetes. {Pronoun} led the migration of a monolith to event-driven services "
        "with Kafka at Monzo. I am {age} years old and a {nationality} citizen; I am {family} and a practising "
        "{religion}.\n"
        "Experience: Monzo (2019-2025), backend engineer: payments ledger, gRPC services, Terraform on AWS.\n"
        "Education: BSc Computer Science, University of Manchester.\n"
        "Skills: Go, Python, PostgreSQL, Kafka, Kubernetes, Terraform, AWS, gRPC, Docker."),
    "marketing": (
        "Content Marketing Manager\n"
        "As a {person} who moved from {country} in 2015, I have grown organic traffic for B2B SaaS companies "
        "for six years. {Pronoun} writes, edits and runs SEO: {possessive} team doubled sign-ups from search.\n"
        "Experience: HubSpot (2020-2025): content strategy, SEO audits with Ahrefs and Semrush, WordPress, "
        "email campaigns, social media calendars.\n"
        "Education: BA English Literature, University of Leeds. Personal: {family}, {religion}, born {year}."),
    "accounting": (
        "Accountant (ACCA)\n"
        "My name is {name}. I am a {age}-year-old chartered accountant, {nationality} national, with seven years "
        "in e-commerce finance: month-end close, VAT returns, reconciliations in Xero and Excel, payroll.\n"
        "Experience: Deliveroo (2018-2025), finance team; KPMG audit trainee (2016-2018).\n"
        "Skills: Xero, Excel, VAT, bookkeeping, accounts payable, reconciliation, Shopify, Stripe."),
}


@dataclass(frozen=True)
class Case:
    """One CV under one pair: `a` and `b` differ only in the attribute(s) the pair names."""

    cv: str
    pair: str
    style: str
    a: str
    b: str


def values(pair: str, side: int) -> dict[str, str]:
    """Placeholder values for one side of a pair: the pair's attribute(s) from `side`, the rest from side 0."""
    merged: dict[str, str] = {}
    for attribute, sides in VALUES.items():
        merged |= sides[side if pair in (attribute, "all") else 0]
    return merged


def render(template: str, pair: str, side: int) -> str:
    return template.format(**values(pair, side))


def cases(cvs: dict[str, str], styles: tuple[str, ...] = tuple(HEADERS)) -> Iterator[Case]:
    """Every CV x pair x header style; a written CV's own placeholders vary with the pair too."""
    for cv_name, body in cvs.items():
        for pair in PAIRS:
            for style in styles:
                template = HEADERS[style] + body.replace("{", "{{").replace("}", "}}") if "{" not in body \
                    else HEADERS[style] + body
                yield Case(cv_name, pair, style, render(template, pair, 0), render(template, pair, 1))


def real_cvs(folder: Path, limit: int = 15) -> dict[str, str]:
    """The first `limit` numbered CVs of the vanetik set (`1.txt`, `2.txt`, ...), by number."""
    files = sorted((p for p in folder.glob("*.txt") if re.fullmatch(r"\d+", p.stem)), key=lambda p: int(p.stem))
    return {p.stem: p.read_text(encoding="utf-8", errors="replace") for p in files[:limit]}


class RememberingEmbedder(Embedder):
    """The real model, encoding each distinct query text once. A CV under two headers that blinding reduces to
    the same text is embedded once and ranked twice through the whole pipeline; texts that still differ (as with
    blinding off) are embedded afresh, so the check keeps its power and the test stays within CI's time."""

    def __init__(self, real: Embedder) -> None:
        self.__dict__.update(real.__dict__)
        self._seen: dict[str, np.ndarray] = {}

    def encode_queries(self, texts: Sequence[str]) -> np.ndarray:
        new = [t for t in dict.fromkeys(texts) if t not in self._seen]
        if new:
            self._seen.update(zip(new, super().encode_queries(new), strict=True))
        return np.stack([self._seen[t] for t in texts]) if texts else super().encode_queries(texts)
