"""Which fields of a candidate are personal, and what replaces each when the candidate is anonymised.

The one list the anonymisation reads. Every concrete field of `Candidate` is either here or in
`CANDIDATE_KEPT_FIELDS` (a test checks it): a field added to the model must be classified here.
"""

from __future__ import annotations

import datetime
from collections.abc import Callable
from typing import Any

# A birth date nobody has (the column is required); the identity constraint is kept unique by
# the last name, which carries the row's id.
ANONYMOUS_BIRTH_DATE = datetime.date(1900, 1, 1)

CANDIDATE_PERSONAL_FIELDS: dict[str, Callable[[Any], Any]] = {
    "last_name": lambda candidate: f"ANONYME-{candidate.pk}",
    "first_name": lambda candidate: "Anonyme",
    "birth_date": lambda candidate: ANONYMOUS_BIRTH_DATE,
    "birth_place": lambda candidate: "",
    "email": lambda candidate: "",
    # The identity of the CDC declaration (docs/cdc.md); the declarations already made keep
    # their own copy, in the flux file the Caisse received.
    "usage_name": lambda candidate: "",
    "first_name_2": lambda candidate: "",
    "first_name_3": lambda candidate: "",
    "sex": lambda candidate: "",
    "birth_insee_code": lambda candidate: "",
    "birth_postal_code": lambda candidate: "",
    "birth_country_code": lambda candidate: "",
    "birth_country_label": lambda candidate: "",
    # The account is anonymised (or kept, if it holds another role) before it is unlinked.
    "user": lambda candidate: None,
    # Unlinked from the national person, who is anonymised too unless another branch's
    # candidate record still points to them (candidates.services.person_anonymise_if_unclaimed).
    "person": lambda candidate: None,
}

# Not personal, or needed to keep the figures and the branch's counts: the branch, the row's
# id and when it was registered.
CANDIDATE_KEPT_FIELDS = frozenset({"id", "branch", "created_at"})
