"""Bulk import of candidates and dossiers: every bad row reported, then all or nothing."""

from __future__ import annotations

import io
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils.html import escape
from openpyxl import Workbook, load_workbook

from audit.models import AuditEvent
from candidates import identity, imports
from candidates.models import (
    Candidate,
    Dossier,
    DossierHistory,
    Person,
    PersonAction,
    PersonEvent,
)
from core.errors import DomainError
from tests.factories import CandidateFactory, valid_siret

pytestmark = pytest.mark.django_db

UPLOAD = reverse("candidates:import_upload")
LOGIN = reverse("accounts:login")
HEADER = ";".join(imports.COLUMNS)


@pytest.fixture(autouse=True)
def _media(settings: Any, tmp_path: Any) -> None:
    settings.MEDIA_ROOT = tmp_path


def row(cast: Any, n: int, **overrides: str) -> str:
    values = {
        "last_name": f"Nom{n}",
        "first_name": f"Prénom{n}",
        "birth_date": f"{(n % 28) + 1:02d}/03/1990",
        "birth_place": "Lyon",
        "email": f"c{n}@example.org",
        "company_siret": cast.company_a.siret,
        "cqpi_code": cast.referentiel.code,
        "access_route": "Formation continue",
        "first_certification": "oui",
    } | overrides
    return ";".join(values.get(c, "") for c in imports.COLUMNS)


def csv_file(lines: list[str], name: str = "candidats.csv") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, ("\n".join([HEADER, *lines]) + "\n").encode("utf-8"))


def errors_of(cast: Any, lines: list[str]) -> dict[int, list[str]]:
    preview = imports.build_preview(uploaded=csv_file(lines), branch=cast.branch_a, by=cast.staff_a)
    return {e.line: e.reasons for e in preview.errors}


# --- Checking rows ---------------------------------------------------------------


def test_a_good_file_has_no_error(cast: Any) -> None:
    preview = imports.build_preview(
        uploaded=csv_file([row(cast, i) for i in range(5)]), branch=cast.branch_a, by=cast.staff_a
    )
    assert preview.errors == []
    assert len(preview.rows) == 5
    assert preview.is_importable


def test_an_unknown_cqpi_is_reported_with_its_line(cast: Any) -> None:
    errors = errors_of(cast, [row(cast, 1), row(cast, 2, cqpi_code="inconnu")])
    assert list(errors) == [3]
    assert "CQPI inconnu" in errors[3][0]


def test_a_cqpi_not_adopted_by_the_branch_is_reported(cast: Any) -> None:
    from tests.factories import build_referentiel

    other, _version = build_referentiel(branches=[cast.branch_b], title="Opérateur qualité")
    errors = errors_of(cast, [row(cast, 1, cqpi_code=other.code)])
    assert "non adopté" in errors[2][0]


def test_an_invalid_siret_is_reported(cast: Any) -> None:
    errors = errors_of(cast, [row(cast, 1, company_siret="12345678901234")])
    assert "SIRET invalide" in errors[2][0]


def test_a_company_of_another_branch_is_reported(cast: Any) -> None:
    errors = errors_of(cast, [row(cast, 1, company_siret=cast.company_b.siret)])
    assert "entreprise inconnue" in errors[2][0]
    assert valid_siret(999) not in cast.company_a.siret


def test_an_impossible_date_is_reported(cast: Any) -> None:
    errors = errors_of(
        cast, [row(cast, 1, birth_date="31/02/1990"), row(cast, 2, birth_date="01/01/2999")]
    )
    assert "date de naissance impossible" in errors[2][0]
    assert "date de naissance impossible" in errors[3][0]


def test_a_missing_field_is_reported(cast: Any) -> None:
    errors = errors_of(cast, [row(cast, 1, birth_place="")])
    assert "« Lieu de naissance »" in errors[2][0]


def test_a_duplicate_within_the_file_names_the_first_line(cast: Any) -> None:
    errors = errors_of(cast, [row(cast, 1), row(cast, 1)])
    assert list(errors) == [3]
    assert "ligne 2" in errors[3][0]


