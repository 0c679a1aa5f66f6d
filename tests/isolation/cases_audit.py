"""Isolation cases for the audit trail's page."""

from __future__ import annotations

from .framework import Case, listing

CASES = [
    Case(
        "audit:list",
        listing("audit:list"),
        read=frozenset({"admin", "staff_a", "staff_b"}),
    ),
]
