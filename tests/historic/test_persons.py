"""The holders of imported historic certificates are linked to national persons, branch by branch."""

from __future__ import annotations

from typing import Any

import pytest

from candidates.models import Person, PersonAction, PersonEvent
from historic import services
from historic.models import HistoricCertificate
from tests.factories import CandidateFactory
from tests.historic.test_imports import preview_of, row

pytestmark = pytest.mark.django_db


def _import(cast: Any, lines: list[str], *, branch: Any = None, by: Any = None) -> list[Any]:
    branch = branch or cast.branch_a
    by = by or cast.staff_a
    rows = preview_of(cast, lines).rows
    return services.historic_import(branch=branch, rows=rows, by=by)


def holder(n: int, **identity: str) -> dict[str, str]:
    return {
        "last_name": "Écroubert",
        "first_name": "Léa",
        "birth_date": "14/03/1980",
        "birth_place": "Lille",
        "number": f"ALP-2008-{n:04d}",
    } | identity


def test_rows_of_one_identity_share_one_new_person(cast: Any) -> None:
    before = Person.objects.count()
    _import(
        cast,
        [
            row(cast, 1, **holder(1)),
            # The same holder, written another way: accents, case, hyphens do not decide.
            row(cast, 2, **holder(2, last_name="ECROUBERT", first_name="lea")),
            row(cast, 3, **holder(3, birth_date="15/03/1980")),
        ],
    )
    records = {r.number: r for r in HistoricCertificate.objects.select_related("person")}
    one, two, three = (records[f"ALP-2008-{n:04d}"] for n in (1, 2, 3))
    assert one.person_id == two.person_id != three.person_id
    assert Person.objects.count() == before + 2
    assert one.person.last_name == "Écroubert" and one.person.birth_place == "Lille"
    assert one.person.identity_key == one.person.identity().key
    created = PersonEvent.objects.filter(person__in=[one.person, three.person])
    assert {(e.action, e.by_id) for e in created} == {(PersonAction.CREATED, cast.staff_a.pk)}
    assert created.count() == 2


def test_a_holder_already_candidate_of_the_branch_is_linked_to_their_person(cast: Any) -> None:
    candidate = cast.candidate
    before = Person.objects.count()
    _import(
        cast,
        [
            row(
                cast,
                1,
                last_name=candidate.last_name,
                first_name=candidate.first_name,
                birth_date=candidate.birth_date.strftime("%d/%m/%Y"),
                birth_place=candidate.birth_place,
            )
        ],
    )
    assert HistoricCertificate.objects.get().person_id == candidate.person_id
    assert Person.objects.count() == before


def test_a_holder_of_an_earlier_batch_of_the_branch_keeps_their_person(cast: Any) -> None:
    _import(cast, [row(cast, 1, **holder(1))])
    _import(cast, [row(cast, 2, **holder(2))])
    first, second = HistoricCertificate.objects.order_by("number")
    assert first.person_id == second.person_id


def test_another_branchs_person_is_never_reached(cast: Any) -> None:
    # The same identity is a candidate of branch B: branch A's import does not see them.
    stranger = CandidateFactory.create(
        branch=cast.branch_b,
        last_name="Écroubert",
        first_name="Léa",
        birth_date=__import__("datetime").date(1980, 3, 14),
        birth_place="Lille",
    )
    # ... nor B's own historic records of them.
    _import(
        cast,
        [row(cast, 7, **holder(7, number="BET-2008-0007"))],
        branch=cast.branch_b,
        by=cast.staff_b,
    )
    b_record = HistoricCertificate.objects.get(branch=cast.branch_b)
    assert b_record.person_id == stranger.person_id
    _import(cast, [row(cast, 1, **holder(1))])
    a_record = HistoricCertificate.objects.get(branch=cast.branch_a)
    assert a_record.person_id not in (stranger.person_id, None)


def test_an_identity_with_another_birth_place_is_another_person(cast: Any) -> None:
    _import(cast, [row(cast, 1, **holder(1))])
    _import(cast, [row(cast, 2, **holder(2, birth_place="Roubaix"))])
    first, second = HistoricCertificate.objects.order_by("number")
    assert first.person_id != second.person_id


def test_the_import_looks_persons_up_once_per_batch(
    cast: Any, django_assert_max_num_queries: Any
) -> None:
    lines = [row(cast, n, **holder(n, first_name=f"Prénom{n}")) for n in range(1, 41)]
    rows = preview_of(cast, lines).rows
    # branch lock, numbers taken, référentiels, versions, persons of the branch, persons
    # inserted, their events, records, audit (and its context): not one per row.
    with django_assert_max_num_queries(14):
        services.historic_import(branch=cast.branch_a, rows=rows, by=cast.staff_a)
    assert HistoricCertificate.objects.filter(person__isnull=False).count() == 40


def test_the_backfill_links_older_records_by_the_same_rule(cast: Any) -> None:
    from django.core.management import call_command

    from audit.models import AuditEvent

    _import(cast, [row(cast, 1, **holder(1)), row(cast, 2, **holder(2))])
    _import(cast, [row(cast, 3, **holder(3)), row(cast, 4, **holder(4, first_name="Marc"))])
    # As the records stood before persons: none linked.
    HistoricCertificate.objects.update(person=None)
    out = __import__("io").StringIO()
    call_command("link_historic_persons", dry_run=True, stdout=out)
    assert "Simulation" in out.getvalue() and "4 certificat(s)" in out.getvalue()
    assert not HistoricCertificate.objects.filter(person__isnull=False).exists()
    call_command("link_historic_persons", stdout=out)
    records = {r.number: r.person_id for r in HistoricCertificate.objects.all()}
    # The holder of 1 and 2 is the holder of 3 (same branch, same identity); 4 is another.
    assert records["ALP-2008-0001"] == records["ALP-2008-0002"] == records["ALP-2008-0003"]
    assert records["ALP-2008-0004"] not in (None, records["ALP-2008-0001"])
    assert AuditEvent.objects.filter(action="historic.persons_backfill").count() == 1
    call_command("link_historic_persons", stdout=out)
    assert AuditEvent.objects.filter(action="historic.persons_backfill").count() == 1
