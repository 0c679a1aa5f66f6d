"""Celery tasks of the certifications room: render certificates, sweep those left pending."""

from __future__ import annotations

import logging
import time
from datetime import timedelta
from typing import Any

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


def _specimen() -> dict[str, Any]:
    """The snapshot of a certificate with every part a document prints, and nobody's data."""
    from core.qr import qr_data_uri

    return {
        "kind": "certificate",
        "number": "SPECIMEN",
        "issued_on": "2026-01-01",
        "decided_on": "2026-01-01",
        "place_of_issue": "Paris",
        "certifier": "CPNE de la branche Spécimen",
        "holder": {"name": "Prénom NOM", "birth_date": "2000-01-01", "birth_place": "Paris"},
        "branch": {"code": "specimen", "name": "Spécimen"},
        "cqpi": {"code": "specimen", "title": "Spécimen", "version": 1, "level": "4"},
        "registration": {"code": "RNCP00000", "kind": "RNCP", "decision_date": "2026-01-01"},
        # Any PNG stands for the signature's image: decoding one is what is warmed.
        "signatory": {"name": "Prénom NOM", "title": "Président(e)", "image": qr_data_uri("-")},
        "blocs": [
            {
                "code": "BC01",
                "title": "Bloc",
                "complete": True,
                "capacities": [{"code": "C1.1", "title": "Capacité"}],
            }
        ],
    }


def _warm_up() -> bytes:
    """Render, seal and sign the specimen, and return the sealed PDF. Each first time costs:
    WeasyPrint's fonts and stylesheet (about 0.5 s), pyHanko and the seal's key and chain
    (0.3 s), the JSON-LD contexts. Done in the worker's parent before the pool forks, every
    child inherits it instead of paying it on its first certificate. No database, no
    network."""
    from credentials import issuing
    from credentials.jsonld import canonize

    from .rendering import render_certificate_pdf
    from .sealing import seal_pdf

    snapshot = _specimen()
    specimen = Certificate(number="SPECIMEN", snapshot=snapshot, verification_code="specimen")
    data = seal_pdf(render_certificate_pdf(specimen), reason="Spécimen")
    canonize(
        issuing.build_credential(
            snapshot=snapshot,
            credential_id="urn:uuid:00000000-0000-0000-0000-000000000000",
            issuer_id="did:web:specimen.invalid:issuers:specimen",
            status_entry=issuing.status_entry(list_url="https://specimen.invalid/0", index=0),
        )
    )
    return data


@worker_init.connect
def _load_renderer(**kwargs: object) -> None:
    """Import WeasyPrint (about a second) and warm the renderer, the seal and the signing when a
    worker starts rather than in each child's first task; prefork children inherit it. A
    failure here is left to the tasks, which record it on the certificate and retry."""
    try:
        _warm_up()
    except Exception:
        logger.exception("the renderer could not be warmed up; the first renders will say why")


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
