"""The demo's history since 2006: shaped like the brochure, built in bulk within 20 seconds."""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Iterator
from typing import Any

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext

from audit.models import AuditEvent
from candidates.models import AccessRoute
from certifications.models import CertificateKind
from figures.selectors import FigureFilters, compute_figures
from historic.models import HistoricCertificate
from sampledata.history import AWARDS, FIRST_YEAR, LAST_YEAR, HistorySummary, build_history
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

BUDGET_SECONDS = 20


@pytest.fixture(scope="module")
def history(django_db_setup: Any, django_db_blocker: Any) -> Iterator[HistorySummary]:
    """Built once for the module, in a transaction rolled back at its end."""
    from certifications.data.loader import load_reference_data
    from sampledata.demo import DEMO_DOMAIN

    with django_db_blocker.unblock(), transaction.atomic():
        load_reference_data()
        UserFactory.create(email=f"admin@{DEMO_DOMAIN}", is_superuser=True, is_staff=True)
        yield build_history()
        transaction.set_rollback(True)


def test_it_is_built_within_its_time_budget(history: HistorySummary) -> None:
    print(f"demo history: {history.awards + history.partials} records in {history.seconds:.1f} s")
    assert history.created
    assert history.seconds <= BUDGET_SECONDS


def test_it_holds_about_14000_awards_since_2006(history: HistorySummary) -> None:
    awards = HistoricCertificate.objects.filter(kind=CertificateKind.CERTIFICATE)
    assert awards.count() == AWARDS == 14_000
    partials = HistoricCertificate.objects.filter(kind=CertificateKind.PARTIAL).count()
    assert 0 < partials < AWARDS * 0.1
    years = Counter(d.year for d in awards.values_list("issued_on", flat=True))
    assert min(years) == FIRST_YEAR == 2006 and max(years) == LAST_YEAR
    assert years[LAST_YEAR] > 5 * years[FIRST_YEAR]  # the scheme grew


def test_its_awards_have_the_brochures_proportions(history: HistorySummary) -> None:
    awards = HistoricCertificate.objects.filter(kind=CertificateKind.CERTIFICATE)
    total = awards.count()
    routes = Counter(awards.values_list("access_route", flat=True))
    assert routes[AccessRoute.VAE] / total == pytest.approx(1 / 3, abs=0.02)
    assert routes[AccessRoute.PROFESSIONALISATION] / total == pytest.approx(1 / 5, abs=0.02)
    firsts = awards.filter(first_certification=True).count()
    assert firsts / total == pytest.approx(2 / 3, abs=0.02)
    # The contrat de professionnalisation is for the young (16–25).
    for record in awards.filter(access_route=AccessRoute.PROFESSIONALISATION)[:200]:
        assert record.issued_on.year - record.birth_date.year <= 26


def test_no_branch_awards_before_it_signed_the_charter(history: HistorySummary) -> None:
    for record in HistoricCertificate.objects.select_related("branch").order_by("issued_on")[:50]:
        signed = min(s.signed_on for s in record.branch.charter_signatures.all())
        assert record.issued_on >= signed


def test_it_is_imported_one_batch_per_branch_with_one_audit_event_each(
    history: HistorySummary,
) -> None:
    batches = HistoricCertificate.objects.values("branch_id").distinct().count()
    assert HistoricCertificate.objects.values("batch").distinct().count() == batches
    assert AuditEvent.objects.filter(action="historic.import").count() == batches


def test_a_second_run_adds_nothing(history: HistorySummary) -> None:
    count = HistoricCertificate.objects.count()
    assert not build_history().created
    assert HistoricCertificate.objects.count() == count


def test_the_figures_show_the_history_with_a_fixed_number_of_queries(
    history: HistorySummary,
) -> None:
    with CaptureQueriesContext(connection) as queries:
        started = time.perf_counter()
        figures = compute_figures(FigureFilters())
        seconds = time.perf_counter() - started
    print(f"figures over the demo history: {len(queries)} queries, {seconds * 1000:.0f} ms")
    assert len(queries) <= 8
    assert figures["history"][0]["year"] == 2006
    assert figures["totals"]["historic_awards"] == 14_000
    assert figures["totals"]["all_vae_share"] == pytest.approx(33.3, abs=2)
    assert seconds < 2
