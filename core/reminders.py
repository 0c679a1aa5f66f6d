"""Reminders sent once each: a beat task claims a reminder's key in the transaction that
enqueues its email (docs/decisions/0014-convocations-and-reminders.md, addendum)."""

from __future__ import annotations

import datetime

from django.db import IntegrityError, transaction

from .models import SentReminder


def reminder_claim(key: str, *, now: datetime.datetime) -> bool:
    """True the first time `key` is claimed, False ever after (and for a concurrent run,
    which waits on the first one's row and then finds it). Call it inside the transaction
    that enqueues the reminder, so a rolled-back run claims nothing."""
    try:
        with transaction.atomic():
            SentReminder.objects.create(key=key, sent_at=now)
    except IntegrityError:
        return False
    return True


def reminders_forget(*, prefix: str) -> int:
    """Forget the reminders under `prefix` (an appointment moved: they count from the new date)."""
    deleted, _by_model = SentReminder.objects.filter(key__startswith=prefix).delete()
    return deleted
