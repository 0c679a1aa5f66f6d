"""Isolation cases for evidence files: adding one to a dossier, downloading one."""

from __future__ import annotations

from .framework import Case, sides

CASES = [
    Case(
        "candidates:evidence_upload",
        sides("candidates:evidence_upload", "evaluation_dossier"),
        methods=("POST",),
        # Staff of the branch, the candidate while the dossier is early, the evaluator of a
        # draft grid of it; on branch B's dossier, the other evaluator scores the grid.
        write=frozenset({"admin", "staff_a", "candidate", "evaluator"}),
        allow={"b": {"POST": frozenset({"admin", "staff_b", "other_evaluator"})}},
    ),
    Case(
        "candidates:evidence_download",
        sides("candidates:evidence_download", "evidence"),
        read=frozenset({"admin", "staff_a", "candidate", "evaluator", "referent_a"}),
        allow={"b": {"GET": frozenset({"admin", "staff_b", "other_evaluator"})}},
    ),
]
