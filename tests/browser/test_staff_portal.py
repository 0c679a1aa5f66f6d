"""A CPNE staff member of one branch walks their portal in a browser: the dashboard, a new
dossier and its binôme, a bulk import (refused, then accepted), and a jury session from its
refused opening to the revocation of one of the certificates it issued."""

from __future__ import annotations

import csv
import datetime
import io
import re
from typing import Any

import pytest
from django.urls import reverse
from django.utils import timezone, translation
from playwright.sync_api import FilePayload, Page, expect
from pypdf import PdfReader

from branches.models import EvaluatorHabilitation
from candidates import imports
from candidates.models import Candidate, Dossier, DossierStatus
from certifications.models import (
    Capacity,
    Certificate,
    CertificateStatus,
    RenderStatus,
)
from evaluations.models import Decision, EvaluationKind, JurySession, Outcome, SessionStatus
from tests.factories import CandidateFactory, UserFactory, declare_conflict, habilitate
from tests.workflow import ready_for_jury

pytestmark = [pytest.mark.browser, pytest.mark.slow]


def click_and_wait(page: Page, locator: Any) -> None:
    """Click something that submits or navigates, and wait for the next page."""
    with page.expect_navigation():
        locator.click()


def nav(page: Page) -> Any:
    return page.get_by_role("navigation", name="Navigation principale")


def download(page: Page, locator: Any) -> tuple[str, bytes]:
    with page.expect_download() as info:
        locator.click()
    return info.value.suggested_filename, info.value.path().read_bytes()


def pdf_text(data: bytes) -> str:
    return "".join(page.extract_text() for page in PdfReader(io.BytesIO(data)).pages)


def csv_bytes(rows: list[list[str]]) -> bytes:
    buffer = io.StringIO()
    csv.writer(buffer, delimiter=";").writerows(rows)
    return buffer.getvalue().encode("utf-8")


def upload(page: Page, name: str, data: bytes) -> None:
    page.get_by_label("Fichier CSV ou XLSX").set_input_files(
        files=FilePayload(name=name, mimeType="text/csv", buffer=data)
    )
    click_and_wait(page, page.get_by_role("button", name="Vérifier le fichier"))


