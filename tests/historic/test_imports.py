"""Import of certificates issued before the platform: bad rows refused in French, good rows verifiable."""

from __future__ import annotations

import datetime
import io
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command
from django.db.models.deletion import ProtectedError
from django.urls import reverse
from openpyxl import Workbook, load_workbook

from audit.models import AuditEvent
from historic import imports, services
from historic.models import HistoricCertificate
from historic.selectors import historic_lookup

pytestmark = pytest.mark.django_db

UPLOAD = reverse("historic:import_upload")
HEADER = ";".join(imports.COLUMNS)


@pytest.fixture(autouse=True)
def _media(settings: Any, tmp_path: Any) -> None:
    settings.MEDIA_ROOT = tmp_path


def row(cast: Any, n: int, **overrides: str) -> str:
    values = {
        "number": f"ALP-2008-{n:04d}",
        "kind": "certificat",
        "last_name": f"Nom{n}",
        "first_name": f"Prénom{n}",
        "birth_date": f"{(n % 28) + 1:02d}/03/1980",
        "birth_place": "Lyon",
        "cqpi_code": cast.referentiel.code,
        "version": "",
        "issued_on": "27/06/2008",
        "access_route": "VAE",
        "first_certification": "oui",
        "signatory": "Président de la CPNE",
    } | overrides
    return ";".join(values.get(c, "") for c in imports.COLUMNS)


def csv_file(lines: list[str], name: str = "registre.csv") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, ("\n".join([HEADER, *lines]) + "\n").encode("utf-8"))


def preview_of(cast: Any, lines: list[str]) -> imports.Preview:
    return imports.build_preview(uploaded=csv_file(lines), branch=cast.branch_a, by=cast.staff_a)


def errors_of(cast: Any, lines: list[str]) -> dict[int, list[str]]:
    return {e.line: e.reasons for e in preview_of(cast, lines).errors}


def test_a_good_file_has_no_error(cast: Any) -> None:
    preview = preview_of(cast, [row(cast, i) for i in range(1, 4)])
    assert preview.errors == [] and len(preview.rows) == 3 and preview.is_importable
    first = preview.rows[0]
    assert (first.version_id, first.access_route, first.first_certification) == (None, "vae", True)


def test_every_bad_row_is_reported_with_its_line_and_french_reasons(cast: Any) -> None:
    errors = errors_of(
        cast,
        [
            row(cast, 1),
            row(cast, 2, cqpi_code="inconnu"),
            row(cast, 3, issued_on="31/02/2008"),
            row(cast, 4, birth_date="01/01/2000", issued_on="01/06/2008"),
            row(cast, 5, number=""),
            row(cast, 6, number="ALP-2008-0001"),
            row(cast, 7, kind="diplôme"),
            row(cast, 8, version="7"),
            row(cast, 9, access_route="apprentissage"),
            row(cast, 10, first_certification="peut-être"),
            row(cast, 11, issued_on="01/01/2099"),
            row(cast, 12, birth_insee_code="ABCDE"),
        ],
    )
    assert sorted(errors) == list(range(3, 14))
    assert errors[3] == ["CQPI inconnu : « inconnu »"]
    assert "Date de délivrance impossible" in errors[4][0]
    assert errors[5] == ["titulaire âgé de moins de 14 ans à la délivrance"]
    assert errors[6] == ["champ « Numéro » manquant"]
    assert errors[7] == ["numéro en double dans le fichier (déjà à la ligne 2)"]
    assert errors[8][0].startswith("nature inconnue : « diplôme »")
    assert errors[9][0].startswith("version « 7 » inconnue pour ce CQPI")
    assert errors[10] == ["voie d'accès inconnue : « apprentissage »"]
    assert errors[11][0].startswith("première certification : « peut-être »")
    assert errors[12] == ["date de délivrance dans le futur : 01/01/2099"]
    assert "Code INSEE" in errors[13][0]


def test_a_number_already_imported_in_the_branch_is_refused(cast: Any) -> None:
    services.historic_import(
        branch=cast.branch_a, rows=preview_of(cast, [row(cast, 1)]).rows, by=cast.staff_a
    )
    errors = errors_of(cast, [row(cast, 2, number="alp 2008 0001")])
    assert errors[2] == ["numéro déjà importé dans la branche : « alp 2008 0001 »"]
    # Another branch numbered its own certificates: the same number is theirs to use.
    other = imports.build_preview(
        uploaded=csv_file([row(cast, 1)]), branch=cast.branch_b, by=cast.staff_b
    )
    assert other.errors == []


