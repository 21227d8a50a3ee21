"""Run in a child process by tests/test_faults.py, under a fault the parent set up (a file-size limit, or no
permission to write): try a write through the library and through the HTTP API, then read; print what happened."""

from __future__ import annotations

import json
import sys
from pathlib import Path

from fastapi.testclient import TestClient

from matcher.api import Settings, create_app
from matcher.engine import Matcher
from matcher.errors import MatcherError
from matcher.postings import parse_json_record
from tests.helpers import FakeEmbedder

KEY = "fault-key"


def _writable(folder: Path) -> bool:
    """Whether this process can create a file in `folder` (the read-only test's precondition)."""
    probe = folder / ".fault-probe"
    try:
        probe.touch()
    except OSError:
        return False
    probe.unlink()
    return True


def main(folder: Path, existing: str, delete: bool) -> dict[str, object]:
    out: dict[str, object] = {"folder_writable": _writable(folder)}
    matcher = Matcher.load(folder, embedder=FakeEmbedder())
    out["version_before"] = matcher.version
    big = parse_json_record({"id": "new-one", "title": "New", "body": "word " * 30_000}, "child")
    try:
        matcher.upsert([big])
        out["library"] = "written"
    except MatcherError as exc:  # the library turns the file system's refusal into one clear error
        out["library"] = {"status": exc.status, "code": exc.code, "message": exc.message}
    out["library_reads"] = matcher.get(existing).id == existing and len(matcher.match(skills=["python"], k=2)) > 0
    settings = Settings(index_dir=folder, api_keys=(KEY,), warm_up=False, refresh_seconds=0)
    with TestClient(create_app(matcher=matcher, settings=settings)) as client:
        put = client.put("/v1/postings/new-one", json={"title": "New", "body": "word " * 30_000},
                         headers={"Authorization": f"Bearer {KEY}"})
        out["put"] = {"status": put.status_code, **put.json().get("error", {})}
        if delete:
            gone = client.delete(f"/v1/postings/{existing}", headers={"Authorization": f"Bearer {KEY}"})
            out["delete_status"] = gone.status_code
        out["get_status"] = client.get(f"/v1/postings/{existing}").status_code
        out["match_status"] = client.post("/v1/match", json={"skills": ["python"], "k": 2}).status_code
        out["ready_version"] = client.get("/readyz").json().get("version")
    return out


if __name__ == "__main__":
    print(json.dumps(main(Path(sys.argv[1]), sys.argv[2], sys.argv[3:] == ["delete"])))
