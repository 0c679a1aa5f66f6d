"""The branch staff's dossier pages: who may reach them, what they show, what they change."""

from __future__ import annotations

import html
import re
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from candidates import services
from candidates.models import AccessRoute, Candidate, Dossier, DossierStatus
from tests import workflow
from tests.factories import CandidateFactory, DossierFactory, build_referentiel

pytestmark = pytest.mark.django_db

LOGIN = reverse("accounts:login")


def assert_redirects_to_login(response: Any) -> None:
    assert response.status_code == 302
    assert response["Location"].startswith(LOGIN)


def make_dossiers(cast: Any, n: int) -> list[Dossier]:
    dossiers: list[Dossier] = []
    for _ in range(n):
        dossier: Dossier = DossierFactory.create(
            candidate=CandidateFactory.create(branch=cast.branch_a),
            version=cast.version,
            company=cast.company_a,
        )
        dossiers.append(dossier)
    return dossiers


def last_comment(dossier: Dossier) -> str:
    return list(dossier.history.values_list("comment", flat=True))[-1]


# --- The list -------------------------------------------------------------------


def test_the_list_sends_anonymous_visitors_to_login(client: Any) -> None:
    assert_redirects_to_login(client.get(reverse("candidates:dossier_list")))


@pytest.mark.parametrize("person", ["evaluator", "candidate_user", "jury_employer", "outsider"])
def test_the_list_is_refused_to_people_who_do_not_run_a_branch(
    client: Any, cast: Any, person: str
) -> None:
    client.force_login(getattr(cast, person))

    assert client.get(reverse("candidates:dossier_list")).status_code == 403


def test_the_list_shows_the_branch_dossiers_and_nothing_of_other_branches(
    client: Any, cast: Any
) -> None:
    mine = make_dossiers(cast, 2)
    theirs = DossierFactory.create(
        candidate=CandidateFactory.create(branch=cast.branch_b), version=cast.version
    )
    client.force_login(cast.staff_a)

    response = client.get(reverse("candidates:dossier_list"))

    assert response.status_code == 200
    content = response.content.decode()
    assert all(d.reference in content for d in mine)
    assert theirs.reference not in content


def test_the_list_searches_by_candidate_name_and_by_reference(client: Any, cast: Any) -> None:
    durand = DossierFactory.create(candidate=cast.candidate, version=cast.version)
    petit = DossierFactory.create(candidate=cast.other_candidate, version=cast.version)
    client.force_login(cast.staff_a)
    url = reverse("candidates:dossier_list")

    by_name = client.get(url, {"q": "durand"}).content.decode()
    by_reference = client.get(url, {"q": petit.reference}).content.decode()

    assert durand.reference in by_name and petit.reference not in by_name
    assert petit.reference in by_reference and durand.reference not in by_reference


def test_the_list_searches_by_certificate_number_company_and_every_word_of_a_name(
    client: Any, cast: Any
) -> None:
    decision = workflow.award(cast)
    awarded, certificate = decision.dossier, decision.certificates.get()
    at_alpha = DossierFactory.create(
        candidate=cast.other_candidate, version=cast.version, company=cast.company_a
    )
    elsewhere = DossierFactory.create(
        candidate=CandidateFactory.create(branch=cast.branch_b, last_name=cast.candidate.last_name),
        version=cast.version,
    )
    client.force_login(cast.staff_a)
    url = reverse("candidates:dossier_list")

    def found(query: str) -> set[str]:
        page = client.get(url, {"q": query}).context["page"]
        return {dossier["reference"] for dossier in page.object_list}

    assert found(certificate.number.lower()) == {awarded.reference}
    assert at_alpha.reference in found("industries")
    assert found("industries zzz") == set()
    first, last = cast.candidate.first_name, cast.candidate.last_name
    assert found(f"{last[:3]} {first[:2]}") == found(f"{first} {last}") == {awarded.reference}
    assert found(f"{last} Zzz") == set()
    # Another branch's dossier with the same name stays out of the results.
    assert elsewhere.reference not in found(last)


