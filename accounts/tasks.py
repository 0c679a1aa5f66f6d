"""Celery tasks of the accounts room: the password-reset email, sent outside the request."""

from __future__ import annotations

import logging
import smtplib

from celery import shared_task

logger = logging.getLogger(__name__)


@shared_task(bind=True, acks_late=True, max_retries=5)
def email_password_reset(self, user_id: int) -> None:  # type: ignore[no-untyped-def]
    """Mail a reset link; only a mail server's refusal or absence is retried."""
    from .services import password_reset_send

    try:
        password_reset_send(user_id=user_id)
    except (smtplib.SMTPException, OSError) as exc:
        logger.warning("password reset for user %s: mail server refused, retrying", user_id)
        raise self.retry(exc=exc, countdown=min(600, 30 * 2**self.request.retries)) from exc
