"""Batch I/O and the command line, against the real seed index."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from matcher.batch import run_batch
from matcher.cli import app
from matcher.engine import Matcher
from tests.helpers import BATCH_LINES

runner = CliRunner()


def test_batch_keeps_order_and_reports_bad_lines(seed_matcher: Matcher) -> None:
    lines = list(BATCH_LINES)
    rows = list(run_batch(seed_matcher, lines, k=3))
    assert [r["id"] for r in rows] == ["a", None, "b", "c", "d", "e"]
    assert len(rows[0]["results"]) == 3 and len(rows[2]["results"]) == 3
    assert rows[0]["results"] == [r.to_dict() for r in seed_matcher.match(skills=["golang", "postgres"], k=3)]
    assert all(seed_matcher.get(r["posting_id"]).job_type == "other" for r in rows[2]["results"])
    assert rows[1]["error"]["details"]["line"] == 2 and "invalid JSON" in rows[1]["error"]["message"]
    assert set(rows[1]["error"]) == {"code", "message", "status", "details"}  # the shape POST /v1/score streams
    assert "list of strings" in rows[3]["error"]["message"]
    assert "unknown key(s) colour" in rows[4]["error"]["message"]
    assert "text" in rows[5]["error"]["message"]


def test_batch_lines_carry_blinding_and_provenance(seed_matcher: Matcher) -> None:
    text = "Maria Gonzalez\nNationality: Mexican\nBackend engineer: Go, PostgreSQL, Kubernetes."
    lines = [json.dumps({"id": "on", "text": text}), json.dumps({"id": "off", "text": text, "blind": False}),
             json.dumps({"id": "bad", "text": text, "blind": "no"}),
             json.dumps({"id": "only-personal", "text": "Maria Gonzalez\nEmail: maria@example.com"})]
    on, off, bad, empty = run_batch(seed_matcher, lines, k=3)
    assert on["blinded"] == {"enabled": True, "removed": {"name": 1, "nationality": 1}}
    assert off["blinded"] == {"enabled": False, "removed": {}}
    assert on["provenance"]["index_version"] == seed_matcher.version and on["provenance"] == off["provenance"]
    assert set(on) == {"id", "results", "candidates_examined", "blinded", "provenance"}
    assert "'blind' must be true or false" in bad["error"]["message"]
    assert "after removing personal details" in empty["error"]["message"] and "Maria" not in json.dumps(empty)
    assert list(run_batch(seed_matcher, lines[:1], k=3, blind=False))[0]["blinded"]["enabled"] is False


def test_batch_is_lazy(seed_matcher: Matcher) -> None:
    def endless():
        n = 0
        while True:
            n += 1
            yield json.dumps({"id": str(n), "skills": ["python"]})

    stream = run_batch(seed_matcher, endless(), k=1)
    assert [next(stream)["id"] for _ in range(3)] == ["1", "2", "3"]


def test_cli_match_json_equals_library(seed_matcher: Matcher, seed_index: Path) -> None:
    out = runner.invoke(app, ["match", "--skills", "python,django", "-k", "4", "--json", "--index", str(seed_index)])
    assert out.exit_code == 0, out.output
    got = json.loads(out.stdout)["results"]
    assert got == [r.to_dict() for r in seed_matcher.match(skills=["python", "django"], k=4)]
    table = runner.invoke(app, ["match", "--skills", "python,django", "-k", "2", "--index", str(seed_index)])
    assert table.exit_code == 0 and "matched:" in table.stdout and got[0]["title"] in table.stdout
    assert f"{got[0]['match_percent']:>3}% good match" in table.stdout
    repeated = runner.invoke(app, ["match", "--skills", "python", "--skills", "django", "-k", "4", "--json",
                                   "--index", str(seed_index)])
    assert json.loads(repeated.stdout)["results"] == got  # a repeated option adds skills, it does not replace them


def test_cli_similar_batch_info(seed_index: Path, tmp_path: Path) -> None:
    out = runner.invoke(app, ["similar", "backend-developer-sketch-gPFMI", "-k", "2", "--json", "--include-archived",
                              "--index", str(seed_index)])
    assert out.exit_code == 0 and len(json.loads(out.stdout)["results"]) == 2
    infile, outfile = tmp_path / "in.jsonl", tmp_path / "out.jsonl"
    infile.write_text(json.dumps({"id": "x", "skills": ["figma"]}) + "\nnope\n")
    out = runner.invoke(app, ["batch", str(infile), "--out", str(outfile), "-k", "2", "--index", str(seed_index)])
    assert out.exit_code == 1 and "error: 1 of 2 line(s) failed" in out.output  # a failed line fails the run
    rows = [json.loads(line) for line in outfile.read_text().splitlines()]
    assert rows[0]["id"] == "x" and len(rows[0]["results"]) == 2 and "error" in rows[1]
    tolerant = runner.invoke(app, ["batch", str(infile), "--out", str(outfile), "-k", "2", "--allow-errors",
                                   "--index", str(seed_index)])
    assert tolerant.exit_code == 0 and "warning: 1 of 2 line(s) failed" in tolerant.output
    info = runner.invoke(app, ["info", "--index", str(seed_index)])
    assert info.exit_code == 0 and json.loads(info.stdout)["manifest"]["dimension"] == 384


def test_cli_errors_are_one_line_and_nonzero(seed_index: Path, tmp_path: Path) -> None:
    cases = [
        ["match", "--index", str(seed_index)],
        ["similar", "nope", "--index", str(seed_index)],
        ["match", "--skills", "go", "--index", str(tmp_path / "missing")],
        ["match", "--skills", "go", "--since", "someday", "--index", str(seed_index)],
    ]
    for args in cases:
        out = runner.invoke(app, args)
        assert out.exit_code != 0, args
        assert out.output.strip().startswith("error: ") and len(out.output.strip().splitlines()) == 1, out.output


def test_cli_index_reports_rejections(tmp_path: Path) -> None:
    src = tmp_path / "src"
    src.mkdir()
    (src / "ok.md").write_text("---\ntitle: Go Developer\nhashtags: '#golang'\n---\nWe write Go services.\n")
    (src / "bad.md").write_text("---\ntitle: [oops\n---\nbody\n")
    out = runner.invoke(app, ["index", str(src), "--index", str(tmp_path / "idx"), "-q"])
    assert out.exit_code == 0, out.output
    assert "bad.md: front matter: invalid YAML" in out.output
    assert "indexed 1, unchanged 0, removed 0, rejected 1" in out.output
    strict = runner.invoke(app, ["index", str(src), "--index", str(tmp_path / "idx2"), "--strict", "-q"])
    assert strict.exit_code == 1 and "bad.md" in strict.output


def test_cli_and_batch_read_cv_files(seed_matcher: Matcher, seed_index: Path, tmp_path: Path) -> None:
    from tests.documents_helpers import make_blank_pdf, make_docx, make_pdf

    cv = "Backend engineer\nGo, PostgreSQL and Kubernetes on AWS; payment APIs."
    (tmp_path / "cv.pdf").write_bytes(make_pdf(cv))
    (tmp_path / "cv.docx").write_bytes(make_docx(cv))
    (tmp_path / "scan.pdf").write_bytes(make_blank_pdf())
    text = (tmp_path / "cv.txt")
    text.write_text(cv)
    expected = [r.to_dict() for r in seed_matcher.match(text=cv, k=3)]
    for name in ("cv.pdf", "cv.docx", "cv.txt"):
        out = runner.invoke(app, ["match", "--file", str(tmp_path / name), "-k", "3", "--json", "--index", str(seed_index)])
        assert out.exit_code == 0, out.output
        got = json.loads(out.stdout)["results"]
        assert [r["posting_id"] for r in got] == [r["posting_id"] for r in expected], name
    piped = runner.invoke(app, ["match", "--file", "-", "-k", "3", "--json", "--index", str(seed_index)],
                          input=(tmp_path / "cv.pdf").read_bytes())
    assert piped.exit_code == 0, piped.output
    assert [r["posting_id"] for r in json.loads(piped.stdout)["results"]] == [r["posting_id"] for r in expected]
    scan = runner.invoke(app, ["match", "--file", str(tmp_path / "scan.pdf"), "--index", str(seed_index)])
    assert scan.exit_code == 1 and "scan.pdf: no text could be extracted from the PDF" in scan.stderr
    assert "Traceback" not in scan.output
    lines = [json.dumps({"id": "a", "file": "cv.docx"}), json.dumps({"id": "b", "file": "scan.pdf"}),
             json.dumps({"id": "c", "file": "cv.pdf", "text": "x"}), json.dumps({"id": "d", "file": "missing.pdf"})]
    rows = list(run_batch(seed_matcher, lines, k=3, base=tmp_path))
    assert [r["posting_id"] for r in rows[0]["results"]] == [r["posting_id"] for r in expected]
    assert rows[1]["error"]["code"] == "no_text" and rows[1]["error"]["details"]["line"] == 2
    assert "not both" in rows[2]["error"]["message"] and "cannot read" in rows[3]["error"]["message"]
    (tmp_path / "in.jsonl").write_text(lines[0] + "\n")
    out = runner.invoke(app, ["batch", str(tmp_path / "in.jsonl"), "-k", "3", "--index", str(seed_index)])
    assert out.exit_code == 0 and json.loads(out.stdout)["results"][0]["posting_id"] == expected[0]["posting_id"]
