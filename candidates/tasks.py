"""Celery tasks of the candidates room: the reminders of dossiers waiting on the CPNE and of
dossiers of evidence not submitted (beat), and their emails."""

from __future__ import annotations

import logging
import smtplib
from typing import Any

from celery import shared_task
from django.db import transaction

logger = logging.getLogger(__name__)

EMAIL_RETRIES = 5


def _on_commit(task: Any, *args: Any) -> None:
    def send() -> None:
        try:
            task.delay(*args)
        except Exception:
            logger.exception("%s%s: broker unreachable, email not sent", task.name, args)

    transaction.on_commit(send)


def enqueue_staff_reminder(branch_id: int, dossier_ids: list[int]) -> None:
    _on_commit(email_staff_reminder, branch_id, dossier_ids)


def enqueue_evidence_reminder(dossier_id: int) -> None:
    _on_commit(email_evidence_reminder, dossier_id)


def _deliver(task: Any, send: Any, **ids: Any) -> None:
    try:
        send(**ids)
    except (smtplib.SMTPException, OSError) as exc:
        logger.warning("%s%s: mail server refused, retrying", task.name, ids)
        raise task.retry(exc=exc, countdown=min(600, 30 * 2**task.request.retries)) from exc


@shared_task(bind=True, acks_late=True, max_retries=EMAIL_RETRIES)
def email_staff_reminder(self, branch_id: int, dossier_ids: list[int]) -> None:  # type: ignore[no-untyped-def]
    """Tell a branch's staff which dossiers have waited on them beyond the branch's delay."""
    from .notifications import staff_reminder

    _deliver(self, staff_reminder, branch_id=branch_id, dossier_ids=dossier_ids)


@shared_task(bind=True, acks_late=True, max_retries=EMAIL_RETRIES)
def email_evidence_reminder(self, dossier_id: int) -> None:  # type: ignore[no-untyped-def]
    """Remind a candidate that their dossier of evidence is not submitted yet."""
    from .notifications import evidence_reminder

    _deliver(self, evidence_reminder, dossier_id=dossier_id)


@shared_task(acks_late=True)
def send_dossier_reminders() -> int:
    """Scheduled by beat (CELERY_BEAT_SCHEDULE): staff's and candidates' reminders, once each."""
    from .services import evidence_reminders_send, staff_reminders_send

    return staff_reminders_send() + evidence_reminders_send()
