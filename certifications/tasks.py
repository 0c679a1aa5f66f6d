"""Celery tasks of the certifications room: render certificates, sweep those left pending."""

from __future__ import annotations

import logging
import time
from datetime import timedelta

from celery import shared_task
from celery.signals import worker_init
from django.conf import settings
from django.db import transaction
from django.utils import timezone
from prometheus_client import Histogram

from .models import Certificate, RenderStatus

logger = logging.getLogger(__name__)

MAX_RENDER_RETRIES = 5

RENDER_SECONDS = Histogram(
    "cqpi_certificate_render_seconds",
    "Time to render and store one certificate's PDF, by outcome.",
    ["outcome"],
    buckets=(0.1, 0.25, 0.5, 1, 2, 4, 8, 16, 32, 64),
)


@worker_init.connect
def _load_renderer(**kwargs: object) -> None:
    """Import WeasyPrint (about a second) when a worker starts rather than in its first task;
    prefork children inherit it."""
    from . import rendering  # noqa: F401


def enqueue_render(certificate_id: int) -> None:
    """Send the render task once the current transaction commits.

    If the broker cannot be reached, the decision still stands: the certificate stays
    pending and the periodic sweep sends it again.
    """

    def send() -> None:
        try:
            render_certificate.delay(certificate_id)
        except Exception:
            logger.exception(
                "certificate %s: broker unreachable, left for the sweep", certificate_id
            )

    transaction.on_commit(send)


@shared_task(bind=True, acks_late=True, reject_on_worker_lost=True, max_retries=MAX_RENDER_RETRIES)
def render_certificate(self, certificate_id: int) -> None:  # type: ignore[no-untyped-def]
    """Render and store one certificate's PDF; idempotent, retried with exponential backoff."""
    from .services import certificate_mark_render_failed, certificate_store_pdf

    started = time.perf_counter()
    try:
        certificate_store_pdf(certificate_id=certificate_id)
        RENDER_SECONDS.labels("rendered").observe(time.perf_counter() - started)
    except Certificate.DoesNotExist:
        logger.warning("certificate %s does not exist", certificate_id)
    except Exception as exc:
        RENDER_SECONDS.labels("failed").observe(time.perf_counter() - started)
        logger.exception("certificate %s: render failed", certificate_id)
        certificate_mark_render_failed(
            certificate_id=certificate_id, error=f"{type(exc).__name__}: {exc}"
        )
        raise self.retry(exc=exc, countdown=min(600, 10 * 2**self.request.retries)) from exc


@shared_task
def sweep_pending_certificates() -> int:
    """Enqueue again every certificate pending for longer than the grace period (run by beat)."""
    cutoff = timezone.now() - timedelta(seconds=settings.CERTIFICATE_PENDING_GRACE_SECONDS)
    ids = list(
        Certificate.objects.filter(render_status=RenderStatus.PENDING, created_at__lt=cutoff)
        .order_by("pk")
        .values_list("pk", flat=True)[:1000]
    )
    for certificate_id in ids:
        render_certificate.delay(certificate_id)
    return len(ids)


def enqueue_certificate_ready_email(certificate_id: int) -> None:
    """Send the 'your document is ready' email once the render's transaction commits."""

    def send() -> None:
        try:
            email_certificate_ready.delay(certificate_id)
        except Exception:
            logger.exception("certificate %s: broker unreachable, email not sent", certificate_id)

    transaction.on_commit(send)


@shared_task(bind=True, acks_late=True, max_retries=5)
def email_certificate_ready(self, certificate_id: int) -> None:  # type: ignore[no-untyped-def]
    """Tell the holder their certificate can be downloaded; retried only on mail-server errors."""
    import smtplib

    from .notifications import certificate_ready

    try:
        certificate_ready(certificate_id=certificate_id)
    except (smtplib.SMTPException, OSError) as exc:
        logger.warning("certificate %s: mail server refused, retrying", certificate_id)
        raise self.retry(exc=exc, countdown=min(600, 30 * 2**self.request.retries)) from exc


def enqueue_expiry_alert(certificate_id: int, months: int) -> None:
    """Send an expiry alert once the transaction that claimed it commits."""

    def send() -> None:
        try:
            email_expiry_alert.delay(certificate_id, months)
        except Exception:
            logger.exception(
                "certificate %s: broker unreachable, expiry alert not sent", certificate_id
            )

    transaction.on_commit(send)


@shared_task(bind=True, acks_late=True, max_retries=5)
def email_expiry_alert(self, certificate_id: int, months: int) -> None:  # type: ignore[no-untyped-def]
    """Warn the holder and the branch's CPNE that a partial validation lapses in `months`."""
    import smtplib

    from .notifications import expiry_alert

    try:
        expiry_alert(certificate_id=certificate_id, months=months)
    except (smtplib.SMTPException, OSError) as exc:
        logger.warning("certificate %s: mail server refused, retrying", certificate_id)
        raise self.retry(exc=exc, countdown=min(600, 30 * 2**self.request.retries)) from exc


@shared_task(acks_late=True)
def send_expiry_alerts() -> int:
    """Scheduled by beat (CELERY_BEAT_SCHEDULE): partial validations' expiry alerts, once each."""
    from .services import expiry_alerts_send

    return expiry_alerts_send()
