"""The evidence panel shown on the staff dossier page, the candidate space and the grid."""

from __future__ import annotations

from typing import Any

from django import template

from candidates import evidence as evidence_service
from candidates.evidence_views import EvidenceUploadForm

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
