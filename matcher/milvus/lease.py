"""One writer at a time on a Milvus index: a lease row in the meta collection, with an expiry.

Milvus has no transactions or compare-and-set, so the lease is taken as in Fischer's mutual-exclusion algorithm:
read the row; if it is free (or expired), write our claim within `GAP` seconds of that read, wait `SETTLE` (longer
than `GAP`), read again: the claim stands if it is still ours. Any other process that read the row as free wrote
its own claim within `GAP`, so before our second read; whoever wrote last wins and the other backs off. A holder
keeps the lease while it writes (renewed to `HOLD` seconds before each write, `LINGER` after it, so a burst of
writes pays the claim once); a second writer waits up to `wait` seconds, then is refused with one line naming the
holder. Assumptions (docs/deploy.md): one Milvus call completes within `GAP` (a slower claim is withdrawn and
retried), and the writers' clocks agree within `SKEW`.
"""

from __future__ import annotations

import os
import secrets
import socket
import time
from typing import Any

from matcher.errors import IndexBusy

KEY = "writer"
GAP = 1.0  # a claim written later than this after the read that found the lease free is withdrawn
SETTLE = 1.2  # wait between writing a claim and checking it (> GAP)
HOLD = 60.0  # a write in progress holds the lease this long (renewed before it runs out)
LINGER = 5.0  # after a write, the writer keeps the lease this long (a burst of writes claims once)
SKEW = 1.0  # tolerated difference between writers' clocks
WAIT = 10.0  # how long a second writer waits for the lease before it is refused


class Lease:
    """This process's claim on one index's writer lease (see the module docstring)."""

    def __init__(self, client: Any, collection: str, location: str, wait: float = WAIT) -> None:
        self.client, self.collection, self.location, self.wait = client, collection, location, wait
        self.holder = f"{socket.gethostname()} pid {os.getpid()} ({secrets.token_hex(3)})"
        self.until = 0.0  # expiry of our claim as last written (wall clock); 0: not held

    def row(self, until: float, dirty: bool = True) -> dict[str, Any]:
        """The lease row claiming it until `until`. `dirty`: a write may be half-done (only a commit, which writes
        this row with the meta row, says otherwise), so whoever claims the lease next removes its leftovers."""
        return {"key": KEY, "value": {"holder": self.holder, "until": until, "at": time.time(), "dirty": dirty},
                "dummy": [0.0, 1.0]}

    def _read(self) -> dict[str, Any]:
        rows = self.client.query(self.collection, filter=f'key == "{KEY}"', output_fields=["value"])
        return dict(rows[0]["value"]) if rows else {}

    def held(self) -> bool:
        """Whether our claim is still good for a while (by our clock, with the skew allowed to others)."""
        return self.until - SKEW - 5.0 > time.time()

    def acquire(self) -> tuple[bool, bool]:
        """Hold the lease for a write (up to HOLD seconds). Returns (claimed, leftovers): whether it was newly
        claimed (another writer may have committed since our last write) and whether the previous holder may have
        left a write half-done. Raises IndexBusy after `wait` seconds."""
        if self.until and self.until - SKEW > time.time() + 0.5:
            self._write(time.time() + HOLD)  # ours all along: nobody else may have claimed it meanwhile
            return False, False
        started = time.monotonic()
        while True:
            read_at = time.monotonic()
            current = self._read()
            other = current.get("holder") not in (None, self.holder)
            if other and float(current.get("until", 0)) + SKEW > time.time():
                if time.monotonic() - started > self.wait:
                    raise IndexBusy(self._busy(current))
                time.sleep(0.2)
                continue
            self._write(time.time() + HOLD)
            if time.monotonic() - read_at > GAP:
                self._withdraw()  # too slow: another writer may have read it free meanwhile
                time.sleep(0.1 + secrets.randbelow(100) / 1000)
                continue
            time.sleep(SETTLE)
            if self._read().get("holder") == self.holder:
                return True, bool(current.get("dirty", bool(current)))
            self.until = 0.0

    def _write(self, until: float) -> None:
        self.client.upsert(self.collection, [self.row(until)])
        self.until = until

    def _withdraw(self, dirty: bool = True) -> None:
        if self._read().get("holder") == self.holder:
            self.client.upsert(self.collection, [self.row(0.0, dirty)])
        self.until = 0.0

    def check(self) -> None:
        """Before a commit: the row still names us (a claim that landed late elsewhere would show here)."""
        current = self._read()
        if current.get("holder") != self.holder or not self.held():
            if current.get("holder") != self.holder:
                self.until = 0.0
                raise IndexBusy(f"lost the writer lease on the Milvus index at {self.location} to "
                                f"{current.get('holder', 'another writer')} during this write; nothing was "
                                "committed: retry the write")
            self._write(time.time() + HOLD)

    def lingering(self) -> dict[str, Any]:
        """The lease row a commit writes: kept LINGER seconds more for the next write of this process; clean."""
        self.until = time.time() + LINGER
        return self.row(self.until, dirty=False)

    def release(self, dirty: bool = True) -> None:
        """Give the lease up now (a write that failed, or a store that closes: `dirty` if a write may be half-done)."""
        if self.until > time.time():
            try:
                self._withdraw(dirty)
            except Exception:  # noqa: BLE001 - the lease expires by itself; a failed release only delays others
                self.until = 0.0

    def _busy(self, current: dict[str, Any]) -> str:
        until = time.strftime("%H:%M:%SZ", time.gmtime(float(current.get("until", 0))))
        return (f"another writer holds the Milvus index at {self.location}: {current.get('holder')} (lease until "
                f"{until}); matcher allows one writer at a time: retry when it has finished, or send every write "
                "through one process (docs/deploy.md)")
