"""Isolation cases for convocations to evaluation appointments and the evaluator's calendar."""

from __future__ import annotations

from .framework import Case, sides, url

STAFF = frozenset({"admin", "staff_a"})

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
]
