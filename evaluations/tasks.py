"""Celery tasks of the evaluations room: the procès-verbal of a closed jury session."""

from __future__ import annotations

import logging

from celery import shared_task
from django.db import transaction

logger = logging.getLogger(__name__)


def enqueue_minutes(session_id: int) -> None:
    def send() -> None:
        try:
            render_minutes.delay(session_id)
        except Exception:
            logger.exception("jury session %s: broker unreachable for the minutes", session_id)

    transaction.on_commit(send)


@shared_task(bind=True, acks_late=True, reject_on_worker_lost=True, max_retries=5)
def render_minutes(self, session_id: int) -> None:  # type: ignore[no-untyped-def]
    """Render and store the procès-verbal of a closed session; idempotent."""
    from .minutes import minutes_store_pdf

    try:
        minutes_store_pdf(session_id=session_id)
    except Exception as exc:
        logger.exception("jury session %s: minutes render failed", session_id)
        raise self.retry(exc=exc, countdown=min(600, 10 * 2**self.request.retries)) from exc
