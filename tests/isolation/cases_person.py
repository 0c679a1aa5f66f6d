"""Isolation cases for the person, the ledger, crediting and the equivalence table (#18): a
branch reads the ledger of its own candidates only, credits into its own dossiers only;
the table is read by staff and kept by national administrators."""

from __future__ import annotations

from typing import Any

from django.shortcuts import resolve_url

from .framework import Case, listing, sides
from .world import World

STAFF = frozenset({"admin", "staff_a"})
CANDIDATES = frozenset({"candidate", "other_candidate"})
ADMIN = frozenset({"admin"})


def _equivalence(name: str) -> dict[str, Any]:
    return {"list": lambda world: resolve_url(name, world.a.extra["equivalence"].pk)}


def _credit(world: World, target: str) -> dict[str, Any]:
    # The side's own certificate, of the side's candidate: a crediting that succeeds.
    side = world.b if target == "b" else world.a
    return {"credit-reference": side.certificate.number}


CASES = [
    Case(
        "candidates:candidate_ledger",
        sides("candidates:candidate_ledger", "candidate"),
        read=STAFF,
    ),
    Case("space:ledger", listing("space:ledger"), read=CANDIDATES),
    Case(
        "candidates:person_merge",
        listing("candidates:person_merge"),
        methods=("GET", "POST"),
        read=ADMIN,
        write=ADMIN,
        # Two persons of the world: the candidates of branch A and of branch B.
        data=lambda world, target: {
            "keep": str(world.a.candidate.person_id),
            "absorb": str(world.b.candidate.person_id),
            "reason": "Doublon",
        },
    ),
    Case(
        "candidates:dossier_credit",
        sides("candidates:dossier_credit", "open_dossier"),
        methods=("POST",),
        write=STAFF,
        data=_credit,
    ),
    Case(
        "certifications:equivalence_list",
        listing("certifications:equivalence_list"),
        methods=("GET", "POST"),
        read=frozenset({"admin", "staff_a", "staff_b"}),
        write=ADMIN,
        data=lambda world, target: {"comment": "Même geste professionnel"},
    ),
    Case(
        "certifications:equivalence_approve",
        _equivalence("certifications:equivalence_approve"),
        methods=("POST",),
        write=ADMIN,
    ),
    Case(
        "certifications:equivalence_supersede",
        _equivalence("certifications:equivalence_supersede"),
        methods=("POST",),
        write=ADMIN,
        data=lambda world, target: {"reason": "Contenus trop éloignés"},
    ),
]
