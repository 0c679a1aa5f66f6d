"""Isolation cases for the VAE dossier of evidence: the candidate's pages, staff's return."""

from __future__ import annotations

from typing import Any

from certifications.models import Capacity

from .framework import Case, sides, url
from .world import World


def _capacity(world: World) -> Any:
    return Capacity.objects.filter(bloc__version=world.version).order_by("pk").first()


def _statement(world: World, target: str) -> dict[str, Any]:
    return {"capacity": _capacity(world).pk, "text": "Mes activités"}


def _form(world: World, target: str) -> dict[str, Any]:
    return {f"c{_capacity(world).pk}": "Mes activités", "confirm": "1"}


def _targets(name: str) -> dict[str, Any]:
    # The candidate's open VAE dossier on each side; the other candidate's, in evaluation.
    return {**sides(name, "open_dossier"), "other_candidate": url(name, "other_dossier")}


OWNER = frozenset({"candidate"})
OTHER = frozenset({"other_candidate"})

CASES = [
    Case(
        "space:evidence_dossier",
        _targets("space:evidence_dossier"),
        methods=("GET", "POST"),
        read=OWNER,
        write=OWNER,
        allow={"other_candidate": {"GET": OTHER, "POST": OTHER}},
        data=_form,
    ),
    Case(
        "space:evidence_dossier_autosave",
        _targets("space:evidence_dossier_autosave"),
        methods=("POST",),
        write=OWNER,
        allow={"other_candidate": {"POST": OTHER}},
        data=_statement,
    ),
    Case(
        "space:evidence_dossier_submit",
        _targets("space:evidence_dossier_submit"),
        methods=("POST",),
        write=OWNER,
        allow={"other_candidate": {"POST": OTHER}},
        data=_form,
    ),
    Case(
        "candidates:evidence_dossier_return",
        sides("candidates:evidence_dossier_return", "open_dossier"),
        methods=("POST",),
        write=frozenset({"admin", "staff_a"}),
        data=lambda w, t: {"evidence-return-comment": "Ajoutez une attestation."},
    ),
]
