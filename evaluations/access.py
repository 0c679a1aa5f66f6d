"""Jury sessions, grids and evaluations as the portal reaches them: visible, else 404; run by the user, else 403."""

from __future__ import annotations

from typing import Any

from branches.access import roles_of, staff_of_its_branch
from candidates.models import Dossier
from core.portal import get_object_for

from .models import Evaluation, EvaluationSheet, JurySession


def visible_session(user: Any, pk: int) -> JurySession:
    """A session the user sees — staff of its branch, jury member convoked, … — else 404."""
    return get_object_for(JurySession.objects.visible_to(user).select_related("branch"), pk=pk)


def managed_session(user: Any, pk: int) -> JurySession:
    """A session the user sees (else 404) and runs as staff of its branch (else 403)."""
    return get_object_for(
        JurySession.objects.visible_to(user).select_related("branch"),
        allowed=staff_of_its_branch(user),
        pk=pk,
    )


def managed_sheet(user: Any, pk: int) -> EvaluationSheet:
    """A grid whose dossier the user sees (else 404) and runs as staff of its branch (else 403):
    the grid's own holder sees it but may not hand it on."""
    roles = roles_of(user)
    return get_object_for(
        EvaluationSheet.objects.filter(
            evaluation__dossier__in=Dossier.objects.visible_to(user)
        ).select_related(
            "evaluator",
            "evaluation__dossier__candidate",
            "evaluation__dossier__company",
            "evaluation__dossier__version__referentiel",
        ),
        allowed=lambda sheet: roles.is_staff_of(sheet.evaluation.dossier.branch_id),
        pk=pk,
    )


def managed_evaluation(user: Any, pk: int) -> Evaluation:
    """An evaluation the user sees (else 404) and runs as staff of its dossier's branch (else
    403): its evaluators and its candidate see it but do not move its appointment."""
    roles = roles_of(user)
    return get_object_for(
        Evaluation.objects.visible_to(user).select_related(
            "dossier__candidate", "dossier__branch", "dossier__version__referentiel"
        ),
        allowed=lambda evaluation: roles.is_staff_of(evaluation.dossier.branch_id),
        pk=pk,
    )


def convoked_evaluation(user: Any, pk: int) -> Evaluation:
    """An evaluation the user sees (else 404) as the candidate of its dossier (else 403): the
    one who answers the convocation to its appointment."""
    roles = roles_of(user)
    return get_object_for(
        Evaluation.objects.visible_to(user).select_related("dossier__candidate"),
        allowed=lambda evaluation: (
            roles.user_id is not None and evaluation.dossier.candidate.user_id == roles.user_id
        ),
        pk=pk,
    )
