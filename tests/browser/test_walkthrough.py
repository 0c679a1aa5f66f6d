"""The whole CQPI path in a browser, from the dossier's opening to the public verification."""

from __future__ import annotations

import io
import re
from typing import Any

import pytest
from django.urls import reverse
from django.utils import timezone
from playwright.sync_api import Page, ViewportSize, expect
from pypdf import PdfReader

from branches.models import College
from candidates.models import Dossier, DossierStatus
from certifications.models import Capacity, Certificate, Indicator, RenderStatus
from certifications.services import certificate_revoke, certificate_store_pdf
from tests.workflow import PASSWORD, award

pytestmark = [pytest.mark.browser, pytest.mark.slow]

TABLET: ViewportSize = {"width": 768, "height": 1024}


def pdf_text(data: bytes) -> str:
    return "".join(page.extract_text() for page in PdfReader(io.BytesIO(data)).pages)


def download_certificate(page: Page) -> bytes:
    with page.expect_download() as info:
        page.get_by_role("link", name="Télécharger mon certificat (PDF)").click()
    download = info.value
    assert download.suggested_filename.endswith(".pdf")
    return download.path().read_bytes()


def click_and_wait(page: Page, locator: Any) -> None:
    """Click something that submits or navigates, and wait for the next page."""
    with page.expect_navigation():
        locator.click()


