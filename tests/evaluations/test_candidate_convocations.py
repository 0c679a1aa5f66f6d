"""The candidate convoked to their evaluation appointment (email with an invitation, answered in
their space, seen by staff); an appointment moved or cancelled after the assignment tells
everybody convoked with the matching iCalendar METHOD and SEQUENCE; appointment reminders."""

from __future__ import annotations

import datetime
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from django.core import mail
from django.urls import reverse
from django.utils import timezone
from icalendar import Calendar

from audit.models import AuditEvent
from candidates import services as dossier_services
from core.errors import DomainError, InvalidTransition
from evaluations import services
from evaluations.models import ConvocationAnswer, EvaluationKind
from evaluations.tasks import send_appointment_reminders
from tests.workflow import open_dossier

PARIS = ZoneInfo("Europe/Paris")
AT = datetime.datetime(2027, 4, 6, 14, 0, tzinfo=PARIS)  # summer time: UTC+2
LATER = datetime.datetime(2027, 4, 8, 9, 30, tzinfo=PARIS)


@pytest.fixture
def dossier(cast: Any) -> Any:
    dossier = open_dossier(cast)
    dossier_services.dossier_start_positioning(dossier=dossier, by=cast.staff_a)
    dossier_services.dossier_start_evaluation(dossier=dossier, by=cast.staff_a)
    return dossier


@pytest.fixture
def evaluation(cast: Any, dossier: Any, django_capture_on_commit_callbacks: Any) -> Any:
    with django_capture_on_commit_callbacks(execute=True):
        return services.evaluation_create(
            dossier=dossier,
            kind=EvaluationKind.FINAL,
            external_evaluator=cast.evaluator,
            referent=cast.referent_a,
            appointment_at=AT,
            appointment_place="Atelier 3",
            by=cast.staff_a,
        )


def parsed(message: Any) -> tuple[str, Any]:
    [(filename, content, mimetype)] = message.attachments
    assert filename == "rendez-vous.ics"
    calendar = Calendar.from_ical(content)
    assert mimetype.startswith(f"text/calendar; method={calendar['method']}")
    [event] = calendar.walk("VEVENT")
    return str(calendar["method"]), event


def by_person() -> dict[str, Any]:
    return {m.to[0]: m for m in mail.outbox}


def test_the_candidate_is_convoked_with_an_invitation_of_their_own(
    cast: Any, evaluation: Any
) -> None:
    message = by_person()[cast.candidate_user.email]
    assert message.subject == "Convocation à votre évaluation du 06/04/2027"
    assert "Vous êtes convoqué(e) à l'évaluation de votre dossier" in message.body
    assert "le mardi 6 avril 2027 à 14:00, Atelier 3." in message.body
    assert reverse("space:dossier_detail", args=[evaluation.dossier_id]) in message.body
    method, event = parsed(message)
    assert method == "REQUEST"
    assert str(event["uid"]) == f"evaluation-{evaluation.pk}-candidate@cqpi"
    assert event["sequence"] == 0
    assert event.decoded("dtstart").astimezone(PARIS) == AT
    assert str(event["attendee"]) == f"mailto:{cast.candidate_user.email}"
    # The candidate's invitation names nobody else (the evaluators get their own).
    content = str(message.attachments[0][1])
    assert cast.evaluator.email not in content and cast.referent_a.email not in content


def test_the_candidate_answers_in_their_space_and_staff_see_it(
    client: Any, cast: Any, evaluation: Any
) -> None:
    client.force_login(cast.candidate_user)
    space = client.get(reverse("space:dossier_detail", args=[evaluation.dossier_id]))
    assert "Mes convocations" in space.content.decode()
    answer_url = reverse("evaluations:appointment_answer", args=[evaluation.pk])
    assert answer_url in space.content.decode()

    response = client.post(answer_url, {"answer": "accept"})
    assert response.status_code == 302
    evaluation.refresh_from_db()
    assert evaluation.candidate_answer == ConvocationAnswer.ACCEPTED
    assert evaluation.candidate_answered_at is not None
    assert AuditEvent.objects.filter(action="evaluation.answer").exists()

    client.post(answer_url, {"answer": "decline"})
    evaluation.refresh_from_db()
    assert evaluation.candidate_answer == ConvocationAnswer.DECLINED

    client.force_login(cast.staff_a)
    page = client.get(reverse("candidates:dossier_detail", args=[evaluation.dossier_id]))
    assert "Absence annoncée" in page.content.decode()
    page = client.get(reverse("evaluations:evaluation_appointment", args=[evaluation.pk]))
    assert "Absence annoncée" in page.content.decode()


