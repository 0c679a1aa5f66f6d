"""The jury's API (evaluations.api): roll call with excused members, proposals and votes."""

from __future__ import annotations

from typing import Any

import pytest
from django.utils import timezone

from evaluations import services
from evaluations.models import JurySession, MemberRole
from tests import workflow

pytestmark = pytest.mark.django_db


def planned(cast: Any) -> JurySession:
    session = services.jury_session_create(
        branch=cast.branch_a, held_on=timezone.now(), place="Lyon", by=cast.staff_a
    )
    for user, role in ((cast.jury_employer, MemberRole.CHAIR), (cast.jury_employee, "member")):
        services.jury_member_convoke(session=session, user=user, role=role, by=cast.staff_a)
    return session


def test_staff_mark_a_member_absent_and_excused_at_the_roll_call(cast: Any, api_as: Any) -> None:
    session = planned(cast)
    seat = session.members.get(user=cast.jury_employee)
    response = api_as(cast.staff_a).post(
        f"/api/v1/jury-sessions/{session.pk}/presence/",
        {"member": seat.pk, "present": False, "excused": True},
    )
    assert response.status_code == 200, response.json()
    seat.refresh_from_db()
    assert not seat.present and seat.excused


def test_an_excused_member_cannot_be_present(cast: Any, api_as: Any) -> None:
    session = planned(cast)
    seat = session.members.get(user=cast.jury_employee)
    response = api_as(cast.staff_a).post(
        f"/api/v1/jury-sessions/{session.pk}/presence/",
        {"member": seat.pk, "present": True, "excused": True},
    )
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "excused_present"


def test_a_show_of_hands_through_the_api_decides(cast: Any, api_as: Any) -> None:
    dossier = workflow.ready_for_jury(cast)
    session = workflow.open_session(cast, [dossier])
    staff = api_as(cast.staff_a)
    proposal = staff.post(
        "/api/v1/proposals/",
        {
            "session": session.pk,
            "dossier": dossier.pk,
            "outcome": "refusal",
            "reasons": "Preuves insuffisantes.",
        },
    ).json()
    seats = {m.user_id: m.pk for m in session.members.all()}
    response = staff.post(
        f"/api/v1/proposals/{proposal['id']}/show-of-hands/",
        {
            "votes": [
                {"member": seats[cast.jury_employer.pk], "choice": "for"},
                {"member": seats[cast.jury_employee.pk], "choice": "for"},
            ]
        },
        format="json",
    )
    assert response.status_code == 200, response.json()
    body = response.json()
    assert body["status"] == "adopted" and body["decision"]
    assert all(vote["by_show_of_hands"] for vote in body["votes"])
