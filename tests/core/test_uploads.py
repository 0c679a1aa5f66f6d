"""Upload checks: type by content, size, archive bombs, names — each refusal says why."""

from __future__ import annotations

import io
import zipfile

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from core.uploads import (
    EVIDENCE_TYPES,
    IMPORT_TYPES,
    UploadRejected,
    clean_filename,
    inspect_upload,
)

PDF_BYTES = b"%PDF-1.7\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
PNG_BYTES = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
JPEG_BYTES = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + b"\x00" * 64
EXE_BYTES = b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff" + b"\x00" * 64


def upload(name: str, content: bytes) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, content, content_type="application/pdf")


@pytest.mark.parametrize(
    ("name", "content", "expected"),
    [
        ("preuve.pdf", PDF_BYTES, "application/pdf"),
        ("photo.png", PNG_BYTES, "image/png"),
        ("photo.JPG", JPEG_BYTES, "image/jpeg"),
        ("photo-sans-extension", JPEG_BYTES, "image/jpeg"),
    ],
)
def test_evidence_is_recognised_by_its_content(name, content, expected):
    accepted = inspect_upload(upload(name, content), allowed=EVIDENCE_TYPES, max_bytes=10_000)
    assert accepted.content_type == expected


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("vide.pdf", b"", "vide"),
        ("programme.pdf", EXE_BYTES, "Type de fichier non accepté"),
        ("page.pdf", b"<html><script>alert(1)</script></html>", "Type de fichier non accepté"),
        (
            "image.pdf",
            b'<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"/>',
            "non accepté",
        ),
        ("..\\..\\windows.pdf", PDF_BYTES, "chemin"),
    ],
)
def test_bad_evidence_is_refused_with_a_clear_message(name, content, message):
    with pytest.raises(UploadRejected) as info:
        inspect_upload(upload(name, content), allowed=EVIDENCE_TYPES, max_bytes=10_000)
    assert message in info.value.message


def test_a_unix_traversal_name_keeps_only_its_last_part():
    # Django's upload handling already drops the directories of a POSIX path.
    accepted = inspect_upload(
        upload("../../etc/passwd.pdf", PDF_BYTES), allowed=EVIDENCE_TYPES, max_bytes=10_000
    )
    assert accepted.original_name == "passwd.pdf"


def test_an_oversize_file_is_refused_before_reading_it():
    with pytest.raises(UploadRejected) as info:
        inspect_upload(upload("gros.pdf", PDF_BYTES * 100), allowed=EVIDENCE_TYPES, max_bytes=1000)
    assert "taille maximale" in info.value.message


def test_a_csv_import_is_plain_text():
    csv = "nom;prénom\nDurand;Léa\n".encode()
    assert (
        inspect_upload(upload("import.csv", csv), allowed=IMPORT_TYPES, max_bytes=10_000).extension
        == "csv"
    )


def test_markup_disguised_as_csv_is_refused():
    with pytest.raises(UploadRejected) as info:
        inspect_upload(
            upload("import.csv", b"<svg><script>alert(1)</script></svg>"),
            allowed=IMPORT_TYPES,
            max_bytes=10_000,
        )
    assert "HTML ou du SVG" in info.value.message


def xlsx_bytes(payload_size: int) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("xl/workbook.xml", "<workbook/>")
        archive.writestr("xl/worksheets/sheet1.xml", b"0" * payload_size)
    return buffer.getvalue()


def test_a_normal_workbook_is_accepted():
    accepted = inspect_upload(
        upload("import.xlsx", xlsx_bytes(2000)), allowed=IMPORT_TYPES, max_bytes=10**6
    )
    assert accepted.extension == "xlsx"


def test_a_zip_bomb_is_refused():
    bomb = xlsx_bytes(30 * 1024 * 1024)
    assert len(bomb) < 100_000
    with pytest.raises(UploadRejected) as info:
        inspect_upload(upload("import.xlsx", bomb), allowed=IMPORT_TYPES, max_bytes=10**6)
    assert "volume anormal" in info.value.message


def test_a_workbook_is_not_accepted_as_evidence():
    with pytest.raises(UploadRejected):
        inspect_upload(
            upload("classeur.pdf", xlsx_bytes(100)), allowed=EVIDENCE_TYPES, max_bytes=10**6
        )


@pytest.mark.parametrize(
    ("raw", "clean"),
    [
        ("attestation.pdf", "attestation.pdf"),
        ("rapport\x00\x1f.pdf", "rapport.pdf"),
        ("   ", "fichier"),
        ("a" * 300 + ".pdf", "a" * 116 + ".pdf"),
    ],
)
def test_names_are_made_harmless(raw, clean):
    assert clean_filename(raw) == clean
