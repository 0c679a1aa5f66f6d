"""Isolation cases for the figures: the dashboard and its exports, filtered by branch."""

from __future__ import annotations

from django.shortcuts import resolve_url

from .framework import Case, URLBuilder
from .world import World

# National administrators and COC observers read every branch; CPNE staff theirs.
READERS = frozenset({"admin", "coc", "staff_a"})


def by_branch(name: str, *args: str) -> dict[str, URLBuilder]:
    """Targets "a" and "b": the figures filtered on each branch (another's is a 404)."""

    def build(side: str) -> URLBuilder:
        def url(world: World) -> str:
            branch = getattr(world, side).branch
            return f"{resolve_url(name, *args)}?branch={branch.pk}"

        return url

    return {"list": lambda world: resolve_url(name, *args), "a": build("a"), "b": build("b")}


CASES = [
    Case(
        "figures:dashboard",
        by_branch("figures:dashboard"),
        read=READERS,
        allow={"list": {"GET": READERS | {"staff_b"}}},
    ),
    Case(
        "figures:export",
        by_branch("figures:export", "indicateurs", "csv"),
        read=READERS,
        allow={"list": {"GET": READERS | {"staff_b"}}},
    ),
]
