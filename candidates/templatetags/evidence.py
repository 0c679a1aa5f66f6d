"""The evidence panel shown on the staff dossier page, the candidate space and the grid."""

from __future__ import annotations

from typing import Any

from django import template

from branches.access import roles_of
from candidates import evidence as evidence_service
from candidates.evidence_views import EvidenceUploadForm
from candidates.selectors import evidence_dossier_of
from candidates.services import evidence_dossier_open_to

register = template.Library()


@register.inclusion_tag("candidates/evidence/_panel.html", takes_context=True)
def evidence_panel(context: Any, dossier: Any, with_capacity: bool = False) -> dict[str, Any]:
    """The dossier's files and, for whoever may add one now, the upload form."""
    user = context["request"].user
    may_upload = evidence_service.upload_capacity_of(user, dossier)
    return {
        "dossier": dossier,
        "files": list(evidence_service.evidence_of(dossier)),
        "form": EvidenceUploadForm(dossier=dossier) if may_upload else None,
        "with_capacity": with_capacity or may_upload == "evaluator",
        "max_bytes": evidence_service.max_bytes(),
    }


@register.inclusion_tag("candidates/evidence/_dossier_of_evidence.html", takes_context=True)
def evidence_dossier_panel(context: Any, dossier: Any) -> dict[str, Any]:
    """The candidate's dossier of evidence, read-only: all of it (drafts too) for the staff
    of the branch, with the return form once it is submitted; for evaluators and jury
    members once it has been submitted. Nothing for a dossier without one."""
    user = context["request"].user
    is_staff = roles_of(user).is_staff_of(dossier.branch_id)
    if not evidence_dossier_open_to(dossier):
        return {"shown": False}
    view = evidence_dossier_of(dossier)
    submitted_once = view.evidence_dossier is not None and (
        view.evidence_dossier.submitted_at is not None
    )
    return {
        "shown": is_staff or submitted_once,
        "dossier": dossier,
        "view": view,
        "is_staff": is_staff,
        "return_form": context.get("evidence_return_form") if is_staff else None,
    }


@register.inclusion_tag("candidates/evidence/_statement.html")
def candidate_statement(statements: dict[int, str], capacity_pk: int) -> dict[str, Any]:
    """Beside a capacity of the grid: what the candidate wrote about it, if anything."""
    return {"text": (statements or {}).get(capacity_pk, "")}
