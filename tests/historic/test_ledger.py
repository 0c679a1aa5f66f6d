"""The historic records in the person's ledger: a source the historic room registers in core."""

from __future__ import annotations

import datetime
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from candidates import ledger
from certifications.models import CertificateKind
from core.ledger import _sources
from historic.ledger import historic_ledger_entries
from tests.factories import PersonFactory
from tests.factories_historic import HistoricCertificateFactory
from tests.workflow import award

pytestmark = pytest.mark.django_db


def test_the_historic_room_registers_its_source() -> None:
    assert _sources["historic"] is historic_ledger_entries


def test_records_of_the_person_and_of_persons_merged_into_them_are_entries(cast: Any) -> None:
    person = cast.candidate.person
    mine = HistoricCertificateFactory.create(
        branch=cast.branch_b,
        referentiel=cast.referentiel,
        version=cast.version,
        kind=CertificateKind.PARTIAL,
        capacities=["C1.1"],
        issued_on=datetime.date(2012, 5, 3),
        person=person,
    )
    duplicate = PersonFactory.create(merged_into=person)
    through_merge = HistoricCertificateFactory.create(
        branch=cast.branch_a, referentiel=cast.referentiel, person=duplicate
    )
    HistoricCertificateFactory.create(branch=cast.branch_a, referentiel=cast.referentiel)
    entries = {e.number: e for e in ledger.person_ledger(person)}
    assert set(entries) == {mine.number, through_merge.number}
    entry = entries[mine.number]
    assert entry.before_platform and entry.is_partial and entry.valid_until is None
    assert (entry.cqpi_code, entry.version, entry.branch_name) == (
        cast.referentiel.code,
        cast.version.number,
        cast.branch_b.name,
    )
    assert entry.capacity_codes == frozenset({"C1.1"})
    assert entries[through_merge.number].version is None


def test_documents_and_historic_records_are_sorted_newest_first(cast: Any) -> None:
    award(cast)
    old = HistoricCertificateFactory.create(
        branch=cast.branch_a, referentiel=cast.referentiel, person=cast.candidate.person
    )
    entries = ledger.candidate_ledger(cast.candidate)
    assert [e.before_platform for e in entries] == [False, True]
    assert entries[1].number == old.number


def test_a_historic_record_is_not_offered_for_crediting(client: Any, cast: Any) -> None:
    from tests.factories import DossierFactory

    document = award(cast).certificates.get()
    dossier = DossierFactory.create(
        candidate=cast.candidate, branch=cast.branch_a, version=cast.version
    )
    record = HistoricCertificateFactory.create(
        branch=cast.branch_a, referentiel=cast.referentiel, person=cast.candidate.person
    )
    client.force_login(cast.staff_a)
    page = client.get(reverse("candidates:dossier_detail", args=[dossier.pk])).content.decode()
    # The platform's document is offered; the paper one is not (nothing to credit it from).
    assert document.number in page and record.number not in page


@pytest.mark.parametrize("records", [1, 4])
def test_the_candidates_page_costs_the_same_whatever_the_records(
    client: Any, cast: Any, records: int
) -> None:
    HistoricCertificateFactory.create_batch(
        records,
        branch=cast.branch_a,
        referentiel=cast.referentiel,
        version=cast.version,
        person=cast.candidate.person,
    )
    client.force_login(cast.candidate_user)
    url = reverse("space:ledger")
    client.get(url)  # the session and roles warm up
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    page = response.content.decode()
    assert page.count('data-testid="ledger-before-platform"') == records
    # the user, their roles, the documents, the historic records (branch, CQPI and
    # version joined): the same count for 1 and for 4 records
    assert len(queries) == 4, [q["sql"] for q in queries.captured_queries]


def test_the_staff_ledger_page_shows_the_records_in_a_bounded_number_of_queries(
    client: Any, cast: Any
) -> None:
    HistoricCertificateFactory.create_batch(
        3, branch=cast.branch_a, referentiel=cast.referentiel, person=cast.candidate.person
    )
    url = reverse("candidates:candidate_ledger", args=[cast.candidate.pk])
    client.force_login(cast.staff_a)
    client.get(url)
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    assert response.content.decode().count('data-testid="ledger-before-platform"') == 3
    assert len(queries) <= 9, [q["sql"] for q in queries.captured_queries]
