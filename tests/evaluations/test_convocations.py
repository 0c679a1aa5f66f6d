"""Convocations to jury sessions: the email and its calendar invitation (request, update,
cancellation), the member's answer and who may give it, what staff see."""

from __future__ import annotations

import datetime
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from django.core import mail
from django.db import transaction
from django.urls import reverse
from icalendar import Calendar

from audit.models import AuditEvent
from core.errors import DomainError
from evaluations import services
from evaluations.models import ConvocationAnswer, JuryMember, MemberRole

PARIS = ZoneInfo("Europe/Paris")
# A winter date (UTC+1) for the convocation, a summer one (UTC+2) for the move.
WINTER = datetime.datetime(2027, 3, 15, 9, 30, tzinfo=PARIS)
SUMMER = datetime.datetime(2027, 7, 1, 14, 0, tzinfo=PARIS)


@pytest.fixture
def session(cast: Any) -> Any:
    return services.jury_session_create(
        branch=cast.branch_a, held_on=WINTER, place="Lyon, salle A", by=cast.staff_a
    )


def convoke(cast: Any, session: Any, user: Any, role: str = MemberRole.MEMBER) -> JuryMember:
    return services.jury_member_convoke(session=session, user=user, role=role, by=cast.staff_a)


def invitation(message: Any) -> tuple[Calendar, Any]:
    [(filename, content, mimetype)] = message.attachments
    assert filename == "convocation.ics"
    calendar = Calendar.from_ical(content)
    assert mimetype.startswith("text/calendar; method=" + str(calendar["method"]))
    [event] = calendar.walk("VEVENT")
    return calendar, event


