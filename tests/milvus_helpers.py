"""A Milvus Lite server process for tests (started and stopped by the test that needs it), and engine labels."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from importlib import metadata
from pathlib import Path

from tests.helpers import free_port


def lite_version() -> str | None:
    try:
        metadata.version("pymilvus")
        return metadata.version("milvus-lite")
    except metadata.PackageNotFoundError:
        return None


SKIP_REASON = "Milvus Lite is not installed (pip install 'matcher[milvus]')"


@contextmanager
def lite_server(data_dir: Path) -> Iterator[str]:
    """`milvus-lite server` on a free local port; yields `HOST:PORT`; SIGTERM on exit (it ignores SIGINT)."""
    port = free_port()
    proc = subprocess.Popen([sys.executable, "-m", "milvus_lite", "server", "--data-dir", str(data_dir),
                             "--host", "127.0.0.1", "--port", str(port)],
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, start_new_session=True)
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if proc.poll() is not None:
                raise RuntimeError(f"milvus-lite server exited: {proc.stderr.read().decode()[-500:]}")  # type: ignore[union-attr]
            try:
                with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                    break
            except OSError:
                time.sleep(0.2)
        else:
            raise RuntimeError("milvus-lite server did not listen within 60 s")
        yield f"127.0.0.1:{port}"
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
