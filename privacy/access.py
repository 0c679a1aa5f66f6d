"""An erasure request as the staff's pages reach it: visible, else 404; theirs to answer, else 403."""

from __future__ import annotations

from typing import Any

from branches.access import staff_of_its_branch
from core.portal import get_object_for

from .models import ErasureRequest


def managed_erasure_request(user: Any, pk: int) -> ErasureRequest:
    """A request the user sees (else 404) and answers as CPNE staff of its branch (else 403)."""
    return get_object_for(
        ErasureRequest.objects.visible_to(user).select_related(
            "candidate", "branch", "decided_by", "requested_by"
        ),
        allowed=staff_of_its_branch(user),
        pk=pk,
    )
