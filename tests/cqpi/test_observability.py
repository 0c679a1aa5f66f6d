"""Metrics at /metrics (behind a bearer token), request ids in logs and into Celery tasks."""

from __future__ import annotations

import datetime
import io
import json
import logging
import time
from typing import Any

import pytest
import redis
from celery import shared_task
from celery.contrib.testing.worker import start_worker
from django.http import HttpRequest, HttpResponse
from django.test import RequestFactory
from django.utils import timezone
from prometheus_client.parser import text_string_to_metric_families

from certifications import passport, tasks
from certifications.models import Certificate, RenderStatus
from core.jsonlog import JsonFormatter
from core.observability import RequestIdFilter, RequestIdMiddleware, request_id_var
from cqpi.celery import app
from tests.workflow import award

TOKEN = "s3cret-scrape-token"


def scrape(client: Any) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    response = client.get("/metrics", HTTP_AUTHORIZATION=f"Bearer {TOKEN}")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/plain")
    samples = {}
    for family in text_string_to_metric_families(response.content.decode()):
        for sample in family.samples:
            samples[(sample.name, tuple(sorted(sample.labels.items())))] = sample.value
    return samples


@pytest.mark.django_db
def test_metrics_do_not_exist_without_a_token_configured(client: Any, settings: Any) -> None:
    settings.METRICS_TOKEN = ""
    assert client.get("/metrics").status_code == 404
    assert client.get("/metrics", HTTP_AUTHORIZATION="Bearer ").status_code == 404


@pytest.mark.django_db
@pytest.mark.parametrize("header", [None, "Bearer wrong", f"Basic {TOKEN}", f"Bearer {TOKEN}x"])
def test_metrics_refuse_a_missing_or_wrong_token(client: Any, settings: Any, header: Any) -> None:
    settings.METRICS_TOKEN = TOKEN
    extra = {"HTTP_AUTHORIZATION": header} if header else {}
    response = client.get("/metrics", **extra)
    assert response.status_code == 401
    assert response["WWW-Authenticate"].startswith("Bearer")
    assert b"cqpi_" not in response.content


@pytest.mark.django_db
def test_metrics_report_requests_certificates_declarations_and_queues(
    client: Any, settings: Any, cast: Any
) -> None:
    settings.METRICS_TOKEN = TOKEN
    certificate = award(cast).certificates.get()
    today = timezone.localdate()
    due_day = passport.late_before(today) + datetime.timedelta(days=3)
    assert due_day < passport.due_before(today)
    Certificate.objects.filter(pk=certificate.pk).update(
        render_status=RenderStatus.FAILED, issued_on=due_day, reported_to_passport_at=None
    )
    queue = redis.Redis.from_url(settings.CELERY_BROKER_URL)
    queue.delete("documents")
    queue.rpush("documents", "a", "b", "c")
    try:
        before = scrape(client)
        assert client.get("/healthz").status_code == 200
        samples = scrape(client)
    finally:
        queue.delete("documents")
        queue.close()

    by_status = {s: Certificate.objects.filter(render_status=s).count() for s in RenderStatus}
    assert by_status[RenderStatus.FAILED] >= 1
    for status, count in by_status.items():
        assert samples[("cqpi_certificates", (("render_status", status.value),))] == count
    assert samples[("cqpi_cdc_declarations", (("state", "due"),))] == 1
    assert samples[("cqpi_cdc_declarations", (("state", "overdue"),))] == 0
    assert samples[("cqpi_queue_depth", (("queue", "documents"),))] == 3
    healthz = ("method", "GET"), ("status", "200"), ("view", "healthz")

    def grew(name: str, labels: tuple[tuple[str, str], ...]) -> float:
        return samples[(name, labels)] - before.get((name, labels), 0.0)

    assert grew("cqpi_http_request_duration_seconds_count", healthz) == 1
    # /healthz runs one query (SELECT 1): counted in the per-view database histograms.
    assert grew("cqpi_http_request_db_queries_count", (("view", "healthz"),)) == 1
    assert grew("cqpi_http_request_db_queries_sum", (("view", "healthz"),)) == 1
    assert grew("cqpi_http_request_db_seconds_sum", (("view", "healthz"),)) > 0

    Certificate.objects.filter(pk=certificate.pk).update(
        issued_on=passport.late_before(today) - datetime.timedelta(days=1)
    )
    samples = scrape(client)
    assert samples[("cqpi_cdc_declarations", (("state", "due"),))] == 0
    assert samples[("cqpi_cdc_declarations", (("state", "overdue"),))] == 1


