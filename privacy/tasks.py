"""Celery tasks of the privacy room: the nightly run of the retention policy."""

from __future__ import annotations

import logging

from celery import shared_task

from .services import retention_apply

logger = logging.getLogger(__name__)


# The first run on years of data may take long: more than the default limits (5 minutes), still
# under the broker's visibility timeout (1 hour). A run stopped by them keeps what it committed.
@shared_task(acks_late=True, soft_time_limit=3000, time_limit=3300)
def apply_retention() -> dict[str, int]:
    """Scheduled by beat (CELERY_BEAT_SCHEDULE); safe to run twice, or after a missed night."""
    report = retention_apply()
    logger.info("retention policy applied: %s", report)
    return report
