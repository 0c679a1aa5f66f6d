"""The historic room's writes: importing a batch of certificates issued before the platform."""

from __future__ import annotations

import datetime
import uuid
from typing import Any

from django.db import connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from audit.services import audit_record
from branches.access import require_branch_staff
from branches.models import Branch
from certifications.models import Referentiel, ReferentielVersion
from core.errors import DomainError

from .imports import CleanRow
from .models import HistoricCertificate, historic_imported, number_key


@transaction.atomic
def historic_import(
    *, branch: Branch, rows: list[CleanRow], by: Any, filename: str = ""
) -> list[HistoricCertificate]:
    """Record every certificate of the checked rows, or none, as one batch with one audit event.

    The branch row is locked, so that two imports into one branch run one after the other and
    the numbers are checked again against what the other wrote.
    """
    require_branch_staff(by, branch.pk)
    if not rows:
        raise DomainError(_("Aucune ligne à importer."), code="empty")
    branch = Branch.objects.select_for_update().get(pk=branch.pk)
    keys = [number_key(row.number) for row in rows]
    taken = set(
        HistoricCertificate.objects.filter(branch=branch, number_key__in=keys).values_list(
            "number_key", flat=True
        )
    )
    referentiels = set(
        Referentiel.objects.filter(pk__in={r.referentiel_id for r in rows}).values_list(
            "pk", flat=True
        )
    )
    versions = set(
        ReferentielVersion.objects.filter(
            pk__in={r.version_id for r in rows if r.version_id}
        ).values_list("pk", flat=True)
    )
    stale = [
        row
        for row, key in zip(rows, keys, strict=True)
        if key in taken
        or row.referentiel_id not in referentiels
        or (row.version_id is not None and row.version_id not in versions)
    ]
    if stale or len(set(keys)) != len(keys):
        raise DomainError(
            _(
                "Le fichier ne peut plus être importé : des numéros ont été enregistrés depuis "
                "sa vérification (par exemple ligne %(line)d). Déposez-le à nouveau."
            )
            % {"line": (stale[0] if stale else rows[0]).line},
            code="stale_preview",
        )
    batch = uuid.uuid4()
    now = timezone.now()
    records = _bulk_insert(
        [
            HistoricCertificate(
                branch=branch,
                number=row.number,
                number_key=key,
                kind=row.kind,
                referentiel_id=row.referentiel_id,
                version_id=row.version_id,
                cqpi_title=row.cqpi_title,
                issued_on=datetime.date.fromisoformat(row.issued_on),
                last_name=row.last_name,
                first_name=row.first_name,
                birth_date=datetime.date.fromisoformat(row.birth_date),
                birth_place=row.birth_place,
                access_route=row.access_route,
                first_certification=row.first_certification,
                capacities=row.capacities,
                signatory=row.signatory,
                batch=batch,
                imported_by=by,
                imported_at=now,
                **row.identity,
            )
            for row, key in zip(rows, keys, strict=True)
        ]
    )
    # One event for the batch: who brought which file into which branch, and how many.
    audit_record(
        "historic.import",
        branch=branch,
        actor=by,
        details={
            "file": filename,
            "batch": str(batch),
            "records": len(records),
            "first": records[0].number,
            "last": records[-1].number,
        },
    )
    transaction.on_commit(lambda: historic_imported.send(sender=HistoricCertificate))
    return records


def _bulk_insert(records: list[HistoricCertificate]) -> list[HistoricCertificate]:
    """`bulk_create`, except on SQLite (the embedded default of `make run`).

    There, Django compiles one placeholder per value (PostgreSQL's bulk insert sends whole
    columns instead), which made the demo's 14,840 records take 27 s on a busy machine; the
    values are prepared by the fields themselves and sent with one `executemany` instead.
    The rows need no primary key back: nothing reads them after the import but their numbers.
    """
    if connection.vendor != "sqlite":
        return HistoricCertificate.objects.bulk_create(records, batch_size=2000)
    fields = [f for f in HistoricCertificate._meta.concrete_fields if not f.primary_key]
    table = connection.ops.quote_name(HistoricCertificate._meta.db_table)
    columns = ", ".join(connection.ops.quote_name(f.column) for f in fields)
    placeholders = ", ".join(["%s"] * len(fields))
    with connection.cursor() as cursor:
        cursor.executemany(
            f"INSERT INTO {table} ({columns}) VALUES ({placeholders})",  # noqa: S608 - model's own names
            [
                [f.get_db_prep_save(getattr(record, f.attname), connection) for f in fields]
                for record in records
            ],
        )
    return records
