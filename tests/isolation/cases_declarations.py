"""Isolation cases for the declarations to the Caisse des Dépôts (declarations/)."""

from __future__ import annotations

from .framework import Case, listing, sides

STAFF = frozenset({"admin", "staff_a"})
STAFF_BOTH = frozenset({"admin", "staff_a", "staff_b"})

CASES = [
    Case("declarations:index", listing("declarations:index"), read=STAFF_BOTH),
    Case("declarations:branch", sides("declarations:branch", "branch"), read=STAFF),
    Case(
        "declarations:flux_create",
        sides("declarations:flux_create", "branch"),
        methods=("POST",),
        write=STAFF,
    ),
    Case("declarations:flux_detail", sides("declarations:flux_detail", "flux"), read=STAFF),
    Case("declarations:flux_download", sides("declarations:flux_download", "flux"), read=STAFF),
    Case(
        "declarations:flux_acknowledge",
        sides("declarations:flux_acknowledge", "flux"),
        methods=("POST",),
        write=STAFF,
    ),
    Case(
        "declarations:correction_record",
        sides("declarations:correction_record", "flux_entry"),
        methods=("POST",),
        write=STAFF,
        data=lambda world, target: {"note": "Retrait demandé sur le portail"},
    ),
]

# The staff's correction of a candidate's identity (candidates/).
CASES += [
    Case(
        "candidates:candidate_identity",
        sides("candidates:candidate_identity", "candidate"),
        methods=("GET", "POST"),
        read=STAFF,
        write=STAFF,
        data=lambda world, target: {
            "last_name": getattr(world, target).candidate.last_name,
            "first_name": "Cand",
            "birth_date": "1990-01-01",
            "birth_place": "Lille",
            "sex": "M",
            "birth_insee_code": "59350",
            "birth_country_code": "100",
            "birth_country_label": "France",
        },
    ),
]
