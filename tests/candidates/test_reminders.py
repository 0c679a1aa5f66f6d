"""Reminders of the candidates room: a branch's staff of the dossiers waiting on them beyond the
branch's delay, a candidate of their dossier of evidence not submitted — once each, by a beat
task, with a frozen clock."""

from __future__ import annotations

import datetime
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from django.conf import settings
from django.core import mail
from django.utils import timezone

from audit.models import AuditEvent
from candidates import services
from candidates.models import AccessRoute, Dossier
from candidates.tasks import send_dossier_reminders
from certifications.models import Capacity
from tests.factories import CandidateFactory
from tests.workflow import open_dossier

PARIS = ZoneInfo("Europe/Paris")
BASE = datetime.datetime(2027, 3, 1, 9, 0, tzinfo=PARIS)


def since(dossier: Dossier, moment: datetime.datetime = BASE) -> Dossier:
    Dossier.objects.filter(pk=dossier.pk).update(status_changed_at=moment, opened_on=moment.date())
    dossier.refresh_from_db()
    return dossier


@pytest.fixture
def run_on(monkeypatch: Any, django_capture_on_commit_callbacks: Any) -> Any:
    """Run the beat task with the clock at `moment`; the emails sent, as (to, subject)."""

    def run(moment: datetime.datetime) -> list[tuple[str, str]]:
        monkeypatch.setattr(timezone, "now", lambda: moment)
        mail.outbox.clear()
        with django_capture_on_commit_callbacks(execute=True):
            send_dossier_reminders.delay()
        return sorted((",".join(m.to), str(m.subject)) for m in mail.outbox)

    return run


def test_staff_are_reminded_of_a_dossier_waiting_beyond_the_branch_delay_once(
    cast: Any, run_on: Any
) -> None:
    dossier = since(open_dossier(cast))  # continuing education: waits for its positioning
    assert cast.branch_a.reminder_delay_days == 15
    assert run_on(BASE + datetime.timedelta(days=14, hours=23)) == []

    sent = run_on(BASE + datetime.timedelta(days=15))
    assert sent == [(cast.staff_a.email, f"Dossiers en attente de la CPNE — {cast.branch_a.name}")]
    assert dossier.reference in mail.outbox[0].body
    assert "depuis plus de 15 jours" in mail.outbox[0].body
    assert run_on(BASE + datetime.timedelta(days=15, hours=1)) == []
    assert run_on(BASE + datetime.timedelta(days=40)) == []
    assert AuditEvent.objects.filter(action="dossier.remind_staff").count() == 1


def test_the_branch_sets_the_delay_and_a_dossier_moving_on_is_reminded_again(
    cast: Any, run_on: Any
) -> None:
    type(cast.branch_a).objects.filter(pk=cast.branch_a.pk).update(reminder_delay_days=3)
    dossier = since(open_dossier(cast))
    assert len(run_on(BASE + datetime.timedelta(days=3))) == 1
    # It moves on to a step the CPNE does not take: nothing while it is there.
    services.dossier_start_positioning(dossier=dossier, by=cast.staff_a)
    dossier = since(dossier, BASE + datetime.timedelta(days=4))
    assert run_on(BASE + datetime.timedelta(days=10)) == []


def test_staff_are_told_only_of_their_own_branch(cast: Any, run_on: Any) -> None:
    since(open_dossier(cast))
    sent = run_on(BASE + datetime.timedelta(days=15))
    assert [to for to, _subject in sent] == [cast.staff_a.email]
    assert cast.staff_b.email not in {a for m in mail.outbox for a in m.to}


def _vae(cast: Any) -> Dossier:
    return since(open_dossier(cast, route=AccessRoute.VAE))


def _evidence_mail(cast: Any) -> list[Any]:
    return [m for m in mail.outbox if m.to == [cast.candidate_user.email]]


def test_a_candidate_is_reminded_of_an_unsubmitted_dossier_of_evidence_once(
    cast: Any, run_on: Any
) -> None:
    dossier = _vae(cast)
    run_on(BASE + datetime.timedelta(days=14))
    assert _evidence_mail(cast) == []

    run_on(BASE + datetime.timedelta(days=15))
    [message] = _evidence_mail(cast)
    assert message.subject == (
        f"Votre dossier de preuves n'est pas encore transmis — dossier {dossier.reference}"
    )
    assert f"/espace/dossiers/{dossier.pk}/preuves/" in message.body
    run_on(BASE + datetime.timedelta(days=20))
    assert _evidence_mail(cast) == []


def test_a_submitted_dossier_is_not_reminded_and_a_returned_one_is_again(
    cast: Any, run_on: Any, monkeypatch: Any
) -> None:
    dossier = _vae(cast)
    capacity = Capacity.objects.filter(bloc__version=cast.version).first()
    services.evidence_statement_save(
        dossier=dossier, capacity=capacity, text="Mes activités", by=cast.candidate_user
    )
    services.evidence_dossier_submit(dossier=dossier, by=cast.candidate_user)
    run_on(BASE + datetime.timedelta(days=30))
    assert _evidence_mail(cast) == []

    returned = BASE + datetime.timedelta(days=31)
    monkeypatch.setattr(timezone, "now", lambda: returned)
    services.evidence_dossier_return(
        dossier=dossier, comment="Ajoutez une attestation.", by=cast.staff_a
    )
    run_on(returned + datetime.timedelta(days=14))
    assert _evidence_mail(cast) == []
    run_on(returned + datetime.timedelta(days=15))
    [message] = _evidence_mail(cast)
    assert "Ajoutez une attestation." in message.body
    run_on(returned + datetime.timedelta(days=16))
    assert _evidence_mail(cast) == []


def test_no_evidence_reminder_outside_the_dossier_of_evidence(cast: Any, run_on: Any) -> None:
    # A continuing-education dossier in a branch that keeps the dossier of evidence to VAE.
    since(open_dossier(cast, candidate=CandidateFactory.create(branch=cast.branch_a)))
    since(open_dossier(cast))
    run_on(BASE + datetime.timedelta(days=20))
    assert _evidence_mail(cast) == []


def test_beat_sends_the_dossier_reminders_every_morning() -> None:
    entry: Any = settings.CELERY_BEAT_SCHEDULE["send-dossier-reminders"]
    assert entry["task"] == send_dossier_reminders.name
    assert entry["schedule"].hour == {7}
