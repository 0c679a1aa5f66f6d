"""Every field of a candidate is classified: personal (replaced on anonymisation) or kept."""

from __future__ import annotations

from candidates.models import Candidate
from privacy.personal_fields import CANDIDATE_KEPT_FIELDS, CANDIDATE_PERSONAL_FIELDS


def test_every_field_of_a_candidate_is_either_personal_or_kept() -> None:
    fields = {field.name for field in Candidate._meta.concrete_fields}
    personal = set(CANDIDATE_PERSONAL_FIELDS)
    assert not personal & CANDIDATE_KEPT_FIELDS
    # A field added to Candidate fails here until privacy/personal_fields.py classifies it.
    assert fields == personal | CANDIDATE_KEPT_FIELDS


def test_a_replacement_names_nobody_and_stays_unique() -> None:
    candidate = Candidate(pk=41, last_name="Durand", first_name="Léa", email="lea@example.test")
    replaced = {name: make(candidate) for name, make in CANDIDATE_PERSONAL_FIELDS.items()}
    assert "Durand" not in str(replaced) and "Léa" not in str(replaced)
    assert replaced["last_name"] == "ANONYME-41"
