"""The holder's identity for the CDC declaration: the rules, the creation form, the staff's
correction page and service, the candidate's own view."""

from __future__ import annotations

import datetime
from typing import Any

import pytest
from django.core.exceptions import PermissionDenied
from django.urls import reverse

from audit.models import AuditEvent
from candidates import identity, services
from candidates.models import Candidate
from core.errors import DomainError
from tests.factories import CandidateFactory, complete_identity

pytestmark = pytest.mark.django_db
LOGIN = reverse("accounts:login")


def errors(**values: str) -> dict[str, list[str]]:
    return identity.identity_errors(identity.normalise(values))


@pytest.mark.parametrize("code", ["69123", "2A004", "2b033", "99134"])
def test_insee_codes_of_five_characters_corsica_included(code: str) -> None:
    country = "134" if code.startswith("99") else "100"
    assert errors(birth_insee_code=code, birth_country_code=country) == {}


@pytest.mark.parametrize("code", ["6912", "691234", "2C004", "ABCDE", "2A04"])
def test_other_insee_codes_are_refused_in_french(code: str) -> None:
    (message,) = errors(birth_insee_code=code)["birth_insee_code"]
    assert "5 caractères" in message and code.upper() in message


def test_the_rules_between_the_fields() -> None:
    assert (
        "pas les deux"
        in errors(birth_insee_code="69123", birth_postal_code="69001")["birth_postal_code"][0]
    )
    assert (
        "99 suivi du code du pays (99134)"
        in errors(birth_insee_code="69123", birth_country_code="134")["birth_insee_code"][0]
    )
    assert (
        "pays étranger"
        in errors(birth_insee_code="99134", birth_country_code="100")["birth_insee_code"][0]
    )
    assert (
        "pas de code postal"
        in errors(birth_postal_code="28001", birth_country_code="134")["birth_postal_code"][0]
    )
    assert "3 chiffres" in errors(birth_country_code="ESP")["birth_country_code"][0]
    assert "M ou F" in errors(sex="H")["sex"][0]
    assert "deuxième prénom" in errors(first_name_3="Anne")["first_name_3"][0]


def test_normalising_fills_a_birth_abroad_and_france() -> None:
    values = identity.normalise(
        {"birth_insee_code": "", "birth_postal_code": "", "birth_country_code": " 134 "}
    )
    assert values["birth_insee_code"] == "99134"
    values = identity.normalise(
        {"birth_country_code": "100", "birth_country_label": "", "birth_insee_code": "2a004"}
    )
    assert values["birth_country_label"] == "France"
    assert values["birth_insee_code"] == "2A004"


def test_a_candidate_registered_before_is_to_complete(cast: Any) -> None:
    (gap,) = identity.identity_gaps(cast.candidate)
    assert gap.startswith("Identité à compléter : sexe, code INSEE ou postal")
    complete_identity(cast.candidate)
    assert identity.identity_gaps(cast.candidate) == []
    Candidate.objects.filter(pk=cast.candidate.pk).update(last_name="X" * 61)
    cast.candidate.refresh_from_db()
    assert "trop long" in identity.identity_gaps(cast.candidate)[0]


def test_the_creation_form_collects_and_checks_the_identity(client: Any, cast: Any) -> None:
    from tests.candidates.test_views import open_form_data

    client.force_login(cast.staff_a)
    response = client.post(
        reverse("candidates:dossier_open"),
        open_form_data(cast, sex="F", birth_insee_code="2C004", birth_country_code="100"),
    )
    assert response.status_code == 200
    assert "Corse" in str(response.context["form"].errors["birth_insee_code"])
    assert not Candidate.objects.filter(last_name="Nouveau").exists()

    response = client.post(
        reverse("candidates:dossier_open"),
        open_form_data(
            cast,
            sex="F",
            first_name_2="Marie",
            birth_country_code="134",
            birth_country_label="Espagne",
        ),
    )
    assert response.status_code == 302
    candidate = Candidate.objects.get(last_name="Nouveau")
    assert (candidate.sex, candidate.first_name_2) == ("F", "Marie")
    assert candidate.birth_insee_code == "99134"
    assert identity.identity_gaps(candidate) == []