def test_a_candidate_already_in_the_branch_is_reported(cast: Any) -> None:
    errors = errors_of(
        cast,
        [
            row(
                cast,
                1,
                last_name="DURAND",
                first_name="léa",
                birth_date=cast.candidate.birth_date.strftime("%d/%m/%Y"),
            )
        ],
    )
    assert "déjà enregistré" in errors[2][0]


def test_access_routes_accept_codes_and_french_labels(cast: Any) -> None:
    preview = imports.build_preview(
        uploaded=csv_file(
            [
                row(cast, 1, access_route="vae"),
                row(cast, 2, access_route="VAE"),
                row(cast, 3, access_route="Contrat de professionnalisation"),
                row(cast, 4, access_route="n'importe"),
            ]
        ),
        branch=cast.branch_a,
        by=cast.staff_a,
    )
    assert [r.access_route for r in preview.rows] == ["vae", "vae", "professionalisation"]
    assert [e.line for e in preview.errors] == [5]


def test_a_file_without_the_columns_is_refused(cast: Any) -> None:
    preview = imports.build_preview(
        uploaded=SimpleUploadedFile("x.csv", b"nom;prenom\nA;B\n"),
        branch=cast.branch_a,
        by=cast.staff_a,
    )
    assert "Colonnes manquantes" in preview.file_error


def test_an_xlsx_file_is_read(cast: Any) -> None:
    workbook = Workbook()
    sheet = workbook.active
    sheet.append(list(imports.COLUMNS))
    sheet.append(row(cast, 1).split(";"))
    buffer = io.BytesIO()
    workbook.save(buffer)
    preview = imports.build_preview(
        uploaded=SimpleUploadedFile("c.xlsx", buffer.getvalue()),
        branch=cast.branch_a,
        by=cast.staff_a,
    )
    assert preview.errors == []
    assert preview.rows[0].last_name == "Nom1"


def test_the_declaration_identity_is_checked_with_clear_reasons(cast: Any) -> None:
    errors = errors_of(
        cast,
        [
            row(cast, 1, sex="X"),
            row(cast, 2, birth_insee_code="1234"),
            row(cast, 3, birth_country_code="FRA"),
            row(cast, 4, birth_insee_code="69123", birth_postal_code="69001"),
            row(cast, 5, birth_insee_code="2A004", sex="m", birth_country_code="100"),
        ],
    )
    assert any("M ou F" in reason for reason in errors[2])
    assert any("5 caractères" in reason and "Corse" in reason for reason in errors[3])
    assert any("3 chiffres" in reason for reason in errors[4])
    assert any("pas les deux" in reason for reason in errors[5])
    assert 6 not in errors


def test_imported_candidates_carry_their_declaration_identity(cast: Any) -> None:
    lines = [
        row(
            cast,
            1,
            usage_name="Martin",
            first_name_2="Anne",
            sex="f",
            birth_country_code="134",
            birth_country_label="Espagne",
        ),
        row(cast, 2),
    ]
    preview = imports.build_preview(uploaded=csv_file(lines), branch=cast.branch_a, by=cast.staff_a)
    assert preview.errors == []
    dossiers = imports.import_rows(
        branch=cast.branch_a, rows=preview.rows, by=cast.staff_a, filename="promo.csv"
    )
    abroad, plain = (d.candidate for d in dossiers)
    assert (abroad.usage_name, abroad.first_name_2, abroad.sex) == ("Martin", "Anne", "F")
    # Born abroad without a commune code: 99 + the country's code.
    assert abroad.birth_insee_code == "99134"
    assert identity.identity_gaps(abroad) == []
    # The identity columns are optional: a row without them is "à compléter".
    assert identity.identity_gaps(plain)[0].startswith("Identité à compléter")


# --- Writing ---------------------------------------------------------------------


