"""The `matcher` command line: thin commands over the `Matcher` facade. Heavy imports stay inside commands."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated, Any, NoReturn

import typer

from matcher import limits
from matcher.config import DEFAULT_INDEX_DIR
from matcher.errors import MatcherError

# Plain (not rich) rendering, so a usage error is click's one `Error: ...` line rather than a boxed panel.
app = typer.Typer(add_completion=False, no_args_is_help=True, rich_markup_mode=None, pretty_exceptions_enable=False,
                  help="Semantic job search and candidate matching.")

IndexOpt = Annotated[Path, typer.Option("--index", help="Index folder.", envvar="MATCHER_INDEX_DIR")]
ModelOpt = Annotated[str | None, typer.Option("--model", help="Model: packaged name, folder path or hub id.")]
KOpt = Annotated[int, typer.Option("-k", "--k", min=1, max=limits.MAX_K, help="Number of results.")]
JsonOpt = Annotated[bool, typer.Option("--json", help="Print JSON instead of a table.")]
BlindOpt = Annotated[bool, typer.Option(
    "--blind/--no-blind", help="Remove names, contact details and protected attributes (age, gender, nationality, "
                               "family status, religion, ...) from the CV before ranking. On by default.")]


def fail(message: str, code: int = 1) -> NoReturn:
    typer.echo(f"error: {' '.join(message.split())}", err=True)
    raise typer.Exit(code)


def _check_index_dir(index: Path) -> None:
    """An --index that cannot be a folder fails here, in one line, before the model loads."""
    if index.exists() and not index.is_dir():
        fail(f"--index {index} is a file; give a folder (it is created if missing)")
    if index.is_dir() and not index.exists():  # pragma: no cover - defensive
        fail(f"--index {index} cannot be read")


def _check_writable(index: Path) -> None:
    """Writes go into `index` (or create it): refuse early when that cannot happen."""
    import os

    _check_index_dir(index)
    existing = next((p for p in (index, *index.parents) if p.exists()), Path("."))
    if not os.access(existing, os.W_OK | os.X_OK):
        fail(f"cannot write the index at {index}: {existing} is not writable (check its permissions or pick "
             "another --index)")


StoreOpt = Annotated[str | None, typer.Option(
    "--store", envvar="MATCHER_STORE", metavar="URL",
    help="An index held in Milvus instead of --index: milvus://HOST:PORT[/PREFIX] or milvus-lite:///PATH.")]


def _open(index: Path, model: str | None, must_exist: bool = True) -> Any:
    from matcher.engine import Matcher
    from matcher.stores import location

    where = location(index)  # MATCHER_STORE, when set, names a Milvus store that replaces the folder
    if where is not index:
        return Matcher.load(where, model=model) if must_exist else Matcher.open(where, model=model)
    _check_index_dir(index)
    if must_exist and not index.exists():
        fail(f"no index at {index}: the folder does not exist; build one with `matcher index PATHS --index {index}`")
    return Matcher.load(index, model=model) if must_exist else Matcher.open(index, model=model)


def _run(fn: Any) -> Any:
    """Run a library call; its errors (and the file system's) become one line on stderr and a non-zero exit."""
    try:
        return fn()
    except MatcherError as exc:
        fail(exc.message, 2 if exc.status >= 500 else 1)
    except OSError as exc:
        where = f"{exc.filename}: " if exc.filename else ""
        fail(f"{where}{exc.strerror or exc}", 2)


def _table(rows: list[dict[str, Any]], explain: bool) -> None:
    if not rows:
        typer.echo("no matching postings")
    for rank, r in enumerate(rows, start=1):
        parts = " + ".join(f"{name} {value:.3f}" for name, value in r["components"].items())
        percent = f"  {r['match_percent']:>3}% good match" if r.get("match_percent") is not None else ""
        typer.echo(f"{rank:>2}. {r['score']:.3f}{percent}  {r['title']} — {r['company']}  [{r['posting_id']}]")
        typer.echo(f"    = {parts}")
        if "matched_tags" in r:
            matched = ", ".join(
                m["tag"] if m["via"] == "exact" else f"{m['tag']} ({m['via']}: {m['candidate_term']}"
                + (f" {m['similarity']:.2f})" if m["via"] == "semantic" else ")") for m in r["matched_tags"])
            typer.echo(f"    matched: {matched or '-'}")
            typer.echo(f"    missing: {', '.join(r['missing_tags']) or '-'}")
        else:
            typer.echo(f"    shared: {', '.join(r['shared_tags']) or '-'}; only here: {', '.join(r['only_in_similar']) or '-'}")
        if explain:
            typer.echo(f"    passage: {r['passage'][:240]}")


@app.command()
def index(
    paths: Annotated[list[Path] | None, typer.Argument(help="Posting files or folders (.md, .jsonl).")] = None,
    index: IndexOpt = DEFAULT_INDEX_DIR,
    model: ModelOpt = None,
    strict: Annotated[bool, typer.Option("--strict", help="Stop at the first bad posting.")] = False,
    prune: Annotated[bool, typer.Option("--prune", help="Also remove indexed postings that are not under PATHS.")] = False,
    allow_empty: Annotated[bool, typer.Option("--allow-empty", help="Let --prune remove every posting.")] = False,
    batch_size: Annotated[int | None, typer.Option("--batch-size", min=1, help="Postings per commit: a killed run "
                                                   "keeps every committed batch [default: 256].")] = None,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="No progress bar.")] = False,
    json_out: JsonOpt = False,
) -> None:
    """Add and update the postings under PATHS (default: seeds/); only new or changed ones are embedded.

    Postings already in the index but not under PATHS are kept (and counted) unless --prune is given.
    """
    sources = paths or [Path("seeds")]
    _check_writable(index)
    matcher = _run(lambda: _open(index, model, must_exist=False))
    if batch_size:
        from dataclasses import replace

        matcher.config = replace(matcher.config, segments=replace(matcher.config.segments, batch_postings=batch_size))
    report = _run(lambda: _index(matcher, sources, strict=strict, progress=not quiet, prune=prune,
                                 allow_empty=allow_empty))
    for rejection in report.rejected:
        typer.echo(f"rejected: {rejection}", err=True)
    if json_out:
        typer.echo(json.dumps({"indexed": report.indexed, "unchanged": report.unchanged, "removed": report.removed,
                               "stale": report.stale, "rejected": [str(r) for r in report.rejected],
                               "postings": report.postings, "passages_embedded": report.passages_embedded,
                               "seconds": report.seconds, "version": report.version}))
        return
    rate = report.passages_embedded / report.seconds if report.seconds else 0.0
    typer.echo(f"indexed {report.indexed}, unchanged {report.unchanged}, removed {report.removed}, "
               f"rejected {len(report.rejected)}; {report.postings} postings in {index} "
               f"({report.passages_embedded} passages embedded in {report.seconds:.1f} s, {rate:.1f}/s)")
    if report.stale:
        typer.echo(f"kept {report.stale} indexed posting(s) that are not under the given paths; "
                   "--prune removes them", err=True)


