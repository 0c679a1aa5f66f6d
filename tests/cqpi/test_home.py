"""The home page sends each person to their own space."""

from typing import Any

import pytest
from django.urls import reverse

pytestmark = pytest.mark.django_db


def test_anonymous_visitors_are_sent_to_the_login_page(client: Any) -> None:
    response = client.get(reverse("home"))

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("accounts:login"))


@pytest.mark.parametrize(
    ("person", "target"),
    [
        ("staff_a", "candidates:dashboard"),
        ("admin", "candidates:dashboard"),
        ("evaluator", "evaluations:sheet_list"),
        ("referent_a", "evaluations:sheet_list"),
        ("jury_employer", "evaluations:session_list"),
    ],
)
def test_each_role_lands_on_its_space(client: Any, cast: Any, person: str, target: str) -> None:
    client.force_login(getattr(cast, person))

    response = client.get(reverse("home"))

    assert response.status_code == 302
    assert response["Location"] == reverse(target)


def test_a_candidate_lands_on_the_candidate_space(client: Any, cast: Any) -> None:
    client.force_login(cast.candidate_user)

    response = client.get(reverse("home"))

    assert response.status_code == 302
    assert response["Location"] == reverse("space:home")


def test_a_coc_observer_lands_on_the_national_figures(client: Any, cast: Any) -> None:
    client.force_login(cast.coc_observer)

    response = client.get(reverse("home"))

    assert response.status_code == 302
    assert response["Location"] == reverse("figures:dashboard")


def test_every_page_links_the_account_page_and_names_its_icon(client: Any, cast: Any) -> None:
    client.force_login(cast.evaluator)

    html = client.get(reverse("evaluations:sheet_list")).content.decode()

    assert f'href="{reverse("accounts:account")}"' in html
    assert 'rel="icon"' in html and "favicon.svg" in html


def test_a_person_without_a_role_gets_a_page_saying_so(client: Any, cast: Any) -> None:
    client.force_login(cast.outsider)

    response = client.get(reverse("home"))

    assert response.status_code == 200
    assert "Aucun espace" in response.content.decode()
