"""Completing a partial validation in a browser: credit, evaluate the rest, award, and read the
certificate that lists every capacity and names the attestation that credited some (#18)."""

from __future__ import annotations

import io
import re
from typing import Any

import pytest
from django.urls import reverse
from playwright.sync_api import Page, expect
from pypdf import PdfReader

from candidates import services as dossier_services
from candidates.models import CreditedCapacity, DossierStatus
from certifications.models import Capacity, CertificateKind, Indicator, RenderStatus
from evaluations import services as evaluation_services
from evaluations.models import EvaluationKind
from tests.workflow import open_dossier, open_session, partial

pytestmark = [pytest.mark.browser, pytest.mark.slow]


def click_and_wait(page: Page, locator: Any) -> None:
    """Click something that submits or navigates, and wait for the next page."""
    with page.expect_navigation():
        locator.click()


def test_a_partial_validation_is_completed_into_a_full_certificate_in_a_browser(
    page: Page, live_server: Any, live_cast: Any, log_in: Any, screenshot: Any
) -> None:
    cast = live_cast
    base = live_server.url
    capacities = list(
        Capacity.objects.filter(bloc__version=cast.version).order_by("bloc__order", "order")
    )
    credited, rest = capacities[:2], capacities[2:]
    assert rest, "the cast's référentiel must leave capacities to evaluate"

    # --- Not the point: the jury validated two capacities; a new dossier is opened ----
    attestation = partial(cast, validated=2).certificates.get()
    assert attestation.kind == CertificateKind.PARTIAL
    dossier = open_dossier(cast)

    # --- Staff credit the validated capacities through the dossier's credit form -------
    log_in(page, cast.staff_a)
    page.goto(base + reverse("candidates:dossier_detail", args=[dossier.pk]))
    credits = page.get_by_test_id("credits")
    credits.get_by_label("Numéro ou code de vérification du document").fill(attestation.number)
    screenshot(page, "01-staff-credit-form")
    click_and_wait(
        page, credits.get_by_role("button", name="Créditer les capacités de ce document")
    )
    expect(
        page.get_by_text(f"2 capacité(s) créditée(s) au vu du document {attestation.number}.")
    ).to_be_visible()
    table = page.get_by_test_id("credits").get_by_role("table")
    for capacity in credited:
        row = table.get_by_role("row").filter(has_text=f"{capacity.code} — {capacity.title}")
        expect(row).to_contain_text(attestation.number)
        expect(row).to_contain_text(cast.branch_a.name)
    for capacity in rest:
        expect(table.get_by_text(capacity.code, exact=False)).to_have_count(0)
    screenshot(page, "02-staff-credited")
    assert sorted(
        CreditedCapacity.objects.filter(dossier=dossier).values_list("capacity_id", flat=True)
    ) == sorted(c.pk for c in credited)

    # --- Not the point: positioning, evaluation, the evaluator given the grid ----------
    dossier_services.dossier_start_positioning(dossier=dossier, by=cast.staff_a)
    dossier_services.dossier_start_evaluation(dossier=dossier, by=cast.staff_a)
    evaluation_services.evaluation_create(
        dossier=dossier,
        kind=EvaluationKind.FINAL,
        external_evaluator=cast.evaluator,
        by=cast.staff_a,
    )

    # --- The evaluator scores only the capacities not credited -------------------------
    log_in(page, cast.evaluator)
    click_and_wait(page, page.get_by_role("link", name="Mes grilles d'évaluation"))
    click_and_wait(page, page.get_by_role("link", name=dossier.reference))
    expect(page.get_by_test_id("credited")).to_contain_text(attestation.number)
    for capacity in credited:
        expect(
            page.get_by_role("group", name=re.compile(rf"Résultat\W+{re.escape(capacity.code)}$"))
        ).to_have_count(0)
    for capacity in rest:
        group = page.get_by_role(
            "group", name=re.compile(rf"Résultat\W+{re.escape(capacity.code)}$")
        )
        group.get_by_label("Acquis", exact=True).check()
    for indicator in Indicator.objects.filter(capacity__in=rest):
        page.get_by_label(indicator.label, exact=True).fill("4")
    screenshot(page, "03-evaluator-grid-the-rest")
    click_and_wait(page, page.get_by_role("button", name="Enregistrer", exact=True))
    expect(page.get_by_text("la grille peut être transmise")).to_be_visible()
    page.get_by_label(re.compile("^Je confirme que cette grille est complète")).check()
    click_and_wait(page, page.get_by_role("button", name="Enregistrer et transmettre"))
    expect(page.get_by_text("elle n'est plus modifiable")).to_be_visible()
    dossier.refresh_from_db()
    assert dossier.status == DossierStatus.READY_FOR_JURY

    # --- The jury sees the credited capacities and awards the CQPI --------------------
    session = open_session(cast, [dossier])
    record = base + reverse("evaluations:decision_record", args=[session.pk, dossier.pk])
    log_in(page, cast.jury_employer)
    page.goto(record)
    expect(page.get_by_test_id("credited")).to_have_count(len(credited))
    page.get_by_label("Délivrance totale").check()
    click_and_wait(page, page.get_by_role("button", name="Mettre aux voix"))
    click_and_wait(page, page.get_by_role("button", name="Voter pour"))
    log_in(page, cast.jury_employee)
    page.goto(record)
    click_and_wait(page, page.get_by_role("button", name="Voter pour"))
    expect(
        page.get_by_text("La proposition est adoptée : la décision est enregistrée.")
    ).to_be_visible()
    dossier.refresh_from_db()
    assert dossier.status == DossierStatus.AWARDED
    certificate = dossier.certificates.get()
    assert certificate.kind == CertificateKind.CERTIFICATE
    assert certificate.render_status == RenderStatus.READY  # Celery eager on commit

    # --- The certificate lists every capacity and names the crediting attestation ------
    log_in(page, cast.staff_a)
    page.goto(base + reverse("certifications:certificate_detail", args=[certificate.pk]))
    listed = page.get_by_test_id("certified-capacities")
    for capacity in capacities:
        expect(listed.get_by_text(f"{capacity.code} — {capacity.title}")).to_be_visible()
    for capacity in credited:
        expect(listed.get_by_role("listitem").filter(has_text=capacity.code)).to_contain_text(
            f"acquise antérieurement : document n° {attestation.number}"
        )
    for capacity in rest:
        expect(listed.get_by_role("listitem").filter(has_text=capacity.code)).not_to_contain_text(
            "acquise antérieurement"
        )
    expect(page.get_by_test_id("credited-documents")).to_contain_text(
        f"n° {attestation.number} ({cast.branch_a.name})"
    )
    screenshot(page, "04-staff-certificate")
    with page.expect_download() as info:
        page.get_by_role("link", name="Télécharger le PDF").click()
    text = "".join(
        p.extract_text() for p in PdfReader(io.BytesIO(info.value.path().read_bytes())).pages
    )
    assert attestation.number in text
    for capacity in capacities:
        assert capacity.code in text
