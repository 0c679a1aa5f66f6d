"""Redacting old events' details: counts and codes stay, people's details go, once."""

from __future__ import annotations

import datetime
from typing import Any

import pytest
from django.utils import timezone

from audit.models import AuditEvent
from audit.services import audit_redact_details

pytestmark = pytest.mark.django_db


def _event(days_ago: int, **fields: Any) -> AuditEvent:
    return AuditEvent.objects.create(
        at=timezone.now() - datetime.timedelta(days=days_ago),
        ip_address="192.0.2.7",
        user_agent="Firefox",
        path="/dossiers/12/",
        actor_label="staff@example.test",
        **fields,
    )


def test_old_details_keep_counts_and_codes_only() -> None:
    event = _event(
        400,
        action="dossier.transition",
        object_type="candidates.dossier",
        object_label="ALPHA-2025-000001",
        details={
            "from": "open",
            "to": "withdrawn",
            "reason": "Mme Durand a déménagé",
            "count": 3,
            "numbers": ["C-1", "C-2"],
            "present": True,
        },
    )
    assert audit_redact_details(before=timezone.now() - datetime.timedelta(days=365)) == 1
    event.refresh_from_db()
    assert event.details == {
        "from": "open",
        "to": "withdrawn",
        "count": 3,
        "numbers_count": 2,
        "present": True,
    }
    assert (event.ip_address, event.user_agent, event.path) == (None, "", "")
    assert event.redacted_at is not None
    # What happened, to what and by whom stays.
    assert (event.action, event.object_label, event.actor_label) == (
        "dossier.transition",
        "ALPHA-2025-000001",
        "staff@example.test",
    )


def test_a_failed_logins_attempted_identifier_goes() -> None:
    event = _event(400, action="auth.login_failed", object_label="lea.durand@example.test")
    audit_redact_details(before=timezone.now() - datetime.timedelta(days=365))
    event.refresh_from_db()
    assert event.object_label == ""


def test_recent_events_stay_and_nothing_is_redacted_twice() -> None:
    recent = _event(10, action="auth.login", details={"username": "lea"})
    _event(400, action="auth.login", details={"username": "lea"})
    before = timezone.now() - datetime.timedelta(days=365)
    assert audit_redact_details(before=before) == 1
    assert audit_redact_details(before=before) == 0
    recent.refresh_from_db()
    assert recent.details == {"username": "lea"} and recent.ip_address == "192.0.2.7"


def test_an_event_is_still_never_changed_by_save() -> None:
    event = _event(400, action="auth.login")
    audit_redact_details(before=timezone.now())
    event.refresh_from_db()
    with pytest.raises(ValueError):
        event.save()
