"""Isolation cases for the grid's autosave and the candidate's personal data pages."""

from __future__ import annotations

from typing import Any

from certifications.models import Capacity

from .framework import Case, listing, sides, url
from .world import World

CANDIDATES = frozenset({"candidate", "other_candidate"})


def _sheet(world: World, target: str) -> Any:
    return {"a": world.a.draft_sheet, "b": world.b.draft_sheet}.get(target, world.other_sheet)


def _grid_data(world: World, target: str) -> dict[str, Any]:
    """A complete, valid grid at the sheet's current version: only the owner's is saved."""
    sheet = _sheet(world, target)
    data: dict[str, Any] = {"version": sheet.version}
    for capacity in Capacity.objects.filter(bloc__version=world.version):
        data[f"c{capacity.pk}_outcome"] = "acquired"
        data[f"c{capacity.pk}_comment"] = "Observé"
    return data


CASES = [
    Case(
        "evaluations:sheet_autosave",
        {
            **sides("evaluations:sheet_autosave", "draft_sheet"),
            "other_evaluator": url("evaluations:sheet_autosave", "other_sheet"),
        },
        methods=("POST",),
        write=frozenset({"evaluator"}),
        allow={
            "b": {"POST": frozenset({"other_evaluator"})},
            "other_evaluator": {"POST": frozenset({"other_evaluator"})},
        },
        data=_grid_data,
    ),
    Case("space:personal_data", listing("space:personal_data"), read=CANDIDATES),
    Case(
        "space:personal_data_download",
        listing("space:personal_data_download"),
        read=CANDIDATES,
    ),
]
