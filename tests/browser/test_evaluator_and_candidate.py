"""An evaluator scores in the browser (autosave, local draft, conflict, submission) and an
invited candidate activates their account and fetches their certificate; at a desktop width
and on a tablet held upright."""

from __future__ import annotations

import io
import json
import re
from typing import Any

import pytest
from django.core import mail
from django.urls import reverse
from playwright.sync_api import Browser, Page, ViewportSize, expect
from pypdf import PdfReader

from candidates import services as dossier_services
from certifications.models import Capacity, Certificate, RenderStatus
from certifications.services import certificate_store_pdf
from evaluations.models import CapacityOutcome, CapacityResult, SheetStatus
from tests.browser.conftest import PASSWORD
from tests.factories import CandidateFactory
from tests.workflow import assigned_sheet, award

pytestmark = [pytest.mark.browser, pytest.mark.slow]

VIEWPORTS: dict[str, ViewportSize] = {
    "desktop": {"width": 1280, "height": 900},
    "tablet": {"width": 768, "height": 1024},
}
PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << >>\n%%EOF\n"
SAVED = re.compile(r"^Enregistré à \d\d:\d\d")


def outcome_group(page: Page, capacity: Capacity) -> Any:
    return page.get_by_role("group", name=re.compile(rf"Résultat\W+{re.escape(capacity.code)}$"))


def score(page: Page, capacity: Capacity, *, outcome: str = "Acquis", mark: str = "4") -> None:
    outcome_group(page, capacity).get_by_label(outcome, exact=True).check()
    for indicator in capacity.indicators.all():
        page.get_by_label(indicator.label, exact=True).fill(mark)


def expect_saved(page: Page) -> None:
    expect(page.locator("#grid-save-status")).to_have_text(SAVED, timeout=10_000)


def no_sideways_scroll(page: Page, viewport: ViewportSize) -> None:
    assert page.evaluate("document.documentElement.scrollWidth") <= viewport["width"]


def log_in_context(browser: Browser, base: str, user: Any, viewport: ViewportSize) -> Page:
    context = browser.new_context(locale="fr-FR", viewport=viewport)
    page = context.new_page()
    page.set_viewport_size(viewport)
    page.goto(base + reverse("accounts:login"))
    page.get_by_label("Adresse e-mail").fill(user.email)
    page.get_by_label("Mot de passe").fill(PASSWORD)
    with page.expect_navigation():
        page.get_by_role("button", name="Se connecter").click()
    return page