def test_import_creates_candidates_dossiers_and_history(cast: Any) -> None:
    preview = imports.build_preview(
        uploaded=csv_file([row(cast, i) for i in range(50)]), branch=cast.branch_a, by=cast.staff_a
    )
    before = Dossier.objects.count()
    dossiers = imports.import_rows(
        branch=cast.branch_a, rows=preview.rows, by=cast.staff_a, filename="promo.csv"
    )
    assert len(dossiers) == 50
    assert Dossier.objects.count() == before + 50
    # One audit event for the batch, with its count.
    event = AuditEvent.objects.get(action="dossier.import")
    assert event.actor == cast.staff_a and event.branch_id == cast.branch_a.pk
    assert event.details["dossiers"] == 50 and event.details["file"] == "promo.csv"
    assert len({d.reference for d in dossiers}) == 50
    assert DossierHistory.objects.filter(dossier__in=dossiers).count() == 50
    assert Dossier.objects.filter(company=cast.company_a, version=cast.version).count() >= 50


def test_import_is_all_or_nothing_when_the_database_changed(cast: Any) -> None:
    preview = imports.build_preview(
        uploaded=csv_file([row(cast, 1), row(cast, 2)]), branch=cast.branch_a, by=cast.staff_a
    )
    first = preview.rows[1]
    Candidate.objects.create(
        branch=cast.branch_a,
        last_name=first.last_name,
        first_name=first.first_name,
        birth_date=first.birth_date,
        birth_place="Lyon",
    )
    count = Candidate.objects.count()
    with pytest.raises(DomainError):
        imports.import_rows(branch=cast.branch_a, rows=preview.rows, by=cast.staff_a)
    assert Candidate.objects.count() == count


# --- The pages ---------------------------------------------------------------------


def test_the_upload_page_four_ways(client: Any, cast: Any) -> None:
    assert client.get(UPLOAD)["Location"].startswith(LOGIN)
    client.force_login(cast.evaluator)
    assert client.get(UPLOAD).status_code == 403
    client.force_login(cast.staff_a)
    response = client.get(UPLOAD)
    assert response.status_code == 200
    # The import's own file templates and columns (the upload step shared with other imports).
    page = response.content.decode()
    assert f'href="{reverse("candidates:import_template")}?format=xlsx"' in page
    assert all(f"<strong>{escape(name)}</strong>" in page for name, _, _ in imports.column_help())


def test_a_bad_file_shows_every_bad_row_and_cannot_be_confirmed(client: Any, cast: Any) -> None:
    client.force_login(cast.staff_a)
    response = client.post(
        UPLOAD,
        {"branch": cast.branch_a.pk, "file": csv_file([row(cast, 1), row(cast, 2, cqpi_code="x")])},
        follow=True,
    )
    page = response.content.decode()
    assert "CQPI inconnu" in page
    assert "Confirmer l&#x27;import" not in page and "Confirmer l'import" not in page
    token = response.context["token"]
    count = Dossier.objects.count()
    client.post(reverse("candidates:import_confirm", args=[token]))
    assert Dossier.objects.count() == count


def test_a_good_file_is_previewed_then_confirmed(client: Any, cast: Any) -> None:
    client.force_login(cast.staff_a)
    response = client.post(
        UPLOAD, {"branch": cast.branch_a.pk, "file": csv_file([row(cast, 1), row(cast, 2)])}
    )
    preview_url = response["Location"]
    token = preview_url.rstrip("/").rsplit("/", 1)[-1]
    preview = client.get(preview_url)
    assert preview.status_code == 200
    # The rows read as the staff wrote them: French dates and labels, not stored codes.
    page = preview.content.decode()
    assert "<td>02/03/1990</td>" in page and "<td>Formation continue</td>" in page
    assert "1990-03-02" not in page and "<td>continuing</td>" not in page
    count = Dossier.objects.count()
    confirmed = client.post(reverse("candidates:import_confirm", args=[token]))
    assert confirmed["Location"] == reverse("candidates:dossier_list")
    assert Dossier.objects.count() == count + 2
    # The preview is spent: confirming twice imports nothing more.
    assert client.post(reverse("candidates:import_confirm", args=[token])).status_code == 404


