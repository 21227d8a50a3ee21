"""`page`: time from upload to results for a 3 KB CV, over HTTP (multipart) and in the page (headless Chromium).

`matcher serve` runs in a subprocess on loopback over the seeds index (or `--index DIR`). The CV is ~3,000
characters, as TXT, PDF (fpdf2) and DOCX (python-docx). Measured: text extraction alone; `POST /v1/match` with the
file (upload, extraction, blinding, ranking, JSON back); and in the browser, from the click on "Find jobs" to the
explained results drawn (the page also fetches each result's posting for its location, date and apply link).
"""

from __future__ import annotations

import shutil
import time
from pathlib import Path
from typing import Any

from bench.speed.common import REPO, WORK, header, log, stats, table
from bench.speed.http import Server, free_port

K = 10
N = {"extract": 30, "http": 20, "page": 10}
N_QUICK = {"extract": 3, "http": 3, "page": 2}
CV_LINES = [
    "Senior backend engineer",
    "Summary: eight years building payment and billing platforms; I own services end to end, from design docs to "
    "on-call, and I like boring, observable systems.",
    "Experience",
    "2021-now, Staff engineer at a fintech: led the move of the ledger from a monolith to Go services on Kubernetes "
    "(EKS); designed idempotent payment APIs handling 2,000 requests per second; PostgreSQL schema design, query "
    "tuning and zero-downtime migrations; Kafka for events; Terraform for all infrastructure; Prometheus and Grafana "
    "dashboards and alerts; mentored five engineers.",
    "2017-2021, Backend developer at an e-commerce company: Python and Django REST APIs, Celery workers, Redis "
    "caching, Elasticsearch for search; moved deployments to Docker and GitLab CI; ran the on-call rotation.",
    "2015-2017, Junior developer: PHP and MySQL, then Python; wrote the first automated tests of the checkout.",
    "Skills: Go, Python, Django, PostgreSQL, MySQL, Redis, Kafka, RabbitMQ, Docker, Kubernetes, Terraform, AWS "
    "(ECS, EKS, RDS, S3, SQS, Lambda), GCP basics, gRPC, REST, GraphQL, Prometheus, Grafana, OpenTelemetry, "
    "Linux, Bash, Git, CI/CD, system design, code review, incident response.",
    "Education: BSc Computer Science.",
    "Languages: English (fluent), Spanish (native), German (basic).",
    "Looking for: a remote backend or platform role in Europe, working on reliability and developer experience.",
]


def cv_text() -> str:
    text = "\n".join(CV_LINES)
    while len(text) < 3_000:  # a 3 KB CV, grown with more of the same kind of sentence
        text += "\nAlso: wrote internal guides on PostgreSQL indexing, API versioning and on-call hand-overs."
    return text[:3_000]


def cv_files(text: str) -> dict[str, tuple[str, bytes]]:
    from tests.documents_helpers import make_docx, make_pdf

    return {"txt": ("text/plain", text.encode()), "pdf": ("application/pdf", make_pdf(text)),
            "docx": ("application/vnd.openxmlformats-officedocument.wordprocessingml.document", make_docx(text))}


def seeds_index() -> Path:
    folder = WORK / "page-seeds-index"
    if not (folder / "CURRENT").exists():
        from matcher.engine import Matcher

        log(f"indexing seeds/ into {folder}")
        Matcher.open(folder).index([REPO / "seeds"], progress=False)
    return folder


def extraction(files: dict[str, tuple[str, bytes]], n: int) -> dict[str, Any]:
    from matcher.documents import read_document

    out = {}
    for kind, (_, data) in files.items():
        times = []
        for _ in range(n):
            start = time.perf_counter()
            read_document(data, f"cv.{kind}")
            times.append(time.perf_counter() - start)
        out[kind] = stats(times)
    return out


