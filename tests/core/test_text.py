"""Names and free text refuse Unicode format characters at every door."""

from __future__ import annotations

import datetime
from typing import Any

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from rest_framework.test import APIClient

from candidates import services
from candidates.models import Candidate
from core.errors import DomainError
from core.text import format_characters, validate_plain_text

pytestmark = pytest.mark.django_db

REVERSED = "Dur\u202eand"  # prints "Durdna" from the override on


def test_format_characters_are_found_once_each_in_order():
    assert format_characters("a\u200bb\u202ec\u200b") == ["U+200B", "U+202E"]
    assert format_characters("Élodie d'Aubigné-Lefèvre") == []


def test_the_validator_names_the_code_points():
    with pytest.raises(ValidationError) as refused:
        validate_plain_text(REVERSED)
    assert "U+202E" in refused.value.messages[0]
    validate_plain_text("Durand")


def test_the_service_refuses_a_name_whatever_the_door(cast: Any):
    with pytest.raises(DomainError) as refused:
        services.candidate_create(
            branch_id=cast.branch_a.pk,
            last_name=REVERSED,
            first_name="Zélie",
            birth_date=datetime.date(1990, 1, 1),
            birth_place="Lyon",
            by=cast.staff_a,
        )
    assert refused.value.code == "format_character"
    assert "Nom" in refused.value.message and "U+202E" in refused.value.message
    assert not Candidate.objects.filter(first_name="Zélie").exists()


def test_the_api_answers_400_with_the_reason(cast: Any):
    api = APIClient()
    api.force_authenticate(cast.staff_a)
    response = api.post(
        "/api/v1/candidates/",
        {
            "branch": cast.branch_a.pk,
            "last_name": REVERSED,
            "first_name": "Zélie",
            "birth_date": "1990-01-01",
            "birth_place": "Lyon",
        },
        format="json",
    )
    assert response.status_code == 400
    assert "U+202E" in str(response.json())
    assert not Candidate.objects.filter(first_name="Zélie").exists()


def test_the_dossier_form_marks_the_field_and_keeps_the_input(cast: Any, client: Any):
    client.force_login(cast.staff_a)
    response = client.post(
        reverse("candidates:dossier_open"),
        {
            "branch": cast.branch_a.pk,
            "last_name": REVERSED,
            "first_name": "Zélie",
            "birth_date": "01/01/1990",
            "birth_place": "Lyon",
            "access_route": "continuing",
        },
    )
    assert response.status_code == 200
    form = response.context["form"]
    assert "U+202E" in form.errors["last_name"][0]
    assert form["first_name"].value() == "Zélie"


@pytest.mark.parametrize(
    ("first", "last", "printed"),
    [
        ("Léa", "Durand", "Léa DURAND"),
        ("léa", "durand", "Léa DURAND"),
        ("JEAN-PIERRE", "de la Tour", "Jean-Pierre DE LA TOUR"),
        ("Marie-Ève", "N'Diaye", "Marie-Ève N'DIAYE"),
        ("McKenzie", "  Lefèvre ", "McKenzie LEFÈVRE"),
    ],
)
def test_a_name_prints_as_first_name_then_family_name_in_capitals(
    first: str, last: str, printed: str
) -> None:
    from core.text import person_name

    assert person_name(first, last) == printed
    assert Candidate.format_full_name(first, last) == printed
