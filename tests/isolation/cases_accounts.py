"""Isolation cases for the account pages: password reset, activation, invitation, two-factor."""

from __future__ import annotations

from django.urls import reverse

from accounts.models import UserSession

from .framework import ALL_SIGNED_IN, Case, listing, sides
from .world import World

STAFF = frozenset({"admin", "staff_a"})
# Who may set up two-factor authentication: branch staff, jury members, national roles.
TWO_FACTOR = frozenset(
    {"admin", "staff_a", "staff_b", "jury_employer", "jury_employee", "released_juror", "coc"}
)


def _staff_a_session(world: World) -> str:
    record = UserSession.objects.filter(user=world.user("staff_a")).order_by("pk").first()
    assert record is not None, "the matrix signs staff_a in before building URLs"
    return reverse("accounts:session_end", args=[record.pk])


CASES = [
    Case("accounts:account", listing("accounts:account"), read=ALL_SIGNED_IN),
    Case(
        "accounts:session_end",
        # staff_a's own (current) session: only staff_a finds it; everyone else gets a 404.
        {"own": _staff_a_session},
        methods=("POST",),
        allow={"own": {"POST": frozenset({"staff_a"})}},
    ),
    Case(
        "accounts:password_reset",
        listing("accounts:password_reset"),
        methods=("GET", "POST"),
        public=True,
        data=lambda w, t: {"email": "nobody@iso.test"},
    ),
    Case("accounts:password_reset_done", listing("accounts:password_reset_done"), public=True),
    Case(
        "accounts:password_reset_confirm",
        {"list": lambda w: reverse("accounts:password_reset_confirm", args=["MQ", "bad-token"])},
        methods=("GET", "POST"),
        public=True,
    ),
    Case(
        "accounts:password_reset_complete",
        listing("accounts:password_reset_complete"),
        public=True,
    ),
    Case(
        "accounts:activate",
        {"list": lambda w: reverse("accounts:activate", args=["MQ", "bad-token"])},
        methods=("GET", "POST"),
        public=True,
        # A dead or forged link answers 400 with its explanation, to everyone.
        ok_statuses=frozenset({400}),
    ),
    Case(
        "candidates:candidate_invite",
        sides("candidates:candidate_invite", "candidate"),
        methods=("POST",),
        write=STAFF,
    ),
    Case(
        "accounts:two_factor_setup",
        listing("accounts:two_factor_setup"),
        methods=("GET", "POST"),
        read=TWO_FACTOR,
        write=TWO_FACTOR,
        # The first visit creates the unconfirmed device whose key the QR code shows.
        get_writes=True,
    ),
    Case(
        "accounts:two_factor_verify",
        listing("accounts:two_factor_verify"),
        methods=("GET", "POST"),
        read=ALL_SIGNED_IN,
        write=ALL_SIGNED_IN,
    ),
]
