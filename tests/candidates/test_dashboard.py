"""The CPNE staff's dashboard: counts by aggregation, what waits, what falls due."""

from __future__ import annotations

import datetime
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from candidates import dashboard
from candidates import workflow as dossier_workflow
from candidates.models import AccessRoute, DossierStatus
from certifications import passport
from certifications.models import Certificate, CertificateKind
from tests import workflow
from tests.factories import CandidateFactory

pytestmark = pytest.mark.django_db

URL = reverse("candidates:dashboard")
LOGIN = reverse("accounts:login")


def test_staff_home_lands_on_the_dashboard(client: Any, cast: Any) -> None:
    client.force_login(cast.staff_a)
    assert client.get(reverse("home"))["Location"] == URL


def test_the_dashboard_four_ways(client: Any, cast: Any) -> None:
    assert client.get(URL)["Location"].startswith(LOGIN)
    for person in ("evaluator", "jury_employer", "candidate_user", "outsider"):
        client.force_login(getattr(cast, person))
        assert client.get(URL).status_code == 403, person
    client.force_login(cast.staff_a)
    assert client.get(URL).status_code == 200


def test_another_branch_cannot_be_chosen(client: Any, cast: Any) -> None:
    workflow.open_dossier(cast)
    client.force_login(cast.staff_b)
    response = client.get(URL, {"branch": cast.branch_a.pk})
    assert response.context["board"].branch == cast.branch_b
    assert response.context["board"].total == 0


def test_dossiers_are_counted_by_status(cast: Any) -> None:
    workflow.open_dossier(cast)
    workflow.open_dossier(cast, candidate=cast.other_candidate, route=AccessRoute.VAE)
    rows = {r["status"]: r["count"] for r in dashboard.dossiers_by_status(cast.branch_a)}
    assert rows[DossierStatus.OPEN] == 2
    assert rows[DossierStatus.AWARDED] == 0
    assert dashboard.dossiers_by_status(cast.branch_b)[0]["count"] == 0


def test_what_waits_on_the_staff(cast: Any) -> None:
    workflow.open_dossier(cast)
    workflow.open_dossier(cast, candidate=cast.other_candidate, route=AccessRoute.VAE)
    workflow.ready_for_jury(cast, candidate=CandidateFactory.create(branch=cast.branch_a))
    waiting = dashboard.waiting_on_staff(cast.branch_a)
    assert waiting == {
        "admissibility": 1,
        "positioning": 1,
        "to_schedule": 1,
        "space_not_activated": 1,
        "failed_renders": 0,
    }


def test_certificates_issued_this_year_count_originals_only(cast: Any) -> None:
    from certifications import services

    certificate = workflow.award(cast).certificates.get()
    services.certificate_reissue(certificate=certificate, by=cast.staff_a, reason="x")
    counts = dashboard.issued_this_year(cast.branch_a, timezone.localdate())
    assert counts == {"certificates": 1, "partials": 0}


def _frozen_at(monkeypatch: Any, day: datetime.date) -> None:
    """The clock stopped at noon on `day` (timezone.localdate reads timezone.now)."""
    moment = timezone.make_aware(datetime.datetime.combine(day, datetime.time(12)))
    monkeypatch.setattr(timezone, "now", lambda: moment)


def test_add_months_keeps_the_day_or_takes_the_months_last() -> None:
    assert passport.add_months(datetime.date(2026, 1, 31), 3) == datetime.date(2026, 4, 30)
    assert passport.add_months(datetime.date(2026, 11, 30), 3) == datetime.date(2027, 2, 28)
    assert passport.add_months(datetime.date(2026, 5, 15), -3) == datetime.date(2026, 2, 15)
    assert passport.declaration_deadline(datetime.date(2026, 3, 31)) == datetime.date(2026, 6, 30)


