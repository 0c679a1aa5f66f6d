"""The whole CQPI path in a browser, from the dossier's opening to the public verification."""

from __future__ import annotations

import io
from typing import Any

import pytest
from django.urls import reverse
from playwright.sync_api import Page, ViewportSize, expect
from pypdf import PdfReader

from certifications.models import Certificate
from certifications.services import certificate_revoke, certificate_store_pdf
from tests.workflow import award

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
