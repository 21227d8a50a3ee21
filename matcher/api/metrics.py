"""Prometheus metrics in a registry of the app's own (so tests can build many apps in one process).

Under `matcher serve --workers N` the workers share PROMETHEUS_MULTIPROC_DIR (made and removed by `serve`):
each process writes its values there, and /metrics sums every worker's, so counters never go backwards
whichever worker answers the scrape.
"""

from __future__ import annotations

import os
from collections.abc import Callable

from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Counter, Gauge, Histogram, generate_latest

LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0)
MULTIPROC_ENV = "PROMETHEUS_MULTIPROC_DIR"


def multiprocess_dir() -> str | None:
    return os.environ.get(MULTIPROC_ENV) or None


class Metrics:
    """Request count and latency per route template, method and status; the index size."""

    content_type = CONTENT_TYPE_LATEST

    def __init__(self, index_size: Callable[[], float]) -> None:
        self.registry = CollectorRegistry(auto_describe=True)
        self.index_size = index_size
        self.shared = multiprocess_dir() is not None
        labels = ("method", "route", "status")
        self.requests = Counter("matcher_http_requests_total", "HTTP requests answered.", labels,
                                registry=self.registry)
        self.latency = Histogram("matcher_http_request_duration_seconds", "Time to answer an HTTP request.", labels,
                                 buckets=LATENCY_BUCKETS, registry=self.registry)
        # Shared between workers, the gauge keeps the value the most recently written one (a callback cannot be
        # read across processes, so it is set at each scrape and write instead).
        self.postings = Gauge("matcher_index_postings", "Postings in the served index.", registry=self.registry,
                              multiprocess_mode="livemostrecent")
        if not self.shared:
            self.postings.set_function(index_size)

    def observe(self, method: str, route: str, status: int, seconds: float) -> None:
        self.requests.labels(method, route, str(status)).inc()
        self.latency.labels(method, route, str(status)).observe(seconds)

    def render(self) -> bytes:
        if not self.shared:
            return generate_latest(self.registry)
        from prometheus_client import multiprocess

        self.postings.set(self.index_size())
        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)
        return generate_latest(registry)

    @staticmethod
    def worker_stopped() -> None:
        """Drop this worker's live gauge values from the shared folder (its counters stay counted)."""
        if multiprocess_dir() is not None:
            from prometheus_client import multiprocess

            multiprocess.mark_process_dead(os.getpid())
