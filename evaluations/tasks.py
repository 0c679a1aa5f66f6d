"""Celery tasks of the evaluations room: the procès-verbal of a closed jury session, the emails,
the reminders of jury sessions (beat)."""

from __future__ import annotations

import logging
import smtplib
from typing import Any

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
    """Render, seal and store the procès-verbal of a closed session; idempotent."""
    from .minutes import minutes_mark_render_failed, minutes_store_pdf

    try:
        minutes_store_pdf(session_id=session_id)
    except Exception as exc:
        logger.exception("jury session %s: minutes render failed", session_id)
        minutes_mark_render_failed(session_id=session_id, error=f"{type(exc).__name__}: {exc}")
        raise self.retry(exc=exc, countdown=min(600, 10 * 2**self.request.retries)) from exc


# --- Emails ----------------------------------------------------------------------

EMAIL_RETRIES = 5


def enqueue_email(task: Any, object_id: int, **extra: Any) -> None:
    """Send an email task once the current transaction commits: a rolled-back write tells no one."""

    def send() -> None:
        try:
            task.delay(object_id, **extra)
        except Exception:
            logger.exception("%s(%s): broker unreachable, email not sent", task.name, object_id)

    transaction.on_commit(send)


def _deliver(task: Any, send: Any, **ids: Any) -> None:
    # Only a mail server's refusal or absence is worth retrying; a missing row is not.
    try:
        send(**ids)
    except (smtplib.SMTPException, OSError) as exc:
        logger.warning("%s%s: mail server refused, retrying", task.name, ids)
        raise task.retry(exc=exc, countdown=min(600, 30 * 2**task.request.retries)) from exc


@shared_task(bind=True, acks_late=True, max_retries=EMAIL_RETRIES)
def email_evaluator_assigned(self, sheet_id: int) -> None:  # type: ignore[no-untyped-def]
    """Tell an evaluator (or the référent of a binôme) a grid awaits them."""
    from .notifications import evaluator_assigned

    _deliver(self, evaluator_assigned, sheet_id=sheet_id)


@shared_task(bind=True, acks_late=True, max_retries=EMAIL_RETRIES)
def email_sheet_submitted(self, sheet_id: int) -> None:  # type: ignore[no-untyped-def]
    """Tell the branch's staff a grid was submitted."""
    from .notifications import sheet_submitted

    _deliver(self, sheet_submitted, sheet_id=sheet_id)


@shared_task(bind=True, acks_late=True, max_retries=EMAIL_RETRIES)
def email_decision_recorded(self, decision_id: int) -> None:  # type: ignore[no-untyped-def]
    """Tell the candidate the jury has decided (the details are in their space)."""
    from .notifications import decision_recorded

    _deliver(self, decision_recorded, decision_id=decision_id)


@shared_task(bind=True, acks_late=True, max_retries=EMAIL_RETRIES)
def email_jury_convocation(self, member_id: int, kind: str = "invite", days: int = 0) -> None:  # type: ignore[no-untyped-def]
    """Convoke a jury member (with the calendar invitation), update or remind them."""
    from .notifications import jury_convocation

    _deliver(self, jury_convocation, member_id=member_id, kind=kind, days=days)


@shared_task(bind=True, acks_late=True, max_retries=EMAIL_RETRIES)
def email_jury_convocation_cancelled(  # type: ignore[no-untyped-def]
    self, member_id: int, session_id: int, user_id: int, sequence: int
) -> None:
    """Tell a released jury member their convocation is withdrawn (calendar cancellation)."""
    from .notifications import jury_convocation_cancelled

    _deliver(
        self,
        jury_convocation_cancelled,
        member_id=member_id,
        session_id=session_id,
        user_id=user_id,
        sequence=sequence,
    )


@shared_task(acks_late=True)
def send_jury_reminders() -> int:
    """Scheduled by beat (CELERY_BEAT_SCHEDULE): reminders due now, each sent once."""
    from .services import jury_reminders_send

    return jury_reminders_send()


@shared_task(bind=True, acks_late=True, max_retries=EMAIL_RETRIES)
def email_appointment_cancelled(self, sheet_id: int, user_id: int) -> None:  # type: ignore[no-untyped-def]
    """Tell the person a grid was taken from that its appointment is cancelled."""
    from .notifications import appointment_cancelled

    _deliver(self, appointment_cancelled, sheet_id=sheet_id, user_id=user_id)


@shared_task(bind=True, acks_late=True, max_retries=EMAIL_RETRIES)
def email_appointment_convocation(  # type: ignore[no-untyped-def]
    self,
    evaluation_id: int,
    kind: str = "invite",
    sheet_id: int | None = None,
    days: int = 0,
    previous_at: str = "",
    previous_where: str = "",
) -> None:
    """Convoke the candidate to their evaluation appointment (with its calendar invitation),
    send the update or cancellation to everybody convoked, or remind them."""
    from .notifications import appointment_convocation

    _deliver(
        self,
        appointment_convocation,
        evaluation_id=evaluation_id,
        kind=kind,
        sheet_id=sheet_id,
        days=days,
        previous_at=previous_at,
        previous_where=previous_where,
    )


@shared_task(acks_late=True)
def send_appointment_reminders() -> int:
    """Scheduled by beat (CELERY_BEAT_SCHEDULE): evaluation appointments' reminders, once each."""
    from .services import appointment_reminders_send

    return appointment_reminders_send()
