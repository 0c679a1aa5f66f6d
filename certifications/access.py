"""The certificate as the staff's pages reach it: visible, else 404; of a branch they run, else 403."""

from __future__ import annotations

from typing import Any

from branches.access import roles_of, staff_of_its_branch
from core.portal import get_object_for

from .models import Certificate, CertificateQuerySet


def managed_certificate(user: Any, pk: int) -> Certificate:
    """A certificate the user sees (else 404) and runs as staff of its branch (else 403)."""
    return get_object_for(
        Certificate.objects.visible_to(user).select_related("branch", "dossier", "reissue_of"),
        allowed=staff_of_its_branch(user),
        pk=pk,
    )


def managed_certificates(user: Any) -> CertificateQuerySet:
    """The certificates of the branches the user runs (all of them for the national admin):
    the staff's list, its exports and its bulk actions."""
    roles = roles_of(user)
    queryset = Certificate.objects.visible_to(user)
    if roles.is_national_admin:
        return queryset
    return queryset.filter(branch_id__in=roles.staff_branch_ids)