@pytest.mark.parametrize(
    "who", ["staff_a", "evaluator", "referent_a", "other_candidate_user", "staff_b"]
)
def test_nobody_but_the_candidate_answers_for_them(
    client: Any, cast: Any, evaluation: Any, who: str
) -> None:
    client.force_login(getattr(cast, who))
    response = client.post(
        reverse("evaluations:appointment_answer", args=[evaluation.pk]), {"answer": "accept"}
    )
    assert response.status_code in (403, 404)
    evaluation.refresh_from_db()
    assert evaluation.candidate_answer == ConvocationAnswer.PENDING


def test_anonymous_is_sent_to_log_in(client: Any, evaluation: Any) -> None:
    response = client.post(reverse("evaluations:appointment_answer", args=[evaluation.pk]))
    assert response.status_code == 302 and "connexion" in response["Location"]


def test_moving_the_appointment_updates_everybody_and_asks_the_candidate_again(
    cast: Any, evaluation: Any, django_capture_on_commit_callbacks: Any
) -> None:
    services.appointment_answer(evaluation=evaluation, accept=True, by=cast.candidate_user)
    first_uids = {to: str(parsed(m)[1]["uid"]) for to, m in by_person().items()}
    mail.outbox.clear()

    with django_capture_on_commit_callbacks(execute=True):
        services.evaluation_appointment_change(
            evaluation=evaluation,
            appointment_at=LATER,
            appointment_place="Salle B",
            by=cast.staff_a,
        )

    messages = by_person()
    assert set(messages) == {cast.evaluator.email, cast.referent_a.email, cast.candidate_user.email}
    for to, message in messages.items():
        method, event = parsed(message)
        assert method == "REQUEST"
        assert str(event["uid"]) == first_uids[to]  # same event, updated
        assert event["sequence"] == 1
        assert event.decoded("dtstart").astimezone(PARIS) == LATER
        assert str(event["location"]) == "Salle B"
        assert message.subject.startswith("Rendez-vous d'évaluation modifié")
    evaluation.refresh_from_db()
    assert evaluation.candidate_answer == ConvocationAnswer.PENDING
    assert AuditEvent.objects.filter(action="evaluation.appointment").exists()


def test_cancelling_the_appointment_sends_a_cancel_one_sequence_further(
    cast: Any, evaluation: Any, django_capture_on_commit_callbacks: Any
) -> None:
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        services.evaluation_appointment_change(
            evaluation=evaluation, appointment_at=None, by=cast.staff_a
        )
    messages = by_person()
    assert len(messages) == 3
    for message in messages.values():
        method, event = parsed(message)
        assert method == "CANCEL" and str(event["status"]) == "CANCELLED"
        assert event["sequence"] == 1
        # The event cancelled is the one held: its time and place.
        assert event.decoded("dtstart").astimezone(PARIS) == AT
        assert str(event["location"]) == "Atelier 3"
        assert "est annulé" in message.body
    evaluation.refresh_from_db()
    assert evaluation.appointment_at is None

    # A new appointment afterwards: a fresh request, further still.
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        services.evaluation_appointment_change(
            evaluation=evaluation,
            appointment_at=LATER,
            appointment_link="https://visio.example.test/x",
            by=cast.staff_a,
        )
    for message in by_person().values():
        method, event = parsed(message)
        assert method == "REQUEST" and event["sequence"] == 2


def test_a_grid_handed_on_after_a_move_cancels_beyond_the_last_sequence(
    cast: Any, evaluation: Any, django_capture_on_commit_callbacks: Any
) -> None:
    from evaluations.models import SheetRole
    from tests.factories import UserFactory, habilitate

    services.evaluation_appointment_change(
        evaluation=evaluation, appointment_at=LATER, appointment_place="Salle B", by=cast.staff_a
    )
    newcomer = UserFactory.create(email="releve@example.test")
    habilitate(newcomer, branch=cast.branch_a, referentiel=cast.referentiel)
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        services.evaluation_reassign(
            sheet=evaluation.sheets.get(role=SheetRole.EXTERNAL),
            evaluator=newcomer,
            by=cast.staff_a,
        )
    method, event = parsed(by_person()[cast.evaluator.email])
    assert method == "CANCEL" and event["sequence"] == 2
    method, event = parsed(by_person()[newcomer.email])
    assert method == "REQUEST" and event["sequence"] == 1


