"""Recording audit events: the one function every service, signal and middleware calls."""

from __future__ import annotations

import datetime
from typing import Any

from django.db import transaction
from django.utils import timezone

from . import context
from .models import AuditEvent

# Keys never written to an event's details, whatever a caller passes.
_SECRET_WORDS = ("password", "passwd", "secret", "token", "otp", "key")


def _clean(details: dict[str, Any] | None) -> dict[str, Any]:
    if not details:
        return {}
    return {
        key: value
        for key, value in details.items()
        if not any(word in key.lower() for word in _SECRET_WORDS)
    }


def _branch_id_of(obj: Any) -> int | None:
    value = getattr(obj, "branch_id", None)
    if value is not None:
        return value
    for relation in ("dossier", "session", "evaluation", "certificate"):
        related = getattr(obj, relation, None)
        if related is not None and related is not obj:
            found = _branch_id_of(related)
            if found is not None:
                return found
    return None


def audit_record(
    action: str,
    *,
    obj: Any = None,
    branch: Any = None,
    details: dict[str, Any] | None = None,
    actor: Any = None,
    request: Any = None,
    label: str | None = None,
) -> AuditEvent:
    """Write one event. The actor, address and browser default to the current request's;
    the branch to the object's; `label` replaces the object's name where that name is a
    person's (the trail keeps no needless personal data). Inside a transaction the event shares its fate: a change
    rolled back leaves no trace claiming it happened."""
    ctx = context.context_of(request) if request is not None else context.current()
    if actor is None and ctx is not None:
        actor = ctx.user
    if actor is not None and not getattr(actor, "is_authenticated", False):
        actor = None
    branch_id = getattr(branch, "pk", branch)
    if branch_id is None and obj is not None:
        branch_id = _branch_id_of(obj)
    return AuditEvent.objects.create(
        actor=actor,
        actor_label=(getattr(actor, "email", "") or str(actor or ""))[:254],
        action=action,
        branch_id=branch_id,
        object_type=obj._meta.label_lower if obj is not None else "",
        object_id=str(obj.pk) if obj is not None else "",
        object_label=(label if label is not None else str(obj) if obj is not None else "")[:200],
        details=_clean(details),
        ip_address=ctx.ip_address if ctx else None,
        user_agent=ctx.user_agent if ctx else "",
        method=ctx.method if ctx else "",
        path=ctx.path if ctx else "",
    )


# Detail keys whose values are codes, not people: kept when an event's details are redacted.
_CODE_KEYS = frozenset(
    {
        "from",
        "to",
        "access_route",
        "kind",
        "outcome",
        "status",
        "role",
        "college",
        "as",
        "type",
        "via",
    }
)
_BATCH = 1000


def _redacted(details: dict[str, Any]) -> dict[str, Any]:
    """Counts, flags, ids and codes stay; free text and names go; a list becomes its length."""
    kept: dict[str, Any] = {}
    for key, value in details.items():
        if isinstance(value, bool | int | float) or value is None:
            kept[key] = value
        elif isinstance(value, list | tuple | dict):
            kept[f"{key}_count"] = len(value)
        elif key in _CODE_KEYS:
            kept[key] = value
    return kept


def audit_redact_details(*, before: datetime.datetime) -> int:
    """Strip the personal details of the events older than `before`: the address, the browser,
    the path, the object's label where it names a person or an attempted login, and every
    detail but counts and codes. The event itself (what, when, who by account, which object)
    stays. Returns how many events were redacted; an event is redacted once."""
    from .models import AuditEvent

    now = timezone.now()
    done = 0
    pending = AuditEvent.objects.filter(at__lt=before, redacted_at__isnull=True).order_by("pk")
    while True:
        with transaction.atomic():
            batch = list(
                pending.select_for_update(skip_locked=True).values_list(
                    "pk", "action", "object_type", "details"
                )[:_BATCH]
            )
            if not batch:
                return done
            for pk, action, object_type, details in batch:
                personal_label = action.startswith("auth.") or object_type in (
                    "accounts.user",
                    "candidates.candidate",
                )
                changes: dict[str, Any] = {
                    "details": _redacted(details or {}),
                    "ip_address": None,
                    "user_agent": "",
                    "path": "",
                    "redacted_at": now,
                }
                if personal_label:
                    changes["object_label"] = ""
                # Not save(): an event is never changed by it (AuditEvent.save refuses).
                AuditEvent.objects.filter(pk=pk).update(**changes)
            done += len(batch)