def test_declarations_approaching_and_past_the_three_month_limit(
    client: Any, cast: Any, monkeypatch: Any
) -> None:
    certificate = workflow.award(cast).certificates.get()
    Certificate.objects.filter(pk=certificate.pk).update(issued_on=datetime.date(2026, 1, 15))
    branch = cast.branch_a

    # Six weeks before the limit (15 April): neither approaching nor late.
    _frozen_at(monkeypatch, datetime.date(2026, 3, 1))
    today = timezone.localdate()
    assert list(dashboard.declaration_due(branch, today)) == []
    assert list(dashboard.declaration_overdue(branch, today)) == []
    # Within the month before the limit, the limit day included: approaching.
    for day in (datetime.date(2026, 3, 20), datetime.date(2026, 4, 15)):
        _frozen_at(monkeypatch, day)
        assert list(dashboard.declaration_due(branch, timezone.localdate())) == [certificate]
        assert list(dashboard.declaration_overdue(branch, timezone.localdate())) == []
    # The day after: late, and shown so on the dashboard.
    _frozen_at(monkeypatch, datetime.date(2026, 4, 16))
    assert list(dashboard.declaration_due(branch, timezone.localdate())) == []
    assert list(dashboard.declaration_overdue(branch, timezone.localdate())) == [certificate]
    client.force_login(cast.staff_a)
    page = client.get(URL).content.decode()
    assert 'data-testid="declaration-overdue"' in page
    assert certificate.number in page
    # Declared (in a flux), it leaves both lists; a revoked certificate never shows.
    Certificate.objects.filter(pk=certificate.pk).update(reported_to_passport_at=timezone.now())
    assert list(dashboard.declaration_overdue(branch, timezone.localdate())) == []
    Certificate.objects.filter(pk=certificate.pk).update(
        reported_to_passport_at=None, status="revoked"
    )
    assert list(dashboard.declaration_overdue(branch, timezone.localdate())) == []


def test_partial_validations_expiring_within_six_months(cast: Any) -> None:
    certificate = workflow.award(cast).certificates.get()
    today = timezone.localdate()
    Certificate.objects.filter(pk=certificate.pk).update(
        kind=CertificateKind.PARTIAL, valid_until=today + datetime.timedelta(days=30)
    )
    assert list(dashboard.expiring_partials(cast.branch_a, today)) == [certificate]
    Certificate.objects.filter(pk=certificate.pk).update(
        valid_until=today + datetime.timedelta(days=170)
    )
    assert list(dashboard.expiring_partials(cast.branch_a, today)) == [certificate]
    Certificate.objects.filter(pk=certificate.pk).update(
        valid_until=today + datetime.timedelta(days=200)
    )
    assert list(dashboard.expiring_partials(cast.branch_a, today)) == []
    # An unlimited validity (no end date) never expires.
    Certificate.objects.filter(pk=certificate.pk).update(valid_until=None)
    assert list(dashboard.expiring_partials(cast.branch_a, today)) == []


def test_a_completed_partial_validation_is_no_longer_listed_as_expiring(
    client: Any, cast: Any, monkeypatch: Any
) -> None:
    attestation = workflow.partial(cast, validated=2).certificates.get()
    lapses = datetime.date(2028, 6, 15)
    Certificate.objects.filter(pk=attestation.pk).update(
        valid_until=lapses, snapshot={**attestation.snapshot, "valid_until": lapses.isoformat()}
    )
    # The clock stopped two months before it lapses.
    moment = datetime.datetime(2028, 4, 15, 9, 0, tzinfo=datetime.UTC)
    monkeypatch.setattr(timezone, "now", lambda: moment)
    client.force_login(cast.staff_a)
    listed = client.get(URL).content.decode()
    assert attestation.number in listed.split('data-testid="expiring"')[1]
    assert list(dashboard.expiring_partials(cast.branch_a, timezone.localdate())) == [attestation]

    monkeypatch.undo()
    full = workflow.complete(cast, attestation).certificates.get()
    monkeypatch.setattr(timezone, "now", lambda: moment)

    assert list(dashboard.expiring_partials(cast.branch_a, timezone.localdate())) == []
    client.force_login(cast.staff_a)
    page = client.get(URL)
    assert page.context["board"].expiring_count == 0
    assert attestation.number not in page.content.decode()
    assert full.number  # the certificate that completed it stands


