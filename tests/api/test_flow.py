"""The whole certification path, driven through the API alone."""

from __future__ import annotations

from typing import Any

import pytest

from certifications.models import Capacity

pytestmark = pytest.mark.django_db


def test_the_whole_path_from_dossier_to_verified_certificate(
    cast: Any, api_as: Any, anon: Any, django_capture_on_commit_callbacks: Any
) -> None:
    staff = api_as(cast.staff_a)
    evaluator = api_as(cast.evaluator)
    jury = api_as(cast.jury_employer)
    vice_chair = api_as(cast.jury_employee)

    # Staff registers a candidate and opens a dossier.
    response = staff.post(
        "/api/v1/candidates/",
        {
            "branch": cast.branch_a.pk,
            "last_name": "Martin",
            "first_name": "Inès",
            "birth_date": "1990-04-02",
            "birth_place": "Lyon",
            "email": "ines.martin@example.test",
        },
    )
    assert response.status_code == 201, response.json()
    candidate_id = response.json()["id"]
    response = staff.post(
        "/api/v1/dossiers/",
        {
            "candidate": candidate_id,
            "version": cast.version.pk,
            "company": cast.company_a.pk,
            "access_route": "continuing",
            "first_certification": True,
        },
    )
    assert response.status_code == 201, response.json()
    dossier = response.json()
    assert dossier["status"] == "open"

    # Positioning, then evaluation, then an evaluator is assigned.
    for step in ("start-positioning", "start-evaluation"):
        response = staff.post(f"/api/v1/dossiers/{dossier['id']}/{step}/", {})
        assert response.status_code == 200, response.json()
    assert response.json()["status"] == "evaluation"
    response = staff.post(
        "/api/v1/evaluations/",
        {"dossier": dossier["id"], "kind": "final", "external_evaluator": cast.evaluator.pk},
    )
    assert response.status_code == 201, response.json()
    sheet_id = response.json()["sheets"][0]["id"]

    # The evaluator reads the grid's référentiel, scores every capacity and submits.
    version = evaluator.get(f"/api/v1/referentiel-versions/{cast.version.pk}/").json()
    capacities = [c for bloc in version["blocs"] for c in bloc["capacities"]]
    assert len(capacities) == Capacity.objects.filter(bloc__version=cast.version).count()
    sheet = evaluator.get(f"/api/v1/evaluation-sheets/{sheet_id}/").json()
    response = evaluator.post(
        f"/api/v1/evaluation-sheets/{sheet_id}/save-results/",
        {
            "expected_version": sheet["version"],
            "results": [
                {
                    "capacity": c["id"],
                    "outcome": "acquired",
                    "marks": [
                        {"indicator": i["id"], "mark": i["max_mark"]} for i in c["indicators"]
                    ],
                }
                for c in capacities
            ],
        },
    )
    assert response.status_code == 200, response.json()
    response = evaluator.post(f"/api/v1/evaluation-sheets/{sheet_id}/submit/")
    assert response.status_code == 200, response.json()
    assert staff.get(f"/api/v1/dossiers/{dossier['id']}/").json()["status"] == "ready_for_jury"

    # Staff sets up the jury session.
    response = staff.post(
        "/api/v1/jury-sessions/",
        {"branch": cast.branch_a.pk, "held_on": "2026-01-15T09:00:00+01:00", "place": "Paris"},
    )
    assert response.status_code == 201, response.json()
    session_id = response.json()["id"]
    for user, role in ((cast.jury_employer, "chair"), (cast.jury_employee, "vice_chair")):
        response = staff.post(
            f"/api/v1/jury-sessions/{session_id}/convoke/", {"user": user.pk, "role": role}
        )
        assert response.status_code == 200, response.json()
    response = staff.post(
        f"/api/v1/jury-sessions/{session_id}/add-dossier/", {"dossier": dossier["id"]}
    )
    assert response.status_code == 200, response.json()
    response = staff.post(f"/api/v1/jury-sessions/{session_id}/open/")
    assert response.status_code == 200, response.json()

    # The chair puts the award to the vote; each member present votes; the adopted proposal
    # is the decision, and the certificate is rendered once it commits.
    response = jury.post(
        "/api/v1/proposals/",
        {"session": session_id, "dossier": dossier["id"], "outcome": "award"},
        headers={"Idempotency-Key": "award-1"},
    )
    assert response.status_code == 201, response.json()
    proposal_id = response.json()["id"]
    with django_capture_on_commit_callbacks(execute=True):
        for member in (jury, vice_chair):
            response = member.post(f"/api/v1/proposals/{proposal_id}/vote/", {"choice": "for"})
            assert response.status_code == 200, response.json()
    assert response.json()["status"] == "adopted"
    assert (response.json()["votes_for"], response.json()["members_present"]) == (2, 2)
    response = jury.get(f"/api/v1/decisions/{response.json()['decision']}/")
    assert response.json()["proposal"] == proposal_id
    certificate_id = response.json()["certificates"][0]

    # The branch fetches the PDF (the new candidate has no account); anyone verifies it.
    certificate = staff.get(f"/api/v1/certificates/{certificate_id}/").json()
    assert certificate["render_status"] == "ready"
    response = staff.get(f"/api/v1/certificates/{certificate_id}/download/")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert b"".join(response.streaming_content).startswith(b"%PDF")
    response = anon.get(f"/api/v1/verify/{certificate['verification_code']}/")
    assert response.status_code == 200
    assert response.json()["valid"] is True
    assert response.json()["number"] == certificate["number"]
