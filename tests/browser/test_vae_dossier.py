"""A VAE candidate builds and submits their dossier of evidence on a phone (375 px wide)."""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.urls import reverse
from playwright.sync_api import Page, ViewportSize, expect

from candidates.models import (
    AccessRoute,
    EvidenceDossier,
    EvidenceDossierStatus,
    EvidenceFile,
    EvidenceStatement,
)
from certifications.models import Capacity
from tests.workflow import open_dossier

pytestmark = [pytest.mark.browser, pytest.mark.slow]

PHONE: ViewportSize = {"width": 375, "height": 812}
PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << >>\n%%EOF\n"


def no_sideways_scroll(page: Page) -> None:
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]


def test_a_vae_candidate_writes_attaches_and_submits_on_a_phone(
    page: Page, live_server: Any, live_cast: Any, log_in: Any, screenshot: Any
) -> None:
    dossier = open_dossier(live_cast, route=AccessRoute.VAE)
    capacity = Capacity.objects.filter(bloc__version_id=dossier.version_id).order_by("pk").first()
    assert capacity is not None
    page.set_viewport_size(PHONE)
    log_in(page, live_cast.candidate_user)

    page.goto(live_server.url + reverse("space:dossier_detail", args=[dossier.pk]))
    page.get_by_role("link", name="Ouvrir mon dossier de preuves").click()
    expect(page.get_by_role("heading", name="Mon dossier de preuves")).to_be_visible()
    no_sideways_scroll(page)

    # Typing is autosaved: the draft is there after a reload.
    textarea = page.locator(f"#c{capacity.pk}")
    textarea.fill("Je prépare les commandes.\nJe contrôle les livraisons.")
    expect(page.locator(f"#status-{capacity.pk}")).to_have_text(
        re.compile(r"^Brouillon enregistré à \d\d:\d\d"), timeout=10_000
    )
    page.reload()
    expect(page.locator(f"#c{capacity.pk}")).to_have_value(
        "Je prépare les commandes.\nJe contrôle les livraisons."
    )

    # A file attached to the capacity.
    page.locator(f"#file-{capacity.pk}").set_input_files(
        {"name": "attestation.pdf", "mimeType": "application/pdf", "buffer": PDF}
    )
    page.get_by_role("button", name=f"Joindre — {capacity.code}").click()
    expect(page.get_by_text("Pièce ajoutée au dossier.")).to_be_visible()
    expect(page.get_by_role("link", name="attestation.pdf")).to_be_visible()
    expect(page.locator("#evidence-quota")).to_contain_text("Pièces déposées : 1 sur 20")
    no_sideways_scroll(page)
    screenshot(page, "draft")

    # Submitted once confirmed: read-only after.
    page.get_by_label(re.compile("Mon dossier est complet")).check()
    page.get_by_role("button", name="Transmettre mon dossier de preuves").click()
    expect(
        page.get_by_text("Dossier de preuves transmis : votre branche va l'examiner.")
    ).to_be_visible()
    expect(page.locator("textarea")).to_have_count(0)
    expect(page.get_by_text("Je contrôle les livraisons.")).to_be_visible()
    no_sideways_scroll(page)
    screenshot(page, "submitted")

    assert EvidenceDossier.objects.get().status == EvidenceDossierStatus.SUBMITTED
    assert EvidenceStatement.objects.get().capacity == capacity
    assert EvidenceFile.objects.get().capacity == capacity
