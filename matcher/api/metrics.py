"""Prometheus metrics in a registry of the app's own (so tests can build many apps in one process)."""

from __future__ import annotations

from collections.abc import Callable

from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Counter, Gauge, Histogram, generate_latest

LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0)


class Metrics:
    """Request count and latency per route template, method and status; the index size."""

    content_type = CONTENT_TYPE_LATEST

    def __init__(self, index_size: Callable[[], float]) -> None:
        self.registry = CollectorRegistry(auto_describe=True)
        labels = ("method", "route", "status")
        self.requests = Counter("matcher_http_requests_total", "HTTP requests answered.", labels,
                                registry=self.registry)
        self.latency = Histogram("matcher_http_request_duration_seconds", "Time to answer an HTTP request.", labels,
                                 buckets=LATENCY_BUCKETS, registry=self.registry)
        self.postings = Gauge("matcher_index_postings", "Postings in the served index.", registry=self.registry)
        self.postings.set_function(index_size)

    def observe(self, method: str, route: str, status: int, seconds: float) -> None:
        self.requests.labels(method, route, str(status)).inc()
        self.latency.labels(method, route, str(status)).observe(seconds)

    def render(self) -> bytes:
        return generate_latest(self.registry)
