"""A CPNE staff member brings the branch's paper register in (refused, then accepted), and anyone
checks one of its certificates on the public page, where it is marked issued before the platform."""

from __future__ import annotations

import csv
import io
from typing import Any

import pytest
from django.urls import reverse
from playwright.sync_api import FilePayload, Page, expect

from historic import imports
from historic.models import HistoricCertificate

pytestmark = [pytest.mark.browser, pytest.mark.slow]


def click_and_wait(page: Page, locator: Any) -> None:
    with page.expect_navigation():
        locator.click()


def csv_bytes(rows: list[list[str]]) -> bytes:
    buffer = io.StringIO()
    csv.writer(buffer, delimiter=";").writerows(rows)
    return buffer.getvalue().encode("utf-8")


def upload(page: Page, name: str, data: bytes) -> None:
    page.get_by_label("Fichier CSV ou XLSX").set_input_files(
        files=FilePayload(name=name, mimeType="text/csv", buffer=data)
    )
    click_and_wait(page, page.get_by_role("button", name="Vérifier le fichier"))


def test_staff_import_the_paper_register_and_anyone_verifies_a_certificate(
    page: Page, live_server: Any, live_cast: Any, log_in: Any, screenshot: Any
) -> None:
    cast = live_cast
    columns = list(imports.COLUMNS)
    header = [imports.header(column) for column in columns]

    def row(number: str, last_name: str, **changes: str) -> list[str]:
        values = {
            "number": number,
            "last_name": last_name,
            "first_name": "Camille",
            "birth_date": "14/03/1980",
            "cqpi_code": cast.referentiel.code,
            "issued_on": "27/06/2008",
            "access_route": "VAE",
        } | changes
        return [values.get(column, "") for column in columns]

    log_in(page, cast.staff_a)
    page.goto(live_server.url + reverse("certifications:certificate_list"))
    click_and_wait(page, page.get_by_role("link", name="Délivrés avant la plateforme"))
    click_and_wait(page, page.get_by_role("link", name="Importer"))
    upload(
        page,
        "registre-erreur.csv",
        csv_bytes(
            [
                header,
                row("ALP-2008-1", "Delaforge"),
                row("ALP-2008-2", "Rabotin", issued_on="2099-01-01"),
            ]
        ),
    )
    expect(page.get_by_role("heading", name="Lignes à corriger")).to_be_visible()
    errors = page.get_by_test_id("import-errors").locator("tbody tr")
    expect(errors).to_have_count(1)
    expect(errors.locator("td")).to_have_text(
        ["3", "Camille Rabotin", "date de délivrance dans le futur : 01/01/2099"]
    )
    expect(page.get_by_role("button", name="Confirmer l'import")).to_have_count(0)
    screenshot(page, "historic-01-import-refused")
    assert not HistoricCertificate.objects.exists()

    page.goto(live_server.url + reverse("historic:import_upload"))
    upload(
        page,
        "registre.csv",
        csv_bytes([header, row("ALP-2008-1", "Delaforge"), row("ALP-2008-2", "Rabotin")]),
    )
    click_and_wait(page, page.get_by_role("button", name="Confirmer l'import"))
    expect(
        page.get_by_text("2 certificat(s) antérieur(s) à la plateforme importé(s)")
    ).to_be_visible()
    expect(page.get_by_role("link", name="ALP-2008-1")).to_be_visible()
    assert HistoricCertificate.objects.filter(branch=cast.branch_a).count() == 2

    # Anyone, signed in or not, from the page of an unknown verification code.
    page.context.clear_cookies()
    page.goto(live_server.url + reverse("certifications:verify", args=["inconnu"]))
    click_and_wait(
        page,
        page.get_by_role(
            "link", name="Vérifier un document délivré avant la plateforme, par son numéro"
        ),
    )
    page.get_by_label("Numéro du certificat").fill("alp 2008 1")
    page.get_by_label("Nom de naissance du titulaire").fill("DELAFORGE")
    page.get_by_label("Date de naissance du titulaire").fill("14/03/1980")
    click_and_wait(page, page.get_by_role("button", name="Vérifier"))
    expect(page.get_by_role("status")).to_contain_text("Document délivré avant la plateforme")
    expect(page.get_by_text("Camille Delaforge")).to_be_visible()
    screenshot(page, "historic-02-verified")
