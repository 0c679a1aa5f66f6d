"""Isolation cases for evidence files: adding one to a dossier, downloading one."""

from __future__ import annotations

from .framework import Case, sides, url

CASES = [
    Case(
        "candidates:evidence_upload",
        sides("candidates:evidence_upload", "evaluation_dossier"),
        methods=("POST",),
        # Staff of the branch, the candidate while the dossier is early, the evaluator and
        # the référent of its draft grids; on branch B's dossier, the other evaluator.
        write=frozenset({"admin", "staff_a", "candidate", "evaluator", "referent_a"}),
        allow={"b": {"POST": frozenset({"admin", "staff_b", "other_evaluator"})}},
    ),
    Case(
        "candidates:evidence_download",
        {
            **sides("candidates:evidence_download", "evidence"),
            # Added by the replaced evaluator, whose grant went with the grid.
            "replaced": url("candidates:evidence_download", "other_evidence"),
        },
        read=frozenset({"admin", "staff_a", "candidate", "evaluator", "referent_a"}),
        allow={
            "b": {"GET": frozenset({"admin", "staff_b", "other_evaluator"})},
            "replaced": {
                "GET": frozenset({"admin", "staff_a", "other_candidate", "other_evaluator"})
            },
        },
    ),
]