def test_the_list_filters_by_status_and_by_cqpi(client: Any, cast: Any) -> None:
    other_cqpi, other_version = build_referentiel(
        branches=[cast.branch_a], title="Opérateur qualité"
    )
    open_one = DossierFactory.create(candidate=cast.candidate, version=cast.version)
    evaluated = DossierFactory.create(
        candidate=cast.other_candidate, version=cast.version, status=DossierStatus.EVALUATION
    )
    quality = DossierFactory.create(
        candidate=CandidateFactory.create(branch=cast.branch_a), version=other_version
    )
    client.force_login(cast.staff_a)
    url = reverse("candidates:dossier_list")

    by_status = client.get(url, {"status": DossierStatus.EVALUATION}).content.decode()
    by_cqpi = client.get(url, {"cqpi": other_cqpi.pk}).content.decode()

    assert evaluated.reference in by_status
    assert open_one.reference not in by_status and quality.reference not in by_status
    assert quality.reference in by_cqpi
    assert open_one.reference not in by_cqpi and evaluated.reference not in by_cqpi


def test_the_list_pages_by_fifty(client: Any, cast: Any) -> None:
    make_dossiers(cast, 51)
    client.force_login(cast.staff_a)

    first = client.get(reverse("candidates:dossier_list"))
    second = client.get(reverse("candidates:dossier_list"), {"page": 2})

    assert len(first.context["page"].object_list) == 50
    assert len(second.context["page"].object_list) == 1


def link(body: str, rel: str) -> str:
    found = re.search(rf'<a href="([^"]*)" rel="{rel}">', body)
    assert found, f"no {rel} link"
    return html.unescape(found.group(1))


def test_the_list_pages_continue_from_a_row_and_come_back_to_the_plain_first_page(
    client: Any, cast: Any
) -> None:
    make_dossiers(cast, 120)
    client.force_login(cast.staff_a)
    url = reverse("candidates:dossier_list")
    expected = list(
        Dossier.objects.filter(branch=cast.branch_a)
        .order_by("-opened_on", "-pk")
        .values_list("pk", flat=True)
    )

    first = client.get(url, {"status": "opened"})
    second = client.get(url + link(first.content.decode(), "next"))
    third = client.get(url + link(second.content.decode(), "next"))
    back = client.get(url + link(third.content.decode(), "prev"))
    start = link(back.content.decode(), "prev")

    assert link(first.content.decode(), "next") == f"?status=opened&page=2&after={expected[49]}"
    assert [row["pk"] for row in third.context["rows"]] == expected[100:]
    assert "Page 3 sur 3" in third.content.decode() and 'rel="next"' not in third.content.decode()
    assert [row["pk"] for row in back.context["rows"]] == expected[50:100]
    assert start == "?status=opened&page=1"


def test_a_long_list_says_more_than_its_counted_limit_and_pages_on(
    client: Any, cast: Any, monkeypatch: Any
) -> None:
    from core.pagination import KeysetPaginator

    monkeypatch.setattr(KeysetPaginator, "count_limit", 60)
    make_dossiers(cast, 101)
    client.force_login(cast.staff_a)

    response = client.get(reverse("candidates:dossier_list"))
    body = response.content.decode()

    assert "Plus de 60 dossiers" in body and "101 dossiers" not in body
    assert "Page 1</span>" in body and " sur " not in body.split('class="pagination"')[1]
    last = client.get(
        reverse("candidates:dossier_list")
        + link(
            client.get(reverse("candidates:dossier_list") + link(body, "next")).content.decode(),
            "next",
        )
    )
    assert len(last.context["rows"]) == 1 and 'rel="next"' not in last.content.decode()


def test_a_cursor_of_another_branch_reveals_nothing_of_it(client: Any, cast: Any) -> None:
    mine = make_dossiers(cast, 60)
    theirs = DossierFactory.create(
        candidate=CandidateFactory.create(branch=cast.branch_b), version=cast.version
    )
    client.force_login(cast.staff_a)

    response = client.get(reverse("candidates:dossier_list"), {"page": 2, "after": theirs.pk})

    shown = {row["pk"] for row in response.context["rows"]}
    assert len(shown) == 10 and shown <= {d.pk for d in mine}  # page 2 by its number
    assert theirs.reference not in response.content.decode()


def test_the_list_costs_the_same_queries_for_3_and_for_30_dossiers(
    client: Any, cast: Any, django_assert_num_queries: Any
) -> None:
    client.force_login(cast.staff_a)
    url = reverse("candidates:dossier_list")
    make_dossiers(cast, 3)
    with CaptureQueriesContext(connection) as three:
        response = client.get(url)
    assert response.content.decode().count('class="nowrap"') == 3

    make_dossiers(cast, 27)
    with django_assert_num_queries(len(three)):
        response = client.get(url)

    assert response.content.decode().count('class="nowrap"') == 30