def test_the_dashboard_costs_the_same_queries_whatever_the_volume(
    client: Any, cast: Any, django_assert_num_queries: Any
) -> None:
    client.force_login(cast.staff_a)
    workflow.open_dossier(cast)
    with CaptureQueriesContext(connection) as few:
        client.get(URL)
    for _ in range(5):
        workflow.open_dossier(cast, candidate=CandidateFactory.create(branch=cast.branch_a))
    with django_assert_num_queries(len(few)):
        response = client.get(URL)
    assert response.context["board"].total == 6


def test_every_count_of_what_waits_is_a_link_to_exactly_those_dossiers(
    client: Any, cast: Any
) -> None:
    vae = workflow.open_dossier(cast, route=AccessRoute.VAE)
    continuing = workflow.open_dossier(cast, candidate=cast.other_candidate)
    ready = workflow.ready_for_jury(cast, candidate=CandidateFactory.create(branch=cast.branch_a))
    assert set(dashboard.TODO_LABELS) == {step.todo for step in dossier_workflow.staff_todo()}
    client.force_login(cast.staff_a)
    page = client.get(reverse("candidates:dashboard")).content.decode()
    for todo, expected in (
        ("admissibility", vae),
        ("positioning", continuing),
        ("to_schedule", ready),
    ):
        link = f"{reverse('candidates:dossier_list')}?todo={todo}"
        assert f'href="{link}"' in page
        listed = client.get(link).content.decode()
        assert expected.reference in listed, todo
        others = {vae, continuing, ready} - {expected}
        assert not any(other.reference in listed for other in others), todo


def test_a_national_administrator_sees_every_branch_at_a_glance(client: Any, cast: Any) -> None:
    workflow.ready_for_jury(cast)
    client.force_login(cast.admin)

    page = client.get(reverse("candidates:dashboard")).content.decode()

    assert "Toutes les branches" in page
    for branch in (cast.branch_a, cast.branch_b):
        assert f'href="?branch={branch.pk}"' in page
    rows = {row["branch"]: row for row in dashboard.national_overview()}
    assert (rows[cast.branch_a]["total"], rows[cast.branch_a]["to_schedule"]) == (1, 1)
    assert rows[cast.branch_b]["total"] == 0
    client.force_login(cast.staff_a)
    assert "Toutes les branches" not in client.get(reverse("candidates:dashboard")).content.decode()


def test_the_national_overview_costs_two_queries_whatever_the_branches(cast: Any) -> None:
    with CaptureQueriesContext(connection) as queries:
        dashboard.national_overview()
    assert len(queries) == 2  # the counts grouped by branch, then the branches


def test_staff_see_the_candidates_who_have_not_activated_their_space(
    client: Any, cast: Any
) -> None:
    from candidates import services as dossier_services

    activated = workflow.open_dossier(cast)  # the cast's candidate has set a password
    imported = CandidateFactory.create(branch=cast.branch_a, email="", user=None)
    without_address = workflow.open_dossier(cast, candidate=imported)
    invited_candidate = CandidateFactory.create(branch=cast.branch_a, user=None)
    invited = workflow.open_dossier(cast, candidate=invited_candidate)  # invited at opening
    withdrawn = workflow.open_dossier(
        cast, candidate=CandidateFactory.create(branch=cast.branch_a, email="", user=None)
    )
    dossier_services.dossier_withdraw(dossier=withdrawn, by=cast.staff_a, comment="Départ")

    assert dashboard.waiting_on_staff(cast.branch_a)["space_not_activated"] == 2
    client.force_login(cast.staff_a)
    page = client.get(reverse("candidates:dashboard")).content.decode()
    link = reverse("candidates:dossier_list") + "?todo=space_not_activated"
    assert f'href="{link}">2 candidats n\'ont pas encore activé leur espace' in page
    listed = client.get(link).context["rows"]
    assert {row["pk"] for row in listed} == {without_address.pk, invited.pk}
    assert activated.pk not in {row["pk"] for row in listed}

    detail = client.get(reverse("candidates:dossier_detail", args=[invited.pk])).content.decode()
    assert "invité, pas encore activé" in detail
    detail = client.get(
        reverse("candidates:dossier_detail", args=[without_address.pk])
    ).content.decode()
    assert "sans adresse e-mail : pas d'accès" in detail
