"""Figures since the origin: certificates issued before the platform counted by year (known answers).

The hand-built history below, beside the platform's decisions of `tests/figures/dataset.py`
(awards: 2023 1, 2024 8, 2025 2; 4 VAE, 2 contrat de professionnalisation, 7 first
certifications among 11):

| year | branch | kind | route | first |
| 2006 | A | certificate | VAE | yes |
| 2006 | A | certificate | pro | no |
| 2007 | A | certificate | unknown | unknown |
| 2007 | A | partial | VAE | yes |
| 2007 | B | certificate | pro | yes |
| 2010 | A | certificate | continuing | yes |
| 2010 | A | certificate | VAE | yes |
| 2010 | A | certificate | VAE | unknown |
| 2023 | B | certificate | VAE | yes |
"""

from __future__ import annotations

import datetime
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from candidates.models import AccessRoute
from certifications.models import CertificateKind
from figures.selectors import FigureFilters, compute_figures, figures_for
from figures.tables import figure_tables
from historic import services
from historic.imports import CleanRow
from tests.factories_historic import HistoricCertificateFactory

pytestmark = pytest.mark.django_db

VAE, PRO, CONT = AccessRoute.VAE, AccessRoute.PROFESSIONALISATION, AccessRoute.CONTINUING
CERT, PART = CertificateKind.CERTIFICATE, CertificateKind.PARTIAL
HISTORY = [
    (2006, "a", CERT, VAE, True),
    (2006, "a", CERT, PRO, False),
    (2007, "a", CERT, "", None),
    (2007, "a", PART, VAE, True),
    (2007, "b", CERT, PRO, True),
    (2010, "a", CERT, CONT, True),
    (2010, "a", CERT, VAE, True),
    (2010, "a", CERT, VAE, None),
    (2023, "b", CERT, VAE, True),
]


def build_history(cast: Any) -> None:
    for year, side, kind, route, first in HISTORY:
        HistoricCertificateFactory.create(
            branch=cast.branch_a if side == "a" else cast.branch_b,
            referentiel=cast.referentiel,
            kind=kind,
            access_route=route,
            first_certification=first,
            issued_on=datetime.date(year, 5, 1),
        )


def test_awards_by_year_since_2006_before_and_on_the_platform(cast: Any, dataset: Any) -> None:
    build_history(cast)
    rows = compute_figures(FigureFilters())["history"]
    # (year, before: certificates, partials; on the platform: awards, partials; all awards)
    assert [
        (
            r["year"],
            r["historic_awards"],
            r["historic_partials"],
            r["awards"],
            r["partials"],
            r["all_awards"],
        )
        for r in rows
    ] == [
        (2006, 2, 0, 0, 0, 2),
        (2007, 2, 1, 0, 0, 2),
        (2010, 3, 0, 0, 0, 3),
        (2023, 1, 0, 1, 0, 2),
        (2024, 0, 0, 8, 1, 8),
        (2025, 0, 0, 2, 0, 2),
    ]


def test_the_shares_since_the_origin_count_the_known_routes_only(cast: Any, dataset: Any) -> None:
    build_history(cast)
    totals = compute_figures(FigureFilters())["totals"]
    assert (totals["historic_awards"], totals["historic_partials"], totals["all_awards"]) == (
        8,
        1,
        19,
    )
    # 8 historic certificates, 7 with a known route: (4 + 4 VAE) / (11 + 7)
    assert totals["all_vae_share"] == 44.4
    assert totals["all_professionalisation_share"] == 22.2  # (2 + 2) / 18
    # 6 with a known answer, 5 yes: (7 + 5) / (11 + 6)
    assert totals["all_first_certification_share"] == 70.6
    # The platform's own figures are unchanged.
    assert (totals["awards"], totals["vae_share"]) == (11, 36.4)


def test_the_filters_apply_to_the_history(cast: Any, dataset: Any) -> None:
    build_history(cast)
    b = compute_figures(FigureFilters(branch_ids=(cast.branch_b.pk,)))
    assert [(r["year"], r["historic_awards"], r["awards"]) for r in b["history"]] == [
        (2007, 1, 0),
        (2023, 1, 0),
        (2025, 0, 2),
    ]
    early = compute_figures(FigureFilters(year_from=2007, year_to=2010))["totals"]
    assert (early["historic_awards"], early["historic_partials"]) == (5, 1)
    cqpi_b = compute_figures(FigureFilters(referentiel_id=dataset.cqpi_b.pk))["totals"]
    assert cqpi_b["historic_awards"] == 0


def test_the_page_tables_show_the_history(cast: Any, dataset: Any) -> None:
    build_history(cast)
    tables = {t.slug: t for t in figure_tables(compute_figures(FigureFilters()))}
    history = tables["historique"]
    assert history.rows[0] == [2006, 2, 0, 0, 0, 2]
    indicators = {str(row[0]): row[1] for row in tables["indicateurs"].rows}
    assert (
        indicators["CQPI délivrés depuis l'origine (avant la plateforme et sur la plateforme)"]
        == 19
    )


def test_the_history_adds_one_query_whatever_its_size(cast: Any, dataset: Any) -> None:
    with CaptureQueriesContext(connection) as small:
        compute_figures(FigureFilters())
    HistoricCertificateFactory.create_batch(
        40, branch=cast.branch_a, referentiel=cast.referentiel, access_route=VAE
    )
    with CaptureQueriesContext(connection) as large:
        figures = compute_figures(FigureFilters())
    assert figures["totals"]["historic_awards"] == 40
    assert len(large) == len(small) <= 8


def test_an_import_refreshes_the_cached_figures(
    cast: Any, dataset: Any, django_capture_on_commit_callbacks: Any
) -> None:
    assert figures_for(FigureFilters())["totals"]["historic_awards"] == 0
    row = CleanRow(
        line=2,
        number="ALP-2008-1",
        kind=CERT,
        referentiel_id=cast.referentiel.pk,
        version_id=None,
        cqpi_title=cast.referentiel.title,
        issued_on="2008-06-27",
        last_name="Delaforge",
        first_name="Camille",
        birth_date="1980-03-14",
        birth_place="Lyon",
        access_route=VAE,
        first_certification=True,
        capacities=[],
        signatory="",
    )
    with django_capture_on_commit_callbacks(execute=True):
        services.historic_import(branch=cast.branch_a, rows=[row], by=cast.staff_a)
    assert figures_for(FigureFilters())["totals"]["historic_awards"] == 1
