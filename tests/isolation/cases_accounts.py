"""Isolation cases for the account pages: password reset, activation, invitation, two-factor."""

from __future__ import annotations

from typing import Any

from django.urls import reverse

from accounts.models import UserSession
from branches.models import EvaluatorHabilitation, Membership

from .framework import ALL_SIGNED_IN, Case, listing, sides
from .world import World

STAFF = frozenset({"admin", "staff_a"})
# Who may set up two-factor authentication: branch staff, jury members, national roles.
TWO_FACTOR = frozenset(
    {"admin", "staff_a", "staff_b", "jury_employer", "jury_employee", "released_juror", "coc"}
)


def _habilitation_action(name: str, side: str) -> Any:
    """An action on the first habilitation of the side's branch (end, suspend, lift)."""

    def build(world: World) -> str:
        branch = getattr(world, side).branch
        habilitation = EvaluatorHabilitation.objects.filter(branch=branch).order_by("pk").first()
        assert habilitation is not None
        return reverse(name, args=[branch.pk, habilitation.pk])

    return build


def _habilitation_case(name: str) -> Case:
    return Case(
        name,
        {"a": _habilitation_action(name, "a"), "b": _habilitation_action(name, "b")},
        methods=("POST",),
        write=STAFF,
        data=lambda w, t: {"reason": "Isolation"},
    )


def _member_remove(side: str) -> Any:
    """A jury role of the side's branch (never the acting staff member's own)."""

    def build(world: World) -> str:
        branch = getattr(world, side).branch
        membership = Membership.objects.filter(branch=branch, role="jury").order_by("pk").first()
        assert membership is not None
        return reverse("administration:member_remove", args=[branch.pk, membership.pk])

    return build


def _staff_a_session(world: World) -> str:
    record = UserSession.objects.filter(user=world.user("staff_a")).order_by("pk").first()
    assert record is not None, "the matrix signs staff_a in before building URLs"
    return reverse("accounts:session_end", args=[record.pk])


CASES = [
    Case("accounts:account", listing("accounts:account"), read=ALL_SIGNED_IN),
    Case(
        "administration:branch_companies",
        sides("administration:branch_companies", "branch"),
        read=STAFF,
    ),
    Case(
        "administration:company_register",
        sides("administration:company_register", "branch"),
        methods=("POST",),
        write=STAFF,
        data=lambda w, t: {
            "company-name": f"Iso {t}",
            "company-siret": "73282932000074",
            "company-city": "Lyon",
        },
    ),
    Case(
        "administration:branch_members",
        sides("administration:branch_members", "branch"),
        read=STAFF,
    ),
    Case(
        "administration:member_add",
        sides("administration:member_add", "branch"),
        methods=("POST",),
        write=STAFF,
        data=lambda w, t: {
            "member-email": f"iso.member.{t}@iso.test",
            "member-first_name": "Iso",
            "member-last_name": "Membre",
            "member-role": "jury",
            "member-college": "employers",
        },
    ),
    Case(
        "administration:member_remove",
        {"a": _member_remove("a"), "b": _member_remove("b")},
        methods=("POST",),
        write=STAFF,
        data=lambda w, t: {"reason": "Isolation"},
    ),
    Case(
        "administration:branch_evaluators",
        sides("administration:branch_evaluators", "branch"),
        read=STAFF,
    ),
    Case(
        "administration:habilitation_create",
        sides("administration:habilitation_create", "branch"),
        methods=("POST",),
        write=STAFF,
        data=lambda w, t: {
            "habilitation-email": f"iso.{t}@iso.test",
            "habilitation-first_name": "Iso",
            "habilitation-last_name": "Evaluateur",
            "habilitation-referentiel": w.referentiel.pk,
            "habilitation-valid_from": "2026-01-01",
            "habilitation-valid_until": "2027-12-31",
        },
    ),
    _habilitation_case("administration:habilitation_end"),
    _habilitation_case("administration:habilitation_suspend"),
    # Lifting a habilitation that is not suspended is refused by the service (a message): the
    # matrix checks who reaches it.
    _habilitation_case("administration:habilitation_lift"),
    Case(
        "administration:conflict_declare",
        sides("administration:conflict_declare", "branch"),
        methods=("POST",),
        write=STAFF,
        data=lambda w, t: {
            "conflict-evaluator": getattr(w, t).evaluator.pk,
            "conflict-company": getattr(w, t).company.pk,
            "conflict-referentiel": w.referentiel.pk,
            "conflict-reason": "Isolation",
        },
    ),
    Case(
        "administration:branch_settings",
        sides("administration:branch_settings", "branch"),
        methods=("GET", "POST"),
        read=STAFF,
        write=STAFF,
        data=lambda w, t: {
            "place_of_issue": "Lyon",
            "signatory_name": "Iso Signataire",
            "signatory_title": "Président",
            "partial_validity_months": 48,
            "quorum_rule": "one_per_college",
            "quorum_minimum": 1,
        },
    ),
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
