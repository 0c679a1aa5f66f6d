"""The declarations as the portal reaches them: visible, else 404; run by the user, else 403."""

from __future__ import annotations

from typing import Any

from branches.access import roles_of, staff_of_its_branch
from branches.models import Branch
from core.portal import get_object_for

from .models import DeclarationEntry, DeclarationFlux


def managed_branch(user: Any, pk: int) -> Branch:
    """The branch if the user runs it as CPNE staff or national administrator."""
    roles = roles_of(user)
    return get_object_for(
        Branch.objects.visible_to(user), allowed=lambda b: roles.is_staff_of(b.pk), pk=pk
    )


def managed_flux(user: Any, pk: int) -> DeclarationFlux:
    return get_object_for(
        DeclarationFlux.objects.visible_to(user).select_related("branch", "created_by"),
        allowed=staff_of_its_branch(user),
        pk=pk,
    )


def managed_entry(user: Any, pk: int) -> DeclarationEntry:
    visible = DeclarationEntry.objects.filter(
        flux__in=DeclarationFlux.objects.visible_to(user)
    ).select_related("flux", "certificate")
    roles = roles_of(user)
    return get_object_for(visible, allowed=lambda e: roles.is_staff_of(e.flux.branch_id), pk=pk)
