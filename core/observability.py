"""Request metrics and the request id: middleware and a logging filter, imported by settings.

The request id (X-Request-ID, or a new one) lives in a context variable for the length of
the request; `RequestIdFilter` copies it onto every log record, and the Celery signals in
`cqpi/observability.py` carry it into the tasks the request enqueues.
"""

from __future__ import annotations

import contextvars
import logging
import re
import time
import uuid
from collections.abc import Callable

from django.db import connection
from django.http import HttpRequest, HttpResponse
from prometheus_client import Histogram

REQUEST_ID_HEADER = "X-Request-ID"
# A caller's id is kept only when it is short and plain (it ends up in logs).
_VALID_REQUEST_ID = re.compile(r"\A[A-Za-z0-9._:-]{1,64}\Z")

request_id_var: contextvars.ContextVar[str | None] = contextvars.ContextVar(
    "request_id", default=None
)

REQUEST_LATENCY = Histogram(
    "cqpi_http_request_duration_seconds",
    "Time to answer an HTTP request, by view and status.",
    ["view", "method", "status"],
    buckets=(0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10),
)

REQUEST_DB_QUERIES = Histogram(
    "cqpi_http_request_db_queries",
    "Database queries made to answer one HTTP request, by view.",
    ["view"],
    buckets=(0, 1, 2, 5, 10, 20, 50, 100, 200),
)
REQUEST_DB_SECONDS = Histogram(
    "cqpi_http_request_db_seconds",
    "Time spent in the database to answer one HTTP request, by view.",
    ["view"],
    buckets=(0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5),
)


class _QueryMeter:
    def __init__(self) -> None:
        self.count = 0
        self.seconds = 0.0

    def __call__(self, execute: Callable[..., object], *args: object) -> object:
        started = time.perf_counter()
        try:
            return execute(*args)
        finally:
            self.count += 1
            self.seconds += time.perf_counter() - started


def new_request_id() -> str:
    return uuid.uuid4().hex


def request_id_from(header: str | None) -> str:
    return header if header and _VALID_REQUEST_ID.match(header) else new_request_id()


class RequestIdMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        request_id = request_id_from(request.headers.get(REQUEST_ID_HEADER))
        token = request_id_var.set(request_id)
        try:
            response = self.get_response(request)
        finally:
            request_id_var.reset(token)
        response[REQUEST_ID_HEADER] = request_id
        return response


class RequestMetricsMiddleware:
    """Latency by view name (the URL name, never the path: bounded labels) and status, and
    the database queries and time each request took."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        started = time.perf_counter()
        meter = _QueryMeter()
        with connection.execute_wrapper(meter):
            response = self.get_response(request)
        match = getattr(request, "resolver_match", None)
        view = (match.view_name if match else "") or "<unresolved>"
        REQUEST_LATENCY.labels(view, request.method or "", str(response.status_code)).observe(
            time.perf_counter() - started
        )
        REQUEST_DB_QUERIES.labels(view).observe(meter.count)
        REQUEST_DB_SECONDS.labels(view).observe(meter.seconds)
        return response


class RequestIdFilter(logging.Filter):
    """Puts the current request id (or "-") on every record."""

    def filter(self, record: logging.LogRecord) -> bool:
        if not hasattr(record, "request_id"):
            record.request_id = request_id_var.get() or "-"
        return True