def test_staff_opens_a_dossier_assigns_a_binome_and_imports_a_file(
    page: Page, live_server: Any, live_cast: Any, log_in: Any, screenshot: Any
) -> None:
    cast = live_cast
    today = timezone.localdate()
    # Three evaluators the form must not offer: habilitated by the other branch only,
    # habilitated here but no longer, habilitated here but in conflict with the company.
    other_branch_only = UserFactory.create(
        email="autre.branche@example.test", first_name="Olga", last_name="Ailleurs"
    )
    habilitate(other_branch_only, branch=cast.branch_b, referentiel=cast.referentiel)
    expired = UserFactory.create(email="expire@example.test", first_name="Paul", last_name="Périmé")
    EvaluatorHabilitation.objects.create(
        evaluator=expired,
        branch=cast.branch_a,
        referentiel=cast.referentiel,
        valid_from=today - datetime.timedelta(days=730),
        valid_until=today - datetime.timedelta(days=1),
    )
    conflicted = UserFactory.create(
        email="conflit@example.test", first_name="Claire", last_name="Conflit"
    )
    habilitate(conflicted, branch=cast.branch_a, referentiel=cast.referentiel)
    declare_conflict(conflicted, company=cast.company_a, referentiel=cast.referentiel)

    # --- A new candidate and their dossier, through the form ------------------------
    log_in(page, cast.staff_a)
    click_and_wait(page, nav(page).get_by_role("link", name="Tableau de bord"))
    click_and_wait(page, page.get_by_role("link", name="Ouvrir un dossier"))
    page.get_by_label("Nom", exact=True).fill("Bernard")
    page.get_by_label("Prénom", exact=True).fill("Inès")
    page.get_by_label("Date de naissance").fill("1992-05-12")
    page.get_by_label("Lieu de naissance").fill("Nantes")
    page.get_by_label("CQPI", exact=True).select_option(label="Agent logistique (version 1)")
    # The company is searched, not picked from the whole list (core.widgets.SearchSelect).
    companies = page.get_by_label("Entreprise", exact=True)
    expect(companies.locator("option")).to_have_count(1)
    page.get_by_label("Rechercher une entreprise").press_sequentially("alph")
    expect(companies.locator("option", has_text=cast.company_a.name)).to_have_count(1)
    companies.select_option(label=cast.company_a.name)
    page.get_by_label("Voie d'accès").select_option(label="Formation continue")
    click_and_wait(page, page.get_by_role("button", name="Ouvrir le dossier"))
    dossier = Dossier.objects.get(candidate__last_name="Bernard", candidate__first_name="Inès")
    assert dossier.branch == cast.branch_a and dossier.company == cast.company_a
    expect(page.get_by_text(f"Dossier {dossier.reference} ouvert")).to_be_visible()

    # --- The binôme: only the evaluators habilitated today, without conflict --------
    click_and_wait(page, page.get_by_role("button", name="Démarrer le positionnement"))
    click_and_wait(page, page.get_by_role("button", name="Passer en évaluation"))
    click_and_wait(page, page.get_by_role("link", name="Confier une évaluation"))
    evaluators = page.get_by_label("Évaluateur externe habilité").locator("option")
    expect(evaluators).to_have_text(
        ["— Choisir —", f"{cast.evaluator.get_full_name()} <{cast.evaluator.email}>"]
    )
    referent_label = f"{cast.referent_a.get_full_name()} <{cast.referent_a.email}>"
    page.get_by_label("Type d'évaluation").select_option(label="Évaluation finale")
    page.get_by_label("Évaluateur externe habilité").select_option(
        label=f"{cast.evaluator.get_full_name()} <{cast.evaluator.email}>"
    )
    page.get_by_label("Référent entreprise (binôme)").select_option(label=referent_label)
    screenshot(page, "01-assign-binome")
    click_and_wait(page, page.get_by_role("button", name="Confier l'évaluation"))
    expect(page.get_by_text("Évaluation confiée.")).to_be_visible()
    evaluation = dossier.evaluations.get()
    assert evaluation.kind == EvaluationKind.FINAL
    assert set(evaluation.sheets.values_list("evaluator_id", flat=True)) == {
        cast.evaluator.pk,
        cast.referent_a.pk,
    }

    # --- Bulk import: the template, a file with one bad row, then a good file -------
    click_and_wait(page, nav(page).get_by_role("link", name="Dossiers"))
    click_and_wait(page, page.get_by_role("link", name="Importer un fichier"))
    filename, template = download(
        page, page.get_by_role("link", name="Télécharger le modèle (CSV)")
    )
    assert filename == "modele-import-candidats.csv"
    header, example = csv.reader(io.StringIO(template.decode("utf-8-sig")), delimiter=";")
    # The template's headers are the French ones the dossier export writes.
    with translation.override("fr"):
        assert header == [imports.header(column) for column in imports.COLUMNS]
    columns = list(imports.COLUMNS)
    # The example row names a CQPI and a company of the staff's own branch.
    assert example[columns.index("cqpi_code")] == cast.referentiel.code
    assert example[columns.index("company_siret")] == cast.company_a.siret

    def row(last_name: str, first_name: str, born: str, **changes: str) -> list[str]:
        values = dict(zip(columns, example, strict=True))
        values |= {"last_name": last_name, "first_name": first_name, "birth_date": born}
        return [(values | changes)[column] for column in columns]

    good = [
        row("Moreau", "Jules", "02/02/1991"),
        row("Fournier", "Chloé", "03/03/1993", access_route="Pro-A"),
        row("Girard", "Nathan", "04/04/1994", email="", company_siret=""),
    ]
    bad_row = row("Lambert", "Zoé", "05/05/1995", cqpi_code="RNCP99999")
    candidates_before = Candidate.objects.count()
    upload(page, "candidats-erreur.csv", csv_bytes([header, good[0], bad_row, good[1]]))
    expect(page.get_by_role("heading", name="Lignes à corriger")).to_be_visible()
    errors = page.get_by_test_id("import-errors").locator("tbody tr")
    expect(errors).to_have_count(1)
    expect(errors.locator("td")).to_have_text(["3", "Zoé Lambert", "CQPI inconnu : « RNCP99999 »"])
    expect(page.get_by_text("Rien n'a été importé.")).to_be_visible()
    expect(page.get_by_role("button", name="Confirmer l'import")).to_have_count(0)
    screenshot(page, "02-import-preview-with-error")
    assert Candidate.objects.count() == candidates_before

    click_and_wait(page, page.get_by_role("link", name="Déposer un fichier corrigé"))
    upload(page, "candidats.csv", csv_bytes([header, *good]))
    expect(page.get_by_test_id("import-errors")).to_have_count(0)
    expect(
        page.get_by_text("Le fichier est correct : 3 candidats et leurs dossiers seront créés.")
    ).to_be_visible()
    screenshot(page, "03-import-preview-valid")
    click_and_wait(page, page.get_by_role("button", name="Confirmer l'import"))
    expect(
        page.get_by_text("3 candidat(s) et dossier(s) importé(s) dans la branche Branche Alpha.")
    ).to_be_visible()
    imported = {
        d.candidate.last_name: d
        for d in Dossier.objects.filter(
            candidate__last_name__in=["Moreau", "Fournier", "Girard"]
        ).select_related("candidate")
    }
    assert sorted(imported) == ["Fournier", "Girard", "Moreau"]
    assert {d.status for d in imported.values()} == {DossierStatus.OPEN}
    assert {d.branch_id for d in imported.values()} == {cast.branch_a.pk}
    assert imported["Moreau"].company_id == cast.company_a.pk
    assert imported["Girard"].company_id is None
    assert imported["Fournier"].access_route == "pro_a"
    assert not Candidate.objects.filter(last_name="Lambert").exists()
    for d in imported.values():
        expect(page.get_by_role("link", name=d.reference)).to_be_visible()
    screenshot(page, "04-dossiers-after-import")


