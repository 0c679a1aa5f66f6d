"""Answering convocations and moving an appointment through the API, with the portal's
permissions: the member convoked answers for their seat, the candidate for their appointment,
the branch's staff move it; everyone else is refused; the actions are in the OpenAPI schema."""

from __future__ import annotations

import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from django.core import mail
from django.core.management import call_command

from candidates import services as dossier_services
from evaluations import services
from evaluations.models import ConvocationAnswer, EvaluationKind, MemberRole
from tests.api.conftest import token_client
from tests.workflow import open_dossier

PARIS = ZoneInfo("Europe/Paris")
AT = datetime.datetime(2031, 4, 8, 14, 0, tzinfo=PARIS)


@pytest.fixture
def session(cast: Any) -> Any:
    session = services.jury_session_create(
        branch=cast.branch_a, held_on=AT, place="Lyon", by=cast.staff_a
    )
    services.jury_member_convoke(
        session=session, user=cast.jury_employer, role=MemberRole.CHAIR, by=cast.staff_a
    )
    return session


@pytest.fixture
def evaluation(cast: Any) -> Any:
    dossier = open_dossier(cast)
    dossier_services.dossier_start_positioning(dossier=dossier, by=cast.staff_a)
    dossier_services.dossier_start_evaluation(dossier=dossier, by=cast.staff_a)
    return services.evaluation_create(
        dossier=dossier,
        kind=EvaluationKind.FINAL,
        external_evaluator=cast.evaluator,
        appointment_at=AT,
        appointment_place="Atelier 3",
        by=cast.staff_a,
    )


def seat_answer(url: str, client: Any) -> int:
    return int(client.post(url, {"accept": True}, format="json").status_code)


def test_a_jury_member_answers_for_their_seat(cast: Any, session: Any) -> None:
    url = f"/api/v1/jury-sessions/{session.pk}/answer/"
    response = token_client(cast.jury_employer).post(url, {"accept": False}, format="json")
    assert response.status_code == 200, response.json()
    [member] = response.json()["members"]
    assert member["answer"] == ConvocationAnswer.DECLINED
    assert session.members.get().answer == ConvocationAnswer.DECLINED


def test_only_the_member_convoked_answers(cast: Any, session: Any, anon: Any) -> None:
    url = f"/api/v1/jury-sessions/{session.pk}/answer/"
    assert seat_answer(url, anon) == 401
    # Wrong role on a session they see: staff have no seat to answer for.
    assert seat_answer(url, token_client(cast.staff_a)) == 403
    # Another branch, and a jury member not convoked: the session is not theirs to see.
    assert seat_answer(url, token_client(cast.staff_b)) == 404
    assert seat_answer(url, token_client(cast.jury_employee)) == 404
    # A released seat (revoked grant): the session is gone from their view.
    services.jury_member_convoke(session=session, user=cast.jury_employee, by=cast.staff_a)
    services.jury_member_release(
        member=session.members.get(user=cast.jury_employee), by=cast.staff_a
    )
    assert seat_answer(url, token_client(cast.jury_employee)) == 404
    assert session.members.get().answer == ConvocationAnswer.PENDING


def test_the_candidate_answers_their_appointment(cast: Any, evaluation: Any, anon: Any) -> None:
    url = f"/api/v1/evaluations/{evaluation.pk}/answer/"
    assert seat_answer(url, anon) == 401
    assert seat_answer(url, token_client(cast.staff_a)) == 403  # wrong role
    assert seat_answer(url, token_client(cast.evaluator)) == 403  # sees it, not theirs
    assert seat_answer(url, token_client(cast.staff_b)) == 404  # other branch
    assert seat_answer(url, token_client(cast.other_candidate_user)) == 404
    evaluation.refresh_from_db()
    assert evaluation.candidate_answer == ConvocationAnswer.PENDING

    response = token_client(cast.candidate_user).post(url, {"accept": True}, format="json")
    assert response.status_code == 200, response.json()
    assert response.json()["candidate_answer"] == ConvocationAnswer.ACCEPTED


def test_staff_move_the_appointment_and_everybody_is_told(
    cast: Any, evaluation: Any, django_capture_on_commit_callbacks: Any
) -> None:
    url = f"/api/v1/evaluations/{evaluation.pk}/appointment/"
    body = {"appointment_at": "2031-04-09T09:00:00+02:00", "appointment_place": "Salle B"}
    assert token_client(cast.evaluator).post(url, body, format="json").status_code == 403
    assert token_client(cast.staff_b).post(url, body, format="json").status_code == 404
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        response = token_client(cast.staff_a).post(url, body, format="json")
    assert response.status_code == 200, response.json()
    assert response.json()["appointment_sequence"] == 1
    assert {m.to[0] for m in mail.outbox} == {cast.evaluator.email, cast.candidate_user.email}
    # Half an appointment is refused, as in the portal.
    half = token_client(cast.staff_a).post(
        url, {"appointment_at": None, "appointment_place": "X"}, format="json"
    )
    assert half.status_code == 400


def test_the_actions_are_in_the_schema(tmp_path: Path, db: Any) -> None:
    target = tmp_path / "schema.yml"
    call_command("spectacular", "--validate", "--fail-on-warn", "--file", str(target))
    schema = target.read_text()
    for path in (
        "/api/v1/jury-sessions/{id}/answer/",
        "/api/v1/evaluations/{id}/answer/",
        "/api/v1/evaluations/{id}/appointment/",
    ):
        assert path in schema
