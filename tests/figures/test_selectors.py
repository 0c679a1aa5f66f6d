"""The figures computed on the known data set: each expected value is worked out by hand."""

from __future__ import annotations

from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from candidates.models import AccessRoute
from figures.selectors import (
    FigureFilters,
    _decisions,
    _median_days_sqlite,
    compute_figures,
    figures_for,
    figures_scope,
)
from tests import workflow
from tests.figures.dataset import BRANCH_A, CONT, add_documents, build_dataset

pytestmark = pytest.mark.django_db


def totals(**filters: Any) -> dict[str, Any]:
    return compute_figures(FigureFilters(**filters))["totals"]


def test_one_award_in_three_is_through_vae_in_branch_a(dataset: Any) -> None:
    figures = totals(branch_ids=(dataset.branch_a.pk,))
    assert (figures["awards"], figures["vae_awards"], figures["vae_share"]) == (9, 3, 33.3)


def test_two_awards_in_nine_are_contrats_de_professionnalisation(dataset: Any) -> None:
    figures = totals(branch_ids=(dataset.branch_a.pk,))
    assert figures["professionalisation_awards"] == 2
    assert figures["professionalisation_share"] == 22.2


def test_six_awards_in_nine_are_a_first_certification(dataset: Any) -> None:
    figures = totals(branch_ids=(dataset.branch_a.pk,))
    assert figures["first_certification_awards"] == 6
    assert figures["first_certification_share"] == 66.7


def test_partial_and_refusal_rates_are_over_all_decisions(dataset: Any) -> None:
    figures = totals(branch_ids=(dataset.branch_a.pk,))
    assert (figures["decisions"], figures["partials"], figures["refusals"]) == (12, 1, 2)
    assert (figures["partial_rate"], figures["refusal_rate"], figures["award_rate"]) == (
        8.3,
        16.7,
        75.0,
    )


def test_a_superseded_decision_is_not_counted(dataset: Any) -> None:
    # Branch A holds 13 decision rows; the superseded award is left out.
    assert totals(branch_ids=(dataset.branch_a.pk,))["decisions"] == len(BRANCH_A)


def test_the_median_delay_is_exact_for_an_odd_number_of_awards(dataset: Any) -> None:
    assert totals(branch_ids=(dataset.branch_a.pk,))["median_days_to_award"] == 200


def test_the_median_delay_averages_the_middle_pair_for_an_even_number(dataset: Any) -> None:
    # 2024 awards: 120 150 180 200 | 210 250 300 400 → (200 + 210) / 2.
    assert totals(year_from=2024, year_to=2024)["median_days_to_award"] == 205


def test_national_figures_cover_every_branch(dataset: Any) -> None:
    figures = totals()
    assert (figures["decisions"], figures["awards"], figures["vae_awards"]) == (14, 11, 4)
    assert (figures["vae_share"], figures["first_certification_share"]) == (36.4, 63.6)
    assert figures["median_days_to_award"] == 180


def test_the_sqlite_median_agrees_with_postgresql(dataset: Any) -> None:
    for filters in (FigureFilters(), FigureFilters(year_from=2024, year_to=2024)):
        expected = compute_figures(filters)["totals"]["median_days_to_award"]
        assert _median_days_sqlite(_decisions(filters)) == expected


def test_no_award_gives_no_share_and_no_median(cast: Any) -> None:
    figures = totals()
    assert figures["awards"] == 0
    assert figures["vae_share"] is None and figures["median_days_to_award"] is None


def test_the_period_filter_keeps_the_years_asked(dataset: Any) -> None:
    figures = compute_figures(FigureFilters(year_from=2024, year_to=2025))
    assert [row["year"] for row in figures["by_year"]] == [2024, 2025]
    assert figures["totals"]["awards"] == 10


def test_the_cqpi_filter_keeps_that_cqpi_only(dataset: Any) -> None:
    figures = compute_figures(FigureFilters(referentiel_id=dataset.cqpi_b.pk))
    assert [row["cqpi"] for row in figures["by_cqpi"]] == ["Technicien de la qualité"]
    assert (figures["totals"]["awards"], figures["totals"]["vae_share"]) == (2, 50.0)
    assert figures["totals"]["median_days_to_award"] == 40


def test_awards_by_year(dataset: Any) -> None:
    rows = compute_figures(FigureFilters())["by_year"]
    assert [(r["year"], r["awards"], r["partials"], r["refusals"]) for r in rows] == [
        (2023, 1, 0, 0),
        (2024, 8, 1, 2),
        (2025, 2, 0, 0),
    ]


def test_awards_by_cqpi_most_awarded_first(dataset: Any) -> None:
    rows = compute_figures(FigureFilters())["by_cqpi"]
    assert [(r["cqpi"], r["awards"], r["decisions"]) for r in rows] == [
        ("Agent logistique", 9, 12),
        ("Technicien de la qualité", 2, 2),
    ]


def test_awards_by_access_route_list_every_route(dataset: Any) -> None:
    rows = {r["route"]: r for r in compute_figures(FigureFilters())["by_route"]}
    assert list(rows) == list(AccessRoute.values)
    assert rows[AccessRoute.VAE]["awards"] == 4 and rows[AccessRoute.VAE]["refusals"] == 2
    assert rows[CONT]["awards"] == 5 and rows[CONT]["partials"] == 1
    assert rows[AccessRoute.PRO_A]["decisions"] == 0


