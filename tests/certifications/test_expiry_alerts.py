"""Expiry alerts of partial validations (#18 item 5): the holder and the branch's CPNE are
warned 6, 3 and 1 month(s) before the attestation lapses, once each, by a daily beat task."""

from __future__ import annotations

import datetime
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from django.conf import settings
from django.core import mail
from django.utils import timezone

from audit.models import AuditEvent
from certifications.models import Certificate, CertificateKind, CertificateStatus
from certifications.tasks import send_expiry_alerts
from tests import workflow

PARIS = ZoneInfo("Europe/Paris")
LAPSES = datetime.date(2028, 6, 15)


def at(day: datetime.date) -> datetime.datetime:
    return datetime.datetime(day.year, day.month, day.day, 7, 15, tzinfo=PARIS)


@pytest.fixture
def partial(cast: Any) -> Certificate:
    certificate = workflow.award(cast).certificates.get()
    Certificate.objects.filter(pk=certificate.pk).update(
        kind=CertificateKind.PARTIAL, valid_until=LAPSES
    )
    certificate.refresh_from_db()
    return certificate


@pytest.fixture
def alerts_on(monkeypatch: Any, django_capture_on_commit_callbacks: Any) -> Any:
    """Run the beat task with the clock set to 07:15 (Paris) on `day`; the emails it sent."""

    def run(day: datetime.date) -> list[tuple[str, ...]]:
        moment = at(day)
        monkeypatch.setattr(timezone, "now", lambda: moment)
        mail.outbox.clear()
        with django_capture_on_commit_callbacks(execute=True):
            send_expiry_alerts.delay()
        return [tuple(message.to) for message in mail.outbox]

    return run


def test_holder_and_cpne_are_warned_six_three_and_one_month_before_once_each(
    cast: Any, partial: Certificate, alerts_on: Any
) -> None:
    holder = (cast.candidate_user.email,)
    staff = (cast.staff_a.email,)
    assert alerts_on(datetime.date(2027, 12, 14)) == []  # more than six months before

    assert sorted(alerts_on(datetime.date(2027, 12, 15))) == sorted([holder, staff])
    to_holder = next(m for m in mail.outbox if m.to == list(holder))
    assert to_holder.subject == (
        f"Votre validation partielle {partial.number} arrive à échéance le 15/06/2028"
    )
    assert "jusqu'au 15 juin 2028, dans 6 mois" in to_holder.body
    to_staff = next(m for m in mail.outbox if m.to == list(staff))
    assert partial.holder_name in to_staff.body and "dans 6 mois" in to_staff.body
    # The same day again, and the weeks after: nothing until three months before.
    assert alerts_on(datetime.date(2027, 12, 15)) == []
    assert alerts_on(datetime.date(2028, 3, 14)) == []

    assert len(alerts_on(datetime.date(2028, 3, 15))) == 2
    assert "dans 3 mois" in mail.outbox[0].body
    assert alerts_on(datetime.date(2028, 4, 1)) == []

    assert len(alerts_on(datetime.date(2028, 5, 15))) == 2
    assert "dans un mois" in mail.outbox[0].body
    assert alerts_on(datetime.date(2028, 6, 14)) == []
    assert alerts_on(datetime.date(2028, 6, 16)) == []  # lapsed: nothing more
    details = sorted(
        AuditEvent.objects.filter(action="certificate.expiry_alert").values_list(
            "details__months", flat=True
        )
    )
    assert details == [1, 3, 6]


def test_an_attestation_found_late_gets_only_the_alerts_still_due(
    partial: Certificate, alerts_on: Any
) -> None:
    assert len(alerts_on(datetime.date(2028, 5, 20))) == 2  # within the last month
    assert "dans un mois" in mail.outbox[0].body
    assert alerts_on(datetime.date(2028, 5, 21)) == []


@pytest.mark.parametrize(
    "change",
    [
        {"status": CertificateStatus.REVOKED},
        {"status": CertificateStatus.SUPERSEDED},
        {"kind": CertificateKind.CERTIFICATE},
        {"valid_until": None},  # valid for life
    ],
)
def test_no_alert_for_what_does_not_lapse(
    partial: Certificate, alerts_on: Any, change: dict[str, Any]
) -> None:
    Certificate.objects.filter(pk=partial.pk).update(**change)
    assert alerts_on(datetime.date(2028, 5, 20)) == []


def test_beat_sends_the_alerts_every_morning() -> None:
    entry: Any = settings.CELERY_BEAT_SCHEDULE["send-expiry-alerts"]
    assert entry["task"] == "certifications.tasks.send_expiry_alerts"
    assert entry["schedule"].hour == {7}
