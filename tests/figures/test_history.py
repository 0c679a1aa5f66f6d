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
from tests.factories import BranchFactory, ReferentielFactory
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


def build_older_history(cast: Any) -> tuple[Any, Any]:
    """Beside `HISTORY`: a CQPI the platform never awarded (a certificate and a partial
    attestation in branch B, 2008) and a branch known only from its history (2009)."""
    welder = ReferentielFactory.create(title="Soudeur (avant la plateforme)")
    gamma = BranchFactory.create(name="Branche Gamma")
    for branch, kind, year in ((cast.branch_b, CERT, 2008), (cast.branch_b, PART, 2008)):
        HistoricCertificateFactory.create(
            branch=branch, referentiel=welder, kind=kind, issued_on=datetime.date(year, 3, 1)
        )
    HistoricCertificateFactory.create(
        branch=gamma, referentiel=cast.referentiel, kind=CERT, issued_on=datetime.date(2009, 9, 1)
    )
    return welder, gamma


def test_historic_certificates_count_by_cqpi(cast: Any, dataset: Any) -> None:
    build_history(cast)
    build_older_history(cast)
    rows = compute_figures(FigureFilters())["by_cqpi"]
    # (CQPI, platform awards, partials, decisions; before: certificates, partials; all awards)
    assert [
        (
            r["cqpi"],
            r["awards"],
            r["partials"],
            r["decisions"],
            r["historic_awards"],
            r["historic_partials"],
            r["all_awards"],
        )
        for r in rows
    ] == [
        ("Agent logistique", 9, 1, 12, 9, 1, 18),
        ("Technicien de la qualité", 2, 0, 2, 0, 0, 2),
        ("Soudeur (avant la plateforme)", 0, 0, 0, 1, 1, 1),
    ]


def test_historic_certificates_count_by_branch(cast: Any, dataset: Any) -> None:
    build_history(cast)
    build_older_history(cast)
    rows = compute_figures(FigureFilters())["by_branch"]
    # (branch, platform awards, jury sessions; before: certificates, partials; all awards)
    assert [
        (
            r["branch"],
            r["awards"],
            r["jury_sessions"],
            r["historic_awards"],
            r["historic_partials"],
            r["all_awards"],
        )
        for r in rows
    ] == [
        ("Branche Alpha", 9, 2, 6, 1, 15),
        ("Branche Bêta", 2, 1, 3, 1, 5),
        ("Branche Gamma", 0, 0, 1, 0, 1),
    ]


@pytest.mark.parametrize(
    "filters",
    [
        {},
        {"year_from": 2007, "year_to": 2010},
        {"year_from": 2024},
        {"branch": "b"},
        {"cqpi": "welder"},
    ],
)
def test_every_grouping_adds_up_to_the_same_totals(
    cast: Any, dataset: Any, filters: dict[str, Any]
) -> None:
    build_history(cast)
    welder, _gamma = build_older_history(cast)
    figures = compute_figures(
        FigureFilters(
            year_from=filters.get("year_from"),
            year_to=filters.get("year_to"),
            branch_ids=(cast.branch_b.pk,) if filters.get("branch") else None,
            referentiel_id=welder.pk if filters.get("cqpi") else None,
        )
    )
    totals = figures["totals"]
    for grouping in ("history", "by_cqpi", "by_branch"):
        rows = figures[grouping]
        assert sum(r["historic_awards"] for r in rows) == totals["historic_awards"], grouping
        assert sum(r["historic_partials"] for r in rows) == totals["historic_partials"], grouping
        assert sum(r["all_awards"] for r in rows) == totals["all_awards"], grouping


def test_the_page_tables_show_the_history_by_cqpi_and_by_branch(cast: Any, dataset: Any) -> None:
    build_history(cast)
    build_older_history(cast)
    tables = {t.slug: t for t in figure_tables(compute_figures(FigureFilters()))}
    by_cqpi, by_branch = tables["par-cqpi"], tables["par-branche"]
    assert by_cqpi.columns[-3:] == [
        "Certificats délivrés avant la plateforme",
        "Attestations partielles délivrées avant la plateforme",
        "CQPI délivrés depuis l'origine",
    ]
    assert by_cqpi.rows[-1] == ["Soudeur (avant la plateforme)", 0, 0, 0, 0, 0, 1, 1, 1]
    # Branch, platform counts (5), before the platform (3), evaluators, jury sessions.
    assert by_branch.rows[-1] == ["Branche Gamma", 0, 0, 0, 0, 0, 1, 0, 1, 0, 0]
    assert by_branch.rows[0][6:9] == [6, 1, 15]


def test_the_history_adds_one_query_whatever_its_size(cast: Any, dataset: Any) -> None:
    with CaptureQueriesContext(connection) as small:
        compute_figures(FigureFilters())
    HistoricCertificateFactory.create_batch(
        40, branch=cast.branch_a, referentiel=cast.referentiel, access_route=VAE
    )
    build_older_history(cast)  # another CQPI and another branch: more groups, no more queries
    with CaptureQueriesContext(connection) as large:
        figures = compute_figures(FigureFilters())
    assert figures["totals"]["historic_awards"] == 42
    assert len(figures["by_branch"]) == 3 and len(figures["by_cqpi"]) == 3
    assert len(large) == len(small) <= 8


def test_the_page_and_its_exports_cost_the_same_queries_with_a_history(
    client: Any, cast: Any
) -> None:
    from django.urls import reverse

    from figures.selectors import figures_invalidate

    client.force_login(cast.coc_observer)
    page, export = reverse("figures:dashboard"), reverse("figures:export", args=["par-cqpi", "csv"])
    with CaptureQueriesContext(connection) as empty_page:
        client.get(page)
    figures_invalidate()  # the export computes its figures again, as below
    with CaptureQueriesContext(connection) as empty_export:
        client.get(export)
    build_history(cast)
    build_older_history(cast)
    HistoricCertificateFactory.create_batch(30, branch=cast.branch_b, referentiel=cast.referentiel)
    figures_invalidate()
    with CaptureQueriesContext(connection) as full_page:
        response = client.get(page)
    assert response.status_code == 200 and "Soudeur (avant la plateforme)" in response.text
    figures_invalidate()
    with CaptureQueriesContext(connection) as full_export:
        response = client.get(export)
    assert "Soudeur (avant la plateforme)" in response.content.decode()
    assert len(full_page) == len(empty_page) <= 16
    assert len(full_export) == len(empty_export) <= 16


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