def test_a_preview_belongs_to_who_uploaded_it(client: Any, cast: Any) -> None:
    client.force_login(cast.staff_a)
    response = client.post(UPLOAD, {"branch": cast.branch_a.pk, "file": csv_file([row(cast, 1)])})
    token = response["Location"].rstrip("/").rsplit("/", 1)[-1]
    for url in (
        reverse("candidates:import_preview", args=[token]),
        reverse("candidates:import_confirm", args=[token]),
    ):
        client.logout()
        assert client.post(url)["Location"].startswith(LOGIN)
        client.force_login(cast.staff_b)
        assert client.post(url).status_code == 404
        client.force_login(cast.evaluator)
        assert client.post(url).status_code == 403


def test_a_tampered_preview_is_not_found(client: Any, cast: Any, tmp_path: Any) -> None:
    client.force_login(cast.staff_a)
    response = client.post(UPLOAD, {"branch": cast.branch_a.pk, "file": csv_file([row(cast, 1)])})
    token = response["Location"].rstrip("/").rsplit("/", 1)[-1]
    path = tmp_path / "imports" / f"{token}.signed"
    path.write_text(path.read_text()[:-3] + "abc")
    assert client.get(reverse("candidates:import_preview", args=[token])).status_code == 404


def test_upload_into_another_branch_is_refused_and_keeps_the_form(client: Any, cast: Any) -> None:
    client.force_login(cast.staff_a)
    response = client.post(UPLOAD, {"branch": cast.branch_b.pk, "file": csv_file([row(cast, 1)])})
    assert response.status_code == 200
    assert response.context["form"].errors["branch"]


def test_an_html_file_is_refused(client: Any, cast: Any) -> None:
    client.force_login(cast.staff_a)
    bad = SimpleUploadedFile("x.csv", b"<html><script>alert(1)</script></html>")
    response = client.post(UPLOAD, {"branch": cast.branch_a.pk, "file": bad})
    assert response.context["form"].errors["file"]


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_the_template_is_downloadable(client: Any, cast: Any, fmt: str) -> None:
    url = reverse("candidates:import_template")
    assert client.get(url)["Location"].startswith(LOGIN)
    client.force_login(cast.evaluator)
    assert client.get(url).status_code == 403
    client.force_login(cast.staff_a)
    response = client.get(url, {"format": fmt})
    assert response.status_code == 200
    if fmt == "csv":
        first = response.content.decode("utf-8-sig").splitlines()[0]
        assert first == ";".join(imports.header(c) for c in imports.COLUMNS)
        assert first.startswith("Nom;Prénom;Date de naissance;")
    else:
        workbook = load_workbook(io.BytesIO(response.content))
        assert [c.value for c in workbook.worksheets[0][1]] == [
            imports.header(c) for c in imports.COLUMNS
        ]
        assert workbook.worksheets[1]["A1"].value == "Colonne"


def test_the_template_imports_cleanly(client: Any, cast: Any) -> None:
    client.force_login(cast.staff_a)
    content = client.get(reverse("candidates:import_template"), {"format": "csv"}).content
    preview = imports.build_preview(
        uploaded=SimpleUploadedFile("modele.csv", content), branch=cast.branch_a, by=cast.staff_a
    )
    assert preview.errors == [] and len(preview.rows) == 1


def test_import_numbers_follow_the_dossiers_opened_one_by_one(cast: Any) -> None:
    from tests import workflow

    before = workflow.open_dossier(cast)
    preview = imports.build_preview(
        uploaded=csv_file([row(cast, i) for i in range(3)]), branch=cast.branch_a, by=cast.staff_a
    )
    imported = imports.import_rows(branch=cast.branch_a, rows=preview.rows, by=cast.staff_a)
    after = workflow.open_dossier(cast, candidate=cast.other_candidate)
    numbers = [int(d.reference.rsplit("-", 1)[1]) for d in [before, *imported, after]]
    assert numbers == list(range(numbers[0], numbers[0] + 5))


def test_a_name_with_a_format_character_is_reported_on_its_row(cast: Any) -> None:
    errors = errors_of(cast, [row(cast, 1), row(cast, 2, last_name="Dur\u202eand")])
    assert list(errors) == [3]
    assert "« Nom »" in errors[3][0]
    assert "U+202E" in errors[3][0]


