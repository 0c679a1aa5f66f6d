"""Isolation cases for the REST API's endpoints other than dossiers (see `cases_api_dossiers.py`)."""

from __future__ import annotations

import datetime
from typing import Any

from django.shortcuts import resolve_url

from .framework import ALL_SIGNED_IN, Case, listing, sides, url
from .world import World

STAFF = frozenset({"admin", "staff_a"})
JURY_A = frozenset({"jury_employer", "jury_employee"})
# Who sees the candidate and the dossiers of branch A's own candidate.
SEES_OWN_CANDIDATE = frozenset({"admin", "staff_a", "candidate", "referent_a", "evaluator"})
SEES_EVALUATION_A = SEES_OWN_CANDIDATE
SEES_EVALUATION_B = frozenset({"admin", "staff_b", "other_evaluator"})
# The other candidate's evaluation in branch A, handed from the replaced evaluator to the
# other evaluator; the company's référent is not on it.
SEES_OTHER_EVALUATION = frozenset({"admin", "staff_a", "other_candidate", "other_evaluator"})
# An API write answers 400 when the body names what the user may not see.
API_REFUSED = frozenset({400, 403, 404})


def api_list(name: str, **extra: Any) -> Case:
    """A scoped list: everyone signed in gets one, showing only what they may see."""
    return Case(name, listing(name), read=ALL_SIGNED_IN, api=True, **extra)


def api_detail(name: str, path: str, see_a: frozenset[str], see_b: frozenset[str]) -> Case:
    return Case(name, sides(name, path), read=see_a, allow={"b": {"GET": see_b}}, api=True)


def api_write(name: str, path: str, **extra: Any) -> Case:
    """A POST action on an object, run through a service that checks the branch's staff."""
    extra.setdefault("write", STAFF)
    return Case(
        name,
        sides(name, path),
        methods=("POST",),
        api=True,
        refused_statuses=API_REFUSED,
        **extra,
    )


def _session_body(world: World, target: str) -> dict[str, Any]:
    side = world.b if target == "b" else world.a
    held = datetime.datetime.now(datetime.UTC) + datetime.timedelta(days=60)
    return {"branch": side.branch.pk, "held_on": held.isoformat(), "place": "Salle"}