# --- Opening a dossier ------------------------------------------------------------


def open_form_data(cast: Any, **overrides: Any) -> dict[str, Any]:
    data = {
        "branch": cast.branch_a.pk,
        "existing_candidate": "",
        "last_name": "Nouveau",
        "first_name": "Camille",
        "birth_date": "1990-04-12",
        "birth_place": "Nantes",
        "email": "camille.nouveau@example.test",
        "version": cast.version.pk,
        "company": cast.company_a.pk,
        "access_route": AccessRoute.CONTINUING,
        "first_certification": "on",
    }
    data.update(overrides)
    return data


def test_opening_sends_anonymous_visitors_to_login(client: Any) -> None:
    assert_redirects_to_login(client.get(reverse("candidates:dossier_open")))


@pytest.mark.parametrize("person", ["evaluator", "candidate_user", "jury_employer"])
def test_opening_is_refused_to_people_who_do_not_run_a_branch(
    client: Any, cast: Any, person: str
) -> None:
    client.force_login(getattr(cast, person))

    assert client.get(reverse("candidates:dossier_open")).status_code == 403
    assert client.post(reverse("candidates:dossier_open"), open_form_data(cast)).status_code == 403
    assert not Dossier.objects.exists()


def test_the_opening_form_carries_no_list_of_candidates_or_companies(
    client: Any, cast: Any
) -> None:
    """The branch's candidates and companies are searched (candidates:candidate_choices),
    never written whole into the page."""
    client.force_login(cast.staff_a)

    content = client.get(reverse("candidates:dossier_open")).content.decode()

    assert cast.company_a.name not in content
    assert "DURAND" not in content
    assert reverse("candidates:candidate_choices") in content
    assert reverse("candidates:company_choices") in content
    assert "vendor/htmx/htmx.min.js" in content


def test_a_refused_form_keeps_the_chosen_candidate_and_company(client: Any, cast: Any) -> None:
    client.force_login(cast.staff_a)

    content = client.post(
        reverse("candidates:dossier_open"),
        open_form_data(cast, existing_candidate=cast.candidate.pk, version=""),
    ).content.decode()

    assert f'<option value="{cast.candidate.pk}" selected>DURAND Léa' in content
    assert f'<option value="{cast.company_a.pk}" selected>Alpha Industries</option>' in content
    assert "PETIT" not in content


def test_staff_register_a_candidate_and_open_a_dossier(client: Any, cast: Any) -> None:
    client.force_login(cast.staff_a)

    response = client.post(reverse("candidates:dossier_open"), open_form_data(cast))

    dossier = Dossier.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("candidates:dossier_detail", args=[dossier.pk])
    assert dossier.candidate.last_name == "Nouveau"
    assert dossier.company == cast.company_a
    assert dossier.first_certification is True
    assert dossier.status == DossierStatus.OPEN


def test_staff_open_a_dossier_for_an_existing_candidate(client: Any, cast: Any) -> None:
    client.force_login(cast.staff_a)
    candidates_before = Candidate.objects.count()

    client.post(
        reverse("candidates:dossier_open"),
        open_form_data(cast, existing_candidate=cast.candidate.pk, last_name="", first_name=""),
    )

    assert Dossier.objects.get().candidate == cast.candidate
    assert Candidate.objects.count() == candidates_before


def test_a_missing_identity_is_a_form_error_that_keeps_the_input(client: Any, cast: Any) -> None:
    client.force_login(cast.staff_a)

    response = client.post(reverse("candidates:dossier_open"), open_form_data(cast, birth_place=""))

    assert response.status_code == 200
    assert response.context["form"].errors["birth_place"]
    assert 'value="Nouveau"' in response.content.decode()
    assert not Dossier.objects.exists()


def test_a_company_of_another_branch_is_a_form_error_never_used(client: Any, cast: Any) -> None:
    client.force_login(cast.staff_a)

    response = client.post(
        reverse("candidates:dossier_open"), open_form_data(cast, company=cast.company_b.pk)
    )

    assert response.status_code == 200
    assert response.context["form"].errors["company"]
    assert not Dossier.objects.exists()


