"""CPNE staff run their branch's evaluators in a browser: they habilitate an evaluator,
declare a conflict of interest with a company, and no longer see that evaluator offered for
the company's dossiers (while they are for a dossier without the company); they suspend the
habilitation (offered for nothing) and lift it (offered again)."""

from __future__ import annotations

import datetime
from typing import Any

import pytest
from django.urls import reverse
from django.utils import timezone
from playwright.sync_api import Page, expect

from audit.models import AuditEvent
from branches.models import ConflictOfInterest, EvaluatorHabilitation
from candidates import services as dossier_services
from tests.factories import UserFactory
from tests.workflow import open_dossier

pytestmark = [pytest.mark.browser, pytest.mark.slow]


def click_and_wait(page: Page, locator: Any) -> None:
    with page.expect_navigation():
        locator.click()


def in_evaluation(cast: Any, *, company: Any) -> Any:
    dossier = open_dossier(cast)
    if company is None:
        dossier.company = None
        dossier.save(update_fields=["company"])
    dossier_services.dossier_start_positioning(dossier=dossier, by=cast.staff_a)
    return dossier_services.dossier_start_evaluation(dossier=dossier, by=cast.staff_a)


def offered(page: Page, live_server: Any, dossier: Any) -> list[str]:
    page.goto(live_server.url + reverse("evaluations:evaluation_assign", args=[dossier.pk]))
    return page.get_by_label("Évaluateur externe habilité").locator("option").all_inner_texts()


def test_staff_habilitate_an_evaluator_declare_a_conflict_and_see_it_applied(
    live_cast: Any, live_server: Any, page: Page, log_in: Any, screenshot: Any
) -> None:
    cast = live_cast
    theo = UserFactory.create(
        email="theo.controleur@example.test", first_name="Théo", last_name="Contrôleur"
    )
    with_company = in_evaluation(cast, company=cast.company_a)
    without_company = in_evaluation(cast, company=None)
    theo_label = f"Théo Contrôleur <{theo.email}>"

    log_in(page, cast.staff_a)
    click_and_wait(page, page.get_by_role("link", name="Tableau de bord"))
    click_and_wait(page, page.get_by_role("link", name="Évaluateurs"))

    # --- Habilitate Théo for the branch's CQPI, for two years ------------------------
    form = page.locator("form", has=page.get_by_role("button", name="Habiliter"))
    form.get_by_label("Adresse e-mail de l'évaluateur").fill(theo.email)
    form.get_by_label("CQPI").select_option(label=cast.referentiel.title)
    today = timezone.localdate()
    form.get_by_label("Valable du").fill(today.isoformat())
    form.get_by_label("Valable jusqu'au").fill((today + datetime.timedelta(days=730)).isoformat())
    click_and_wait(page, form.get_by_role("button", name="Habiliter"))
    expect(page.get_by_text("L'habilitation est enregistrée.")).to_be_visible()
    assert EvaluatorHabilitation.objects.filter(evaluator=theo, branch=cast.branch_a).exists()
    assert theo_label in offered(page, live_server, with_company)

    # --- Declare his conflict with Alpha Industries ----------------------------------
    page.goto(
        live_server.url + reverse("administration:branch_evaluators", args=[cast.branch_a.pk])
    )
    form = page.locator("form", has=page.get_by_role("button", name="Déclarer le conflit"))
    form.get_by_label("Évaluateur", exact=True).select_option(label=str(theo))
    companies = form.get_by_label("Entreprise", exact=True)
    form.get_by_label("Rechercher une entreprise").press_sequentially("alph")
    expect(companies.locator("option", has_text=cast.company_a.name)).to_have_count(1)
    companies.select_option(label=cast.company_a.name)
    form.get_by_label("CQPI").select_option(label=cast.referentiel.title)
    form.get_by_label("Motif").fill("A formé l'équipe logistique de l'entreprise")
    screenshot(page, "01-declare-conflict")
    click_and_wait(page, form.get_by_role("button", name="Déclarer le conflit"))
    expect(page.get_by_text("Le conflit d'intérêts est déclaré.")).to_be_visible()
    expect(page.get_by_role("cell", name="A formé l'équipe logistique")).to_be_visible()
    assert ConflictOfInterest.objects.filter(evaluator=theo, company=cast.company_a).exists()

    # --- Théo is no longer offered for Alpha's dossier; still for the other ---------
    assert theo_label not in offered(page, live_server, with_company)
    assert theo_label in offered(page, live_server, without_company)

    # --- Suspended: offered for nothing; lifted: offered again -----------------------
    evaluators_page = reverse("administration:branch_evaluators", args=[cast.branch_a.pk])
    page.goto(live_server.url + evaluators_page)
    row = (
        page.get_by_role("row")
        .filter(has_text="Théo Contrôleur")
        .filter(has=page.get_by_role("button", name="Suspendre"))
    )
    row.get_by_label("Motif de la suspension").fill("Plainte d'un candidat en cours d'examen")
    click_and_wait(page, row.get_by_role("button", name="Suspendre"))
    expect(page.get_by_text("L'habilitation est suspendue")).to_be_visible()
    expect(page.get_by_text("Plainte d'un candidat en cours d'examen")).to_be_visible()
    assert theo_label not in offered(page, live_server, without_company)

    page.goto(live_server.url + evaluators_page)
    row = (
        page.get_by_role("row")
        .filter(has_text="Théo Contrôleur")
        .filter(has=page.get_by_role("button", name="Lever la suspension"))
    )
    click_and_wait(page, row.get_by_role("button", name="Lever la suspension"))
    expect(page.get_by_text("La suspension est levée.")).to_be_visible()
    assert theo_label in offered(page, live_server, without_company)
    assert set(AuditEvent.objects.filter(actor=cast.staff_a).values_list("action", flat=True)) >= {
        "habilitation.granted",
        "conflict.declared",
        "habilitation.suspended",
        "habilitation.suspension_lifted",
    }
