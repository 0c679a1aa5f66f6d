"""The layout every page shares (templates/base.html): its navigation is rendered once per set
of roles, section and language, and never shows one person's links to another."""

from __future__ import annotations

from typing import Any

import pytest
from django.core.cache import caches
from django.core.cache.utils import make_template_fragment_key
from django.urls import reverse

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def empty_fragments() -> Any:
    caches["fragments"].clear()
    yield
    caches["fragments"].clear()


def nav_of(client: Any, user: Any, url: str, **extra: Any) -> str:
    client.force_login(user)
    body = client.get(url, **extra).content.decode()
    return body[body.index('<nav class="site-nav"') : body.index("</nav>")]


def kept_navigation(client: Any, user: Any, url: str) -> str | None:
    """The navigation fragment the layout keeps for this person's page (None: not kept), under
    the key the `{% cache %}` tag of templates/base.html makes."""
    client.force_login(user)
    context = client.get(url).context
    section = context.get("section", "")
    vary_on = [context["roles"].menu_key, section, context["LANGUAGE_CODE"]]
    return caches["fragments"].get(make_template_fragment_key("nav", vary_on))


def test_each_set_of_roles_gets_its_own_navigation_from_the_shared_fragments(
    client: Any, cast: Any
) -> None:
    url = reverse("accounts:account")
    staff = nav_of(client, cast.staff_a, url)
    evaluator = nav_of(client, cast.evaluator, url)
    staff_again = nav_of(client, cast.staff_b, url)

    assert reverse("candidates:dossier_list") in staff
    assert reverse("candidates:dossier_list") not in evaluator
    assert reverse("evaluations:sheet_list") in evaluator
    assert reverse("admin:index") not in staff and reverse("admin:index") in nav_of(
        client, cast.admin, url
    )
    assert staff_again == staff  # another branch's staff: the same links, from the cache
    kept_staff = kept_navigation(client, cast.staff_b, url)
    kept_evaluator = kept_navigation(client, cast.evaluator, url)
    assert kept_staff and kept_evaluator and kept_staff != kept_evaluator
    assert reverse("evaluations:sheet_list") in kept_evaluator


def test_the_navigation_marks_the_page_s_section_and_speaks_its_language(
    client: Any, cast: Any
) -> None:
    dossiers = nav_of(client, cast.staff_a, reverse("candidates:dossier_list"))
    account = nav_of(client, cast.staff_a, reverse("accounts:account"))
    english = nav_of(
        client, cast.staff_a, reverse("accounts:account"), headers={"accept-language": "en"}
    )

    current = f'href="{reverse("candidates:dossier_list")}" aria-current="page"'
    assert current in dossiers and current not in account
    assert "Tableau de bord" in account and "Tableau de bord" not in english
    assert "Dashboard" in english


def test_the_language_choice_selects_the_current_language(client: Any, cast: Any) -> None:
    client.force_login(cast.staff_a)
    french = client.get(reverse("accounts:account")).content.decode()
    english = client.get(
        reverse("accounts:account"), headers={"accept-language": "en"}
    ).content.decode()

    assert '<option value="fr" lang="fr" selected>' in french
    assert '<option value="en" lang="en" selected>' in english
    assert '<option value="fr" lang="fr" selected>' not in english
