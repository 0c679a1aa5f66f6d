"""Isolation cases for convocations to evaluation appointments and the evaluator's calendar."""

from __future__ import annotations

from django.urls import reverse

from .framework import Case, listing, sides, url

STAFF = frozenset({"admin", "staff_a"})
API_REFUSED = frozenset({400, 403, 404})
# Whoever holds grids (or held them: the replaced evaluator keeps the role, not the grid).
GRID_HOLDERS = frozenset({"evaluator", "other_evaluator", "referent_a", "replaced_evaluator"})

CASES = [
    Case(
        "evaluations:evaluation_appointment",
        sides("evaluations:evaluation_appointment", "draft_sheet.evaluation"),
        methods=("GET", "POST"),
        read=STAFF,
        write=STAFF,
        data=lambda w, t: {"appointment_at": "2031-02-03T10:00", "appointment_place": "Salle B"},
    ),
    Case(
        "evaluations:appointment_answer",
        {
            **sides("evaluations:appointment_answer", "draft_sheet.evaluation"),
            "other_candidate": url("evaluations:appointment_answer", "other_sheet.evaluation"),
        },
        methods=("POST",),
        write=frozenset({"candidate"}),
        allow={"other_candidate": {"POST": frozenset({"other_candidate"})}},
        data=lambda w, t: {"answer": "accept"},
    ),
    Case(
        "evaluations:upcoming",
        listing("evaluations:upcoming"),
        read=GRID_HOLDERS,
    ),
    Case(
        "evaluations:calendar_feed_manage",
        listing("evaluations:calendar_feed_manage"),
        methods=("POST",),
        write=GRID_HOLDERS,
        data=lambda w, t: {"action": "regenerate"},
    ),
    # No login: the token is the secret, and whoever holds it reads the evaluator's feed (the
    # dossier numbers it names are the evaluator's own, hence no marker check). An unknown
    # token is a 404 for everybody (tests/evaluations/test_calendar_feed.py).
    Case(
        "evaluations:calendar_feed",
        {
            "list": lambda world: reverse(
                "evaluations:calendar_feed", args=[world.a.extra["feed_token"]]
            )
        },
        public=True,
        check_markers=False,
    ),
    # --- The API: answering convocations, moving an appointment
    Case(
        "api:evaluation-answer",
        {
            **sides("api:evaluation-answer", "draft_sheet.evaluation"),
            "other_candidate": url("api:evaluation-answer", "other_sheet.evaluation"),
        },
        methods=("POST",),
        api=True,
        write=frozenset({"candidate"}),
        allow={"other_candidate": {"POST": frozenset({"other_candidate"})}},
        data=lambda w, t: {"accept": True},
        refused_statuses=API_REFUSED,
    ),
    Case(
        "api:evaluation-appointment",
        sides("api:evaluation-appointment", "draft_sheet.evaluation"),
        methods=("POST",),
        api=True,
        write=STAFF,
        data=lambda w, t: {
            "appointment_at": "2031-02-03T10:00:00+01:00",
            "appointment_place": "Salle B",
        },
        refused_statuses=API_REFUSED,
    ),
    Case(
        "api:jury-session-answer",
        sides("api:jury-session-answer", "planned_session"),
        methods=("POST",),
        api=True,
        # Each member convoked answers for their own seat; staff have none to answer for.
        write=frozenset({"jury_employer", "jury_employee"}),
        data=lambda w, t: {"accept": False},
        refused_statuses=API_REFUSED,
    ),
]