def test_a_version_and_its_capacities_are_checked_against_the_referentiel(cast: Any) -> None:
    errors = errors_of(
        cast,
        [
            row(
                cast,
                1,
                version="1",
                issued_on="01/07/2022",
                capacities="C1.1, C2.2",
                kind="attestation",
            ),
            row(cast, 2, version="v1", issued_on="01/07/2021"),
            row(cast, 3, version="1", issued_on="01/07/2022", capacities="C1.1|C9.9"),
        ],
    )
    assert list(errors) == [3, 4]
    assert errors[3] == ["la version 1 n'était pas en vigueur le 01/07/2021"]
    assert errors[4] == ["capacité(s) inconnue(s) dans la version 1 : C9.9"]


def test_the_import_writes_every_row_with_one_audit_event(cast: Any) -> None:
    preview = preview_of(cast, [row(cast, i) for i in range(1, 6)])
    records = services.historic_import(
        branch=cast.branch_a, rows=preview.rows, by=cast.staff_a, filename="registre.csv"
    )
    assert HistoricCertificate.objects.filter(branch=cast.branch_a).count() == 5
    assert len({r.batch for r in records}) == 1
    events = AuditEvent.objects.filter(action="historic.import")
    assert events.count() == 1
    assert events.get().details["records"] == 5
    assert events.get().branch_id == cast.branch_a.pk


def test_an_import_is_refused_to_staff_of_another_branch(cast: Any) -> None:
    from django.core.exceptions import PermissionDenied

    rows = preview_of(cast, [row(cast, 1)]).rows
    with pytest.raises(PermissionDenied):
        services.historic_import(branch=cast.branch_a, rows=rows, by=cast.staff_b)


def test_imported_records_are_never_deleted(cast: Any) -> None:
    services.historic_import(
        branch=cast.branch_a, rows=preview_of(cast, [row(cast, 1)]).rows, by=cast.staff_a
    )
    with pytest.raises(ProtectedError):
        HistoricCertificate.objects.get().delete()
    with pytest.raises(ProtectedError):
        HistoricCertificate.objects.all().delete()


def test_good_rows_are_verifiable_and_bad_ones_never_written(client: Any, cast: Any) -> None:
    client.force_login(cast.staff_a)
    response = client.post(
        UPLOAD,
        {"branch": cast.branch_a.pk, "file": csv_file([row(cast, 1), row(cast, 2, cqpi_code="x")])},
    )
    preview_url = response["Location"]
    page = client.get(preview_url)
    assert "CQPI inconnu : « x »" in page.content.decode()
    refused = client.post(preview_url + "confirmer/")
    assert refused.status_code == 302 and not HistoricCertificate.objects.exists()

    response = client.post(
        UPLOAD,
        {
            "branch": cast.branch_a.pk,
            "file": csv_file([row(cast, 1, last_name="Écroubert"), row(cast, 2)]),
        },
    )
    assert client.post(response["Location"] + "confirmer/").status_code == 302
    assert HistoricCertificate.objects.count() == 2
    found = historic_lookup(
        number="alp-2008-0001",
        last_name="ecroubert",
        birth_date=datetime.date(1980, 3, 2),
    )
    assert found is not None and found.number == "ALP-2008-0001"
    client.logout()
    public = client.post(
        reverse("historic:verify_lookup"),
        {"number": "ALP-2008-0001", "last_name": "Écroubert", "birth_date": "02/03/1980"},
    )
    assert public.status_code == 200
    assert "Document délivré avant la plateforme" in public.content.decode()


def test_an_xlsx_file_with_french_headers_is_read(cast: Any) -> None:
    workbook = Workbook()
    sheet = workbook.active
    assert sheet is not None
    sheet.append([imports.header(c) for c in imports.COLUMNS])
    sheet.append(row(cast, 1).split(";"))
    buffer = io.BytesIO()
    workbook.save(buffer)
    uploaded = SimpleUploadedFile("registre.xlsx", buffer.getvalue())
    preview = imports.build_preview(uploaded=uploaded, branch=cast.branch_a, by=cast.staff_a)
    assert preview.errors == [] and preview.rows[0].number == "ALP-2008-0001"


