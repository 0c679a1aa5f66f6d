"""The branch's companies page: listed, searched, paged, and registered through an audited
service."""

from __future__ import annotations

from typing import Any

import pytest
from django.urls import reverse

from audit.models import AuditEvent
from branches.models import Company, Membership
from tests.factories import CompanyFactory, valid_siret

pytestmark = pytest.mark.django_db


def page(branch: Any) -> str:
    return reverse("administration:branch_companies", args=[branch.pk])


def register(branch: Any) -> str:
    return reverse("administration:company_register", args=[branch.pk])


def data(**overrides: Any) -> dict[str, Any]:
    values = {
        "company-name": "Logistique du Rhône",
        "company-siret": valid_siret(98765),
        "company-city": "Vénissieux",
    }
    values.update(overrides)
    return values


def test_anonymous_visitors_are_sent_to_login(client: Any, cast: Any) -> None:
    response = client.get(page(cast.branch_a))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("accounts:login"))


def test_staff_of_another_branch_find_nothing_and_register_nothing(client: Any, cast: Any) -> None:
    client.force_login(cast.staff_b)

    assert client.get(page(cast.branch_a)).status_code == 404
    assert client.post(register(cast.branch_a), data()).status_code == 404
    assert not Company.objects.filter(name="Logistique du Rhône").exists()


@pytest.mark.parametrize("person", ["jury_employer", "referent_a", "evaluator", "candidate_user"])
def test_other_roles_are_refused(client: Any, cast: Any, person: str) -> None:
    client.force_login(getattr(cast, person))

    assert client.get(page(cast.branch_a)).status_code in (403, 404)
    assert client.post(register(cast.branch_a), data()).status_code in (403, 404)
    assert not Company.objects.filter(name="Logistique du Rhône").exists()


def test_a_revoked_membership_closes_the_page(client: Any, cast: Any) -> None:
    Membership.objects.filter(user=cast.staff_a).update(is_active=False)
    client.force_login(cast.staff_a)

    assert client.get(page(cast.branch_a)).status_code in (403, 404)


def test_the_list_is_searched_and_paged_with_the_same_queries_for_any_size(
    client: Any, cast: Any, django_assert_max_num_queries: Any
) -> None:
    CompanyFactory.create_batch(60, branch=cast.branch_a)
    client.force_login(cast.staff_a)

    with django_assert_max_num_queries(14):
        content = client.get(page(cast.branch_a)).content.decode()
    assert "61 entreprises" in content and "Page 1 sur 2" in content
    assert cast.company_b.name not in content

    content = client.get(page(cast.branch_a), {"q": "alpha"}).content.decode()
    assert cast.company_a.name in content and "Entreprise 1" not in content


def test_staff_register_a_company_and_the_trail_says_so(client: Any, cast: Any) -> None:
    client.force_login(cast.staff_a)

    response = client.post(register(cast.branch_a), data())

    assert response.status_code == 302
    company = Company.objects.get(name="Logistique du Rhône")
    assert company.branch == cast.branch_a and company.city == "Vénissieux"
    assert AuditEvent.objects.get(action="company.registered").actor == cast.staff_a


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"company-siret": "12345678901234"}, "SIRET"),
        ({"company-name": ""}, "Ce champ est obligatoire"),
    ],
)
def test_a_refused_company_says_why_and_keeps_the_input(
    client: Any, cast: Any, overrides: dict[str, str], message: str
) -> None:
    client.force_login(cast.staff_a)

    response = client.post(register(cast.branch_a), data(**overrides))

    assert response.status_code == 200
    assert message in response.content.decode()
    assert 'value="Vénissieux"' in response.content.decode()
    assert not AuditEvent.objects.filter(action="company.registered").exists()


def test_a_siret_already_registered_is_refused(client: Any, cast: Any) -> None:
    client.force_login(cast.staff_a)

    response = client.post(register(cast.branch_a), data(**{"company-siret": cast.company_b.siret}))

    assert "déjà enregistrée avec ce SIRET" in response.content.decode()
    assert Company.objects.filter(siret=cast.company_b.siret).count() == 1


def test_the_admin_shows_companies_but_registers_none(client: Any, cast: Any) -> None:
    client.force_login(cast.admin)

    assert client.get(reverse("admin:branches_company_changelist")).status_code == 200
    assert client.get(reverse("admin:branches_company_add")).status_code == 403
