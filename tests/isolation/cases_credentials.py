"""Isolation cases of the credentials room: public did:web documents, status lists, the
verification page, and their API twins; the certificate's credential is in cases_api."""

from __future__ import annotations

from django.shortcuts import resolve_url

from .framework import Case, listing, sides


def _status_list(name: str, side: str):  # type: ignore[no-untyped-def]
    return lambda world: resolve_url(name, getattr(world, side).branch.code, 0)


CASES = [
    Case(
        "credentials:verify",
        listing("credentials:verify"),
        methods=("GET", "POST"),
        public=True,
        # A POST with nothing to check re-renders the form (400); nothing is stored.
        ok_statuses=frozenset({400}),
    ),
    Case(
        "credentials:did_document",
        sides("credentials:did_document", "branch.code"),
        public=True,
        # did:web resolution: a branch's public keys, for anyone who verifies its documents.
        check_markers=False,
    ),
    Case(
        "credentials:status_list",
        {
            "a": _status_list("credentials:status_list", "a"),
            "b": _status_list("credentials:status_list", "b"),
        },
        public=True,
        check_markers=False,
        # The first read of a branch's list makes it (all bits clear) and signs it.
        get_writes=True,
    ),
    Case(
        "api:issuer",
        sides("api:issuer", "branch.code"),
        public=True,
        check_markers=False,
        api=True,
    ),
    Case(
        "api:status_list",
        {"a": _status_list("api:status_list", "a"), "b": _status_list("api:status_list", "b")},
        public=True,
        check_markers=False,
        api=True,
        get_writes=True,
    ),
]
