"""Isolation cases for the certificates issued before the platform: staff pages, import, public lookup."""

from __future__ import annotations

from typing import Any

from django.shortcuts import resolve_url

from historic import claims, imports

from .framework import Case, URLBuilder, listing
from .world import World

STAFF = frozenset({"admin", "staff_a"})
STAFF_BOTH = frozenset({"admin", "staff_a", "staff_b"})


def _record(name: str) -> dict[str, URLBuilder]:
    def build(side: str) -> URLBuilder:
        return lambda world: resolve_url(name, getattr(world, side).extra["historic"].pk)

    return {"a": build("a"), "b": build("b")}


def _claim_url(side: str) -> URLBuilder:
    return lambda world: resolve_url(
        "historic:claim", claims.claim_token(getattr(world, side).extra["historic"])
    )


# The link is the invitation: any signed-in candidate holding it sees the form and may try
# (the birth date decides); every other account is told to use a candidate's (403).
CLAIMANTS = frozenset({"candidate", "other_candidate"})


def _preview_url(name: str, side: str) -> Any:
    """An (empty) import preview kept for the staff of `side`: it is theirs alone."""

    def build(world: World) -> str:
        owner = getattr(world, side)
        preview = imports.Preview(
            branch_id=owner.branch.pk, user_id=owner.staff.pk, filename="registre.csv"
        )
        return resolve_url(name, imports.store_preview(preview))

    return build


def _preview_case(name: str, method: str) -> Case:
    targets = {"a": _preview_url(name, "a"), "b": _preview_url(name, "b")}
    # Only the person who uploaded the file may see or confirm its preview.
    owner = frozenset({"staff_a"})
    if method == "GET":
        return Case(name, targets, read=owner)
    return Case(name, targets, methods=("POST",), write=owner)


CASES = [
    # The COC reads figures, not names: the records are the staff's (and the admin's).
    Case("historic:historic_list", listing("historic:historic_list"), read=STAFF_BOTH),
    Case("historic:historic_detail", _record("historic:historic_detail"), read=STAFF),
    Case(
        "historic:import_upload",
        listing("historic:import_upload"),
        methods=("GET", "POST"),
        read=STAFF_BOTH,
        write=STAFF_BOTH,
    ),
    Case(
        "historic:claim_invite",
        _record("historic:claim_invite"),
        methods=("POST",),
        write=STAFF,
        # Without an address the form comes back (400); nothing is sent or stored.
        ok_statuses=frozenset({400}),
    ),
    Case(
        "historic:claim",
        {"a": _claim_url("a"), "b": _claim_url("b")},
        methods=("GET", "POST"),
        allow={
            "a": {"GET": CLAIMANTS, "POST": CLAIMANTS},
            "b": {"GET": CLAIMANTS, "POST": CLAIMANTS},
        },
        # Without a birth date the form comes back (400); nothing is stored.
        ok_statuses=frozenset({400}),
    ),
    Case("historic:import_template", listing("historic:import_template"), read=STAFF_BOTH),
    _preview_case("historic:import_preview", "GET"),
    _preview_case("historic:import_confirm", "POST"),
    Case(
        "historic:verify_lookup",
        listing("historic:verify_lookup"),
        methods=("GET", "POST"),
        public=True,
        # A POST without the three fields re-renders the form (400); nothing is stored.
        ok_statuses=frozenset({400}),
    ),
]
