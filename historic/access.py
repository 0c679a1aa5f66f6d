"""The historic records as the staff's pages reach them: visible, else 404; run, else 403."""

from __future__ import annotations

from typing import Any

from branches.access import roles_of, staff_of_its_branch
from core.portal import get_object_for

from .models import HistoricCertificate, HistoricCertificateQuerySet


def managed_historic_certificate(user: Any, pk: int) -> HistoricCertificate:
    return get_object_for(
        HistoricCertificate.objects.visible_to(user).select_related(
            "branch", "referentiel", "version", "imported_by"
        ),
        allowed=staff_of_its_branch(user),
        pk=pk,
    )


def managed_historic_certificates(user: Any) -> HistoricCertificateQuerySet:
    """The records of the branches the user runs (every branch for the national admin)."""
    roles = roles_of(user)
    queryset = HistoricCertificate.objects.visible_to(user)
    if roles.is_national_admin:
        return queryset
    return queryset.filter(branch_id__in=roles.staff_branch_ids)
