"""`/metrics` for Prometheus, the gauges computed when it is scraped, and the request id
carried from a web request into the Celery tasks it enqueues.

`/metrics` answers only with `Authorization: Bearer $METRICS_TOKEN`; without the variable
it does not exist (404). With several processes (gunicorn workers, the Celery worker on
the same host) set `PROMETHEUS_MULTIPROC_DIR` to one empty directory shared by them: the
scrape then sums every process's counters and histograms (prometheus-client's
multiprocess mode).
"""

from __future__ import annotations

import hmac
import logging.config
import os
from collections.abc import Iterator
from typing import Any

from celery.signals import before_task_publish, setup_logging, task_postrun, task_prerun
from django.conf import settings
from django.http import Http404, HttpRequest, HttpResponse
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_safe
from prometheus_client import REGISTRY, CollectorRegistry, generate_latest
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.multiprocess import MultiProcessCollector
from prometheus_client.registry import Collector

from core.observability import request_id_var

TASK_HEADER = "request_id"


class WorkCollector(Collector):
    """Gauges read from the database and the broker at each scrape."""

    def collect(self) -> Iterator[Metric]:
        from django.db.models import Count

        from certifications import passport
        from certifications.models import (
            Certificate,
            CertificateKind,
            CertificateStatus,
            RenderStatus,
        )

        renders = GaugeMetricFamily(
            "cqpi_certificates", "Certificates by PDF render status.", labels=["render_status"]
        )
        counts = dict(
            Certificate.objects.values_list("render_status").annotate(n=Count("pk")).order_by()
        )
        for status in RenderStatus:
            renders.add_metric([status.value], counts.get(status.value, 0))
        yield renders

        today = timezone.localdate()
        undeclared = Certificate.objects.filter(
            kind=CertificateKind.CERTIFICATE,
            status=CertificateStatus.VALID,
            reported_to_passport_at__isnull=True,
        )
        declarations = GaugeMetricFamily(
            "cqpi_cdc_declarations",
            "Awards not yet declared to the Caisse des Dépôts: due within the warning window, "
            "or past the three-month limit.",
            labels=["state"],
        )
        declarations.add_metric(
            ["due"],
            undeclared.filter(
                issued_on__gte=passport.late_before(today),
                issued_on__lt=passport.due_before(today),
            ).count(),
        )
        declarations.add_metric(
            ["overdue"], undeclared.filter(issued_on__lt=passport.late_before(today)).count()
        )
        yield declarations

        depth = queue_depths()
        if depth is not None:
            queues = GaugeMetricFamily(
                "cqpi_queue_depth", "Messages waiting in each Celery queue.", labels=["queue"]
            )
            for name, length in depth.items():
                queues.add_metric([name], length)
            yield queues


def queue_depths() -> dict[str, int] | None:
    """LLEN of each Celery queue when the broker is Redis; None otherwise or unreachable."""
    url: str = settings.CELERY_BROKER_URL
    if not url.startswith(("redis://", "rediss://")):
        return None
    import redis

    try:
        client = redis.Redis.from_url(url, socket_timeout=2, socket_connect_timeout=2)
        try:
            return {name: int(client.llen(name)) for name in settings.CELERY_TASK_QUEUES}
        finally:
            client.close()
    except redis.RedisError:
        return None


def registry() -> CollectorRegistry:
    scrape = CollectorRegistry(auto_describe=False)
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        MultiProcessCollector(scrape)
    else:
        scrape.register(REGISTRY)
    scrape.register(WorkCollector())
    return scrape


@require_safe
@never_cache
def metrics(request: HttpRequest) -> HttpResponse:
    token: str = getattr(settings, "METRICS_TOKEN", "")
    if not token:
        raise Http404
    given = request.headers.get("Authorization", "")
    if not hmac.compare_digest(given.encode(), f"Bearer {token}".encode()):
        response = HttpResponse("unauthorized\n", status=401, content_type="text/plain")
        response["WWW-Authenticate"] = 'Bearer realm="metrics"'
        return response
    return HttpResponse(
        generate_latest(registry()), content_type="text/plain; version=0.0.4; charset=utf-8"
    )


# --- the request id, from the web request into its tasks ---------------------------


@before_task_publish.connect
def _put_request_id(headers: dict[str, Any] | None = None, **kwargs: Any) -> None:
    request_id = request_id_var.get()
    if request_id and headers is not None:
        headers.setdefault(TASK_HEADER, request_id)


@task_prerun.connect
def _restore_request_id(task: Any = None, **kwargs: Any) -> None:
    request_id = getattr(getattr(task, "request", None), TASK_HEADER, None)
    request_id_var.set(request_id if isinstance(request_id, str) else None)


@task_postrun.connect
def _forget_request_id(**kwargs: Any) -> None:
    request_id_var.set(None)


@setup_logging.connect
def _log_like_the_web(**kwargs: Any) -> None:
    """The worker logs through settings.LOGGING (JSON in production, with request ids)."""
    logging.config.dictConfig(settings.LOGGING)
