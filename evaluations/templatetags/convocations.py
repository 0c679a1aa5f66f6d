"""The candidate's convocations to their evaluation appointments, in their space."""

from __future__ import annotations

from typing import Any

from django import template

from evaluations import selectors

register = template.Library()


@register.inclusion_tag("evaluations/_candidate_appointments.html", takes_context=True)
def candidate_appointments(context: Any, dossier: Any) -> dict[str, Any]:
    """The dossier's appointments to come, each with the candidate's answer and the buttons to
    give or change it (shown to the candidate of the dossier only: the space is theirs)."""
    return {
        "dossier": dossier,
        "appointments": list(selectors.candidate_appointments(dossier=dossier)),
        "csrf_token": context.get("csrf_token"),
    }
