"""Anonymising a candidate takes their national person along, unless another branch still
holds a candidate record of that person."""

from __future__ import annotations

from typing import Any

import pytest

from candidates.models import Candidate, Person
from privacy.services import candidate_anonymise
from tests.factories import CandidateFactory

pytestmark = pytest.mark.django_db


def test_the_last_candidate_record_takes_the_person_along(cast: Any) -> None:
    candidate = CandidateFactory.create(branch=cast.branch_a, last_name="Marchand")
    person = candidate.person
    assert person is not None

    counts = candidate_anonymise(candidate=candidate, reason="retention")

    person.refresh_from_db()
    candidate.refresh_from_db()
    assert counts["persons"] == 1 and candidate.person is None
    assert person.last_name == f"ANONYME-{person.pk}" and person.first_name == "Anonyme"
    assert "marchand" not in person.identity_key.lower()


def test_a_person_another_branch_still_holds_keeps_their_identity(cast: Any) -> None:
    candidate = CandidateFactory.create(branch=cast.branch_a, last_name="Marchand")
    person = candidate.person
    assert person is not None
    elsewhere = CandidateFactory.create(
        branch=cast.branch_b,
        last_name="Marchand",
        first_name=candidate.first_name,
        birth_date=candidate.birth_date,
        person=person,
    )

    counts = candidate_anonymise(candidate=candidate, reason="erasure")

    person.refresh_from_db()
    assert counts["persons"] == 0 and person.last_name == "Marchand"
    assert Candidate.objects.get(pk=elsewhere.pk).person == person
    assert Candidate.objects.get(pk=candidate.pk).person is None
    assert Person.objects.filter(pk=person.pk).exists()
