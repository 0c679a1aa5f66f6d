"""A dossier's status badge, written in Python: it sits on every row of the long lists."""

from __future__ import annotations

import datetime
import html

from django import template
from django.utils.safestring import SafeString, mark_safe

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
_STATUSES = frozenset(S.values)


@register.simple_tag
def status_badge(status: str) -> SafeString:
    """The markup of candidates/_status.html, without `get_status_display` on every row.

    Model.get_FIELD_display rebuilds a hashable copy of the choices on each call, which
    translates every label: a few hundred gettext calls per row.
    """
    label = S(status).label if status in _STATUSES else status
    badge = _BADGE_CLASSES.get(status, "badge--info")
    return mark_safe(f'<span class="badge {badge}">{html.escape(str(label))}</span>')  # noqa: S308


@register.filter
def iso_date(value: str | None) -> str:
    """An ISO date or date-time as the exports hold it ("1982-04-13", "2026-12-04T10:00…"),
    written the French way ("13/04/1982"); anything else is shown as it is."""
    if not value:
        return ""
    try:
        return datetime.date.fromisoformat(str(value)[:10]).strftime("%d/%m/%Y")
    except ValueError:
        return str(value)


@register.filter
def status_label(status: str) -> str:
    """A dossier status's French label, from its code."""
    return str(S(status).label) if status in _STATUSES else status