def test_the_service_refuses_a_wrong_identity(cast: Any) -> None:
    with pytest.raises(DomainError, match="M ou F"):
        services.candidate_create(
            branch_id=cast.branch_a.pk,
            last_name="Nom",
            first_name="Prénom",
            birth_date=datetime.date(1990, 1, 1),
            birth_place="Lyon",
            sex="Z",
            by=cast.staff_a,
        )


def test_staff_correct_an_identity_and_the_trail_names_the_fields(cast: Any) -> None:
    candidate = cast.candidate
    with pytest.raises(PermissionDenied):
        services.candidate_identity_update(
            candidate=candidate, by=cast.staff_b, changes={"sex": "F"}
        )
    with pytest.raises(DomainError, match="5 caractères"):
        services.candidate_identity_update(
            candidate=candidate, by=cast.staff_a, changes={"birth_insee_code": "123"}
        )
    services.candidate_identity_update(
        candidate=candidate,
        by=cast.staff_a,
        changes={"sex": "F", "birth_insee_code": "75056", "birth_country_code": "100"},
    )
    candidate.refresh_from_db()
    assert identity.identity_gaps(candidate) == []
    event = AuditEvent.objects.get(action="candidate.identity_updated")
    assert event.details["fields"] == [
        "birth_country_code",
        "birth_country_label",
        "birth_insee_code",
        "sex",
    ]
    # The trail keeps the fields' names, not the person's data.
    assert "75056" not in str(event.details)
    # Checked whole: a new country is checked against the commune code kept.
    with pytest.raises(DomainError, match="99 suivi du code du pays"):
        services.candidate_identity_update(
            candidate=candidate, by=cast.staff_a, changes={"birth_country_code": "134"}
        )


def test_the_identity_page_four_ways(client: Any, cast: Any) -> None:
    url = reverse("candidates:candidate_identity", args=[cast.candidate.pk])
    assert client.get(url)["Location"].startswith(LOGIN)
    for person in ("evaluator", "jury_employer", "outsider"):
        client.force_login(getattr(cast, person))
        assert client.get(url).status_code in (403, 404), person
    client.force_login(cast.staff_b)
    assert client.get(url).status_code == 404
    client.force_login(cast.staff_a)
    response = client.get(url)
    assert response.status_code == 200
    assert 'data-testid="identity-gaps"' in response.content.decode()
    data = {
        "last_name": cast.candidate.last_name,
        "first_name": cast.candidate.first_name,
        "birth_date": cast.candidate.birth_date.isoformat(),
        "birth_place": "Lyon",
        "sex": "F",
        "birth_insee_code": "2b033",
        "birth_country_code": "100",
    }
    response = client.post(url, data)
    assert response.status_code == 302
    cast.candidate.refresh_from_db()
    assert cast.candidate.birth_insee_code == "2B033"
    assert cast.candidate.birth_country_label == "France"
    assert 'data-testid="identity-complete"' in client.get(url).content.decode()
    # A wrong code is shown on its field, the input kept.
    response = client.post(url, data | {"birth_postal_code": "75001"})
    assert response.status_code == 200
    assert "pas les deux" in str(response.context["form"].errors["birth_postal_code"])


def test_the_candidate_sees_their_identity_and_what_is_missing(client: Any, cast: Any) -> None:
    client.force_login(cast.candidate_user)
    page = client.get(reverse("space:personal_data")).content.decode()
    assert 'data-testid="identity-gaps"' in page
    assert "sexe" in page
    complete_identity(cast.candidate, usage_name="Martin", first_name_2="Anne")
    page = client.get(reverse("space:personal_data")).content.decode()
    assert 'data-testid="identity-gaps"' not in page
    assert "Martin" in page and "Anne" in page and "59350" in page


def test_a_new_candidate_factory_row_is_to_complete() -> None:
    candidate = CandidateFactory.create()
    assert not identity.is_complete(candidate)