@app.command()
def upgrade(index: IndexOpt = DEFAULT_INDEX_DIR, model: ModelOpt = None,
            quiet: Annotated[bool, typer.Option("--quiet", "-q", help="No progress bar.")] = False) -> None:
    """Convert an index in the old single-snapshot format to segments, in place, without re-embedding."""
    from matcher.index.legacy import upgrade as convert

    matcher = _run(lambda: _open(index, model, must_exist=False))
    count = _run(lambda: convert(index, matcher.store, matcher.config, progress=not quiet))
    typer.echo(f"upgraded {index}: {count} postings, version {matcher.version}")


def _index(matcher: Any, sources: list[Path], **options: Any) -> Any:
    from matcher.errors import index_writes

    with index_writes(matcher.index_dir):
        return matcher.index(sources, **options)


def _split(values: list[str] | None) -> list[str]:
    """Repeated options, each possibly comma-separated: ['go, k8s', 'aws'] -> ['go', 'k8s', 'aws']."""
    return [v.strip() for given in values or () for v in given.split(",") if v.strip()]


def _filters(job_type: str | None, company: str | None, location: str | None, tags_any: list[str] | None,
             tags_all: list[str] | None, all_tags: bool, posted_after: str | None, posted_before: str | None,
             include_archived: bool) -> dict[str, Any]:
    """The library's filters, under the library's names (the CLI options carry the same names)."""
    any_, all_ = _split(tags_any), _split(tags_all)
    if all_tags:  # the old spelling: --tag X --tag Y --all-tags
        any_, all_ = [], all_ + any_
    return {"job_type": job_type, "company": company, "location": location, "tags_any": any_, "tags_all": all_,
            "posted_after": posted_after, "posted_before": posted_before, "include_archived": include_archived}


