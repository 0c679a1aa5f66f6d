"""The dossier as the portal reaches it: visible to the user, else 404; run by them, else 403."""

from __future__ import annotations

from typing import Any

from branches.access import staff_of_its_branch
from core.portal import get_object_for

from .models import Candidate, Dossier, DossierQuerySet


def managed_dossier(user: Any, pk: int, *, queryset: DossierQuerySet | None = None) -> Dossier:
    """A dossier the user sees (else 404) and runs as CPNE staff of its branch (else 403).

    `queryset` chooses what is loaded with it (relations, prefetches); scoping is added here.
    """
    queryset = queryset if queryset is not None else Dossier.objects.all()
    return get_object_for(queryset.visible_to(user), allowed=staff_of_its_branch(user), pk=pk)


def managed_candidate(user: Any, pk: int) -> Candidate:
    """A candidate the user sees (else 404) and whose branch they run as CPNE staff (else 403)."""
    return get_object_for(
        Candidate.objects.visible_to(user), allowed=staff_of_its_branch(user), pk=pk
    )