def test_convoking_a_member_mails_a_french_invitation_at_the_right_paris_time(
    cast: Any, session: Any, django_capture_on_commit_callbacks: Any
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        member = convoke(cast, session, cast.jury_employer)

    [message] = mail.outbox
    assert message.to == [cast.jury_employer.email]
    assert message.subject == "Convocation au jury du 15/03/2027"
    assert "Vous êtes convoqué(e) au jury paritaire de la branche Branche Alpha" in message.body
    assert "lundi 15 mars 2027 à 09:30, Lyon, salle A" in message.body
    calendar, event = invitation(message)
    assert calendar["method"] == "REQUEST"
    assert event["uid"] == f"jury-seat-{member.pk}@cqpi"
    assert event["sequence"] == 0
    start = event.decoded("dtstart")
    assert start.astimezone(PARIS) == WINTER
    assert start.astimezone(PARIS).hour == 9 and start.utcoffset() == datetime.timedelta(0)
    assert str(event["location"]) == "Lyon, salle A"
    assert str(event["attendee"]) == f"mailto:{cast.jury_employer.email}"
    assert event["attendee"].params["PARTSTAT"] == "NEEDS-ACTION"


def test_moving_the_session_sends_every_member_the_update_under_the_same_uid(
    cast: Any, session: Any, django_capture_on_commit_callbacks: Any
) -> None:
    chair = convoke(cast, session, cast.jury_employer, MemberRole.CHAIR)
    member = convoke(cast, session, cast.jury_employee)
    services.convocation_answer(member=chair, accept=True, by=cast.jury_employer)
    mail.outbox.clear()

    with django_capture_on_commit_callbacks(execute=True):
        services.jury_session_reschedule(
            session=session, held_on=SUMMER, place="Lyon, salle B", by=cast.staff_a
        )

    assert sorted(m.to[0] for m in mail.outbox) == sorted(
        [cast.jury_employer.email, cast.jury_employee.email]
    )
    by_uid = {}
    for message in mail.outbox:
        assert message.subject == "Convocation modifiée — jury du 01/07/2027"
        calendar, event = invitation(message)
        assert calendar["method"] == "REQUEST"
        assert event["sequence"] == 1
        assert event.decoded("dtstart").astimezone(PARIS) == SUMMER
        assert event.decoded("dtstart").astimezone(PARIS).hour == 14
        assert str(event["location"]) == "Lyon, salle B"
        by_uid[str(event["uid"])] = message
    assert set(by_uid) == {chair.invitation_uid, member.invitation_uid}
    # The confirmation was for the old date: it is asked again.
    chair.refresh_from_db()
    assert chair.answer == ConvocationAnswer.PENDING and chair.answered_at is None
    event = AuditEvent.objects.get(action="session.reschedule")
    assert event.details["to"]["place"] == "Lyon, salle B"


def test_a_change_of_place_alone_keeps_the_answers(cast: Any, session: Any) -> None:
    member = convoke(cast, session, cast.jury_employer)
    services.convocation_answer(member=member, accept=True, by=cast.jury_employer)
    services.jury_session_reschedule(
        session=session, held_on=WINTER, place="Lyon, salle C", by=cast.staff_a
    )
    member.refresh_from_db()
    assert member.answer == ConvocationAnswer.ACCEPTED
    assert member.invitation_sequence == 1


def test_moving_refuses_an_unchanged_session_and_other_staff(cast: Any, session: Any) -> None:
    with pytest.raises(DomainError):
        services.jury_session_reschedule(
            session=session, held_on=WINTER, place="Lyon, salle A", by=cast.staff_a
        )
    from django.core.exceptions import PermissionDenied

    with pytest.raises(PermissionDenied):
        services.jury_session_reschedule(
            session=session, held_on=SUMMER, place="Ailleurs", by=cast.staff_b
        )


def test_releasing_a_member_cancels_their_invitation(
    cast: Any, session: Any, django_capture_on_commit_callbacks: Any
) -> None:
    member = convoke(cast, session, cast.jury_employee)
    services.jury_session_reschedule(
        session=session, held_on=SUMMER, place="Lyon, salle A", by=cast.staff_a
    )
    uid = member.invitation_uid
    mail.outbox.clear()

    with django_capture_on_commit_callbacks(execute=True):
        services.jury_member_release(member=member, by=cast.staff_a)

    [message] = mail.outbox
    assert message.to == [cast.jury_employee.email]
    assert message.subject == "Convocation retirée — jury du 01/07/2027"
    assert "est retirée" in message.body
    calendar, event = invitation(message)
    assert calendar["method"] == "CANCEL"
    assert str(event["status"]) == "CANCELLED"
    assert str(event["uid"]) == uid
    assert event["sequence"] == 2  # the request was 0, the move 1


def test_a_rolled_back_convocation_mails_nothing(
    cast: Any, session: Any, django_capture_on_commit_callbacks: Any
) -> None:
    with (
        django_capture_on_commit_callbacks(execute=True) as callbacks,
        pytest.raises(RuntimeError),
        transaction.atomic(),
    ):
        convoke(cast, session, cast.jury_employer)
        raise RuntimeError("something after it fails")
    assert callbacks == [] and mail.outbox == []
    assert not session.members.exists()


# --- Answers -------------------------------------------------------------------------


def answer_url(session: Any, member: Any) -> str:
    return reverse("evaluations:session_convocation_answer", args=[session.pk, member.pk])


@pytest.mark.parametrize(
    ("who", "status"),
    [
        ("anonymous", 302),
        ("staff_b", 404),  # another branch
        ("outsider", 404),
        ("staff_a", 403),  # the right branch, the wrong role: staff do not answer for them
        ("admin", 403),
        ("jury_employee", 403),  # another member of the same session
    ],
)
def test_only_the_member_convoked_may_answer(
    client: Any, cast: Any, session: Any, who: str, status: int
) -> None:
    member = convoke(cast, session, cast.jury_employer, MemberRole.CHAIR)
    convoke(cast, session, cast.jury_employee)
    if who != "anonymous":
        client.force_login(getattr(cast, who))
    response = client.post(answer_url(session, member), {"answer": "accept"})
    assert response.status_code == status
    if status == 302:
        assert response["Location"].startswith(reverse("accounts:login"))
    member.refresh_from_db()
    assert member.answer == ConvocationAnswer.PENDING
    assert not AuditEvent.objects.filter(action="session.answer").exists()


def test_the_member_confirms_then_declines_and_staff_see_it(
    client: Any, cast: Any, session: Any
) -> None:
    member = convoke(cast, session, cast.jury_employer, MemberRole.CHAIR)
    client.force_login(cast.jury_employer)
    page = client.get(session.get_absolute_url()).content.decode()
    assert "Votre convocation" in page and "Je confirme ma présence" in page

    response = client.post(answer_url(session, member), {"answer": "accept"})
    assert response.status_code == 302
    member.refresh_from_db()
    assert member.answer == ConvocationAnswer.ACCEPTED and member.answered_at is not None
    listing = client.get(reverse("evaluations:session_list")).content.decode()
    assert "Présence confirmée" in listing

    client.post(answer_url(session, member), {"answer": "decline"})
    member.refresh_from_db()
    assert member.answer == ConvocationAnswer.DECLINED
    answers = list(
        AuditEvent.objects.filter(action="session.answer").values_list("details", flat=True)
    )
    assert [d["answer"] for d in answers] == ["accepted", "declined"] or [
        d["answer"] for d in answers
    ] == ["declined", "accepted"]

    client.force_login(cast.staff_a)
    page = client.get(session.get_absolute_url()).content.decode()
    assert "Absence annoncée" in page
    assert "Je confirme ma présence" not in page  # staff see the answer, not the buttons


def test_a_member_answers_no_more_once_the_session_is_open(cast: Any, session: Any) -> None:
    from core.errors import InvalidTransition

    chair = convoke(cast, session, cast.jury_employer, MemberRole.CHAIR)
    convoke(cast, session, cast.jury_employee, MemberRole.VICE_CHAIR)
    services.jury_session_open(session=session, by=cast.staff_a)
    with pytest.raises(InvalidTransition):
        services.convocation_answer(member=chair, accept=False, by=cast.jury_employer)


def test_staff_move_the_session_from_its_page(
    client: Any, cast: Any, session: Any, django_capture_on_commit_callbacks: Any
) -> None:
    convoke(cast, session, cast.jury_employer)
    mail.outbox.clear()
    client.force_login(cast.staff_a)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("evaluations:session_reschedule", args=[session.pk]),
            {"held_on": "2027-07-01T14:00", "place": "Lyon, salle B"},
        )
    assert response.status_code == 302
    session.refresh_from_db()
    assert session.held_on == SUMMER and session.place == "Lyon, salle B"
    [message] = mail.outbox
    assert invitation(message)[1]["sequence"] == 1


def test_the_members_answers_cost_no_query_per_session_or_member(
    client: Any, cast: Any, session: Any
) -> None:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    convoke(cast, session, cast.jury_employer, MemberRole.CHAIR)
    client.force_login(cast.jury_employer)

    def queries(url: str) -> int:
        with CaptureQueriesContext(connection) as run:
            response = client.get(url)
            assert response.status_code == 200
        return len(run)

    listing = reverse("evaluations:session_list")
    one_session, one_member = queries(listing), queries(session.get_absolute_url())
    for days in (1, 2):
        other = services.jury_session_create(
            branch=cast.branch_a,
            held_on=WINTER + datetime.timedelta(days=days),
            place="Lyon",
            by=cast.staff_a,
        )
        convoke(cast, other, cast.jury_employer)
    convoke(cast, session, cast.jury_employee)
    assert queries(listing) == one_session
    assert queries(session.get_absolute_url()) == one_member