def test_an_export_of_the_dossier_list_imports_again_as_it_is(client: Any, cast: Any) -> None:
    """The export's headers and values are the import's: every row is read, and refused only
    because its candidate already has a dossier in progress for that CQPI."""
    from tests import workflow

    for n in (1, 2):
        candidate = CandidateFactory.create(branch=cast.branch_a, email=f"c{n}@example.test")
        workflow.open_dossier(cast, candidate=candidate, route="vae" if n == 2 else "continuing")
    client.force_login(cast.staff_a)
    exported = b"".join(
        client.get(reverse("candidates:dossier_export"), {"format": "csv"}).streaming_content
    )

    preview = imports.build_preview(
        uploaded=SimpleUploadedFile("export.csv", exported), branch=cast.branch_a, by=cast.staff_a
    )

    assert not preview.rows
    assert [e.reasons for e in preview.errors] == [
        ["le candidat a déjà un dossier en cours pour ce CQPI"]
    ] * 2


def test_a_missing_column_is_named_as_people_read_it(cast: Any) -> None:
    with pytest.raises(DomainError) as refused:
        imports.parse_upload(SimpleUploadedFile("x.csv", b"Nom;Prenom\nDurand;Lea\n"))
    assert "« Date de naissance »" in refused.value.message


# --- Matching the branch's candidates and persons ----------------------------------------


def _preview(cast: Any, lines: list[str]) -> Any:
    return imports.build_preview(uploaded=csv_file(lines), branch=cast.branch_a, by=cast.staff_a)


def _born(candidate: Any) -> str:
    return candidate.birth_date.strftime("%d/%m/%Y")


def test_a_row_naming_a_candidate_of_the_branch_exactly_opens_a_dossier_for_them(
    cast: Any,
) -> None:
    from tests import workflow

    known = CandidateFactory.create(
        branch=cast.branch_a, last_name="Lefèvre-Dupont", first_name="Élodie"
    )
    workflow.refuse(cast, candidate=known)  # a dossier closed: a new one may be opened
    people, candidates = Person.objects.count(), Candidate.objects.count()
    # Names as a spreadsheet may spell them: no accents, capitals, a space for the hyphen.
    preview = _preview(
        cast,
        [
            row(
                cast,
                1,
                last_name="LEFEVRE DUPONT",
                first_name="elodie",
                birth_date=_born(known),
                birth_place="LILLE",
            ),
            row(cast, 2),
        ],
    )
    assert preview.errors == []
    assert [r.candidate_id for r in preview.rows] == [known.pk, None]

    dossiers = imports.import_rows(branch=cast.branch_a, rows=preview.rows, by=cast.staff_a)

    assert dossiers[0].candidate_id == known.pk
    assert Candidate.objects.count() == candidates + 1  # the second row only
    assert Person.objects.count() == people + 1
    known.refresh_from_db()
    assert known.last_name == "Lefèvre-Dupont"  # the record is not rewritten by a file
    event = AuditEvent.objects.get(action="dossier.import")
    assert (event.details["candidates_created"], event.details["candidates_reused"]) == (1, 1)


def test_every_new_candidate_gets_a_national_person_of_their_own(cast: Any) -> None:
    preview = _preview(cast, [row(cast, i) for i in range(3)])
    dossiers = imports.import_rows(branch=cast.branch_a, rows=preview.rows, by=cast.staff_a)
    candidates = [d.candidate for d in dossiers]
    persons = Person.objects.filter(candidates__in=candidates).distinct()
    assert persons.count() == 3
    for candidate in candidates:
        candidate.refresh_from_db()
        person = candidate.person
        assert person is not None
        assert person.identity().matches(candidate.identity())
        assert person.identity_key == person.identity().key  # set, though bulk-inserted
        assert PersonEvent.objects.filter(
            person=person, candidate=candidate, action=PersonAction.CREATED, by=cast.staff_a
        ).exists()