def test_staff_runs_a_jury_session_to_a_revoked_certificate(
    page: Page, live_server: Any, live_cast: Any, log_in: Any, screenshot: Any
) -> None:
    cast = live_cast
    base = live_server.url
    third = CandidateFactory.create(branch=cast.branch_a, last_name="Martin", first_name="Hugo")
    awarded, partial, refused = (
        ready_for_jury(cast, candidate=candidate)
        for candidate in (cast.candidate, cast.other_candidate, third)
    )

    # --- The dashboard shows what waits on the CPNE ----------------------------------
    log_in(page, cast.staff_a)
    click_and_wait(page, nav(page).get_by_role("link", name="Tableau de bord"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Tableau de bord — Branche Alpha")
    expect(page.get_by_text("3 dossiers prêts à inscrire à un jury")).to_be_visible()
    expect(page.locator('[data-status="ready_for_jury"]')).to_have_text("3")
    screenshot(page, "01-dashboard")

    # --- A session, convoked with one collège only: it may not open --------------------
    click_and_wait(page, page.get_by_role("link", name="Planifier une session"))
    held_on = timezone.localtime().replace(second=0, microsecond=0)
    page.get_by_label("Date et heure").fill(f"{held_on:%Y-%m-%dT%H:%M}")
    page.get_by_label("Lieu").fill("Lyon, maison de la branche")
    click_and_wait(page, page.get_by_role("button", name="Créer la session"))
    session = JurySession.objects.get(branch=cast.branch_a)
    page.get_by_label("Membre de jury de la branche").select_option(
        label=f"{cast.jury_employer.get_full_name()} — Collège employeurs"
    )
    page.get_by_label("Fonction").select_option(label="Président")
    click_and_wait(page, page.get_by_role("button", name="Convoquer"))
    for dossier in (awarded, partial, refused):
        page.get_by_label("Rechercher un dossier prêt").fill(dossier.reference)
        click_and_wait(page, page.get_by_role("button", name="Rechercher", exact=True))
        row = page.locator("#dossiers-prets tbody tr")
        expect(row).to_have_count(1)
        expect(row).to_contain_text(dossier.candidate.full_name)
        click_and_wait(
            page,
            row.get_by_role(
                "button", name=f"Inscrire le dossier {dossier.reference} à l'ordre du jour"
            ),
        )
    missing = "Collège salariés : 0 membre(s) présent(s), 1 requis."
    click_and_wait(page, page.get_by_role("button", name="Ouvrir la session"))
    expect(page.get_by_role("alert")).to_have_text(f"La session ne peut pas s'ouvrir : {missing}")
    screenshot(page, "02-session-refused")
    session.refresh_from_db()
    assert session.status == SessionStatus.PLANNED

    page.get_by_label("Membre de jury de la branche").select_option(
        label=f"{cast.jury_employee.get_full_name()} — Collège salariés"
    )
    page.get_by_label("Fonction").select_option(label="Vice-président")
    click_and_wait(page, page.get_by_role("button", name="Convoquer"))
    expect(page.get_by_text("Avant d'ouvrir la session")).to_have_count(0)
    click_and_wait(page, page.get_by_role("button", name="Ouvrir la session"))
    expect(page.get_by_text("La session est ouverte.")).to_be_visible()
    expect(page.get_by_role("button", name="Clore la session")).to_be_visible()
    screenshot(page, "03-session-open")
    session.refresh_from_db()
    assert session.status == SessionStatus.OPEN

    # --- Decisions, capacity by capacity ----------------------------------------------
    capacities = list(
        Capacity.objects.filter(bloc__version=cast.version).order_by("bloc__order", "order")
    )
    left_out = capacities[-1]

    def open_decision(dossier: Dossier) -> None:
        row = page.get_by_role("row").filter(has_text=dossier.reference)
        click_and_wait(page, row.get_by_role("link", name="Délibérer"))
        expect(page.get_by_role("heading", level=1)).to_have_text(dossier.candidate.full_name)

    def show_of_hands(dossier: Dossier) -> None:
        # The secretary records each member's vote, then the tally decides.
        expect(
            page.get_by_text(f"Proposition mise aux voix pour le dossier {dossier.reference}.")
        ).to_be_visible()
        for member in (cast.jury_employer, cast.jury_employee):
            page.get_by_role("group", name=member.get_full_name()).get_by_label("Pour").check()
        click_and_wait(page, page.get_by_role("button", name="Enregistrer les votes"))
        expect(
            page.get_by_text("La proposition est adoptée : la décision est enregistrée.")
        ).to_be_visible()
        expect(
            page.get_by_text("2 pour, 0 contre, 0 abstention(s), 2 membres présents")
        ).to_be_visible()

    # Full award: every capacity is proposed by the evaluation and stays validated.
    open_decision(awarded)
    for capacity in capacities:
        expect(page.get_by_label(f"Validée — {capacity.code}")).to_be_checked()
    page.get_by_label("Délivrance totale").check()
    click_and_wait(page, page.get_by_role("button", name="Mettre aux voix"))
    show_of_hands(awarded)
    click_and_wait(
        page, page.locator(".breadcrumb").get_by_role("link", name=f"{held_on:%d/%m/%Y}")
    )

    # Partial validation: the jury departs from the evaluation on one capacity, which
    # needs its own reason besides the decision's.
    open_decision(partial)
    page.get_by_label(f"Validée — {left_out.code}").uncheck()
    page.get_by_label("Validation partielle").check()
    page.get_by_label("Motivation").fill("Capacité C2.2 à consolider en situation réelle.")
    click_and_wait(page, page.get_by_role("button", name="Mettre aux voix"))
    # The row that departs from the evaluation is marked, its error tied to its field.
    reason_field = page.get_by_label(f"Motif — {left_out.code}")
    expect(reason_field).to_have_attribute("aria-invalid", "true")
    expect(reason_field).to_have_accessible_description(
        "Motivez l'écart avec l'évaluation sur cette capacité."
    )
    expect(page.get_by_label(f"Validée — {left_out.code}")).not_to_be_checked()
    page.get_by_label(f"Motif — {left_out.code}").fill("Observation insuffisante en atelier")
    screenshot(page, "04-decision-partial")
    click_and_wait(page, page.get_by_role("button", name="Mettre aux voix"))
    show_of_hands(partial)
    click_and_wait(
        page, page.locator(".breadcrumb").get_by_role("link", name=f"{held_on:%d/%m/%Y}")
    )

    open_decision(refused)
    page.get_by_label("Refus").check()
    page.get_by_label("Motivation").fill("Candidat absent à l'entretien avec le jury.")
    click_and_wait(page, page.get_by_role("button", name="Mettre aux voix"))
    show_of_hands(refused)
    click_and_wait(
        page, page.locator(".breadcrumb").get_by_role("link", name=f"{held_on:%d/%m/%Y}")
    )

    outcomes = {
        d.dossier_id: d
        for d in Decision.objects.filter(session=session).prefetch_related("capacities")
    }
    assert {pk: d.outcome for pk, d in outcomes.items()} == {
        awarded.pk: Outcome.AWARD,
        partial.pk: Outcome.PARTIAL,
        refused.pk: Outcome.REFUSAL,
    }
    not_validated = [
        (c.capacity_id, c.overridden, c.reason)
        for c in outcomes[partial.pk].capacities.all()
        if not c.validated
    ]
    assert not_validated == [(left_out.pk, True, "Observation insuffisante en atelier")]
    agenda = page.get_by_role("table")
    for dossier, label in (
        (awarded, "Délivrance totale"),
        (partial, "Validation partielle"),
        (refused, "Refus"),
    ):
        expect(agenda.get_by_role("row").filter(has_text=dossier.reference)).to_contain_text(label)

    # --- Closing; the session's certificates, generated ---------------------------------
    click_and_wait(page, page.get_by_role("button", name="Clore la session"))
    expect(page.get_by_text("La session est close.")).to_be_visible()
    expect(page.get_by_text("Procès-verbal en attente de signature.")).to_be_visible()
    click_and_wait(page, page.get_by_role("link", name="Certificats de la session"))
    certificates = list(Certificate.objects.filter(decision__session=session).order_by("number"))
    assert {c.dossier_id for c in certificates} == {awarded.pk, partial.pk}
    assert {c.render_status for c in certificates} == {RenderStatus.READY}
    expect(page.get_by_test_id("progress-summary")).to_have_text("2 sur 2 certificat(s) générés")
    rows = page.locator("#certificate-progress tbody tr")
    expect(rows).to_have_count(2)
    for certificate in certificates:
        row = rows.filter(has_text=certificate.number)
        expect(row).to_contain_text(certificate.holder_name)
        expect(row.get_by_role("link", name=f"Télécharger {certificate.number}")).to_be_visible()
    expect(page.get_by_text(refused.candidate.full_name)).to_have_count(0)
    screenshot(page, "05-session-certificates")

    # --- One certificate downloaded: a real PDF in its holder's name --------------------
    certificate = next(c for c in certificates if c.dossier_id == awarded.pk)
    filename, data = download(
        page, page.get_by_role("link", name=f"Télécharger {certificate.number}")
    )
    assert filename == f"{certificate.number}.pdf"
    assert data.startswith(b"%PDF-")
    text = pdf_text(data).lower()
    assert cast.candidate.first_name.lower() in text
    assert cast.candidate.last_name.lower() in text

    # --- Revoked with a reason; the public page says so to anyone ------------------------
    click_and_wait(page, page.get_by_role("link", name=certificate.number, exact=True))
    expect(page.get_by_role("heading", level=1)).to_have_text(certificate.holder_name)
    # The PDF was rendered by the worker: an event with no person, the system's.
    expect(page.locator(".timeline")).to_contain_text("système")
    screenshot(page, "06-certificate-detail")
    page.get_by_label("Motif de la révocation").fill("Fraude constatée au dossier")
    page.get_by_label(re.compile("^Je confirme la révocation")).check()
    click_and_wait(page, page.get_by_role("button", name="Révoquer le certificat"))
    expect(page.get_by_text(f"Le certificat {certificate.number} est révoqué.")).to_be_visible()
    expect(
        page.get_by_role("definition").filter(has_text="Fraude constatée au dossier")
    ).to_be_visible()
    screenshot(page, "07-certificate-revoked")
    certificate.refresh_from_db()
    assert certificate.status == CertificateStatus.REVOKED
    assert certificate.revocation_reason == "Fraude constatée au dossier"
    verify_href = page.get_by_role("link", name="Page de vérification").get_attribute("href")
    assert verify_href == reverse("certifications:verify", args=[certificate.verification_code])

    visitor = page.context.browser.new_context(locale="fr-FR")  # type: ignore[union-attr]
    public = visitor.new_page()
    public.goto(base + verify_href)
    expect(public.get_by_text(re.compile("^Document révoqué le"))).to_be_visible()
    expect(public.get_by_text("Document valide")).to_have_count(0)
    expect(public.get_by_text("Fraude constatée")).to_have_count(0)
    screenshot(public, "08-verify-revoked")
    visitor.close()
