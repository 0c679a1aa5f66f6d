"""One error shape, stable codes, messages in the request's language."""

from __future__ import annotations

from typing import Any

import pytest

from tests import workflow

pytestmark = pytest.mark.django_db


def test_a_domain_refusal_is_400_with_its_code_in_french(cast: Any, api_as: Any) -> None:
    dossier = workflow.open_dossier(cast)
    response = api_as(cast.staff_a).post(
        f"/api/v1/dossiers/{dossier.pk}/rule-admissibility/", {"admissible": True}
    )
    assert response.status_code == 400
    error = response.json()["error"]
    assert error["code"] == "not_vae"
    assert "recevabilité" in error["message"]
    assert error["fields"] == {}


def test_the_same_refusal_in_english(cast: Any, api_as: Any) -> None:
    dossier = workflow.open_dossier(cast)
    client = api_as(cast.staff_a, **{"Accept-Language": "en"})
    response = client.post(
        f"/api/v1/dossiers/{dossier.pk}/rule-admissibility/", {"admissible": True}
    )
    assert response.json()["error"]["code"] == "not_vae"
    assert "admissib" in response.json()["error"]["message"].lower()


def test_a_wrong_starting_state_is_409(cast: Any, api_as: Any) -> None:
    dossier = workflow.open_dossier(cast)
    response = api_as(cast.staff_a).post(f"/api/v1/dossiers/{dossier.pk}/start-evaluation/")
    assert response.status_code == 409
    assert response.json()["error"]["code"] == "invalid_transition"


def test_field_errors_name_each_field_with_a_code(cast: Any, api_as: Any) -> None:
    response = api_as(cast.staff_a).post("/api/v1/candidates/", {"branch": cast.branch_a.pk})
    assert response.status_code == 400
    error = response.json()["error"]
    assert error["code"] == "invalid"
    assert error["fields"]["last_name"] == [
        {"code": "required", "message": "Ce champ est obligatoire."}
    ]


def test_field_errors_in_english(cast: Any, api_as: Any) -> None:
    client = api_as(cast.staff_a, **{"Accept-Language": "en"})
    response = client.post("/api/v1/candidates/", {"branch": cast.branch_a.pk})
    assert response.json()["error"]["fields"]["last_name"][0]["message"] == (
        "This field is required."
    )


def test_a_stale_grid_is_409_and_nothing_is_overwritten(cast: Any, api_as: Any) -> None:
    from candidates import services as dossier_services
    from evaluations import services as evaluation_services

    dossier = workflow.open_dossier(cast, route="direct")
    dossier_services.dossier_start_evaluation(dossier=dossier, by=cast.staff_a)
    sheet = evaluation_services.evaluation_create(
        dossier=dossier, kind="final", external_evaluator=cast.evaluator, by=cast.staff_a
    ).sheets.get()
    bloc = dossier.version.blocs.first()
    assert bloc is not None
    capacity = bloc.capacities.first()
    assert capacity is not None
    client = api_as(cast.evaluator)
    body: dict[str, Any] = {
        "expected_version": 0,
        "results": [{"capacity": capacity.pk, "outcome": "acquired"}],
    }
    assert (
        client.post(f"/api/v1/evaluation-sheets/{sheet.pk}/save-results/", body).status_code == 200
    )
    body["results"][0]["outcome"] = "not_acquired"
    response = client.post(f"/api/v1/evaluation-sheets/{sheet.pk}/save-results/", body)
    assert response.status_code == 409
    assert response.json()["error"]["code"] == "stale_sheet"
    assert sheet.results.get().outcome == "acquired"


def test_malformed_json_is_400_parse_error(cast: Any, api_as: Any) -> None:
    response = api_as(cast.staff_a).post(
        "/api/v1/candidates/", data="{not json", content_type="application/json"
    )
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "parse_error"
