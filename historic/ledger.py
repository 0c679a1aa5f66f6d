"""The historic records in a person's ledger: a source registered in `core.ledger`.

`candidates.ledger` builds the ledger from the issued documents and may not import this room
(it sits above `candidates`); `HistoricConfig.ready` registers `historic_ledger_entries`
so that every ledger — the candidate's space, the staff's page — shows the person's records
issued before the platform, marked as such, with no second ledger to keep in step.
"""

from __future__ import annotations

from typing import Any

from django.db.models import Q

from candidates.ledger import LedgerEntry

from .models import HistoricCertificate


def historic_ledger_entries(person_ids: Any) -> list[LedgerEntry]:
    """The records of these persons, and of the persons merged into them (a record keeps
    the person it was imported for; a merge does not rewrite it), in one query."""
    records = (
        HistoricCertificate.objects.filter(
            Q(person_id__in=person_ids) | Q(person__merged_into_id__in=person_ids)
        )
        .select_related("branch", "referentiel", "version")
        .only(
            "pk",
            "number",
            "kind",
            "cqpi_title",
            "issued_on",
            "capacities",
            "branch",
            "referentiel",
            "version",
            "branch__name",
            "referentiel__code",
            "version__number",
        )
        .order_by("-issued_on", "-pk")
    )
    return [
        LedgerEntry(
            certificate_id=record.pk,
            number=record.number,
            kind=record.kind,
            cqpi_code=record.referentiel.code,
            cqpi_title=record.cqpi_title,
            version=record.version.number if record.version else None,
            issued_on=record.issued_on,
            branch_name=record.branch.name,
            valid_until=None,
            blocs=(),
            before_platform=True,
            listed_capacities=tuple(str(code) for code in record.capacities or ()),
        )
        for record in records
    ]