def test_the_template_round_trips_through_the_import(cast: Any) -> None:
    workbook = load_workbook(io.BytesIO(imports.template_xlsx(cast.branch_a)))
    header, _example = list(workbook.worksheets[0].iter_rows(values_only=True))
    assert list(header) == [imports.header(c) for c in imports.COLUMNS]
    text = imports.template_csv(cast.branch_a).decode("utf-8-sig")
    preview = imports.build_preview(
        uploaded=SimpleUploadedFile("modele.csv", text.encode()),
        branch=cast.branch_a,
        by=cast.staff_a,
    )
    assert preview.errors == [] and len(preview.rows) == 1


def test_a_file_without_the_required_columns_is_refused_in_french(cast: Any) -> None:
    preview = imports.build_preview(
        uploaded=SimpleUploadedFile("x.csv", b"Nom;Prenom\nDurand;Lea\n"),
        branch=cast.branch_a,
        by=cast.staff_a,
    )
    assert preview.file_error.startswith("Colonnes manquantes : « Numéro »")


# --- The management command ------------------------------------------------------------


def _write(tmp_path: Any, lines: list[str]) -> str:
    path = tmp_path / "registre.csv"
    path.write_text("\n".join([HEADER, *lines]) + "\n", encoding="utf-8")
    return str(path)


def test_the_command_reports_each_bad_row_and_writes_nothing(cast: Any, tmp_path: Any) -> None:
    path = _write(tmp_path, [row(cast, 1), row(cast, 2, cqpi_code="inconnu")])
    err = io.StringIO()
    with pytest.raises(CommandError, match="1 ligne"):
        call_command(
            "import_historic_certificates", path, branch="alpha", by=cast.staff_a.email, stderr=err
        )
    assert "Ligne 3 (Prénom2 Nom2) : CQPI inconnu : « inconnu »" in err.getvalue()
    assert not HistoricCertificate.objects.exists()


def test_the_command_dry_run_writes_nothing_then_imports(cast: Any, tmp_path: Any) -> None:
    path = _write(tmp_path, [row(cast, 1), row(cast, 2)])
    out = io.StringIO()
    call_command(
        "import_historic_certificates",
        path,
        branch="alpha",
        by=cast.staff_a.email,
        dry_run=True,
        stdout=out,
    )
    assert "Simulation : 2 ligne(s) valide(s)" in out.getvalue()
    assert not HistoricCertificate.objects.exists()
    call_command(
        "import_historic_certificates", path, branch="alpha", by=cast.staff_a.email, stdout=out
    )
    assert HistoricCertificate.objects.filter(branch=cast.branch_a).count() == 2
    assert AuditEvent.objects.filter(action="historic.import").count() == 1


def test_the_command_refuses_someone_who_does_not_run_the_branch(cast: Any, tmp_path: Any) -> None:
    path = _write(tmp_path, [row(cast, 1)])
    with pytest.raises(CommandError, match="ni personnel CPNE"):
        call_command("import_historic_certificates", path, branch="alpha", by=cast.staff_b.email)


def test_the_embedded_databases_insert_path_writes_the_same_records(
    cast: Any, monkeypatch: Any
) -> None:
    # make run's SQLite takes the executemany path (core.bulk.bulk_insert): the fields
    # prepare their own values, so it runs on PostgreSQL too and must write the same rows.
    from django.db import connection

    monkeypatch.setattr(connection, "vendor", "sqlite")

    def refuse(*args: Any, **kwargs: Any) -> None:
        raise AssertionError("bulk_create is not the embedded database's path")

    monkeypatch.setattr(HistoricCertificate.objects, "bulk_create", refuse)
    lines = [
        row(
            cast, 1, version="1", issued_on="01/07/2022", capacities="C1.1,C2.2", kind="attestation"
        ),
        row(cast, 2, first_certification=""),
    ]
    services.historic_import(
        branch=cast.branch_a, rows=preview_of(cast, lines).rows, by=cast.staff_a
    )
    monkeypatch.undo()
    first, second = HistoricCertificate.objects.order_by("number")
    assert (first.kind, first.version_id, first.capacities) == (
        "partial",
        cast.version.pk,
        ["C1.1", "C2.2"],
    )
    assert (second.first_certification, second.access_route, second.imported_by) == (
        None,
        "vae",
        cast.staff_a,
    )
    assert first.batch == second.batch and first.number_key == "ALP20080001"
    # The holders' persons went the same way, their keys read back for the records.
    assert first.person is not None and second.person is not None
    assert first.person.last_name == "Nom1" and second.person.last_name == "Nom2"
    assert first.person.events.get().action == "created"