def over_http(url: str, files: dict[str, tuple[str, bytes]], n: int) -> dict[str, Any]:
    import httpx

    out = {}
    with httpx.Client(base_url=url, timeout=120) as client:
        for kind, (mime, data) in files.items():
            times = []
            for i in range(n + 1):
                start = time.perf_counter()
                response = client.post("/v1/match", files={"file": (f"cv.{kind}", data, mime)}, data={"k": str(K)})
                elapsed = time.perf_counter() - start
                response.raise_for_status()
                if i:  # the first request of each kind warms caches; not counted
                    times.append(elapsed)
            out[kind] = stats(times)
    return out


def in_browser(url: str, files: dict[str, tuple[str, bytes]], n: int) -> dict[str, Any]:
    from tests.browser_helpers import browser_missing, chromium

    missing = browser_missing()
    if missing:
        log(f"browser part skipped: {missing}")
        return {"skipped": missing}
    out: dict[str, Any] = {}
    with chromium() as browser:
        page = browser.new_page(viewport={"width": 1280, "height": 900})
        page.goto(url + "/")
        page.wait_for_function("!document.getElementById('go').disabled")
        for kind, (mime, data) in files.items():
            wall, in_page = [], []
            for i in range(n + 1):
                page.set_input_files("#cv-file", {"name": f"cv.{kind}", "mimeType": mime, "buffer": data})
                page.evaluate("document.getElementById('results').hidden = true")
                start = time.perf_counter()
                page.click("#go")
                page.wait_for_selector("#results:not([hidden]) .result")
                elapsed = time.perf_counter() - start
                if i:
                    wall.append(elapsed)
                    in_page.append(float(page.get_attribute("#results", "data-ms")) / 1000)
            out[kind] = {"click_to_results": stats(wall), "measured_by_page": stats(in_page)}
    return out


def run(args: Any, result: dict[str, Any]) -> None:
    counts = N_QUICK if args.quick else N
    text = cv_text()
    files = cv_files(text)
    result["cv"] = {"chars": len(text), **{f"{kind}_bytes": len(data) for kind, (_, data) in files.items()}}
    result["k"] = K
    index = args.load_index or seeds_index()
    result["index"] = str(index)
    log("text extraction alone")
    result["extract"] = extraction(files, counts["extract"])
    log("starting matcher serve")
    server = Server(index, free_port())
    try:
        result["postings"] = __import__("httpx").get(server.url + "/readyz").json()["postings"]
        log("POST /v1/match with the file")
        result["http"] = over_http(server.url, files, counts["http"])
        log("the page in headless Chromium")
        result["page"] = in_browser(server.url, files, counts["page"])
    finally:
        server.stop()
        if not args.load_index and args.quick:
            shutil.rmtree(WORK / "page-seeds-index", ignore_errors=True)


def markdown(result: dict[str, Any]) -> list[str]:
    cv = result["cv"]
    lines = header(result, "Upload to results: a 3 KB CV through the API and the page")
    lines += [f"- CV: {cv['chars']:,} characters; files: TXT {cv['txt_bytes']:,} B, PDF {cv['pdf_bytes']:,} B, "
              f"DOCX {cv['docx_bytes']:,} B; k = {result['k']}; index: {result.get('postings', '?')} postings",
              ""]
    rows = []
    for kind in ("txt", "pdf", "docx"):
        page = result.get("page", {}).get(kind, {})
        click = page.get("click_to_results", {}) if isinstance(page, dict) else {}
        own = page.get("measured_by_page", {}) if isinstance(page, dict) else {}
        rows.append([kind.upper(), result["extract"][kind].get("p50_ms"), result["http"][kind].get("p50_ms"),
                     result["http"][kind].get("p90_ms"), click.get("p50_ms"), click.get("p90_ms"), own.get("p50_ms")])
    lines += table(["file", "extract p50 ms", "POST /v1/match p50 ms", "p90 ms", "page click-to-results p50 ms",
                    "p90 ms", "page's own timer p50 ms"], rows)
    if "skipped" in result.get("page", {}):
        lines.append(f"Page part skipped: {result['page']['skipped']}")
    return lines