@app.command()
def match(
    text: Annotated[str | None, typer.Option("--text", help="CV or profile text.")] = None,
    file: Annotated[Path | None, typer.Option("--file", help="Read the CV from a PDF, DOCX, text or Markdown file "
                                                            "('-' for stdin); it is read in memory, never copied.")] = None,
    skills: Annotated[list[str] | None, typer.Option(
        "--skills", help="Skills, comma-separated; the option can be repeated (--skills go --skills k8s).")] = None,
    k: KOpt = 10,
    json_out: JsonOpt = False,
    job_type: Annotated[str | None, typer.Option("--job-type", help="Job type contains this (any case).")] = None,
    company: Annotated[str | None, typer.Option("--company", help="Company contains this (any case).")] = None,
    location: Annotated[str | None, typer.Option("--location", help="Location contains this (any case).")] = None,
    tags_any: Annotated[list[str] | None, typer.Option(
        "--tags-any", "--tag", help="Posting has at least one of these tags (repeatable or comma-separated).")] = None,
    tags_all: Annotated[list[str] | None, typer.Option(
        "--tags-all", help="Posting has every one of these tags (repeatable or comma-separated).")] = None,
    all_tags: Annotated[bool, typer.Option("--all-tags", help="Old spelling: require every --tag, not any.")] = False,
    posted_after: Annotated[str | None, typer.Option(
        "--posted-after", "--since", help="Posted on or after (YYYY-MM-DD or ms since the epoch).")] = None,
    posted_before: Annotated[str | None, typer.Option(
        "--posted-before", "--until", help="Posted before (YYYY-MM-DD or ms since the epoch).")] = None,
    include_archived: Annotated[bool, typer.Option("--include-archived", help="Archived postings too.")] = False,
    explain: Annotated[bool, typer.Option("--explain/--brief", help="Show the matching passage.")] = True,
    blind: BlindOpt = True,
    index: IndexOpt = DEFAULT_INDEX_DIR,
    model: ModelOpt = None,
) -> None:
    """Rank postings for a CV (--text / --file) and/or a skills list (--skills)."""
    if text is not None and file is not None:
        fail("give --text or --file, not both")
    if file is not None:
        from matcher.documents import read_document, read_file

        if str(file) == "-":
            text = _run(lambda: read_document(sys.stdin.buffer.read(), None)).text
        else:
            text = _run(lambda: read_file(file)).text
    skill_list = _split(skills)
    if not (text and text.strip()) and not skill_list:
        fail("give a CV with --text or --file, or skills with --skills")
    _run(lambda: limits.check_candidate(text, skill_list))  # before the model loads: a refusal comes at once
    flt = _filters(job_type, company, location, tags_any, tags_all, all_tags, posted_after, posted_before,
                   include_archived)
    matcher = _run(lambda: _open(index, model))
    from matcher.query import Candidate

    response = _run(lambda: matcher.match_response(Candidate(text, tuple(skill_list), blind), k=k, filters=flt))
    if json_out:
        typer.echo(json.dumps(response.to_dict(), ensure_ascii=False))
    else:
        typer.echo(f"blinded: {response.blinded.summary()}")
        _table([r.to_dict() for r in response.results], explain)


@app.command()
def similar(
    posting_id: Annotated[str, typer.Argument(metavar="ID", help="A posting id (file stem).")],
    k: KOpt = 10,
    json_out: JsonOpt = False,
    include_archived: Annotated[bool, typer.Option("--include-archived")] = False,
    index: IndexOpt = DEFAULT_INDEX_DIR,
    model: ModelOpt = None,
) -> None:
    """Postings similar to posting ID, with shared and differing tags."""
    matcher = _run(lambda: _open(index, model))
    results = _run(lambda: matcher.similar(posting_id, k=k, filters={"include_archived": include_archived}))
    rows = [r.to_dict() for r in results]
    if json_out:
        typer.echo(json.dumps({"results": rows}, ensure_ascii=False))
    else:
        _table(rows, explain=False)


