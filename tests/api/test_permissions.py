"""The portal's scoping and object rules, seen through the API: 401, 404, 403, success."""

from __future__ import annotations

from typing import Any

import pytest

from tests import workflow

pytestmark = pytest.mark.django_db


def test_an_anonymous_call_is_refused_with_401(cast: Any, anon: Any) -> None:
    response = anon.get("/api/v1/dossiers/")
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "not_authenticated"
    assert response["WWW-Authenticate"].startswith("Token")


def test_a_dossier_of_another_branch_is_404(cast: Any, api_as: Any) -> None:
    dossier = workflow.open_dossier(cast)
    response = api_as(cast.staff_b).get(f"/api/v1/dossiers/{dossier.pk}/")
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "not_found"


def test_a_transition_by_another_branch_is_404(cast: Any, api_as: Any) -> None:
    dossier = workflow.open_dossier(cast)
    response = api_as(cast.staff_b).post(f"/api/v1/dossiers/{dossier.pk}/start-positioning/")
    assert response.status_code == 404


def test_a_transition_by_the_candidate_is_403(cast: Any, api_as: Any) -> None:
    dossier = workflow.open_dossier(cast)
    response = api_as(cast.candidate_user).post(f"/api/v1/dossiers/{dossier.pk}/start-positioning/")
    assert response.status_code == 403
    assert response.json()["error"]["code"] == "permission_denied"


def test_staff_moves_their_dossier(cast: Any, api_as: Any) -> None:
    dossier = workflow.open_dossier(cast)
    response = api_as(cast.staff_a).post(f"/api/v1/dossiers/{dossier.pk}/start-positioning/")
    assert response.status_code == 200
    assert response.json()["status"] == "positioning"


def test_lists_show_nothing_of_other_branches(cast: Any, api_as: Any) -> None:
    workflow.open_dossier(cast)
    assert api_as(cast.staff_b).get("/api/v1/dossiers/").json()["results"] == []
    assert len(api_as(cast.staff_a).get("/api/v1/dossiers/").json()["results"]) == 1


def test_a_candidate_sees_only_their_own_dossiers(cast: Any, api_as: Any) -> None:
    mine = workflow.open_dossier(cast)
    workflow.open_dossier(cast, candidate=cast.other_candidate)
    results = api_as(cast.candidate_user).get("/api/v1/dossiers/").json()["results"]
    assert [d["id"] for d in results] == [mine.pk]


def test_a_foreign_candidate_id_in_a_body_is_a_field_error(cast: Any, api_as: Any) -> None:
    response = api_as(cast.staff_b).post(
        "/api/v1/dossiers/",
        {"candidate": cast.candidate.pk, "version": cast.version.pk, "access_route": "vae"},
    )
    assert response.status_code == 400
    assert response.json()["error"]["fields"]["candidate"][0]["code"] == "does_not_exist"


def test_another_evaluators_sheet_is_404(cast: Any, api_as: Any) -> None:
    dossier = workflow.open_dossier(cast, route="direct")
    from candidates import services as dossier_services
    from evaluations import services as evaluation_services

    dossier_services.dossier_start_evaluation(dossier=dossier, by=cast.staff_a)
    evaluation = evaluation_services.evaluation_create(
        dossier=dossier, kind="final", external_evaluator=cast.evaluator, by=cast.staff_a
    )
    sheet = evaluation.sheets.get()
    assert (
        api_as(cast.jury_employee).get(f"/api/v1/evaluation-sheets/{sheet.pk}/").status_code == 404
    )
    assert api_as(cast.evaluator).get(f"/api/v1/evaluation-sheets/{sheet.pk}/").status_code == 200
    # Staff see the grid but may not write in it.
    response = api_as(cast.staff_a).post(f"/api/v1/evaluation-sheets/{sheet.pk}/submit/")
    assert response.status_code == 403


def test_a_jury_member_not_convoked_may_not_put_a_proposal(cast: Any, api_as: Any) -> None:
    dossier = workflow.ready_for_jury(cast)
    session = workflow.open_session(cast, [dossier])
    response = api_as(cast.staff_b).post(
        "/api/v1/proposals/", {"session": session.pk, "dossier": dossier.pk, "outcome": "award"}
    )
    assert response.status_code == 400
    assert set(response.json()["error"]["fields"]) == {"session", "dossier"}


