"""The ledger: what a person validated, equal to their issued documents, for whom may see it."""

from __future__ import annotations

from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from candidates import ledger
from certifications import services as certificate_services
from certifications.models import Certificate, CertificateKind
from tests.workflow import award, partial


def _snapshot_capacities(certificate: Certificate) -> set[tuple[str, str]]:
    return {
        (bloc["code"], capacity["code"])
        for bloc in certificate.snapshot["blocs"]
        for capacity in bloc["capacities"]
    }


def test_the_ledger_equals_the_issued_documents(cast: Any) -> None:
    first = partial(cast, validated=3)
    second = award(cast, candidate=cast.candidate)
    documents = {c.number: c for c in Certificate.objects.filter(dossier__candidate=cast.candidate)}
    assert len(documents) == 2

    entries = ledger.person_ledger(cast.candidate.person)

    assert {e.number for e in entries} == set(documents)
    for entry in entries:
        document = documents[entry.number]
        assert entry.kind == document.kind
        assert entry.issued_on == document.issued_on
        assert entry.valid_until == document.valid_until
        assert entry.branch_name == cast.branch_a.name
        assert entry.cqpi_title == cast.referentiel.title
        assert entry.version == cast.version.number
        assert {(b.code, c.code) for b in entry.blocs for c in b.capacities} == (
            _snapshot_capacities(document)
        )
    partial_entry = next(e for e in entries if e.kind == CertificateKind.PARTIAL)
    assert len(partial_entry.capacity_codes) == 3
    assert first.dossier_id != second.dossier_id


def test_a_revoked_document_leaves_the_ledger(cast: Any) -> None:
    decision = award(cast)
    certificate = decision.certificates.get()
    certificate_services.certificate_revoke(
        certificate=certificate, reason="Erreur de saisie", by=cast.staff_a
    )
    assert ledger.person_ledger(cast.candidate.person) == []


def test_a_reissue_replaces_the_document_it_supersedes(cast: Any) -> None:
    certificate = award(cast).certificates.get()
    replacement = certificate_services.certificate_reissue(
        certificate=certificate, reason="Nom mal orthographié", by=cast.staff_a
    )
    assert [e.number for e in ledger.person_ledger(cast.candidate.person)] == [replacement.number]


def test_the_ledger_follows_the_person_across_branches(cast: Any) -> None:
    from tests.factories import CandidateFactory

    award(cast)
    twin = CandidateFactory.create(branch=cast.branch_b, person=cast.candidate.person)
    assert [e.branch_name for e in ledger.candidate_ledger(twin)] == [cast.branch_a.name]
    stranger = CandidateFactory.create(branch=cast.branch_b)
    assert ledger.candidate_ledger(stranger) == []


@pytest.mark.parametrize("documents", [1, 3])
def test_the_candidates_page_costs_the_same_whatever_the_documents(
    client: Any, cast: Any, documents: int
) -> None:
    for _ in range(documents):
        award(cast)
    client.force_login(cast.candidate_user)
    url = reverse("space:ledger")
    client.get(url)  # the session and roles warm up
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    assert response.status_code == 200
    assert response.content.decode().count('data-testid="ledger-entry"') == documents
    # the user, their roles, the documents, the records issued before the platform (the
    # historic room's ledger source): the same count for 1 and for 3 documents
    assert len(queries) == 4, [q["sql"] for q in queries.captured_queries]


def test_staff_read_the_ledger_of_their_own_candidates_only(client: Any, cast: Any) -> None:
    number = award(cast).certificates.get().number
    url = reverse("candidates:candidate_ledger", args=[cast.candidate.pk])
    client.force_login(cast.staff_a)
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    assert response.status_code == 200
    assert number in response.content.decode()
    assert len(queries) <= 8, [q["sql"] for q in queries.captured_queries]
    client.force_login(cast.staff_b)
    assert client.get(url).status_code == 404
    # The evaluator sees the candidate through their grid, without running the branch.
    client.force_login(cast.evaluator)
    assert client.get(url).status_code == 403
    client.logout()
    assert client.get(url).status_code == 302


def test_a_candidate_sees_their_ledger_not_anothers(client: Any, cast: Any) -> None:
    number = award(cast).certificates.get().number
    client.force_login(cast.candidate_user)
    assert number in client.get(reverse("space:ledger")).content.decode()
    client.force_login(cast.other_candidate_user)
    assert number not in client.get(reverse("space:ledger")).content.decode()
    client.force_login(cast.staff_a)
    assert client.get(reverse("space:ledger")).status_code == 403