@app.command()
def batch(
    infile: Annotated[Path, typer.Argument(metavar="IN.jsonl", help="Candidates, one JSON object a line ('-' = stdin).")],
    out: Annotated[Path | None, typer.Option("--out", help="Write results here (default stdout).")] = None,
    k: KOpt = 10,
    include_archived: Annotated[bool, typer.Option("--include-archived")] = False,
    allow_errors: Annotated[bool, typer.Option(
        "--allow-errors", help="Exit 0 even when some lines failed (each still gets its error object).")] = False,
    blind: BlindOpt = True,
    index: IndexOpt = DEFAULT_INDEX_DIR,
    model: ModelOpt = None,
    ray: Annotated[bool, typer.Option("--ray", help="Score on a Ray cluster (one model per actor), output in input "
                                                    "order: a local one unless --ray-address or RAY_ADDRESS.")] = False,
    ray_address: Annotated[str | None, typer.Option("--ray-address", metavar="ADDRESS", help="Ray cluster to join "
                                                    "(e.g. auto, HOST:6379, ray://HOST:10001); implies --ray.")] = None,
    ray_actors: Annotated[int, typer.Option("--ray-actors", min=1, help="Scoring actors on Ray.")] = 2,
) -> None:
    """Score many candidates: each line {"id", "text"? or "file"?, "skills"?, "filters"?, "blind"?} gives one line
    {"id", "results", "candidates_examined", "blinded", "provenance"}.

    A "file" (PDF, DOCX, text or Markdown) is a path relative to IN.jsonl's folder (or the current one for stdin).
    A line that fails gets {"id", "error": {code, message, status, details: {line}}}; the exit status is then 1
    unless --allow-errors.
    """
    from matcher.batch import run_batch

    if str(infile) != "-" and not infile.is_file():
        fail(f"cannot read {infile}: {'it is a folder' if infile.is_dir() else 'no such file'}")
    if out is not None and not out.parent.is_dir():
        fail(f"cannot write {out}: the folder {out.parent} does not exist")
    if out is not None and out.is_dir():
        fail(f"cannot write {out}: it is a folder; give a file name")
    use_ray = ray or ray_address is not None
    if use_ray:
        from matcher.index.manifest import read as read_manifest
        from matcher.stores import location

        if location(index) is index:
            _check_index_dir(index)
            _run(lambda: read_manifest(index))  # a missing index fails here, before a cluster starts
    else:
        matcher = _run(lambda: _open(index, model))
    source = sys.stdin.buffer if str(infile) == "-" else _run(lambda: infile.open("rb"))
    sink = _run(lambda: out.open("w", encoding="utf-8")) if out else sys.stdout
    errors = lines = 0
    with source:
        base = Path.cwd() if str(infile) == "-" else infile.parent
        if use_ray:
            rows = _ray_rows(source, index, model, ray_address, ray_actors, k, include_archived, blind, base)
        else:
            rows = ((json.dumps(row, ensure_ascii=False), "error" in row) for row in
                    run_batch(matcher, source, k=k, include_archived=include_archived, blind=blind, base=base))
        for line, failed in rows:
            lines += 1
            errors += failed
            sink.write(line + "\n")
            sink.flush()
    if out:
        sink.close()
    if errors:
        typer.echo(f"{'warning' if allow_errors else 'error'}: {errors} of {lines} line(s) failed; "
                   "see their error objects", err=True)
        if not allow_errors:
            raise typer.Exit(1)


def _ray_rows(source: Any, index: Path, model: str | None, address: str | None, actors: int, k: int,
              include_archived: bool, blind: bool, base: Path) -> Any:
    """`matcher batch --ray`: the output lines from Ray actors; a cluster failure is one line, not a traceback."""
    from matcher import batch_ray
    from matcher.stores import location

    where = location(index)
    opener = batch_ray.Opener(str(where) if where is not index else str(index.resolve()), model,
                              options=batch_ray.options(k, include_archived, blind, base.resolve()),
                              torch_threads=batch_ray.local_threads())
    started = _run(lambda: batch_ray.connect(address))
    try:
        yield from batch_ray.run_ray_batch(opener, list(source), actors=actors)
    except MatcherError:
        raise
    except Exception as exc:  # Ray wraps worker errors in its own types: name the cause in one line
        fail(f"the Ray batch failed: {type(exc).__name__}: {str(exc).splitlines()[0] if str(exc) else ''}", 2)
    finally:
        if started:
            batch_ray.disconnect()


