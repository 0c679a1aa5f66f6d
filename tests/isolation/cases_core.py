"""Isolation cases for the portal pages that came first: home, accounts, dossiers, space, grids, juries, certificates."""

from __future__ import annotations

from typing import Any

from .framework import ALL_SIGNED_IN, Case, listing, sides, url
from .world import FOREIGN_CANDIDATE, World

STAFF = frozenset({"admin", "staff_a"})
STAFF_BOTH = frozenset({"admin", "staff_a", "staff_b"})
JURY_A = frozenset({"jury_employer", "jury_employee"})
CHAIR_A = frozenset({"jury_employer"})


def _side(world: World, target: str) -> Any:
    return world.b if target == "b" else world.a


CASES = [
    Case("home", listing("home"), read=ALL_SIGNED_IN),
    Case("healthz", listing("healthz"), public=True, ok_statuses=frozenset({503})),
    # Not public in effect: 404 without METRICS_TOKEN (the tests), 401 without the token.
    Case("metrics", listing("metrics"), public=True, ok_statuses=frozenset({401, 404})),
    Case("accounts:login", listing("accounts:login"), methods=("GET", "POST"), public=True),
    Case("accounts:logout", listing("accounts:logout"), methods=("POST",), public=True),
    # --- Staff dossier pages
    Case(
        "candidates:dossier_list",
        {
            **listing("candidates:dossier_list"),
            # A search for a foreign candidate's name finds nothing (the page echoes the
            # search term, so search for a part of the name only).
            "search_foreign": lambda w: f"/dossiers/?q={FOREIGN_CANDIDATE[:-2]}",
        },
        read=STAFF_BOTH,
        allow={"search_foreign": {"GET": STAFF_BOTH}},
    ),
    # The opening form's search endpoints: a foreign candidate's name finds nothing (the
    # answer echoes the query, so search for a part of the name only).
    Case(
        "candidates:candidate_choices",
        {
            **listing("candidates:candidate_choices"),
            "search_foreign": lambda w: f"/dossiers/nouveau/candidats/?q={FOREIGN_CANDIDATE[:-2]}",
        },
        read=STAFF_BOTH,
        allow={"search_foreign": {"GET": STAFF_BOTH}},
    ),
    Case(
        "candidates:company_choices",
        {
            **listing("candidates:company_choices"),
            "search_foreign": lambda w: f"/dossiers/nouveau/entreprises/?q={w.b.company.siret}",
        },
        read=STAFF_BOTH,
        allow={"search_foreign": {"GET": STAFF_BOTH}},
    ),
    Case(
        "candidates:dossier_open",
        {
            **listing("candidates:dossier_open"),
            # Another branch's ids in the form are invalid choices, never used.
            "foreign_ids": lambda w: "/dossiers/nouveau/",
        },
        methods=("GET", "POST"),
        read=STAFF_BOTH,
        write=STAFF_BOTH,
        allow={"foreign_ids": {"GET": frozenset({"staff_a"}), "POST": frozenset({"staff_a"})}},
        only_roles={"foreign_ids": frozenset({"staff_a"})},
        inert=frozenset({"foreign_ids"}),
        data=lambda w, t: (
            {
                "branch": w.b.branch.pk,
                "existing_candidate": w.b.candidate.pk,
                "version": w.version.pk,
                "company": w.b.company.pk,
                "access_route": "continuing",
            }
            if t == "foreign_ids"
            else {}
        ),
    ),
    Case(
        "candidates:dossier_detail", sides("candidates:dossier_detail", "open_dossier"), read=STAFF
    ),
    Case(
        "candidates:dossier_admissibility",
        sides("candidates:dossier_admissibility", "open_dossier"),
        methods=("POST",),
        write=STAFF,
        data=lambda w, t: {"admissibility-admissible": "yes"},
    ),
    Case(
        "candidates:dossier_start_positioning",
        sides("candidates:dossier_start_positioning", "open_dossier"),
        methods=("POST",),
        write=STAFF,
    ),
    Case(
        "candidates:dossier_start_evaluation",
        sides("candidates:dossier_start_evaluation", "open_dossier"),
        methods=("POST",),
        write=STAFF,
    ),
    Case(
        "candidates:dossier_withdraw",
        sides("candidates:dossier_withdraw", "open_dossier"),
        methods=("POST",),
        write=STAFF,
        data=lambda w, t: {"withdraw-comment": "Départ"},
    ),
    # --- Candidate space
    Case("space:home", listing("space:home"), read=frozenset({"candidate", "other_candidate"})),
    Case(
        "space:dossier_detail",
        {
            **sides("space:dossier_detail", "awarded_dossier"),
            "other_candidate": url("space:dossier_detail", "other_dossier"),
        },
        read=frozenset({"candidate"}),
        allow={"other_candidate": {"GET": frozenset({"other_candidate"})}},
    ),
    Case(
        "space:credential_download",
        {
            **sides("space:credential_download", "awarded_dossier"),
            "other_candidate": url("space:credential_download", "other_dossier"),
        },
        read=frozenset({"candidate"}),
        # The other candidate's dossier holds no certificate (404 to its own holder too).
        allow={"other_candidate": {"GET": frozenset()}},
        # 409: made with the PDF (the world renders none).
        ok_statuses=frozenset({409}),
    ),
    # --- Evaluators' grids
    Case(
        "evaluations:sheet_list",
        listing("evaluations:sheet_list"),
        # The replaced evaluator keeps the list, empty: their grid went with its grant.
        read=frozenset({"evaluator", "other_evaluator", "referent_a", "replaced_evaluator"}),
    ),
    Case(
        "evaluations:sheet",
        {
            **sides("evaluations:sheet", "draft_sheet"),
            "other_evaluator": url("evaluations:sheet", "other_sheet"),
        },
        methods=("GET", "POST"),
        read=frozenset({"evaluator"}),
        write=frozenset({"evaluator"}),
        allow={
            "b": {
                "GET": frozenset({"other_evaluator"}),
                "POST": frozenset({"other_evaluator"}),
            },
            "other_evaluator": {
                "GET": frozenset({"other_evaluator"}),
                "POST": frozenset({"other_evaluator"}),
            },
        },
    ),
    Case(
        "evaluations:sheet_reassign",
        {
            **sides("evaluations:sheet_reassign", "draft_sheet"),
            # The grid the replaced evaluator lost: theirs no more (404), staff's to hand on.
            "other_sheet": url("evaluations:sheet_reassign", "other_sheet"),
        },
        methods=("GET", "POST"),
        read=STAFF,
        write=STAFF,
        allow={"other_sheet": {"GET": STAFF, "POST": STAFF}},
        data=lambda w, t: {"evaluator": w.user("replaced_evaluator").pk},
    ),
    Case(
        "evaluations:evaluation_assign",
        sides("evaluations:evaluation_assign", "open_dossier"),
        methods=("GET", "POST"),
        read=STAFF,
        write=STAFF,
    ),
    # --- Jury sessions
    Case(
        "evaluations:session_list",
        listing("evaluations:session_list"),
        # The released jury member keeps the list, without the session they were released from.
        read=STAFF_BOTH | JURY_A | {"released_juror"},
    ),
    Case(
        "evaluations:session_create",
        listing("evaluations:session_create"),
        methods=("GET", "POST"),
        read=STAFF_BOTH,
        write=STAFF_BOTH,
    ),
    Case(
        "evaluations:session_detail",
        sides("evaluations:session_detail", "planned_session"),
        read=STAFF | JURY_A,
    ),
    Case(
        "evaluations:session_convoke",
        sides("evaluations:session_convoke", "planned_session"),
        methods=("POST",),
        write=STAFF,
    ),
    Case(
        "evaluations:session_add_dossier",
        {
            **sides("evaluations:session_add_dossier", "planned_session"),
            # Branch B's dossier posted to branch A's session is an invalid choice.
            "foreign_ids": url("evaluations:session_add_dossier", "a.planned_session"),
        },
        methods=("POST",),
        write=STAFF,
        allow={"foreign_ids": {"POST": frozenset({"staff_a"})}},
        only_roles={"foreign_ids": frozenset({"staff_a"})},
        inert=frozenset({"foreign_ids"}),
        data=lambda w, t: {"dossier": (w.b if t in ("b", "foreign_ids") else w.a).ready_dossier.pk},
    ),
    Case(
        "evaluations:session_member_presence",
        sides("evaluations:session_member_presence", "planned_session", "jury_member"),
        methods=("POST",),
        write=STAFF,
        data=lambda w, t: {"present": "0"},
    ),
    Case(
        "evaluations:session_member_release",
        sides("evaluations:session_member_release", "planned_session", "jury_member"),
        methods=("POST",),
        write=STAFF,
    ),
    # Only the member convoked answers their convocation (the planned session's chair seat).
    Case(
        "evaluations:session_convocation_answer",
        sides("evaluations:session_convocation_answer", "planned_session", "jury_member"),
        methods=("POST",),
        write=CHAIR_A,
        data=lambda w, t: {"answer": "accept"},
    ),
    Case(
        "evaluations:session_reschedule",
        sides("evaluations:session_reschedule", "planned_session"),
        methods=("POST",),
        write=STAFF,
        data=lambda w, t: {"held_on": "2031-01-06T10:00", "place": "Ailleurs"},
    ),
    Case(
        "evaluations:session_open",
        sides("evaluations:session_open", "planned_session"),
        methods=("POST",),
        write=STAFF,
    ),
    Case(
        "evaluations:session_close",
        sides("evaluations:session_close", "open_session"),
        methods=("POST",),
        write=STAFF,
    ),
    Case(
        "evaluations:session_minutes",
        sides("evaluations:session_minutes", "open_session"),
        read=STAFF | JURY_A,
    ),
    Case(
        "evaluations:decision_record",
        sides("evaluations:decision_record", "open_session", "scheduled_dossier"),
        methods=("GET", "POST"),
        read=STAFF | JURY_A,
        # The chair or the staff (secretary) put proposals to the vote.
        write=STAFF | CHAIR_A,
        data=lambda w, t: {"outcome": "award"},
    ),
    Case(
        "evaluations:proposal_vote",
        sides("evaluations:proposal_vote", "open_session", "open_proposal"),
        methods=("POST",),
        write=JURY_A,
        data=lambda w, t: {"choice": "abstain"},
    ),
    Case(
        "evaluations:proposal_show_of_hands",
        sides("evaluations:proposal_show_of_hands", "open_session", "open_proposal"),
        methods=("POST",),
        write=STAFF | CHAIR_A,
        # An empty show of hands re-renders the page with its errors (400).
        ok_statuses=frozenset({400}),
    ),
    Case(
        "evaluations:proposal_withdraw",
        sides("evaluations:proposal_withdraw", "open_session", "open_proposal"),
        methods=("POST",),
        write=STAFF | CHAIR_A,
        data=lambda w, t: {"reason": "Retrait pour correction"},
    ),
    Case(
        "evaluations:session_minutes_sign",
        sides("evaluations:session_minutes_sign", "closed_session"),
        methods=("GET", "POST"),
        # The chair and the vice-chair sign; a wrong password re-renders the page.
        read=JURY_A,
        write=JURY_A,
        data=lambda w, t: {"password": "not-the-password"},
    ),
    # --- Certificates
    Case(
        "certifications:verify",
        sides("certifications:verify", "certificate.verification_code"),
        public=True,
        # The public verification page names the holder: that is what it is for.
        check_markers=False,
    ),
    Case(
        "certifications:verify_document",
        listing("certifications:verify_document"),
        methods=("GET", "POST"),
        public=True,
        # A POST without a file re-renders the form (400); the page stores nothing.
        ok_statuses=frozenset({400}),
    ),
    Case(
        "certifications:certificate_download",
        sides("certifications:certificate_download", "certificate"),
        read=STAFF | {"candidate"},
        # 409: the PDF is still being generated (the world renders none).
        ok_statuses=frozenset({409}),
    ),
]
