"""Isolation cases for the API's dossier endpoints (the other API endpoints: `cases_api.py`)."""

from __future__ import annotations

from .framework import ALL_SIGNED_IN, Case, listing, sides, url

# Who sees branch A's dossier in evaluation: its staff, the company's référent scoring it
# with the evaluator, the candidate, the evaluator; branch B's: its staff and the evaluator
# of its grid.
SEE_A = frozenset({"admin", "staff_a", "referent_a", "candidate", "evaluator"})
SEE_B = frozenset({"admin", "staff_b", "other_evaluator"})
SEE_OTHER = frozenset({"admin", "staff_a", "other_candidate", "other_evaluator"})

CASES = [
    # Everyone signed in gets a list, of their own dossiers only; staff open dossiers, and
    # another branch's candidate or company in the body is an invalid choice.
    Case(
        "api:dossier-list",
        {**listing("api:dossier-list"), "foreign_ids": listing("api:dossier-list")["list"]},
        methods=("GET", "POST"),
        read=ALL_SIGNED_IN,
        # The body names branch A's candidate: only its staff (and the administrator) open it.
        write=frozenset({"admin", "staff_a"}),
        allow={"foreign_ids": {"GET": ALL_SIGNED_IN, "POST": frozenset({"admin", "staff_b"})}},
        only_roles={"foreign_ids": frozenset({"staff_a", "admin", "staff_b"})},
        refused_statuses=frozenset({400, 403, 404}),
        data=lambda world, target: {
            "candidate": (world.b if target == "foreign_ids" else world.a).candidate.pk,
            "company": (world.b if target == "foreign_ids" else world.a).company.pk,
            "version": world.version.pk,
            "access_route": "continuing",
        },
        api=True,
    ),
    Case(
        "api:dossier-detail",
        {
            **sides("api:dossier-detail", "evaluation_dossier"),
            # The other candidate's: the replaced evaluator's grant is gone, and the company's
            # référent, not on its evaluation, never had one.
            "other": url("api:dossier-detail", "other_dossier"),
        },
        read=SEE_A,
        allow={"b": {"GET": SEE_B}, "other": {"GET": SEE_OTHER}},
        api=True,
    ),
    Case(
        "api:dossier-history",
        sides("api:dossier-history", "evaluation_dossier"),
        read=SEE_A,
        allow={"b": {"GET": SEE_B}},
        api=True,
    ),
    Case(
        "api:dossier-withdraw",
        sides("api:dossier-withdraw", "evaluation_dossier"),
        methods=("POST",),
        write=frozenset({"admin", "staff_a"}),
        data=lambda world, target: {"comment": "Départ de l'entreprise"},
        api=True,
    ),
]