@app.command()
def migrate(
    source: Annotated[str, typer.Option("--from", metavar="INDEX", help="The index to copy: a folder, milvus://HOST:PORT"
                                                                      "[/PREFIX] or milvus-lite:///PATH.")],
    target: Annotated[str, typer.Option("--to", metavar="INDEX", help="Where to copy it (empty, or a new folder).")],
    replace: Annotated[bool, typer.Option("--replace", help="Empty a Milvus target first.")] = False,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="No progress bar.")] = False,
) -> None:
    """Copy an index between a folder and Milvus (either way) without re-embedding, then check the counts."""
    from matcher.migrate import migrate as copy_index
    from matcher.stores import is_remote

    for where in (source, target):
        if not is_remote(where) and Path(where).exists() and not Path(where).is_dir():
            fail(f"{where} is a file; give an index folder or a Milvus URL")
    report = _run(lambda: copy_index(source, target, replace=replace, progress=not quiet))
    typer.echo(f"migrated {report.postings} postings ({report.passages} passages) from {source} to {target} "
               f"in {report.seconds:.1f} s; count check passed ({report.postings} = {report.postings}), "
               f"version {report.version}")


@app.command()
def info(index: IndexOpt = DEFAULT_INDEX_DIR, model: ModelOpt = None) -> None:
    """What the index holds and which model built it (fails when there is no index)."""
    matcher = _run(lambda: _open(index, model))
    typer.echo(json.dumps(_run(matcher.info), indent=2))


@app.command()
def serve(
    index: IndexOpt = DEFAULT_INDEX_DIR,
    host: Annotated[str | None, typer.Option(help="Bind address [default: MATCHER_HOST or 127.0.0.1].")] = None,
    port: Annotated[int | None, typer.Option(help="Port [default: MATCHER_PORT or 8000].")] = None,
    workers: Annotated[int | None, typer.Option(min=1, help="Worker processes, each loading the index "
                                                            "[default: MATCHER_WORKERS or 1].")] = None,
    model: ModelOpt = None,
    store: StoreOpt = None,
) -> None:
    """Serve the HTTP API over the index (OpenAPI docs at /docs). Settings come from MATCHER_* variables."""
    settings = _settings(index, model, store)
    host, port = host or settings.host, port if port is not None else settings.port
    workers = workers or settings.workers
    if not 0 <= port <= 65535:
        fail(f"port {port} is out of range: give 0-65535 (--port or MATCHER_PORT)")
    if settings.store:
        from matcher.stores import is_remote

        if not is_remote(settings.store):
            fail(f"--store {settings.store}: give milvus://HOST:PORT[/PREFIX] or milvus-lite:///PATH")
    else:
        _check_index_dir(settings.index_dir)
    if not settings.allow_empty_index and not settings.store:
        from matcher.index.manifest import read as read_manifest

        _run(lambda: read_manifest(settings.index_dir))  # fail here, in one line, rather than in a worker
    from matcher.api.serve import run

    shown = f"[{host}]" if ":" in host else host
    typer.echo(f"matcher: open http://{shown}:{port}/ in a browser to search with a CV (API docs at /docs)", err=True)
    _run(lambda: run(settings, host, port, workers, model, _log_config()))


def _settings(index: Path, model: str | None, store: str | None = None) -> Any:
    """The service settings from MATCHER_* and the options; a bad value is one line naming the variable."""
    from pydantic import ValidationError

    from matcher.api.settings import Settings, describe_error

    overrides: dict[str, Any] = {"index_dir": index} | ({"model": model} if model else {}) | \
        ({"store": store} if store else {})
    try:
        return Settings(**overrides)
    except ValidationError as exc:
        fail(describe_error(exc))


def _log_config() -> dict[str, Any]:
    """uvicorn's logging, plus the service's own loggers (matcher.access: one line a request, no bodies)."""
    from uvicorn.config import LOGGING_CONFIG

    config = json.loads(json.dumps(LOGGING_CONFIG))
    config["loggers"]["matcher"] = {"handlers": ["default"], "level": "INFO", "propagate": False}
    return config


def main() -> None:  # pragma: no cover
    app()


if __name__ == "__main__":  # pragma: no cover
    app()
