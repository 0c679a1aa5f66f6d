"""Exports of the branch's dossiers and certificates, and the list's search, filters and sort."""

from __future__ import annotations

import io
from typing import Any

import pytest
from django.urls import reverse
from openpyxl import load_workbook

from candidates.models import AccessRoute, Dossier
from tests import workflow
from tests.factories import CandidateFactory

pytestmark = pytest.mark.django_db

LOGIN = reverse("accounts:login")
DOSSIERS = reverse("candidates:dossier_export")
CERTIFICATES = reverse("candidates:certificate_export")
LIST = reverse("candidates:dossier_list")


def _csv(response: Any) -> str:
    return b"".join(response.streaming_content).decode("utf-8")


def test_dossier_export_four_ways(client: Any, cast: Any) -> None:
    dossier = workflow.open_dossier(cast)
    assert client.get(DOSSIERS)["Location"].startswith(LOGIN)
    client.force_login(cast.evaluator)
    assert client.get(DOSSIERS).status_code == 403
    client.force_login(cast.staff_b)
    assert dossier.reference not in _csv(client.get(DOSSIERS))
    client.force_login(cast.staff_a)
    assert dossier.reference in _csv(client.get(DOSSIERS))


def test_the_csv_has_a_bom_semicolons_and_french_headers(client: Any, cast: Any) -> None:
    workflow.open_dossier(cast)
    client.force_login(cast.staff_a)
    text = _csv(client.get(DOSSIERS, {"format": "csv"}))
    assert text.startswith("\ufeffNuméro de dossier;Nom;Prénom")
    assert ";Durand;Léa;" in text


def test_the_export_applies_the_list_filters(client: Any, cast: Any) -> None:
    kept = workflow.open_dossier(cast)
    left = workflow.open_dossier(cast, candidate=cast.other_candidate, route=AccessRoute.VAE)
    client.force_login(cast.staff_a)
    text = _csv(client.get(DOSSIERS, {"access_route": AccessRoute.CONTINUING}))
    assert kept.reference in text
    assert left.reference not in text


def test_the_xlsx_export_is_a_workbook(client: Any, cast: Any) -> None:
    dossier = workflow.open_dossier(cast)
    client.force_login(cast.staff_a)
    response = client.get(DOSSIERS, {"format": "xlsx"})
    workbook = load_workbook(io.BytesIO(b"".join(response.streaming_content)))
    rows = list(workbook.active.iter_rows(values_only=True))
    assert rows[0][0] == "Numéro de dossier"
    assert rows[1][0] == dossier.reference


def test_a_formula_is_neutralised(client: Any, cast: Any) -> None:
    candidate = CandidateFactory.create(branch=cast.branch_a, last_name="=HYPERLINK(1)")
    workflow.open_dossier(cast, candidate=candidate)
    client.force_login(cast.staff_a)
    assert ";'=HYPERLINK(1);" in _csv(client.get(DOSSIERS))


def test_the_certificate_export_lists_the_branch_certificates(client: Any, cast: Any) -> None:
    certificate = workflow.award(cast).certificates.get()
    client.force_login(cast.staff_b)
    assert certificate.number not in _csv(client.get(CERTIFICATES))
    client.force_login(cast.staff_a)
    assert certificate.number in _csv(client.get(CERTIFICATES))


# --- The list's search, filters and sort -------------------------------------------


def _refs(response: Any) -> list[str]:
    return [d["reference"] for d in response.context["page"].object_list]


def test_search_by_certificate_number(client: Any, cast: Any) -> None:
    certificate = workflow.award(cast).certificates.get()
    workflow.open_dossier(cast, candidate=cast.other_candidate)
    client.force_login(cast.staff_a)
    assert _refs(client.get(LIST, {"q": certificate.number})) == [certificate.dossier.reference]


def test_search_by_company_name(client: Any, cast: Any) -> None:
    dossier = workflow.open_dossier(cast)
    client.force_login(cast.staff_a)
    assert _refs(client.get(LIST, {"q": "Industries"})) == [dossier.reference]
    assert _refs(client.get(LIST, {"q": "Nulle part"})) == []


def test_search_by_name_prefix(client: Any, cast: Any) -> None:
    dossier = workflow.open_dossier(cast)
    workflow.open_dossier(cast, candidate=cast.other_candidate)
    client.force_login(cast.staff_a)
    assert _refs(client.get(LIST, {"q": "dur"})) == [dossier.reference]
    assert _refs(client.get(LIST, {"q": "léa dur"})) == [dossier.reference]


def test_filter_by_year_of_opening(client: Any, cast: Any) -> None:
    dossier = workflow.open_dossier(cast)
    client.force_login(cast.staff_a)
    year = dossier.opened_on.year
    assert _refs(client.get(LIST, {"year": year})) == [dossier.reference]
    assert _refs(client.get(LIST, {"year": year - 1})) == []


def test_sort_by_name(client: Any, cast: Any) -> None:
    durand = workflow.open_dossier(cast)
    petit = workflow.open_dossier(cast, candidate=cast.other_candidate)
    client.force_login(cast.staff_a)
    assert _refs(client.get(LIST, {"sort": "name"})) == [durand.reference, petit.reference]
    assert _refs(client.get(LIST, {"sort": "-name"})) == [petit.reference, durand.reference]


def test_an_unknown_sort_is_refused_and_the_default_kept(client: Any, cast: Any) -> None:
    workflow.open_dossier(cast)
    client.force_login(cast.staff_a)
    response = client.get(LIST, {"sort": "candidate__birth_date"})
    assert response.status_code == 200
    assert len(_refs(response)) == Dossier.objects.count()