def test_a_candidate_of_another_branch_is_a_form_error_never_used(client: Any, cast: Any) -> None:
    client.force_login(cast.staff_b)

    response = client.post(
        reverse("candidates:dossier_open"),
        open_form_data(cast, branch=cast.branch_b.pk, existing_candidate=cast.candidate.pk),
    )

    assert response.status_code == 200
    assert response.context["form"].errors["existing_candidate"]
    assert not Dossier.objects.exists()


def test_a_refusal_of_the_service_is_shown_with_the_input_kept(client: Any, cast: Any) -> None:
    client.force_login(cast.staff_a)
    data = open_form_data(
        cast,
        last_name=cast.candidate.last_name,
        first_name=cast.candidate.first_name,
        birth_date=cast.candidate.birth_date.isoformat(),
    )

    response = client.post(reverse("candidates:dossier_open"), data)

    content = response.content.decode()
    assert response.status_code == 200
    assert "existe déjà" in content
    assert 'value="Nantes"' in content
    assert not Dossier.objects.exists()


# --- The dossier page and its transitions ----------------------------------------

OBJECT_URLS = [
    ("candidates:dossier_detail", "get"),
    ("candidates:dossier_admissibility", "post"),
    ("candidates:dossier_start_positioning", "post"),
    ("candidates:dossier_start_evaluation", "post"),
    ("candidates:dossier_withdraw", "post"),
]


@pytest.mark.parametrize(("name", "method"), OBJECT_URLS)
def test_dossier_pages_send_anonymous_visitors_to_login(
    client: Any, cast: Any, name: str, method: str
) -> None:
    dossier = workflow.open_dossier(cast)

    assert_redirects_to_login(getattr(client, method)(reverse(name, args=[dossier.pk])))


@pytest.mark.parametrize(("name", "method"), OBJECT_URLS)
def test_dossier_pages_are_not_found_for_staff_of_another_branch(
    client: Any, cast: Any, name: str, method: str
) -> None:
    dossier = workflow.open_dossier(cast)
    client.force_login(cast.staff_b)

    response = getattr(client, method)(reverse(name, args=[dossier.pk]))

    assert response.status_code == 404
    dossier.refresh_from_db()
    assert dossier.status == DossierStatus.OPEN


@pytest.mark.parametrize(("name", "method"), OBJECT_URLS)
def test_dossier_pages_are_forbidden_to_the_candidate_who_sees_the_dossier(
    client: Any, cast: Any, name: str, method: str
) -> None:
    dossier = workflow.open_dossier(cast)
    client.force_login(cast.candidate_user)

    response = getattr(client, method)(reverse(name, args=[dossier.pk]))

    assert response.status_code == 403
    dossier.refresh_from_db()
    assert dossier.status == DossierStatus.OPEN


def test_the_dossier_page_shows_identity_cqpi_and_the_history(client: Any, cast: Any) -> None:
    dossier = workflow.open_dossier(cast)
    services.dossier_start_positioning(
        dossier=dossier, by=cast.staff_a, comment="Questionnaire reçu"
    )
    client.force_login(cast.staff_a)

    response = client.get(reverse("candidates:dossier_detail", args=[dossier.pk]))

    content = response.content.decode()
    assert response.status_code == 200
    assert "Léa DURAND" in content
    assert cast.referentiel.title in content
    assert "Questionnaire reçu" in content
    assert "Ouvert → <strong>Positionnement</strong>" in content


def test_the_dossier_page_offers_only_the_transitions_allowed_now(client: Any, cast: Any) -> None:
    dossier = workflow.open_dossier(cast)
    client.force_login(cast.staff_a)

    content = client.get(reverse("candidates:dossier_detail", args=[dossier.pk])).content.decode()

    assert reverse("candidates:dossier_start_positioning", args=[dossier.pk]) in content
    assert reverse("candidates:dossier_admissibility", args=[dossier.pk]) not in content
    assert reverse("evaluations:evaluation_assign", args=[dossier.pk]) not in content


def test_the_dossier_page_lists_evaluations_decisions_and_certificates(
    client: Any, cast: Any
) -> None:
    decision = workflow.award(cast)
    certificate = decision.certificates.get()
    client.force_login(cast.staff_a)

    response = client.get(reverse("candidates:dossier_detail", args=[decision.dossier_id]))

    content = response.content.decode()
    assert "Évaluation finale" in content
    assert "Délivrance totale" in content
    assert certificate.number in content