def test_an_unchanged_or_finished_appointment_is_refused(cast: Any, evaluation: Any) -> None:
    with pytest.raises(DomainError):
        services.evaluation_appointment_change(
            evaluation=evaluation, appointment_at=AT, appointment_place="Atelier 3", by=cast.staff_a
        )
    with pytest.raises(DomainError):
        services.evaluation_appointment_change(
            evaluation=evaluation, appointment_at=LATER, by=cast.staff_a
        )
    evaluation.status = "submitted"
    evaluation.save(update_fields=["status"])
    with pytest.raises(InvalidTransition):
        services.evaluation_appointment_change(
            evaluation=evaluation, appointment_at=LATER, appointment_place="B", by=cast.staff_a
        )


@pytest.mark.parametrize("who", ["evaluator", "candidate_user", "staff_b"])
def test_only_the_branch_staff_move_an_appointment(
    client: Any, cast: Any, evaluation: Any, who: str
) -> None:
    client.force_login(getattr(cast, who))
    url = reverse("evaluations:evaluation_appointment", args=[evaluation.pk])
    assert client.get(url).status_code in (403, 404)
    response = client.post(url, {"appointment_at": "2027-04-08T09:30", "appointment_place": "B"})
    assert response.status_code in (403, 404)
    evaluation.refresh_from_db()
    assert evaluation.appointment_at == AT


def test_staff_move_it_on_the_appointment_page(
    client: Any, cast: Any, evaluation: Any, django_capture_on_commit_callbacks: Any
) -> None:
    client.force_login(cast.staff_a)
    url = reverse("evaluations:evaluation_appointment", args=[evaluation.pk])
    assert client.get(url).status_code == 200
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            url, {"appointment_at": "2027-04-08T09:30", "appointment_place": "Salle B"}
        )
    assert response.status_code == 302
    evaluation.refresh_from_db()
    assert evaluation.appointment_at == LATER and evaluation.appointment_sequence == 1


# --- Reminders of the appointment --------------------------------------------------------------


@pytest.fixture
def frozen(monkeypatch: Any) -> Any:
    def freeze(moment: datetime.datetime) -> None:
        monkeypatch.setattr(timezone, "now", lambda: moment)

    return freeze


def remind_at(frozen: Any, moment: datetime.datetime, capture: Any) -> list[str]:
    frozen(moment)
    mail.outbox.clear()
    with capture(execute=True):
        send_appointment_reminders.delay()
    return sorted(m.to[0] for m in mail.outbox)


def test_everybody_convoked_is_reminded_a_week_and_a_day_before_once_each(
    cast: Any, evaluation: Any, frozen: Any, django_capture_on_commit_callbacks: Any
) -> None:
    capture = django_capture_on_commit_callbacks
    everybody = sorted([cast.evaluator.email, cast.referent_a.email, cast.candidate_user.email])
    assert remind_at(frozen, AT - datetime.timedelta(days=8), capture) == []
    assert remind_at(frozen, AT - datetime.timedelta(days=6, hours=23), capture) == everybody
    assert "a lieu dans 7 jours" in mail.outbox[0].body
    assert mail.outbox[0].attachments == []
    assert remind_at(frozen, AT - datetime.timedelta(days=6, hours=22), capture) == []
    assert remind_at(frozen, AT - datetime.timedelta(days=2), capture) == []
    assert remind_at(frozen, AT - datetime.timedelta(hours=20), capture) == everybody
    assert "a lieu demain" in mail.outbox[0].body
    assert remind_at(frozen, AT - datetime.timedelta(hours=19), capture) == []
    assert remind_at(frozen, AT + datetime.timedelta(hours=1), capture) == []


def test_a_declining_candidate_is_not_reminded_and_a_move_reminds_again(
    cast: Any, evaluation: Any, frozen: Any, django_capture_on_commit_callbacks: Any
) -> None:
    capture = django_capture_on_commit_callbacks
    services.appointment_answer(evaluation=evaluation, accept=False, by=cast.candidate_user)
    evaluators = sorted([cast.evaluator.email, cast.referent_a.email])
    assert remind_at(frozen, AT - datetime.timedelta(hours=20), capture) == evaluators

    frozen(AT - datetime.timedelta(hours=19))
    services.evaluation_appointment_change(
        evaluation=evaluation,
        appointment_at=AT + datetime.timedelta(days=1),
        appointment_place="B",
        by=cast.staff_a,
    )
    # The new date asks the candidate again (pending), so they are reminded as well.
    reminded = remind_at(frozen, AT + datetime.timedelta(hours=1), capture)
    assert reminded == sorted([*evaluators, cast.candidate_user.email])


def test_beat_runs_the_appointment_reminders_every_hour() -> None:
    from django.conf import settings

    entry: Any = settings.CELERY_BEAT_SCHEDULE["send-appointment-reminders"]
    assert entry["task"] == send_appointment_reminders.name
    assert len(entry["schedule"].hour) == 24
