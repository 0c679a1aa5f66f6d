"""The declaration pages: who may reach them, what they show, the acknowledgement form."""

from __future__ import annotations

from typing import Any

import pytest
from django.urls import reverse

from declarations import flux as cdc
from declarations import services
from declarations.models import DeclarationFlux, EntryOutcome, FluxStatus

from .conftest import awarded

pytestmark = pytest.mark.django_db
LOGIN = reverse("accounts:login")


def _refused(client: Any, cast: Any, method: str, url: str, data: Any = None) -> None:
    """Anonymous to the login page; other roles refused (403, or 404 where they cannot see
    the object); the other branch's staff 404."""
    call = getattr(client, method)
    client.logout()
    assert call(url, data or {})["Location"].startswith(LOGIN)
    for person in ("evaluator", "jury_employer", "candidate_user", "outsider"):
        client.force_login(getattr(cast, person))
        assert call(url, data or {}).status_code in (403, 404), person
    client.force_login(cast.staff_b)
    assert call(url, data or {}).status_code == 404


def test_the_branch_page_lists_ready_and_blocked_awards(
    client: Any, cast: Any, cdc_branch: Any
) -> None:
    ready = awarded(cast)
    blocked = awarded(cast, birth_country_code="", birth_country_label="")
    url = reverse("declarations:branch", args=[cdc_branch.pk])
    _refused(client, cast, "get", url)
    client.force_login(cast.staff_a)
    response = client.get(url)
    assert response.status_code == 200
    assert [i.certificate for i in response.context["ready"]] == [ready]
    assert [i.certificate for i in response.context["blocked"]] == [blocked]
    body = response.content.decode()
    assert "code du pays de naissance" in body
    assert reverse("candidates:candidate_identity", args=[blocked.dossier.candidate_id]) in body


def test_the_index_leads_to_the_branch(client: Any, cast: Any) -> None:
    url = reverse("declarations:index")
    client.force_login(cast.evaluator)
    assert client.get(url).status_code == 403
    client.force_login(cast.staff_a)
    assert client.get(url)["Location"] == reverse("declarations:branch", args=[cast.branch_a.pk])
    client.force_login(cast.admin)
    assert client.get(url).status_code == 200


def test_producing_a_flux_from_the_page(client: Any, cast: Any, cdc_branch: Any) -> None:
    awarded(cast)
    url = reverse("declarations:flux_create", args=[cdc_branch.pk])
    _refused(client, cast, "post", url)
    assert not DeclarationFlux.objects.exists()
    client.force_login(cast.staff_a)
    response = client.post(url)
    record = DeclarationFlux.objects.get()
    assert response["Location"] == reverse("declarations:flux_detail", args=[record.pk])
    # Nothing left: the refusal is shown, back on the branch page.
    response = client.post(url, follow=True)
    assert "Aucune certification à déclarer" in response.content.decode()


def test_the_flux_file_is_downloaded_by_its_branch_only(
    client: Any, cast: Any, cdc_branch: Any
) -> None:
    awarded(cast)
    record = services.flux_create(branch=cdc_branch, by=cast.staff_a)
    url = reverse("declarations:flux_download", args=[record.pk])
    _refused(client, cast, "get", url)
    client.force_login(cast.staff_a)
    response = client.get(url)
    assert response.status_code == 200
    assert response["Content-Type"] == "application/xml"
    content = b"".join(response.streaming_content)
    assert cdc.errors(content) == []


