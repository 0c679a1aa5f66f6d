"""The candidates API takes the identity of the CDC declaration, checked like the forms."""

from __future__ import annotations

from typing import Any

import pytest

from candidates import identity
from candidates.models import Candidate

pytestmark = pytest.mark.django_db


def payload(cast: Any, **extra: str) -> dict[str, Any]:
    return {
        "branch": cast.branch_a.pk,
        "last_name": "Martin",
        "first_name": "Inès",
        "birth_date": "1990-04-02",
        "birth_place": "Ajaccio",
        **extra,
    }


def test_a_candidate_is_created_with_the_declaration_identity(cast: Any, api_as: Any) -> None:
    staff = api_as(cast.staff_a)
    response = staff.post(
        "/api/v1/candidates/",
        payload(
            cast,
            sex="F",
            birth_insee_code="2a004",
            birth_country_code="100",
            first_name_2="Marie",
        ),
    )
    assert response.status_code == 201, response.json()
    body = response.json()
    assert (body["sex"], body["birth_insee_code"], body["birth_country_label"]) == (
        "F",
        "2A004",
        "France",
    )
    assert identity.identity_gaps(Candidate.objects.get(pk=body["id"])) == []


def test_a_wrong_code_is_refused_with_its_reason(cast: Any, api_as: Any) -> None:
    staff = api_as(cast.staff_a)
    response = staff.post("/api/v1/candidates/", payload(cast, birth_insee_code="2C004"))
    assert response.status_code == 400
    assert "Corse" in str(response.json())
    assert not Candidate.objects.filter(last_name="Martin").exists()