def test_the_whole_path_in_a_browser(
    page: Page, live_server: Any, live_cast: Any, log_in: Any, screenshot: Any, tmp_path: Any
) -> None:
    """Staff, evaluator, jury, staff again, candidate, then anyone: each through their pages."""
    cast = live_cast
    base = live_server.url

    # --- CPNE staff opens the dossier and moves it to evaluation ---------------------
    log_in(page, cast.staff_a)
    click_and_wait(page, page.get_by_role("navigation").get_by_role("link", name="Dossiers"))
    click_and_wait(page, page.get_by_role("link", name="Ouvrir un dossier"))
    candidate = cast.candidate
    # Candidates and companies are searched, then chosen (core.widgets.SearchSelect).
    label = (
        f"{candidate.last_name.upper()} {candidate.first_name} — {candidate.birth_date:%d/%m/%Y}"
    )
    page.get_by_label("Rechercher un candidat enregistré").press_sequentially(candidate.last_name)
    candidates = page.get_by_label("Candidat déjà enregistré")
    expect(candidates.locator("option", has_text=label)).to_have_count(1)
    candidates.select_option(label=label)
    page.get_by_label("CQPI", exact=True).select_option(label="Agent logistique (version 1)")
    page.get_by_label("Rechercher une entreprise").press_sequentially("alpha")
    companies = page.get_by_label("Entreprise", exact=True)
    expect(companies.locator("option", has_text=cast.company_a.name)).to_have_count(1)
    companies.select_option(label=cast.company_a.name)
    page.get_by_label("Voie d'accès").select_option(label="Formation continue")
    screenshot(page, "01-staff-open-dossier")
    click_and_wait(page, page.get_by_role("button", name="Ouvrir le dossier"))
    dossier = Dossier.objects.get(candidate=candidate)
    expect(page.get_by_role("heading", level=1)).to_contain_text("DURAND")
    expect(page.get_by_text(f"Dossier {dossier.reference} ouvert")).to_be_visible()

    click_and_wait(page, page.get_by_role("button", name="Démarrer le positionnement"))
    click_and_wait(page, page.get_by_role("button", name="Passer en évaluation"))
    click_and_wait(page, page.get_by_role("link", name="Confier une évaluation"))
    page.get_by_label("Type d'évaluation").select_option(label="Évaluation finale")
    page.get_by_label("Évaluateur externe habilité").select_option(
        label=f"{cast.evaluator.get_full_name()} <{cast.evaluator.email}>"
    )
    screenshot(page, "02-staff-assign-evaluator")
    click_and_wait(page, page.get_by_role("button", name="Confier l'évaluation"))
    dossier.refresh_from_db()
    assert dossier.status == DossierStatus.EVALUATION
    screenshot(page, "03-staff-dossier-in-evaluation")

    # --- The habilitated evaluator fills the grid, saves, then submits ----------------
    log_in(page, cast.evaluator)
    click_and_wait(page, page.get_by_role("link", name="Mes grilles d'évaluation"))
    click_and_wait(page, page.get_by_role("link", name=dossier.reference))
    capacities = Capacity.objects.filter(bloc__version=cast.version).order_by("code")
    for capacity in capacities:
        group = page.get_by_role(
            "group", name=re.compile(rf"Résultat\W+{re.escape(capacity.code)}$")
        )
        group.get_by_label("Acquis", exact=True).check()
    for indicator in Indicator.objects.filter(capacity__in=capacities):
        page.get_by_label(indicator.label, exact=True).fill("4")
    screenshot(page, "04-evaluator-grid-filled")
    click_and_wait(page, page.get_by_role("button", name="Enregistrer", exact=True))
    expect(page.get_by_text("la grille peut être transmise")).to_be_visible()
    page.get_by_label(re.compile("^Je confirme que cette grille est complète")).check()
    click_and_wait(page, page.get_by_role("button", name="Enregistrer et transmettre"))
    expect(page.get_by_text("elle n'est plus modifiable")).to_be_visible()
    screenshot(page, "05-evaluator-grid-submitted")
    dossier.refresh_from_db()
    assert dossier.status == DossierStatus.READY_FOR_JURY

    # --- Staff creates the jury session, convokes, sets the agenda, opens it ----------
    log_in(page, cast.staff_a)
    click_and_wait(page, page.get_by_role("link", name="Sessions de jury"))
    click_and_wait(page, page.get_by_role("link", name="Nouvelle session"))
    held_on = timezone.localtime().replace(second=0, microsecond=0)
    page.get_by_label("Date et heure").fill(f"{held_on:%Y-%m-%dT%H:%M}")
    page.get_by_label("Lieu").fill("Paris, siège de la CPNE")
    click_and_wait(page, page.get_by_role("button", name="Créer la session"))
    for member, college, role in (
        (cast.jury_employer, College.EMPLOYERS, "Président"),
        (cast.jury_employee, College.EMPLOYEES, "Vice-président"),
    ):
        page.get_by_label("Membre de jury de la branche").select_option(
            label=f"{member.get_full_name()} — {college.label}"
        )
        page.get_by_label("Fonction").select_option(label=role)
        click_and_wait(page, page.get_by_role("button", name="Convoquer"))
    expect(page.locator("#dossiers-prets")).to_contain_text(candidate.full_name)
    click_and_wait(
        page,
        page.get_by_role(
            "button", name=f"Inscrire le dossier {dossier.reference} à l'ordre du jour"
        ),
    )
    screenshot(page, "06-staff-session-planned")

    # --- The vice-chair prepares from the convocation: grids and evidence, read-only ----
    log_in(page, cast.jury_employee)
    click_and_wait(page, page.get_by_role("link", name="Sessions de jury"))
    click_and_wait(page, page.get_by_role("link", name=f"{held_on:%d/%m/%Y %H:%M}"))
    click_and_wait(page, page.get_by_role("link", name=f"{dossier.reference} — préparer"))
    expect(page.get_by_text("Préparation de la session")).to_be_visible()
    expect(page.get_by_role("button", name="Mettre aux voix")).to_have_count(0)

    log_in(page, cast.staff_a)
    page.goto(
        base + reverse("evaluations:session_detail", args=[dossier.agenda_items.get().session_id])
    )
    click_and_wait(page, page.get_by_role("button", name="Ouvrir la session"))
    expect(page.get_by_role("button", name="Clore la session")).to_be_visible()

    # --- The chair puts the award to the vote; each member votes in the app ---------
    log_in(page, cast.jury_employer)
    click_and_wait(page, page.get_by_role("link", name="Sessions de jury"))
    click_and_wait(page, page.get_by_role("link", name=f"{held_on:%d/%m/%Y %H:%M}"))
    click_and_wait(page, page.get_by_role("link", name="Délibérer"))
    page.get_by_label("Délivrance totale").check()
    screenshot(page, "07-jury-proposal")
    click_and_wait(page, page.get_by_role("button", name="Mettre aux voix"))
    click_and_wait(page, page.get_by_role("button", name="Voter pour"))
    expect(page.get_by_text("Votre vote : Pour.")).to_be_visible()
    expect(page.get_by_text("1 vote(s) exprimé(s) sur 2 membres présents.")).to_be_visible()
    log_in(page, cast.jury_employee)
    page.goto(
        base
        + reverse(
            "evaluations:decision_record", args=[dossier.agenda_items.get().session_id, dossier.pk]
        )
    )
    screenshot(page, "07b-jury-vote")
    click_and_wait(page, page.get_by_role("button", name="Voter pour"))
    expect(
        page.get_by_text("La proposition est adoptée : la décision est enregistrée.")
    ).to_be_visible()
    expect(
        page.get_by_text("2 pour, 0 contre, 0 abstention(s), 2 membres présents")
    ).to_be_visible()
    dossier.refresh_from_db()
    assert dossier.status == DossierStatus.AWARDED
    certificate = Certificate.objects.get(dossier=dossier)
    # Celery runs eagerly on commit in the tests: the PDF exists once the response is sent.
    assert certificate.render_status == RenderStatus.READY

    # --- Staff closes the session -----------------------------------------------------
    log_in(page, cast.staff_a)
    session_url = base + reverse(
        "evaluations:session_detail", args=[certificate.decision.session_id]
    )
    page.goto(session_url)
    click_and_wait(page, page.get_by_role("button", name="Clore la session"))
    expect(page.get_by_role("button", name="Clore la session")).to_have_count(0)
    expect(page.get_by_text("Procès-verbal en attente de signature.")).to_be_visible()
    screenshot(page, "08-staff-session-closed")

    # --- The chair and the vice-chair sign the procès-verbal, re-authenticating ---------
    for signer in (cast.jury_employer, cast.jury_employee):
        log_in(page, signer)
        page.goto(session_url)
        click_and_wait(page, page.get_by_role("link", name="Signer le procès-verbal"))
        expect(
            page.get_by_text("2 pour, 0 contre, 0 abstention(s), 2 membres présents")
        ).to_be_visible()
        page.get_by_label("Votre mot de passe").fill("pas-le-bon")
        click_and_wait(page, page.get_by_role("button", name="Signer le procès-verbal"))
        expect(
            page.get_by_text("Mot de passe incorrect : la signature n'est pas apposée.")
        ).to_be_visible()
        page.get_by_label("Votre mot de passe").fill(PASSWORD)
        screenshot(page, f"08b-sign-{signer.pk}")
        click_and_wait(page, page.get_by_role("button", name="Signer le procès-verbal"))
        expect(page.get_by_text("Vous avez signé le procès-verbal.")).to_be_visible()
    # The procès-verbal was rendered and sealed on the last signature.
    with page.expect_download() as info:
        page.get_by_role("link", name="Télécharger le procès-verbal").click()
    minutes = info.value.path().read_bytes()
    minutes_text = pdf_text(minutes)
    assert "Signé électroniquement le" in minutes_text
    assert "2 pour, 0 contre, 0 abstention(s), 2 membres présents" in minutes_text

    # --- The candidate follows their dossier and downloads the certificate ----------
    log_in(page, cast.candidate_user)
    click_and_wait(page, page.get_by_role("link", name="Mon espace"))
    expect(page.get_by_text("Le jury paritaire vous a délivré le CQPI")).to_be_visible()
    screenshot(page, "09-candidate-space")
    click_and_wait(
        page,
        page.get_by_role("link", name=f"Voir le suivi détaillé du dossier {dossier.reference}"),
    )
    timeline = page.get_by_role("list").filter(has_text="Votre dossier a été ouvert")
    for sentence in (
        "Votre dossier a été ouvert",
        "Votre positionnement a commencé",
        "Votre évaluation a commencé",
        "Votre évaluation est terminée",
        "Votre dossier est inscrit à l'ordre du jour",
        "Le jury paritaire vous a délivré le CQPI",
    ):
        expect(timeline.get_by_text(sentence)).to_be_visible()
    screenshot(page, "10-candidate-dossier")
    data = download_certificate(page)
    assert data.startswith(b"%PDF")
    assert "Durand" in pdf_text(data).replace("DURAND", "Durand")
    verify_href = page.get_by_role("link", name=certificate.verification_url).get_attribute("href")
    assert verify_href == certificate.get_absolute_url()

    # --- Anyone (no session) checks the document -------------------------------------
    visitor = page.context.browser.new_context(locale="fr-FR")  # type: ignore[union-attr]
    public = visitor.new_page()
    public.goto(base + verify_href)
    expect(public.get_by_text("Document valide")).to_be_visible()
    expect(public.get_by_text(certificate.holder_name)).to_be_visible()
    screenshot(public, "11-public-verify-valid")

    # The downloaded PDF itself, uploaded to "Vérifier un document": authentic.
    public.goto(base + reverse("certifications:verify_document"))
    pdf_path = tmp_path / "certificat.pdf"
    pdf_path.write_bytes(data)
    public.get_by_label(re.compile("^Document PDF")).set_input_files(str(pdf_path))
    click_and_wait(public, public.get_by_role("button", name="Vérifier", exact=True))
    expect(public.locator(".verify-verdict--valid")).to_be_visible()
    screenshot(public, "11b-verify-by-upload")

    # No revocation page yet: revoke through the service, as the staff would.
    certificate_revoke(certificate=certificate, reason="Erreur de saisie", by=cast.staff_a)
    public.goto(base + verify_href)
    expect(public.get_by_text(re.compile("^Document révoqué le"))).to_be_visible()
    expect(public.get_by_text("Document valide")).to_have_count(0)
    screenshot(public, "12-public-verify-revoked")
    visitor.close()