@pytest.mark.parametrize("width_name", VIEWPORTS)
def test_an_evaluator_autosaves_recovers_a_draft_meets_a_conflict_and_submits(
    page: Page,
    live_server: Any,
    live_cast: Any,
    log_in: Any,
    screenshot: Any,
    width_name: str,
) -> None:
    cast = live_cast
    viewport = VIEWPORTS[width_name]
    page.set_viewport_size(viewport)
    sheet = assigned_sheet(cast)
    url = live_server.url + reverse("evaluations:sheet", args=[sheet.pk])
    capacities = list(
        Capacity.objects.filter(bloc__version=cast.version)
        .prefetch_related("indicators")
        .order_by("bloc__order", "order")
    )
    half, rest = capacities[:2], capacities[2:]

    # --- Half a grid, saved as it is typed; the tab is closed ------------------------
    log_in(page, cast.evaluator)
    page.goto(url)
    expect(page.locator("#grid-left")).to_contain_text("4 capacités sur 4")
    for capacity in half:
        score(page, capacity)
    page.get_by_label(re.compile(rf"^Commentaire\W+{re.escape(half[0].code)}$")).fill(
        "Gestes sûrs au quai"
    )
    expect_saved(page)
    expect(page.locator("#grid-left")).to_contain_text("Reste 2 capacités")
    no_sideways_scroll(page, viewport)
    screenshot(page, f"01-grid-half-saved-{width_name}")

    # --- A photo of the work attached to the first capacity ------------------------------
    page.get_by_label(
        re.compile(rf"^Joindre une photo ou un PDF\W+{re.escape(half[0].code)}$")
    ).set_input_files({"name": "quai.pdf", "mimeType": "application/pdf", "buffer": PDF})
    with page.expect_navigation():
        page.get_by_role(
            "button", name=re.compile(rf"^Joindre\W+{re.escape(half[0].code)}$")
        ).click()
    expect(page.get_by_text("Pièce ajoutée au dossier.")).to_be_visible()
    expect(
        page.locator(f"#capacite-{half[0].pk}").get_by_role("link", name="quai.pdf")
    ).to_be_visible()
    assert sheet.evaluation.dossier.evidence.get().capacity_id == half[0].pk
    no_sideways_scroll(page, viewport)
    screenshot(page, f"02-grid-evidence-attached-{width_name}")
    context = page.context
    page.close()

    page = context.new_page()
    page.set_viewport_size(viewport)
    page.goto(url)
    for capacity in half:
        expect(outcome_group(page, capacity).get_by_label("Acquis", exact=True)).to_be_checked()
    expect(page.get_by_label(half[0].indicators.all()[0].label, exact=True)).to_have_value("4")
    assert CapacityResult.objects.filter(sheet=sheet, outcome=CapacityOutcome.ACQUIRED).count() == 2

    # --- The connection drops: the mark waits on the device, and comes back -----------
    context.set_offline(True)
    outcome_group(page, rest[0]).get_by_label("Non acquis", exact=True).check()
    expect(page.locator("#grid-save-status")).to_have_text(
        "Hors connexion — enregistrement en attente", timeout=10_000
    )
    screenshot(page, f"03-grid-offline-{width_name}")
    # The device is put away while offline: its browser closes (a new context then gets the
    # same cookies and local storage), so that no event of the offline page (its "online"
    # handler once the connection is back) can save the mark before the grid is reopened.
    cookies = context.cookies()
    stored = page.evaluate("() => Object.entries(window.localStorage)")
    browser = context.browser
    assert browser is not None
    context.close()
    context = browser.new_context(locale="fr-FR", viewport=viewport)
    context.add_cookies(cookies)  # type: ignore[arg-type]
    page = context.new_page()
    page.goto(url)
    page.evaluate(
        "(entries) => entries.forEach(([k, v]) => window.localStorage.setItem(k, v))", stored
    )
    page.reload()
    draft = page.locator("#grid-draft")
    expect(draft).to_be_visible()
    expect(draft).to_contain_text("Des saisies non enregistrées de cette grille")
    screenshot(page, f"04-grid-draft-offered-{width_name}")
    page.get_by_role("button", name="Restaurer mes saisies").click()
    expect(outcome_group(page, rest[0]).get_by_label("Non acquis", exact=True)).to_be_checked()
    expect_saved(page)
    assert CapacityResult.objects.get(sheet=sheet, capacity=rest[0]).outcome == (
        CapacityOutcome.NOT_ACQUIRED
    )

    # --- The same grid open on another device: the stale one is told, loses nothing ---
    other = log_in_context(page.context.browser, live_server.url, cast.evaluator, viewport)  # type: ignore[arg-type]
    other.goto(url)
    outcome_group(page, rest[1]).get_by_label("Acquis", exact=True).check()
    expect_saved(page)
    outcome_group(other, rest[1]).get_by_label("Non acquis", exact=True).check()
    alert = other.get_by_role("alert")
    expect(alert).to_contain_text("modifiée ailleurs", timeout=10_000)
    reload = other.get_by_role("button", name="Recharger la grille")
    expect(reload).to_be_visible()
    expect(reload).to_be_focused()
    expect(outcome_group(other, rest[1]).get_by_label("Non acquis", exact=True)).to_be_checked()
    no_sideways_scroll(other, viewport)
    screenshot(other, f"05-grid-conflict-{width_name}")
    assert CapacityResult.objects.get(sheet=sheet, capacity=rest[1]).outcome == (
        CapacityOutcome.ACQUIRED
    )

    # Reloading shows what was saved elsewhere and offers this device's marks back.
    reload.click()
    expect(other.locator("#grid-draft")).to_be_visible()
    expect(other.locator("#grid-draft")).to_contain_text("enregistrée ailleurs depuis")
    expect(outcome_group(other, rest[1]).get_by_label("Acquis", exact=True)).to_be_checked()
    other.get_by_role("button", name="Ignorer").click()
    other.context.close()

    # --- Complete with the keyboard alone, confirm, submit -----------------------------
    page.reload()
    expect(page.locator("#grid-draft")).to_be_hidden()
    group = outcome_group(page, rest[0])
    group.get_by_label("Non acquis", exact=True).focus()
    page.keyboard.press("ArrowLeft")  # radio groups move with the arrow keys
    expect(group.get_by_label("Acquis", exact=True)).to_be_checked()
    for indicator in rest[0].indicators.all():
        page.get_by_label(indicator.label, exact=True).focus()
        page.keyboard.type("3")
    expect_saved(page)
    expect(page.locator("#grid-left")).to_contain_text("Toutes les capacités sont évaluées")
    page.get_by_label(re.compile("^Je confirme que cette grille est complète")).focus()
    page.keyboard.press("Space")
    page.get_by_role("button", name="Enregistrer et transmettre").focus()
    with page.expect_navigation():
        page.keyboard.press("Enter")
    expect(page.get_by_text("elle n'est plus modifiable")).to_be_visible()
    no_sideways_scroll(page, viewport)
    screenshot(page, f"06-grid-submitted-{width_name}")
    sheet.refresh_from_db()
    assert sheet.status == SheetStatus.SUBMITTED
    assert CapacityResult.objects.get(sheet=sheet, capacity=half[0]).comment == (
        "Gestes sûrs au quai"
    )


