"""Isolation cases for the erasure pages: the candidate's request, the staff's list and answers."""

from __future__ import annotations

from .framework import Case, listing, sides

CANDIDATES = frozenset({"candidate", "other_candidate"})
STAFF = frozenset({"admin", "staff_a"})

CASES = [
    Case(
        "privacy:own_erasure",
        listing("privacy:own_erasure"),
        methods=("GET", "POST"),
        read=CANDIDATES,
        write=CANDIDATES,
        data=lambda world, target: {"message": "Effacez tout."},
    ),
    Case(
        "privacy:request_list",
        listing("privacy:request_list"),
        read=frozenset({"admin", "staff_a", "staff_b"}),
    ),
    Case(
        "privacy:request_detail",
        sides("privacy:request_detail", "erasure_request"),
        read=STAFF,
    ),
    Case(
        "privacy:request_approve",
        sides("privacy:request_approve", "erasure_request"),
        methods=("POST",),
        write=STAFF,
        data=lambda world, target: {"approve-answer": "Le certificat est conservé."},
    ),
    Case(
        "privacy:request_refuse",
        sides("privacy:request_refuse", "erasure_request"),
        methods=("POST",),
        write=STAFF,
        data=lambda world, target: {"refuse-answer": "Dossier en cours."},
    ),
]