def test_the_candidate_space_on_a_tablet(
    page: Page, live_server: Any, live_cast: Any, log_in: Any, screenshot: Any
) -> None:
    """State built through the services; the candidate's pages read at 768 px."""
    cast = live_cast
    certificate = Certificate.objects.get(decision=award(cast))
    certificate_store_pdf(certificate_id=certificate.pk)
    page.set_viewport_size(TABLET)

    log_in(page, cast.candidate_user)
    page.goto(live_server.url + reverse("space:home"))
    expect(page.get_by_role("heading", level=1, name="Mon espace candidat")).to_be_visible()
    expect(page.get_by_text("Le jury paritaire vous a délivré le CQPI")).to_be_visible()
    screenshot(page, "space-home-768")

    page.get_by_role(
        "link", name=f"Voir le suivi détaillé du dossier {certificate.dossier.reference}"
    ).click()
    expect(page.get_by_role("heading", name="Les étapes de votre parcours")).to_be_visible()
    steps = (
        page.get_by_role("list")
        .filter(has_text="Votre dossier a été ouvert")
        .get_by_role("listitem")
    )
    expect(steps).to_have_count(6)
    expect(page.get_by_role("img", name="QR code")).to_be_visible()
    # Nothing spills sideways on a tablet.
    assert page.evaluate("document.documentElement.scrollWidth") <= TABLET["width"]
    screenshot(page, "space-dossier-768")

    data = download_certificate(page)
    assert data.startswith(b"%PDF")
    assert "Durand" in pdf_text(data).replace("DURAND", "Durand")

    page.get_by_role("link", name=certificate.verification_url).click()
    expect(page.get_by_text("Document valide")).to_be_visible()
    screenshot(page, "verify-valid-768")

    certificate_revoke(certificate=certificate, reason="Erreur de saisie", by=cast.staff_a)
    page.reload()
    expect(page.get_by_text("Document révoqué le")).to_be_visible()
    expect(page.get_by_text("Erreur de saisie")).to_have_count(0)
    screenshot(page, "verify-revoked-768")