@pytest.mark.parametrize("width_name", VIEWPORTS)
def test_an_invited_candidate_activates_follows_downloads_and_shares(
    page: Page, live_server: Any, live_cast: Any, screenshot: Any, width_name: str
) -> None:
    cast = live_cast
    viewport = VIEWPORTS[width_name]
    page.set_viewport_size(viewport)
    candidate: Any = CandidateFactory.create(
        branch=cast.branch_a,
        user=None,
        last_name="Moreau",
        first_name="Inès",
        email="ines.moreau@example.test",
    )
    decision = award(cast, candidate=candidate)
    certificate = Certificate.objects.get(decision=decision)
    certificate_store_pdf(certificate_id=certificate.pk)
    certificate.refresh_from_db()
    assert certificate.render_status == RenderStatus.READY
    mail.outbox.clear()
    dossier_services.candidate_invite(candidate=candidate, by=cast.staff_a)

    # --- The invitation email's one-time link -----------------------------------------
    [invitation] = [m for m in mail.outbox if m.to == [candidate.email]]
    link = re.search(r"https?://\S+/activer/\S+/", str(invitation.body))
    assert link is not None
    page.goto(link.group(0))
    expect(page.get_by_role("heading", name="Activer votre compte")).to_be_visible()
    screenshot(page, f"10-candidate-activate-{width_name}")
    page.get_by_label("Nouveau mot de passe").fill("Un-mot-de-passe-solide-42")
    page.get_by_label("Confirmation du mot de passe").fill("Un-mot-de-passe-solide-42")
    with page.expect_navigation():
        page.get_by_role("button", name="Activer mon compte").click()
    expect(page.get_by_text("Votre compte est activé")).to_be_visible()
    expect(page.get_by_text("Le jury paritaire vous a délivré le CQPI")).to_be_visible()
    no_sideways_scroll(page, viewport)
    screenshot(page, f"11-candidate-space-{width_name}")

    # --- The timeline, the certificate, the verification link --------------------------
    with page.expect_navigation():
        page.get_by_role(
            "link", name=f"Voir le suivi détaillé du dossier {decision.dossier.reference}"
        ).click()
    timeline = page.get_by_role("list").filter(has_text="Votre dossier a été ouvert")
    for sentence in (
        "Votre dossier a été ouvert",
        "Votre évaluation a commencé",
        "Votre dossier est inscrit à l'ordre du jour",
        "Le jury paritaire vous a délivré le CQPI",
    ):
        expect(timeline.get_by_text(sentence)).to_be_visible()
    no_sideways_scroll(page, viewport)
    screenshot(page, f"12-candidate-dossier-{width_name}")
    with page.expect_download() as info:
        page.get_by_role("link", name="Télécharger mon certificat (PDF)").click()
    data = info.value.path().read_bytes()
    assert data.startswith(b"%PDF")
    text = "".join(p.extract_text() for p in PdfReader(io.BytesIO(data)).pages)
    assert "MOREAU" in text.upper() and "Inès" in text

    with page.expect_navigation():
        page.get_by_role("link", name=certificate.verification_url).click()
    expect(page.get_by_text("Document valide")).to_be_visible()
    expect(page.locator("#contenu").get_by_text(certificate.holder_name)).to_be_visible()
    screenshot(page, f"13-public-verify-{width_name}")

    # --- Their personal data, on the page and as a file ----------------------------------
    page.goto(live_server.url + reverse("space:home"))
    with page.expect_navigation():
        page.get_by_role("link", name=re.compile("^Mes données personnelles")).click()
    expect(page.get_by_role("heading", level=1, name="Mes données personnelles")).to_be_visible()
    expect(page.get_by_text(decision.dossier.reference).first).to_be_visible()
    no_sideways_scroll(page, viewport)
    screenshot(page, f"14-candidate-personal-data-{width_name}")
    with page.expect_download() as info:
        page.get_by_role("link", name="Télécharger mes données (JSON)").click()
    exported = json.loads(info.value.path().read_text(encoding="utf-8"))
    assert exported["account"]["email"] == candidate.email
    assert exported["candidates"][0]["dossiers"][0]["certificates"][0]["number"] == (
        certificate.number
    )