CASES = [
    # --- Reference data and tenants
    api_list("api:branch-list"),
    api_detail(
        "api:branch-detail",
        "branch",
        # A branch is seen by its members (the released jury member remains one).
        frozenset({"admin", "coc", "staff_a", "referent_a", "released_juror"}) | JURY_A,
        frozenset({"admin", "coc", "staff_b"}),
    ),
    api_list("api:company-list"),
    api_detail(
        "api:company-detail",
        "company",
        frozenset({"admin", "staff_a", "referent_a"}),
        frozenset({"admin", "staff_b"}),
    ),
    api_list("api:referentiel-list"),
    Case(
        "api:referentiel-detail",
        {"list": url("api:referentiel-detail", "referentiel")},
        read=ALL_SIGNED_IN,
        api=True,
    ),
    api_list("api:referentiel-version-list"),
    Case(
        "api:referentiel-version-detail",
        {"list": url("api:referentiel-version-detail", "version")},
        read=ALL_SIGNED_IN,
        api=True,
    ),
    # --- Candidates
    api_list(
        "api:candidate-list",
        methods=("GET", "POST"),
        write=STAFF,
        refused_statuses=API_REFUSED,
        data=lambda world, target: {
            "branch": world.a.branch.pk,
            "last_name": "Nouveau",
            "first_name": "Cand",
            "birth_date": "1990-01-01",
            "birth_place": "Lille",
        },
    ),
    api_detail(
        "api:candidate-detail",
        "candidate",
        SEES_OWN_CANDIDATE | JURY_A,
        SEES_EVALUATION_B,
    ),
    # --- Dossier transitions
    api_write(
        "api:dossier-rule-admissibility",
        "open_dossier",
        data=lambda world, target: {"admissible": True},
    ),
    # 409: a VAE dossier must be ruled admissible first; reaching the rule is the point.
    api_write("api:dossier-start-positioning", "open_dossier", ok_statuses=frozenset({409})),
    api_write("api:dossier-start-evaluation", "open_dossier", ok_statuses=frozenset({409})),
    Case(
        "api:dossier-bulk",
        listing("api:dossier-bulk"),
        methods=("POST",),
        write=frozenset({"admin", "staff_a", "staff_b"}),
        # An empty batch is refused as invalid, by whom it may concern.
        ok_statuses=frozenset({400}),
        refused_statuses=API_REFUSED,
        api=True,
    ),
    # --- Evaluations and grids
    api_list(
        "api:evaluation-list",
        methods=("GET", "POST"),
        write=frozenset({"admin", "staff_a", "staff_b"}),
        ok_statuses=frozenset({400}),
        refused_statuses=API_REFUSED,
    ),
    Case(
        "api:evaluation-detail",
        {
            **sides("api:evaluation-detail", "draft_sheet.evaluation"),
            # The evaluation the replaced evaluator was taken off.
            "replaced": url("api:evaluation-detail", "other_sheet.evaluation"),
        },
        read=SEES_EVALUATION_A,
        allow={"b": {"GET": SEES_EVALUATION_B}, "replaced": {"GET": SEES_OTHER_EVALUATION}},
        api=True,
    ),
    api_list("api:evaluation-sheet-list"),
    api_detail(
        "api:evaluation-sheet-detail",
        "draft_sheet",
        frozenset({"admin", "staff_a", "evaluator"}),
        frozenset({"admin", "staff_b", "other_evaluator"}),
    ),
    api_write(
        "api:evaluation-sheet-save-results",
        "draft_sheet",
        write=frozenset({"evaluator"}),
        allow={"b": {"POST": frozenset({"other_evaluator"})}},
        ok_statuses=frozenset({400}),
    ),
    api_write(
        "api:evaluation-sheet-submit",
        "draft_sheet",
        write=frozenset({"evaluator"}),
        allow={"b": {"POST": frozenset({"other_evaluator"})}},
        ok_statuses=frozenset({400, 409}),
    ),
    # Handing the draft grid to the evaluator of the other side (habilitated in both
    # branches); only the branch's staff may, the grid's own evaluator is refused.
    api_write(
        "api:evaluation-sheet-reassign",
        "draft_sheet",
        data=lambda world, target: {
            "evaluator": (world.a if target == "b" else world.b).evaluator.pk
        },
    ),
    # --- Jury sessions and decisions
    api_list(
        "api:jury-session-list",
        methods=("GET", "POST"),
        write=STAFF,
        refused_statuses=API_REFUSED,
        data=_session_body,
    ),
    api_detail(
        "api:jury-session-detail",
        "planned_session",
        STAFF | JURY_A,
        frozenset({"admin", "staff_b"}),
    ),
    api_write("api:jury-session-convoke", "planned_session", ok_statuses=frozenset({400})),
    api_write("api:jury-session-presence", "planned_session", ok_statuses=frozenset({400})),
    # Releasing the planned session's chair; only the branch's staff may.
    api_write(
        "api:jury-session-release",
        "planned_session",
        data=lambda world, target: {
            "member": (world.b if target == "b" else world.a).jury_member.pk
        },
    ),
    api_write(
        "api:jury-session-add-dossier",
        "planned_session",
        data=lambda world, target: {
            "dossier": (world.b if target == "b" else world.a).ready_dossier.pk
        },
    ),
    api_write("api:jury-session-open", "planned_session", ok_statuses=frozenset({400, 409})),
    api_write("api:jury-session-close", "open_session", ok_statuses=frozenset({400, 409})),
    api_list("api:decision-list"),
    # A POST without a body is a 400 for anyone signed in: its fields name what is wrong.
    api_list(
        "api:proposal-list",
        methods=("GET", "POST"),
        write=ALL_SIGNED_IN,
        ok_statuses=frozenset({400}),
        refused_statuses=API_REFUSED,
    ),
    api_detail(
        "api:proposal-detail", "open_proposal", STAFF | JURY_A, frozenset({"admin", "staff_b"})
    ),
    api_write(
        "api:proposal-vote",
        "open_proposal",
        write=JURY_A,
        data=lambda world, target: {"choice": "abstain"},
    ),
    api_write(
        "api:proposal-show-of-hands",
        "open_proposal",
        write=STAFF | {"jury_employer"},
        data=lambda world, target: {"votes": []},
    ),
    api_write(
        "api:proposal-withdraw",
        "open_proposal",
        write=STAFF | {"jury_employer"},
        data=lambda world, target: {"reason": "Retrait pour correction"},
    ),
    api_detail(
        "api:decision-detail",
        "certificate.decision",
        # The company's référent is on the evaluation dossier's grid, not the awarded one's.
        (SEES_OWN_CANDIDATE - {"referent_a"}) | JURY_A,
        SEES_EVALUATION_B,
    ),
    # --- Certificates
    api_list("api:certificate-list"),
    api_detail(
        "api:certificate-detail",
        "certificate",
        STAFF | {"candidate"},
        frozenset({"admin", "staff_b"}),
    ),
    Case(
        "api:certificate-download",
        sides("api:certificate-download", "certificate"),
        read=STAFF | {"candidate"},
        # 409: not rendered yet (the world renders no PDF).
        ok_statuses=frozenset({409}),
        api=True,
    ),
    Case(
        "api:certificate-credential",
        sides("api:certificate-credential", "certificate"),
        read=STAFF | {"candidate"},
        # 409: made with the PDF (the world renders none).
        ok_statuses=frozenset({409}),
        api=True,
    ),
    api_write(
        "api:certificate-revoke",
        "certificate",
        data=lambda world, target: {"reason": "Fraude établie"},
    ),
    api_write(
        "api:certificate-reissue",
        "certificate",
        data=lambda world, target: {"reason": "Nom mal orthographié"},
    ),
    Case(
        "api:verify",
        sides("api:verify", "certificate.verification_code"),
        public=True,
        check_markers=False,
        api=True,
    ),
    Case(
        "api:verify_document",
        listing("api:verify_document"),
        methods=("POST",),
        public=True,
        api=True,
        # The matrix posts JSON: 415, the file goes multipart (a POST without a file is a
        # 400, tests/certifications/test_verify_document.py); nothing is stored.
        ok_statuses=frozenset({400, 415}),
    ),
    # --- Figures, tokens, schema
    Case(
        "api:statistics",
        listing("api:statistics"),
        read=frozenset({"admin", "coc", "staff_a", "staff_b"}),
        api=True,
    ),
    Case(
        "api:token_list",
        listing("api:token_list"),
        methods=("GET", "POST"),
        read=ALL_SIGNED_IN,
        write=ALL_SIGNED_IN,
        api=True,
    ),
    Case(
        "api:token_detail",
        {
            "a": lambda world: resolve_url("api:token_detail", world.tokens["staff_a"]),
            "b": lambda world: resolve_url("api:token_detail", world.tokens["staff_b"]),
        },
        methods=("DELETE",),
        # A token is its owner's only.
        allow={
            "a": {"DELETE": frozenset({"staff_a"})},
            "b": {"DELETE": frozenset({"staff_b"})},
        },
        api=True,
    ),
    Case("api:schema", listing("api:schema"), public=True, api=True),
    Case("api:docs", listing("api:docs"), public=True, api=True),
]