def renders(outcome: str) -> tuple[float, float]:
    """(count, sum) of the render-duration histogram for one outcome."""
    values = {
        sample.name.rsplit("_", 1)[1]: sample.value
        for metric in tasks.RENDER_SECONDS.collect()
        for sample in metric.samples
        if sample.labels.get("outcome") == outcome and sample.name.endswith(("_count", "_sum"))
    }
    return values.get("count", 0.0), values.get("sum", 0.0)


@pytest.mark.django_db
def test_a_render_is_timed_by_outcome(cast: Any, settings: Any, tmp_path: Any) -> None:
    settings.MEDIA_ROOT = str(tmp_path)
    certificate = award(cast).certificates.get()
    Certificate.objects.filter(pk=certificate.pk).update(render_status=RenderStatus.PENDING, pdf="")
    count, total = renders("rendered")

    tasks.render_certificate.apply(args=(certificate.pk,))

    certificate.refresh_from_db()
    assert certificate.render_status == RenderStatus.READY
    after_count, after_total = renders("rendered")
    assert after_count == count + 1
    assert after_total > total


# --- request ids ---------------------------------------------------------------------


def test_the_request_id_is_read_or_made_and_echoed(client: Any) -> None:
    given = client.get("/metrics", HTTP_X_REQUEST_ID="abc-123")
    assert given["X-Request-ID"] == "abc-123"
    made = client.get("/metrics")
    assert len(made["X-Request-ID"]) == 32
    # Anything that could forge a log line is replaced.
    forged = client.get("/metrics", HTTP_X_REQUEST_ID='x" level=ERROR\n')
    assert forged["X-Request-ID"] != 'x" level=ERROR\n' and len(forged["X-Request-ID"]) == 32


def test_every_log_line_of_a_request_carries_its_id_as_json() -> None:
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.addFilter(RequestIdFilter())
    handler.setFormatter(JsonFormatter())
    logger = logging.getLogger("tests.request_id")
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)

    def view(request: HttpRequest) -> HttpResponse:
        logger.info("rendering %s", "jean.dupont@example.org")
        logger.warning("second line")
        return HttpResponse("ok")

    try:
        RequestIdMiddleware(view)(RequestFactory().get("/", HTTP_X_REQUEST_ID="req-42"))
        logger.info("outside any request")
    finally:
        logger.removeHandler(handler)

    lines = [json.loads(line) for line in stream.getvalue().splitlines()]
    assert [(r["request_id"], r["level"], r["logger"]) for r in lines] == [
        ("req-42", "INFO", "tests.request_id"),
        ("req-42", "WARNING", "tests.request_id"),
        ("-", "INFO", "tests.request_id"),
    ]
    assert lines[0]["message"] == "rendering jean.dupont@example.org"
    assert datetime.datetime.fromisoformat(lines[0]["time"]).tzinfo is not None


SEEN: list[str | None] = []


@shared_task(name="tests.cqpi.record_request_id")
def record_request_id() -> None:
    SEEN.append(request_id_var.get())


@pytest.mark.timeout(120)
def test_the_request_id_travels_into_the_tasks_the_request_enqueues() -> None:
    eager = app.conf.task_always_eager
    app.conf.task_always_eager = False
    SEEN.clear()

    def view(request: HttpRequest) -> HttpResponse:
        record_request_id.delay()
        return HttpResponse("ok")

    try:
        with start_worker(app, pool="solo", perform_ping_check=False, shutdown_timeout=30):
            RequestIdMiddleware(view)(RequestFactory().get("/", HTTP_X_REQUEST_ID="req-77"))
            record_request_id.delay()  # enqueued outside a request: no id
            deadline = time.monotonic() + 60
            while len(SEEN) < 2 and time.monotonic() < deadline:
                time.sleep(0.1)
    finally:
        app.conf.task_always_eager = eager
    assert SEEN == ["req-77", None]
    assert request_id_var.get() is None
