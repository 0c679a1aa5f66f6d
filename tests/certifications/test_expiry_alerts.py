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


# --- A completed partial validation lapses no more (#18: completion) ---------------------


@pytest.fixture
def attestation(cast: Any) -> Certificate:
    """A partial validation decided by the jury on two capacities, lapsing on LAPSES."""
    certificate = workflow.partial(cast, validated=2).certificates.get()
    Certificate.objects.filter(pk=certificate.pk).update(
        valid_until=LAPSES, snapshot={**certificate.snapshot, "valid_until": LAPSES.isoformat()}
    )
    certificate.refresh_from_db()
    return certificate


def test_a_partial_validation_credited_into_a_full_award_is_not_alerted(
    cast: Any, attestation: Certificate, alerts_on: Any
) -> None:
    full = workflow.complete(cast, attestation).certificates.get()
    assert full.kind == CertificateKind.CERTIFICATE
    assert alerts_on(datetime.date(2027, 12, 15)) == []
    assert alerts_on(datetime.date(2028, 3, 15)) == []
    assert alerts_on(datetime.date(2028, 5, 15)) == []
    assert not AuditEvent.objects.filter(action="certificate.expiry_alert").exists()


def test_a_partial_validation_credited_into_a_dossier_not_yet_decided_is_still_alerted(
    cast: Any, attestation: Certificate, alerts_on: Any
) -> None:
    from candidates import services as dossier_services

    dossier = workflow.open_dossier(cast)
    dossier_services.dossier_credit(dossier=dossier, reference=attestation.number, by=cast.staff_a)
    assert len(alerts_on(datetime.date(2027, 12, 15))) == 2


def test_a_partial_validation_is_not_alerted_once_the_person_holds_the_cqpi(
    cast: Any, attestation: Certificate, alerts_on: Any
) -> None:
    # The same person, a new dossier of the same CQPI evaluated whole (nothing credited).
    workflow.award(cast)
    assert alerts_on(datetime.date(2027, 12, 15)) == []


def test_a_revoked_full_certificate_completes_nothing(
    cast: Any, attestation: Certificate, alerts_on: Any
) -> None:
    full = workflow.complete(cast, attestation).certificates.get()
    Certificate.objects.filter(pk=full.pk).update(status=CertificateStatus.REVOKED)
    assert len(alerts_on(datetime.date(2027, 12, 15))) == 2


def test_another_persons_full_certificate_completes_nothing(
    cast: Any, attestation: Certificate, alerts_on: Any
) -> None:
    from tests.factories import CandidateFactory

    workflow.award(cast, candidate=CandidateFactory.create(branch=cast.branch_a))
    assert len(alerts_on(datetime.date(2027, 12, 15))) == 2


def test_an_alert_claimed_before_the_completion_is_not_sent(
    cast: Any, attestation: Certificate
) -> None:
    from certifications.notifications import expiry_alert

    workflow.complete(cast, attestation)
    mail.outbox.clear()
    assert expiry_alert(certificate_id=attestation.pk, months=6) == 0
    assert mail.outbox == []


def test_a_certificate_of_the_same_cqpi_in_another_branch_of_the_person_completes_it(
    cast: Any, attestation: Certificate, alerts_on: Any
) -> None:
    """The person, linked with consent in branch B, holds the CQPI there: branch A's
    attestation no longer lapses for them (written as rows: B's jury is not the point)."""
    from candidates.models import DossierStatus
    from evaluations.models import Decision, JurySession, Outcome, SessionStatus
    from tests.factories import CandidateFactory, DossierFactory

    in_b = CandidateFactory.create(branch=cast.branch_b, person=cast.candidate.person)
    dossier = DossierFactory.create(
        candidate=in_b, branch=cast.branch_b, version=cast.version, status=DossierStatus.AWARDED
    )
    session = JurySession.objects.create(
        branch=cast.branch_b,
        held_on=timezone.now(),
        place="Lyon",
        status=SessionStatus.CLOSED,
        created_by=cast.staff_b,
    )
    decision = Decision.objects.create(
        dossier=dossier,
        session=session,
        outcome=Outcome.AWARD,
        decided_at=timezone.now(),
        recorded_by=cast.staff_b,
    )
    full = Certificate.objects.create(
        number="CQPI-BETA-TEST-000001",
        kind=CertificateKind.CERTIFICATE,
        dossier=dossier,
        decision=decision,
        branch=cast.branch_b,
        version=cast.version,
        holder_name=attestation.holder_name,
        issued_on=attestation.issued_on,
        place_of_issue="Lyon",
        snapshot={},
    )
    assert alerts_on(datetime.date(2027, 12, 15)) == []
    # Revoked, it completes nothing: the alerts due come back.
    Certificate.objects.filter(pk=full.pk).update(status=CertificateStatus.REVOKED)
    assert len(alerts_on(datetime.date(2028, 3, 15))) == 2