def test_only_members_present_vote_and_only_on_proposals_they_see(cast: Any, api_as: Any) -> None:
    dossier = workflow.ready_for_jury(cast)
    session = workflow.open_session(cast, [dossier])
    proposal = api_as(cast.jury_employer).post(
        "/api/v1/proposals/", {"session": session.pk, "dossier": dossier.pk, "outcome": "award"}
    )
    assert proposal.status_code == 201, proposal.json()
    url = f"/api/v1/proposals/{proposal.json()['id']}/vote/"
    assert api_as(cast.staff_b).post(url, {"choice": "for"}).status_code == 404
    assert api_as(cast.evaluator).post(url, {"choice": "for"}).status_code == 404
    assert api_as(cast.staff_a).post(url, {"choice": "for"}).status_code == 403
    assert api_as(cast.jury_employer).post(url, {"choice": "for"}).status_code == 200
    response = api_as(cast.jury_employee).post(url, {"choice": "for"})
    assert response.status_code == 200
    assert response.json()["status"] == "adopted" and response.json()["decision"]


def test_certificates_are_the_holders_and_their_branchs(cast: Any, api_as: Any) -> None:
    decision = workflow.award(cast)
    certificate = decision.certificates.get()
    url = f"/api/v1/certificates/{certificate.pk}/"
    assert api_as(cast.candidate_user).get(url).status_code == 200
    assert api_as(cast.staff_a).get(url).status_code == 200
    assert api_as(cast.other_candidate_user).get(url).status_code == 404
    assert api_as(cast.staff_b).get(url).status_code == 404


def test_only_staff_revoke_a_certificate(cast: Any, api_as: Any) -> None:
    certificate = workflow.award(cast).certificates.get()
    url = f"/api/v1/certificates/{certificate.pk}/revoke/"
    assert api_as(cast.candidate_user).post(url, {"reason": "x"}).status_code == 403
    response = api_as(cast.staff_a).post(url, {"reason": "Fraude avérée"})
    assert response.status_code == 200
    assert response.json()["status"] == "revoked"
    # Revoking twice is a conflict with the certificate's state.
    again = api_as(cast.staff_a).post(url, {"reason": "Fraude avérée"})
    assert again.status_code == 409
    assert again.json()["error"]["code"] == "invalid_transition"


def test_a_certificate_is_never_deleted(cast: Any, api_as: Any) -> None:
    certificate = workflow.award(cast).certificates.get()
    response = api_as(cast.staff_a).delete(f"/api/v1/certificates/{certificate.pk}/")
    assert response.status_code == 405
    assert response.json()["error"]["code"] == "method_not_allowed"


def test_staff_reissue_a_certificate_that_supersedes_it(cast: Any, api_as: Any) -> None:
    certificate = workflow.award(cast).certificates.get()
    response = api_as(cast.staff_a).post(
        f"/api/v1/certificates/{certificate.pk}/reissue/",
        {"reason": "Nom mal orthographié", "holder_last_name": "Durand-Moreau"},
    )
    assert response.status_code == 201
    assert response.json()["reissue_of"] == certificate.pk
    certificate.refresh_from_db()
    assert certificate.status == "superseded"


def test_verify_is_public_and_says_revoked(cast: Any, api_as: Any, anon: Any) -> None:
    certificate = workflow.award(cast).certificates.get()
    api_as(cast.staff_a).post(
        f"/api/v1/certificates/{certificate.pk}/revoke/", {"reason": "Erreur de saisie"}
    )
    body = anon.get(f"/api/v1/verify/{certificate.verification_code}/").json()
    assert body["valid"] is False
    assert body["status"] == "revoked"


def test_verify_answers_404_for_an_unknown_code(anon: Any, db: Any) -> None:
    response = anon.get("/api/v1/verify/not-a-code/")
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "not_found"


def test_verify_is_throttled_per_address(anon: Any, db: Any, settings: Any) -> None:
    from core.api.throttles import VerifyThrottle

    throttle = VerifyThrottle()
    limit, _duration = throttle.parse_rate(throttle.get_rate())
    assert limit is not None
    statuses = [anon.get("/api/v1/verify/x/").status_code for _ in range(limit + 1)]
    assert statuses[-1] == 429
    assert set(statuses[:-1]) == {404}