def test_staff_start_the_positioning(client: Any, cast: Any) -> None:
    dossier = workflow.open_dossier(cast)
    client.force_login(cast.staff_a)

    response = client.post(
        reverse("candidates:dossier_start_positioning", args=[dossier.pk]),
        {"positioning-comment": "Rendez-vous pris"},
    )

    assert response.status_code == 302
    dossier.refresh_from_db()
    assert dossier.status == DossierStatus.POSITIONING
    assert last_comment(dossier) == "Rendez-vous pris"


def test_staff_start_the_evaluation(client: Any, cast: Any) -> None:
    dossier = workflow.open_dossier(cast)
    client.force_login(cast.staff_a)
    client.post(reverse("candidates:dossier_start_positioning", args=[dossier.pk]))

    response = client.post(reverse("candidates:dossier_start_evaluation", args=[dossier.pk]))

    assert response.status_code == 302
    dossier.refresh_from_db()
    assert dossier.status == DossierStatus.EVALUATION


def test_a_transition_refused_by_the_service_shows_its_message(client: Any, cast: Any) -> None:
    dossier = workflow.open_dossier(cast)
    client.force_login(cast.staff_a)

    response = client.post(
        reverse("candidates:dossier_admissibility", args=[dossier.pk]),
        {"admissibility-admissible": "yes"},
    )

    assert response.status_code == 200
    assert "Seuls les dossiers de VAE" in response.content.decode()
    dossier.refresh_from_db()
    assert dossier.status == DossierStatus.OPEN


def test_staff_rule_a_vae_dossier_admissible(client: Any, cast: Any) -> None:
    dossier = workflow.open_dossier(cast, route=AccessRoute.VAE)
    client.force_login(cast.staff_a)

    response = client.post(
        reverse("candidates:dossier_admissibility", args=[dossier.pk]),
        {"admissibility-admissible": "yes"},
    )

    assert response.status_code == 302
    dossier.refresh_from_db()
    assert dossier.status == DossierStatus.ADMISSIBLE


def test_inadmissibility_without_a_reason_is_refused_and_keeps_the_choice(
    client: Any, cast: Any
) -> None:
    dossier = workflow.open_dossier(cast, route=AccessRoute.VAE)
    client.force_login(cast.staff_a)

    response = client.post(
        reverse("candidates:dossier_admissibility", args=[dossier.pk]),
        {"admissibility-admissible": "no", "admissibility-comment": "  "},
    )

    content = response.content.decode()
    assert response.status_code == 200
    assert "Indiquez le motif de non-recevabilité" in content
    assert 'value="no" required id="id_admissibility-admissible_1" checked' in content
    dossier.refresh_from_db()
    assert dossier.status == DossierStatus.OPEN


def test_staff_withdraw_a_dossier_with_a_reason(client: Any, cast: Any) -> None:
    dossier = workflow.open_dossier(cast)
    client.force_login(cast.staff_a)

    response = client.post(
        reverse("candidates:dossier_withdraw", args=[dossier.pk]),
        {"withdraw-comment": "Départ de l'entreprise"},
    )

    assert response.status_code == 302
    dossier.refresh_from_db()
    assert dossier.status == DossierStatus.WITHDRAWN
    assert last_comment(dossier) == "Départ de l'entreprise"


def test_withdrawing_without_a_reason_is_a_form_error(client: Any, cast: Any) -> None:
    dossier = workflow.open_dossier(cast)
    client.force_login(cast.staff_a)

    response = client.post(reverse("candidates:dossier_withdraw", args=[dossier.pk]), {})

    assert response.status_code == 200
    assert response.context["withdraw_form"].errors["comment"]
    dossier.refresh_from_db()
    assert dossier.status == DossierStatus.OPEN


@pytest.mark.parametrize("name", [n for n, method in OBJECT_URLS if method == "post"])
def test_transitions_refuse_a_get(client: Any, cast: Any, name: str) -> None:
    dossier = workflow.open_dossier(cast)
    client.force_login(cast.staff_a)

    assert client.get(reverse(name, args=[dossier.pk])).status_code == 405