def test_the_acknowledgement_is_recorded_by_marking_entries(
    client: Any, cast: Any, cdc_branch: Any
) -> None:
    kept, refused = awarded(cast), awarded(cast)
    record = services.flux_create(branch=cdc_branch, by=cast.staff_a)
    entry = record.entries.get(certificate=refused)
    detail = reverse("declarations:flux_detail", args=[record.pk])
    url = reverse("declarations:flux_acknowledge", args=[record.pk])
    _refused(client, cast, "get", detail)
    _refused(client, cast, "post", url, {})
    record.refresh_from_db()
    assert record.status == FluxStatus.SENT

    client.force_login(cast.staff_a)
    assert client.get(detail).status_code == 200
    # A rejection without its reason is sent back.
    response = client.post(url, {f"reject_{entry.pk}": "on"})
    assert response.status_code == 400
    assert "motif du rejet" in response.content.decode()
    response = client.post(
        url, {f"reject_{entry.pk}": "on", f"reason_{entry.pk}": "Code commune inconnu"}
    )
    assert response.status_code == 302
    record.refresh_from_db()
    assert record.status == FluxStatus.ACKNOWLEDGED
    assert record.entries.get(certificate=kept).outcome == EntryOutcome.ACCEPTED
    assert record.entries.get(certificate=refused).outcome == EntryOutcome.REJECTED
    page = client.get(detail).content.decode()
    assert "Code commune inconnu" in page


def test_a_correction_is_recorded_from_the_page(client: Any, cast: Any, cdc_branch: Any) -> None:
    from certifications import services as certificate_services

    certificate = awarded(cast)
    record = services.flux_create(branch=cdc_branch, by=cast.staff_a)
    entry = record.entries.get()
    certificate_services.certificate_revoke(
        certificate=certificate, reason="Fraude", by=cast.staff_a
    )
    url = reverse("declarations:correction_record", args=[entry.pk])
    _refused(client, cast, "post", url, {"note": "x"})
    client.force_login(cast.staff_a)
    page = client.get(reverse("declarations:branch", args=[cdc_branch.pk])).content.decode()
    assert 'data-testid="corrections"' in page
    client.post(url, {"note": "Retrait fait sur le portail"})
    entry.refresh_from_db()
    assert entry.correction_recorded_by == cast.staff_a


def test_a_revoked_membership_closes_the_declarations(
    client: Any, cast: Any, cdc_branch: Any
) -> None:
    from branches.models import Membership

    awarded(cast)
    record = services.flux_create(branch=cdc_branch, by=cast.staff_a)
    Membership.objects.filter(user=cast.staff_a).update(is_active=False)
    client.force_login(cast.staff_a)
    for url in (
        reverse("declarations:index"),
        reverse("declarations:branch", args=[cdc_branch.pk]),
        reverse("declarations:flux_detail", args=[record.pk]),
        reverse("declarations:flux_download", args=[record.pk]),
    ):
        assert client.get(url).status_code in (403, 404), url


def test_the_branch_page_costs_the_same_queries_for_1_and_for_4_awards(
    client: Any, cast: Any, cdc_branch: Any, django_assert_num_queries: Any
) -> None:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    url = reverse("declarations:branch", args=[cdc_branch.pk])
    client.force_login(cast.staff_a)
    awarded(cast)
    awarded(cast, sex="")
    with CaptureQueriesContext(connection) as few:
        client.get(url)
    for _ in range(2):
        awarded(cast)
        awarded(cast, sex="")
    with django_assert_num_queries(len(few)):
        response = client.get(url)
    assert len(response.context["ready"]) == 3
    assert len(response.context["blocked"]) == 3


def test_the_flux_page_costs_the_same_queries_whatever_its_size(
    client: Any, cast: Any, cdc_branch: Any, django_assert_num_queries: Any
) -> None:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client.force_login(cast.staff_a)
    awarded(cast)
    small = services.flux_create(branch=cdc_branch, by=cast.staff_a)
    with CaptureQueriesContext(connection) as few:
        client.get(reverse("declarations:flux_detail", args=[small.pk]))
    for _ in range(3):
        awarded(cast)
    large = services.flux_create(branch=cdc_branch, by=cast.staff_a)
    assert large.entries.count() == 3
    with django_assert_num_queries(len(few)):
        client.get(reverse("declarations:flux_detail", args=[large.pk]))
