"""A dossier's status badge, written in Python: it sits on every row of the long lists."""

from __future__ import annotations

from django import template
from django.utils.html import format_html
from django.utils.safestring import SafeString

from candidates.models import DossierStatus

register = template.Library()

S = DossierStatus
_BADGE_CLASSES: dict[str, str] = {
    S.AWARDED: "badge--success",
    S.REFUSED: "badge--error",
    S.INADMISSIBLE: "badge--error",
    S.WITHDRAWN: "",
    S.PARTIALLY_AWARDED: "badge--warning",
    S.READY_FOR_JURY: "badge--warning",
    S.SCHEDULED: "badge--warning",
}


@register.simple_tag
def status_badge(status: str) -> SafeString:
    """The markup of candidates/_status.html, without `get_status_display` on every row.

    Model.get_FIELD_display rebuilds a hashable copy of the choices on each call, which
    translates every label: a few hundred gettext calls per row.
    """
    label = S(status).label if status in S.values else status
    return format_html(
        '<span class="badge {}">{}</span>', _BADGE_CLASSES.get(status, "badge--info"), label
    )
