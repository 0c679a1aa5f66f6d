"""The jury session as the portal reaches it: visible, else 404; run by the user, else 403."""

from __future__ import annotations

from typing import Any

from branches.access import staff_of_its_branch
from core.portal import get_object_for

from .models import JurySession


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