def test_branches_with_their_evaluators_and_jury_sessions(dataset: Any) -> None:
    rows = compute_figures(FigureFilters())["by_branch"]
    assert [(r["branch"], r["awards"], r["evaluators"], r["jury_sessions"]) for r in rows] == [
        ("Branche Alpha", 9, 2, 2),
        ("Branche Bêta", 2, 2, 1),
    ]


def test_evaluators_count_when_their_habilitation_overlaps_the_period(dataset: Any) -> None:
    rows = compute_figures(FigureFilters(year_from=2023, year_to=2023))["by_branch"]
    assert [(r["branch"], r["evaluators"], r["jury_sessions"]) for r in rows] == [
        ("Branche Alpha", 1, 1)
    ]


def test_staff_are_scoped_to_their_branch_and_observers_to_none(cast: Any) -> None:
    assert figures_scope(cast.staff_b) == (cast.branch_b.pk,)
    assert figures_scope(cast.coc_observer) is None
    assert figures_scope(cast.admin) is None


@pytest.mark.parametrize("who", ["outsider", "evaluator", "jury_employer", "candidate_user"])
def test_other_people_have_no_figures(cast: Any, who: str) -> None:
    from django.core.exceptions import PermissionDenied

    with pytest.raises(PermissionDenied):
        figures_scope(getattr(cast, who))


def test_the_number_of_queries_does_not_grow_with_the_data(cast: Any) -> None:
    with CaptureQueriesContext(connection) as empty:
        compute_figures(FigureFilters())
    build_dataset(cast)
    with CaptureQueriesContext(connection) as full:
        figures = compute_figures(FigureFilters())
    assert figures["totals"]["decisions"] == 14
    assert len(full) == len(empty) <= 8


def test_cached_figures_answer_without_a_query(
    dataset: Any, django_assert_num_queries: Any
) -> None:
    first = figures_for(FigureFilters())
    with django_assert_num_queries(0):
        assert figures_for(FigureFilters()) == first


def test_recording_a_decision_refreshes_the_cached_figures(
    cast: Any, django_capture_on_commit_callbacks: Any
) -> None:
    assert figures_for(FigureFilters())["totals"]["awards"] == 0
    with django_capture_on_commit_callbacks(execute=True):
        workflow.award(cast)
    assert figures_for(FigureFilters())["totals"]["awards"] == 1


# --- Revoked documents (known answers: see add_documents) ---------------------------------


def test_revoked_documents_are_counted_apart_from_awards_and_partials(dataset: Any, cast: Any):
    add_documents(cast)
    a = totals(branch_ids=(dataset.branch_a.pk,))
    assert (a["decisions"], a["awards"], a["partials"], a["refusals"], a["revoked"]) == (
        12,
        8,
        0,
        2,
        2,
    )
    assert a["award_rate"] == 66.7  # 8 / 12
    assert a["partial_rate"] == 0.0
    assert a["revoked_rate"] == 16.7  # 2 / 12
    assert a["vae_share"] == 37.5  # 3 VAE awards / 8
    assert a["professionalisation_share"] == 25.0  # 2 / 8
    assert a["first_certification_share"] == 75.0  # 6 / 8
    assert a["median_days_to_award"] == 190.0  # 400 days no longer an award: (180 + 200) / 2


def test_revoked_documents_have_their_column_in_every_grouping(dataset: Any, cast: Any):
    add_documents(cast)
    figures = compute_figures(FigureFilters(branch_ids=(dataset.branch_a.pk,)))
    by_year = {row["year"]: row for row in figures["by_year"]}
    assert (by_year[2023]["awards"], by_year[2023]["revoked"]) == (1, 0)
    assert (by_year[2024]["awards"], by_year[2024]["partials"], by_year[2024]["revoked"]) == (
        7,
        0,
        2,
    )
    by_route = {row["route"]: row for row in figures["by_route"]}
    assert (by_route[CONT]["awards"], by_route[CONT]["revoked"], by_route[CONT]["decisions"]) == (
        3,
        2,
        5,
    )
    (row,) = figures["by_cqpi"]
    assert (row["awards"], row["revoked"]) == (8, 2)
    (branch,) = figures["by_branch"]
    assert (branch["awards"], branch["revoked"], branch["decisions"]) == (8, 2, 12)
    national = compute_figures(FigureFilters())["totals"]
    assert (national["awards"], national["revoked"]) == (10, 2)  # branch B's 2 awards


def test_revoked_documents_cost_no_extra_query(cast: Any) -> None:
    with CaptureQueriesContext(connection) as empty:
        compute_figures(FigureFilters())
    build_dataset(cast)
    add_documents(cast)
    with CaptureQueriesContext(connection) as full:
        compute_figures(FigureFilters())
    assert len(full) == len(empty) <= 8


def test_revoking_a_certificate_refreshes_the_cached_figures(
    cast: Any, django_capture_on_commit_callbacks: Any
) -> None:
    from certifications.services import certificate_revoke

    with django_capture_on_commit_callbacks(execute=True):
        decision = workflow.award(cast)
    assert figures_for(FigureFilters())["totals"]["awards"] == 1
    with django_capture_on_commit_callbacks(execute=True):
        certificate_revoke(
            certificate=decision.certificates.get(), reason="Fraude avérée", by=cast.staff_a
        )
    after = figures_for(FigureFilters())["totals"]
    assert (after["awards"], after["revoked"]) == (0, 1)


def test_the_cache_key_carries_the_shape_of_the_figures() -> None:
    from figures.selectors import SHAPE

    assert FigureFilters().cache_key(7).startswith(f"figures:s{SHAPE}:v7:")
