"""The search endpoints behind the dossier opening form's candidate and company fields."""

from __future__ import annotations

from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from branches.models import Membership
from tests.factories import CandidateFactory, CompanyFactory

pytestmark = pytest.mark.django_db

CANDIDATES = reverse("candidates:candidate_choices")
COMPANIES = reverse("candidates:company_choices")


def test_anonymous_visitors_are_sent_to_login(client: Any) -> None:
    for url in (CANDIDATES, COMPANIES):
        response = client.get(url, {"q": "du"})
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("accounts:login"))


@pytest.mark.parametrize("person", ["evaluator", "candidate_user", "jury_employer", "referent_a"])
def test_people_who_do_not_run_a_branch_are_refused(client: Any, cast: Any, person: str) -> None:
    client.force_login(getattr(cast, person))

    assert client.get(CANDIDATES, {"q": "du"}).status_code == 403
    assert client.get(COMPANIES, {"q": "al"}).status_code == 403


def test_a_revoked_membership_closes_them(client: Any, cast: Any) -> None:
    Membership.objects.filter(user=cast.staff_a).update(is_active=False)
    client.force_login(cast.staff_a)

    assert client.get(CANDIDATES, {"q": "du"}).status_code == 403
    assert client.get(COMPANIES, {"q": "al"}).status_code == 403


def test_staff_find_their_branch_candidates_by_every_word_of_a_name(client: Any, cast: Any) -> None:
    CandidateFactory.create(branch=cast.branch_a, last_name="Dupont", first_name="Jean")
    client.force_login(cast.staff_a)

    content = client.get(CANDIDATES, {"q": "du"}).content.decode()
    assert f'<option value="{cast.candidate.pk}">DURAND Léa' in content
    assert "DUPONT Jean" in content
    assert "PETIT" not in content
    assert content.startswith('<option value="">— Nouveau candidat —</option>')

    content = client.get(CANDIDATES, {"q": "dur lé"}).content.decode()
    assert "DURAND Léa" in content
    assert "DUPONT" not in content


def test_another_branch_candidates_and_companies_are_never_offered(client: Any, cast: Any) -> None:
    CandidateFactory.create(branch=cast.branch_b, last_name="Durandal", first_name="Roland")
    client.force_login(cast.staff_a)

    assert "DURANDAL" not in client.get(CANDIDATES, {"q": "dur"}).content.decode()
    content = client.get(COMPANIES, {"q": "services"}).content.decode()
    assert "Bêta Services" not in content
    assert "Aucun résultat pour « services »" in content


def test_companies_are_found_by_part_of_the_name_or_the_start_of_the_siret(
    client: Any, cast: Any
) -> None:
    client.force_login(cast.staff_a)

    assert "Alpha Industries" in client.get(COMPANIES, {"q": "indus"}).content.decode()
    siret = cast.company_a.siret
    assert "Alpha Industries" in client.get(COMPANIES, {"q": siret[:9]}).content.decode()


def test_a_query_shorter_than_two_letters_offers_only_the_empty_choice(
    client: Any, cast: Any
) -> None:
    client.force_login(cast.staff_a)

    content = client.get(CANDIDATES, {"q": "d"}).content.decode()

    assert content.strip() == '<option value="">— Nouveau candidat —</option>'


def test_the_matches_are_capped_and_cost_the_same_queries_for_3_and_for_30(
    client: Any, cast: Any
) -> None:
    client.force_login(cast.staff_a)
    counts = []
    for created in (3, 27):
        CompanyFactory.create_batch(created, branch=cast.branch_a)
        with CaptureQueriesContext(connection) as queries:
            content = client.get(COMPANIES, {"q": "entreprise"}).content.decode()
        counts.append(len(queries))

    assert counts[0] == counts[1]
    # The empty choice, the first 20 matches and the count.
    assert content.count("<option") == 1 + 20 + 1
    assert "Les 20 premiers résultats : précisez la recherche" in content
    assert "1 résultat</option>" in client.get(COMPANIES, {"q": "alpha"}).content.decode()
