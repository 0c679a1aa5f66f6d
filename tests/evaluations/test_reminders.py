"""Reminders of jury sessions: 7 days and 1 day before, once each, never to a declined or
released seat; the beat task that sends them."""

from __future__ import annotations

import datetime
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from django.conf import settings
from django.core import mail
from django.utils import timezone

from evaluations import services
from evaluations.models import MemberRole
from evaluations.tasks import send_jury_reminders

PARIS = ZoneInfo("Europe/Paris")
HELD = datetime.datetime(2027, 3, 15, 9, 30, tzinfo=PARIS)


@pytest.fixture
def session(cast: Any) -> Any:
    session = services.jury_session_create(
        branch=cast.branch_a, held_on=HELD, place="Lyon", by=cast.staff_a
    )
    for user, role in ((cast.jury_employer, MemberRole.CHAIR), (cast.jury_employee, "member")):
        services.jury_member_convoke(session=session, user=user, role=role, by=cast.staff_a)
    return session


@pytest.fixture
def frozen(monkeypatch: Any) -> Any:
    """Sets the clock that timezone.now() reads (services, tasks and audit alike)."""

    def freeze(moment: datetime.datetime) -> None:
        monkeypatch.setattr(timezone, "now", lambda: moment)

    return freeze


def remind_at(frozen: Any, moment: datetime.datetime, capture: Any) -> list[tuple[str, str]]:
    frozen(moment)
    mail.outbox.clear()
    with capture(execute=True):
        send_jury_reminders.delay()
    return sorted((m.to[0], str(m.subject)) for m in mail.outbox)


def test_members_are_reminded_a_week_and_a_day_before_once_each(
    cast: Any, session: Any, frozen: Any, django_capture_on_commit_callbacks: Any
) -> None:
    capture = django_capture_on_commit_callbacks
    both = sorted([cast.jury_employee.email, cast.jury_employer.email])
    assert remind_at(frozen, HELD - datetime.timedelta(days=8), capture) == []

    week = remind_at(frozen, HELD - datetime.timedelta(days=7, hours=-1), capture)
    assert week == [(address, "Rappel : jury du 15/03/2027") for address in both]
    assert "se réunit dans 7 jours" in mail.outbox[0].body
    assert mail.outbox[0].attachments == []  # the invitation was sent with the convocation
    # The same hour again, and the following days: nothing more until the day before.
    assert remind_at(frozen, HELD - datetime.timedelta(days=7, hours=-1), capture) == []
    assert remind_at(frozen, HELD - datetime.timedelta(days=3), capture) == []

    day = remind_at(frozen, HELD - datetime.timedelta(hours=23), capture)
    assert [address for address, _subject in day] == both
    assert "se réunit demain" in mail.outbox[0].body
    assert remind_at(frozen, HELD - datetime.timedelta(hours=22), capture) == []
    assert remind_at(frozen, HELD + datetime.timedelta(hours=1), capture) == []
    seats = list(session.members.all())
    assert all(s.reminded_week_before_at and s.reminded_day_before_at for s in seats)


def test_declined_and_released_seats_are_not_reminded(
    cast: Any, session: Any, frozen: Any, django_capture_on_commit_callbacks: Any
) -> None:
    chair, member = session.members.order_by("pk")
    services.convocation_answer(member=chair, accept=False, by=cast.jury_employer)
    services.jury_member_release(member=member, by=cast.staff_a)
    capture = django_capture_on_commit_callbacks
    assert remind_at(frozen, HELD - datetime.timedelta(days=6), capture) == []
    assert remind_at(frozen, HELD - datetime.timedelta(hours=12), capture) == []


def test_a_late_convocation_gets_only_the_reminders_still_due(
    cast: Any, session: Any, frozen: Any, django_capture_on_commit_callbacks: Any
) -> None:
    capture = django_capture_on_commit_callbacks
    # First run three days before: the week reminder (the convocation came late).
    assert len(remind_at(frozen, HELD - datetime.timedelta(days=3), capture)) == 2
    # Twelve hours before: the day reminder only, whatever the runs missed in between.
    sent = remind_at(frozen, HELD - datetime.timedelta(hours=12), capture)
    assert len(sent) == 2
    assert all("se réunit demain" in m.body for m in mail.outbox)


def test_a_moved_session_is_reminded_again_from_its_new_date(
    cast: Any, session: Any, frozen: Any, django_capture_on_commit_callbacks: Any
) -> None:
    capture = django_capture_on_commit_callbacks
    assert len(remind_at(frozen, HELD - datetime.timedelta(days=6), capture)) == 2
    later = HELD + datetime.timedelta(days=14)
    services.jury_session_reschedule(session=session, held_on=later, place="Lyon", by=cast.staff_a)
    assert remind_at(frozen, HELD - datetime.timedelta(days=5), capture) == []
    assert len(remind_at(frozen, later - datetime.timedelta(days=6), capture)) == 2


def test_an_open_session_is_not_reminded(
    cast: Any, session: Any, frozen: Any, django_capture_on_commit_callbacks: Any
) -> None:
    session.members.filter(user=cast.jury_employee).update(role=MemberRole.VICE_CHAIR)
    services.jury_session_open(session=session, by=cast.staff_a)
    assert (
        remind_at(frozen, HELD - datetime.timedelta(hours=2), django_capture_on_commit_callbacks)
        == []
    )


def test_beat_runs_the_reminders_every_hour() -> None:
    entry: Any = settings.CELERY_BEAT_SCHEDULE["send-jury-reminders"]
    assert entry["task"] == send_jury_reminders.name
    assert entry["schedule"].minute == {5}
    assert len(entry["schedule"].hour) == 24
