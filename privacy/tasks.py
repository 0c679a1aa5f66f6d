"""Celery tasks of the privacy room: the nightly run of the retention policy."""

from __future__ import annotations

import logging

from celery import shared_task

from .services import retention_apply

logger = logging.getLogger(__name__)


@shared_task(acks_late=True)
def apply_retention() -> dict[str, int]:
    """Scheduled by beat (CELERY_BEAT_SCHEDULE); safe to run twice, or after a missed night."""
    report = retention_apply()
    logger.info("retention policy applied: %s", report)
    return report
