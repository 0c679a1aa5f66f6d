"""Evaluation appointments: set by staff when assigning, sent to each evaluator of the binôme as
a calendar invitation, cancelled for the person a grid is taken from."""

from __future__ import annotations

import datetime
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from django.core import mail
from django.urls import reverse
from icalendar import Calendar

from candidates import services as dossier_services
from core.errors import DomainError
from evaluations import services
from evaluations.models import EvaluationKind
from tests.factories import UserFactory
from tests.workflow import open_dossier

PARIS = ZoneInfo("Europe/Paris")
AT = datetime.datetime(2027, 4, 6, 14, 0, tzinfo=PARIS)  # summer time: UTC+2


@pytest.fixture
def dossier(cast: Any) -> Any:
    dossier = open_dossier(cast)
    dossier_services.dossier_start_positioning(dossier=dossier, by=cast.staff_a)
    dossier_services.dossier_start_evaluation(dossier=dossier, by=cast.staff_a)
    return dossier


def assign(cast: Any, dossier: Any, **appointment: Any) -> Any:
    return services.evaluation_create(
        dossier=dossier,
        kind=EvaluationKind.FINAL,
        external_evaluator=cast.evaluator,
        referent=cast.referent_a,
        by=cast.staff_a,
        **appointment,
    )


def evaluators_mail(cast: Any) -> list[Any]:
    return [m for m in mail.outbox if m.to[0] != cast.candidate_user.email]


def event_of(message: Any) -> tuple[str, Any]:
    [(filename, content, mimetype)] = message.attachments
    assert filename == "rendez-vous.ics"
    calendar = Calendar.from_ical(content)
    assert mimetype.startswith(f"text/calendar; method={calendar['method']}")
    [event] = calendar.walk("VEVENT")
    return str(calendar["method"]), event


def test_both_evaluators_get_the_appointment_as_an_invitation(
    cast: Any, dossier: Any, django_capture_on_commit_callbacks: Any
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        evaluation = assign(cast, dossier, appointment_at=AT, appointment_place="Atelier 3")

    # The evaluators, and the candidate (their convocation: tests/evaluations/test_candidate_convocations.py).
    assert sorted(m.to[0] for m in mail.outbox) == sorted(
        [cast.evaluator.email, cast.referent_a.email, cast.candidate_user.email]
    )
    uids = set()
    for message in evaluators_mail(cast):
        assert "Rendez-vous d'évaluation le mardi 6 avril 2027 à 14:00 : Atelier 3." in message.body
        method, event = event_of(message)
        assert method == "REQUEST"
        assert event.decoded("dtstart").astimezone(PARIS) == AT
        assert event.decoded("dtstart").utcoffset() == datetime.timedelta(0)
        assert str(event["location"]) == "Atelier 3"
        assert dossier.reference in str(event["summary"])
        uids.add(str(event["uid"]))
    assert len(uids) == 2
    evaluation.refresh_from_db()
    assert evaluation.appointment_at == AT


def test_a_video_appointment_carries_its_link(
    cast: Any, dossier: Any, django_capture_on_commit_callbacks: Any
) -> None:
    link = "https://visio.example.test/cqpi-42"
    with django_capture_on_commit_callbacks(execute=True):
        assign(cast, dossier, appointment_at=AT, appointment_link=link)
    _method, event = event_of(mail.outbox[0])
    assert str(event["location"]) == link and str(event["url"]) == link


def test_without_an_appointment_no_invitation_is_attached(
    cast: Any, dossier: Any, django_capture_on_commit_callbacks: Any
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        assign(cast, dossier)
    assert [m.attachments for m in mail.outbox] == [[], []]


@pytest.mark.parametrize(
    "appointment",
    [
        {"appointment_at": AT},
        {"appointment_place": "Atelier 3"},
        {"appointment_at": AT, "appointment_place": "  "},
    ],
)
def test_an_appointment_needs_a_time_and_a_place_or_link(
    cast: Any, dossier: Any, appointment: dict[str, Any]
) -> None:
    with pytest.raises(DomainError):
        assign(cast, dossier, **appointment)
    assert not dossier.evaluations.exists()


def test_a_grid_handed_on_cancels_the_appointment_of_the_person_replaced(
    cast: Any, dossier: Any, django_capture_on_commit_callbacks: Any
) -> None:
    from evaluations.models import SheetRole
    from tests.factories import habilitate

    evaluation = assign(cast, dossier, appointment_at=AT, appointment_place="Atelier 3")
    newcomer = UserFactory.create(email="releve@example.test")
    habilitate(newcomer, branch=cast.branch_a, referentiel=cast.referentiel)
    sheet = evaluation.sheets.get(role=SheetRole.EXTERNAL)
    mail.outbox.clear()

    with django_capture_on_commit_callbacks(execute=True):
        services.evaluation_reassign(sheet=sheet, evaluator=newcomer, by=cast.staff_a)

    by_person = {m.to[0]: m for m in mail.outbox}
    assert set(by_person) == {newcomer.email, cast.evaluator.email}
    method, cancelled = event_of(by_person[cast.evaluator.email])
    assert method == "CANCEL" and str(cancelled["status"]) == "CANCELLED"
    assert cancelled["sequence"] == 1
    assert by_person[cast.evaluator.email].subject.startswith("Rendez-vous d'évaluation annulé")
    method, invited = event_of(by_person[newcomer.email])
    assert method == "REQUEST"
    assert str(invited["uid"]) != str(cancelled["uid"])


def test_staff_set_the_appointment_on_the_assign_page(
    client: Any, cast: Any, dossier: Any, django_capture_on_commit_callbacks: Any
) -> None:
    client.force_login(cast.staff_a)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("evaluations:evaluation_assign", args=[dossier.pk]),
            {
                "kind": EvaluationKind.FINAL,
                "external_evaluator": cast.evaluator.pk,
                "appointment_at": "2027-04-06T14:00",
                "appointment_link": "https://visio.example.test/a",
            },
        )
    assert response.status_code == 302
    evaluation = dossier.evaluations.get()
    assert evaluation.appointment_at == AT
    assert evaluation.appointment_link == "https://visio.example.test/a"
    [message] = evaluators_mail(cast)
    assert event_of(message)[0] == "REQUEST"


def test_the_api_assigns_with_an_appointment_and_refuses_half_of_one(
    cast: Any, dossier: Any, django_capture_on_commit_callbacks: Any
) -> None:
    from tests.api.conftest import token_client

    staff = token_client(cast.staff_a)
    base = {"dossier": dossier.pk, "kind": "final", "external_evaluator": cast.evaluator.pk}
    refused = staff.post(
        "/api/v1/evaluations/", {**base, "appointment_at": "2027-04-06T14:00:00+02:00"}
    )
    assert refused.status_code == 400
    assert not dossier.evaluations.exists()

    with django_capture_on_commit_callbacks(execute=True):
        response = staff.post(
            "/api/v1/evaluations/",
            {
                **base,
                "appointment_at": "2027-04-06T14:00:00+02:00",
                "appointment_place": "Atelier 3",
            },
        )
    assert response.status_code == 201, response.json()
    assert response.json()["appointment_place"] == "Atelier 3"
    assert dossier.evaluations.get().appointment_at == AT
    [message] = evaluators_mail(cast)
    assert event_of(message)[0] == "REQUEST"