def test_a_person_of_another_branch_is_never_linked_by_an_import(cast: Any) -> None:
    elsewhere = CandidateFactory.create(branch=cast.branch_b)
    preview = _preview(
        cast,
        [
            row(
                cast,
                1,
                last_name=elsewhere.last_name,
                first_name=elsewhere.first_name,
                birth_date=_born(elsewhere),
                birth_place=elsewhere.birth_place,
            )
        ],
    )
    assert preview.errors == [] and preview.rows[0].candidate_id is None
    (dossier,) = imports.import_rows(branch=cast.branch_a, rows=preview.rows, by=cast.staff_a)
    assert dossier.candidate.branch_id == cast.branch_a.pk
    assert dossier.candidate.person_id not in (None, elsewhere.person_id)
    assert not PersonEvent.objects.filter(
        person=elsewhere.person, action=PersonAction.LINKED
    ).exists()


def test_the_same_names_and_date_born_elsewhere_are_refused_for_staff_to_check(
    cast: Any,
) -> None:
    known = CandidateFactory.create(branch=cast.branch_a, birth_place="Lille")
    errors = errors_of(
        cast,
        [
            row(
                cast,
                1,
                last_name=known.last_name,
                first_name=known.first_name,
                birth_date=_born(known),
                birth_place="Roubaix",
            )
        ],
    )
    assert "avec un autre lieu de naissance" in errors[2][0]


def test_a_candidate_registered_between_preview_and_import_stops_it(cast: Any) -> None:
    preview = _preview(cast, [row(cast, 1)])
    CandidateFactory.create(
        branch=cast.branch_a,
        last_name="Nom1",
        first_name="Prénom1",
        birth_date=preview.rows[0].birth_date_value,
        birth_place="Lyon",
    )
    with pytest.raises(DomainError) as refused:
        imports.import_rows(branch=cast.branch_a, rows=preview.rows, by=cast.staff_a)
    assert "enregistré depuis l'aperçu" in str(refused.value)


def _mixed_file(cast: Any, n: int) -> list[str]:
    """`n` rows: one in three names a candidate already in the branch."""
    lines = []
    for i in range(n):
        if i % 3 == 0:
            known = CandidateFactory.create(branch=cast.branch_a, birth_place="Lyon")
            lines.append(
                row(
                    cast,
                    i,
                    last_name=known.last_name,
                    first_name=known.first_name,
                    birth_date=_born(known),
                )
            )
        else:
            lines.append(row(cast, n * 100 + i))
    return lines


def test_preview_and_import_cost_the_same_queries_for_3_or_30_rows(cast: Any) -> None:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    # A first import reads the staff member's roles (then cached) and starts the year's counter.
    imports.import_rows(
        branch=cast.branch_a, rows=_preview(cast, [row(cast, 1)]).rows, by=cast.staff_a
    )
    counts = []
    for n in (3, 30):
        lines = _mixed_file(cast, n)
        with CaptureQueriesContext(connection) as preview_queries:
            preview = _preview(cast, lines)
        assert preview.errors == [] and len(preview.rows) == n
        with CaptureQueriesContext(connection) as import_queries:
            dossiers = imports.import_rows(branch=cast.branch_a, rows=preview.rows, by=cast.staff_a)
        assert len(dossiers) == n
        counts.append((len(preview_queries), len(import_queries)))
    (small_preview, small_import), (large_preview, large_import) = counts
    assert large_preview == small_preview <= 10
    assert large_import == small_import <= 25


def test_the_preview_says_which_rows_open_a_dossier_for_a_known_candidate(
    client: Any, cast: Any
) -> None:
    known = CandidateFactory.create(branch=cast.branch_a, birth_place="Lyon")
    line = row(
        cast, 1, last_name=known.last_name, first_name=known.first_name, birth_date=_born(known)
    )
    client.force_login(cast.staff_a)
    response = client.post(
        UPLOAD, {"branch": cast.branch_a.pk, "file": csv_file([line, row(cast, 2)])}
    )
    page = client.get(response["Location"]).content.decode()
    assert (
        "Dont 1 candidat déjà enregistré dans la branche sous la même identité : "
        "seul son nouveau dossier sera créé."
    ) in page.replace("&#x27;", "'")