def test_marks_typed_just_before_attaching_a_piece_are_saved_not_lost(
    page: Page, live_server: Any, live_cast: Any, log_in: Any
) -> None:
    cast = live_cast
    sheet = assigned_sheet(cast)
    capacity = (
        Capacity.objects.filter(bloc__version=cast.version)
        .prefetch_related("indicators")
        .order_by("bloc__order", "order")
        .first()
    )
    assert capacity is not None
    log_in(page, cast.evaluator)
    page.goto(live_server.url + reverse("evaluations:sheet", args=[sheet.pk]))

    # Typed, then "Joindre" at once: before the autosave's pause has passed.
    score(page, capacity, mark="3")
    page.get_by_label(
        re.compile(rf"^Joindre une photo ou un PDF\W+{re.escape(capacity.code)}$")
    ).set_input_files({"name": "photo.pdf", "mimeType": "application/pdf", "buffer": PDF})
    with page.expect_navigation():
        page.get_by_role(
            "button", name=re.compile(rf"^Joindre\W+{re.escape(capacity.code)}$")
        ).click()

    expect(page.get_by_text("Pièce ajoutée au dossier.")).to_be_visible()
    # The marks came back from the server, not from a draft to restore.
    for indicator in capacity.indicators.all():
        expect(page.get_by_label(indicator.label, exact=True)).to_have_value("3")
    expect(page.locator("#grid-draft")).to_be_hidden()
    result = CapacityResult.objects.get(sheet=sheet, capacity=capacity)
    assert result.outcome == CapacityOutcome.ACQUIRED
    assert {m.mark for m in result.marks.all()} == {3}
