"""CSV and XLSX exports of a branch's dossiers and certificates, produced row by row.

CSV is streamed (`;`-separated, UTF-8 with a BOM so that spreadsheet software reads the
accents); XLSX is written by openpyxl in write-only mode to a temporary file. Neither
holds the whole result in memory, so 100,000 rows cost what a few thousand do.
"""

from __future__ import annotations

import csv
import datetime
import tempfile
from collections.abc import Callable, Iterable, Iterator
from typing import Any

from django.http import FileResponse, StreamingHttpResponse
from django.http.response import HttpResponseBase
from django.utils import timezone
from django.utils.translation import gettext as _
from openpyxl import Workbook

from .imports import header

Column = tuple[str, Callable[[Any], Any]]
CHUNK = 2000
XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
# A cell starting with one of these is a formula to a spreadsheet: neutralise it.
_FORMULA_SIGNS = ("=", "+", "-", "@", "\t", "\r")


def _date(value: datetime.date | None) -> str:
    return value.strftime("%d/%m/%Y") if value else ""


def _datetime(value: datetime.datetime | None) -> str:
    return timezone.localtime(value).strftime("%d/%m/%Y %H:%M") if value else ""


def _safe(value: Any) -> Any:
    if isinstance(value, str) and value.startswith(_FORMULA_SIGNS):
        return "'" + value
    return value


def dossier_columns() -> list[Column]:
    """The dossier list's export; the candidate's columns carry the import's headers, so an
    export of new candidates can be imported again as it is."""
    return [
        (_("Numéro de dossier"), lambda d: d.reference),
        (header("last_name"), lambda d: d.candidate.last_name),
        (header("first_name"), lambda d: d.candidate.first_name),
        (header("birth_date"), lambda d: _date(d.candidate.birth_date)),
        (header("birth_place"), lambda d: d.candidate.birth_place),
        (header("email"), lambda d: d.candidate.email),
        (_("Entreprise"), lambda d: d.company.name if d.company else ""),
        (header("company_siret"), lambda d: d.company.siret if d.company else ""),
        (header("cqpi_code"), lambda d: d.version.referentiel.code),
        (_("CQPI"), lambda d: d.version.referentiel.title),
        (_("Version"), lambda d: d.version.number),
        (header("access_route"), lambda d: d.get_access_route_display()),
        (
            header("first_certification"),
            lambda d: _("oui") if d.first_certification else _("non"),
        ),
        (_("Statut"), lambda d: d.get_status_display()),
        (_("Ouvert le"), lambda d: _date(d.opened_on)),
        (_("Branche"), lambda d: d.branch.name),
    ]


def certificate_columns() -> list[Column]:
    return [
        (_("Numéro"), lambda c: c.number),
        (_("Nature"), lambda c: c.get_kind_display()),
        (_("Titulaire"), lambda c: c.holder_name),
        (_("Numéro de dossier"), lambda c: c.dossier.reference),
        (_("CQPI"), lambda c: (c.snapshot or {}).get("cqpi", {}).get("title", "")),
        (_("Délivré le"), lambda c: _date(c.issued_on)),
        (_("Valable jusqu'au"), lambda c: _date(c.valid_until)),
        (_("Statut"), lambda c: c.get_status_display()),
        (_("Motif de révocation"), lambda c: c.revocation_reason),
        (_("Remplace"), lambda c: c.reissue_of.number if c.reissue_of_id else ""),
        (
            _("Déclaré au Passeport de compétences le"),
            lambda c: _datetime(c.reported_to_passport_at),
        ),
        (_("Branche"), lambda c: c.branch.name),
    ]


def _rows(queryset: Any, columns: list[Column]) -> Iterator[list[Any]]:
    for obj in queryset.iterator(chunk_size=CHUNK):
        yield [_safe(getter(obj)) for _label, getter in columns]


class _Echo:
    def write(self, value: str) -> str:
        return value


def _csv_stream(header: list[str], rows: Iterable[list[Any]]) -> Iterator[str]:
    writer = csv.writer(_Echo(), delimiter=";")
    yield "\ufeff" + writer.writerow(header)
    for row in rows:
        yield writer.writerow(row)


def export_response(
    *, queryset: Any, columns: list[Column], fmt: str, basename: str
) -> HttpResponseBase:
    """The export as a download: `fmt` is "xlsx" or anything else for CSV."""
    header = [str(label) for label, _getter in columns]
    stamp = timezone.localdate().isoformat()
    rows = _rows(queryset, columns)
    if fmt == "xlsx":
        workbook = Workbook(write_only=True)
        sheet = workbook.create_sheet(title=basename[:31])
        sheet.append(header)
        for row in rows:
            sheet.append(row)
        handle = tempfile.TemporaryFile()  # noqa: SIM115 - closed by the response
        workbook.save(handle)
        handle.seek(0)
        response: HttpResponseBase = FileResponse(
            handle, as_attachment=True, filename=f"{basename}-{stamp}.xlsx", content_type=XLSX_TYPE
        )
    else:
        response = StreamingHttpResponse(
            _csv_stream(header, rows), content_type="text/csv; charset=utf-8"
        )
        response["Content-Disposition"] = f'attachment; filename="{basename}-{stamp}.csv"'
    response["Cache-Control"] = "private, no-store"
    return response
