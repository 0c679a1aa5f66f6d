"""The media on an S3-compatible store (settings S3_BUCKET): every file goes to the bucket,
stays private, and is handed out only through the application's permission checks.

Run against the suite's local S3 server (moto in server mode, tests/s3.py)."""

from __future__ import annotations

import hashlib
import io
import json
import tarfile
from pathlib import Path
from typing import Any

import pytest
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage, storages
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command
from django.urls import reverse
from storages.backends.s3 import S3Storage

from candidates import imports
from candidates.evidence import evidence_add
from certifications.models import RenderStatus
from cqpi.settings.base import media_storage
from tests import s3
from tests.cqpi import test_backup
from tests.cqpi.test_backup import CHECK, manage
from tests.factories import TEST_SIGNATURE_NAME
from tests.workflow import award

# Committed: the certificates render when their decision commits, and the backup's pg_dump
# and the restoring processes read what this test wrote.
pytestmark = [pytest.mark.s3, pytest.mark.django_db(transaction=True)]

fresh_database = test_backup.fresh_database

PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << >>\n%%EOF\n"
PUBLIC_GROUPS = ("http://acs.amazonaws.com/groups/global/AllUsers", "AuthenticatedUsers")


@pytest.fixture
def media_folder(settings: Any, tmp_path: Path) -> Path:
    # The filesystem's media folder of this test: nothing may land in it.
    settings.MEDIA_ROOT = tmp_path / "media"
    return Path(settings.MEDIA_ROOT)


def local_files(folder: Path) -> list[str]:
    return sorted(p.relative_to(folder).as_posix() for p in folder.rglob("*") if p.is_file())


def test_without_a_bucket_the_media_stay_on_the_filesystem() -> None:
    assert media_storage("") == {"BACKEND": "django.core.files.storage.FileSystemStorage"}


def test_the_s3_variables_configure_the_storage(monkeypatch: pytest.MonkeyPatch) -> None:
    for name, value in s3.environment("https://s3.example.test", "ignored").items():
        monkeypatch.setenv(name, value)
    monkeypatch.setenv("S3_PREFIX", "cqpi")
    options = media_storage("cqpi-media")["OPTIONS"]
    assert media_storage("cqpi-media")["BACKEND"] == "storages.backends.s3.S3Storage"
    assert options["bucket_name"] == "cqpi-media"
    assert options["endpoint_url"] == "https://s3.example.test"
    assert (options["access_key"], options["secret_key"]) == (s3.ACCESS_KEY, s3.SECRET_KEY)
    assert (options["region_name"], options["addressing_style"]) == (s3.REGION, "path")
    assert options["location"] == "cqpi"
    assert options["default_acl"] is None


def test_the_settings_point_the_storage_at_the_bucket_privately(s3_bucket: str) -> None:
    storage = storages["default"]
    assert isinstance(storage, S3Storage)
    assert storage.bucket_name == s3_bucket
    assert storage.default_acl is None
    assert storage.querystring_auth is True
    assert storage.file_overwrite is False


def test_evidence_is_stored_in_the_bucket_and_downloaded_through_the_permission_check(
    cast: Any, client: Any, s3_bucket: str, s3_endpoint: str, media_folder: Path
) -> None:
    dossier = award(cast).dossier
    evidence = evidence_add(
        dossier=dossier,
        uploaded=SimpleUploadedFile("preuve.pdf", PDF, content_type="application/pdf"),
        by=cast.staff_a,
    )
    keys = s3.keys(s3_endpoint, s3_bucket)
    assert evidence.file.name in keys
    assert s3.object_bytes(s3_endpoint, s3_bucket, evidence.file.name) == PDF
    # The certificate, rendered when the decision committed, went there too.
    certificate = dossier.decisions.get().certificates.get()
    assert certificate.pdf.name in keys
    assert TEST_SIGNATURE_NAME in keys
    assert local_files(media_folder) == []
    # Private objects: no grant to everyone or to any AWS account.
    for key in (evidence.file.name, certificate.pdf.name):
        acl = s3.client(s3_endpoint).get_object_acl(Bucket=s3_bucket, Key=key)
        grantees = json.dumps(acl["Grants"])
        assert not any(group in grantees for group in PUBLIC_GROUPS), grantees

    url = reverse("candidates:evidence_download", args=[evidence.pk])
    assert client.get(url).status_code == 302  # anonymous: to the login page
    client.force_login(cast.staff_b)
    assert client.get(url).status_code == 404  # another branch
    client.force_login(cast.staff_a)
    response = client.get(url)
    assert response.status_code == 200
    assert b"".join(response.streaming_content) == PDF
    # Streamed by the application: no redirect to a URL of the store.
    assert "Location" not in response
    assert response["Cache-Control"] == "private, no-store"


def test_a_certificate_missing_from_the_bucket_is_reported_not_ready(
    cast: Any, client: Any, s3_bucket: str, s3_endpoint: str
) -> None:
    certificate = award(cast).certificates.get()
    certificate.refresh_from_db()
    assert certificate.render_status == RenderStatus.READY
    s3.client(s3_endpoint).delete_object(Bucket=s3_bucket, Key=certificate.pdf.name)
    client.force_login(cast.staff_a)
    url = reverse("certifications:certificate_download", args=[certificate.pk])
    assert client.get(url).status_code == 409


def test_an_import_preview_kept_in_the_bucket_survives_to_its_confirmation(
    cast: Any, s3_bucket: str, s3_endpoint: str, media_folder: Path
) -> None:
    preview = imports.Preview(branch_id=cast.branch_a.pk, user_id=cast.staff_a.pk, filename="f")
    token = imports.store_preview(preview)
    assert f"imports/{token}.signed" in s3.keys(s3_endpoint, s3_bucket)
    assert local_files(media_folder) == []
    assert imports.load_preview(token, user=cast.staff_a) == preview
    assert imports.load_preview(token, user=cast.staff_b) is None
    # Tampered with in the bucket: refused.
    name = f"imports/{token}.signed"
    payload = s3.object_bytes(s3_endpoint, s3_bucket, name)
    s3.client(s3_endpoint).put_object(Bucket=s3_bucket, Key=name, Body=payload[:-3] + b"abc")
    assert imports.load_preview(token, user=cast.staff_a) is None
    imports.discard_preview(token)
    assert f"imports/{token}.signed" not in s3.keys(s3_endpoint, s3_bucket)


def test_a_stale_import_preview_is_swept_from_the_bucket(
    cast: Any, s3_bucket: str, s3_endpoint: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    preview = imports.Preview(branch_id=cast.branch_a.pk, user_id=cast.staff_a.pk, filename="f")
    old = imports.store_preview(preview)
    monkeypatch.setattr(imports, "PREVIEW_MAX_AGE", -60)  # everything stored is stale
    imports.store_preview(preview)
    assert f"imports/{old}.signed" not in s3.keys(s3_endpoint, s3_bucket)


def test_the_backup_holds_the_bucket_and_a_restore_fills_another(
    cast: Any,
    s3_bucket: str,
    s3_endpoint: str,
    fresh_database: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    certificate = award(cast).certificates.get()
    certificate.refresh_from_db()
    default_storage.save("minutes/2026/pv.pdf", ContentFile(PDF))
    before = {
        key: s3.object_bytes(s3_endpoint, s3_bucket, key) for key in s3.keys(s3_endpoint, s3_bucket)
    }
    assert certificate.pdf.name in before

    call_command("backup", output=str(tmp_path / "backups"), stdout=io.StringIO())
    (archive,) = (tmp_path / "backups").glob("cqpi-backup-*.tar")
    with tarfile.open(archive) as tar:
        archived = {m.name[len("media/") :] for m in tar if m.name.startswith("media/")}
    assert archived == set(before)

    # Into a fresh database and an empty bucket, by another process (another host).
    target = s3.create_bucket(s3_endpoint)
    for name, value in s3.environment(s3_endpoint, target).items():
        monkeypatch.setenv(name, value)  # read by the processes `manage` starts
    media = tmp_path / "unused-media"
    result = manage("restore", str(archive), database_url=fresh_database, media=media)
    assert result.returncode == 0, result.stderr
    assert "Restored: certificates 1," in result.stdout
    after = {key: s3.object_bytes(s3_endpoint, target, key) for key in s3.keys(s3_endpoint, target)}
    assert after == before
    assert not media.exists()

    # The restored installation hands the PDF to its holder from the new bucket.
    script = CHECK.format(
        api=reverse("api:verify", args=[certificate.verification_code]),
        page=reverse("certifications:verify", args=[certificate.verification_code]),
        email=cast.candidate_user.email,
        download=reverse("certifications:certificate_download", args=[certificate.pk]),
    )
    result = manage("shell", "-c", script, database_url=fresh_database, media=media)
    assert result.returncode == 0, result.stderr
    seen = json.loads(result.stdout.strip().splitlines()[-1])
    assert seen["download_status"] == 200
    assert seen["pdf_sha256"] == certificate.pdf_sha256
    assert hashlib.sha256(before[certificate.pdf.name]).hexdigest() == certificate.pdf_sha256


def test_force_puts_the_backed_up_content_back_into_the_bucket(
    cast: Any, s3_bucket: str, s3_endpoint: str, tmp_path: Path
) -> None:
    name = default_storage.save("evidence/1/piece.pdf", ContentFile(PDF))
    call_command("backup", output=str(tmp_path / "backups"), stdout=io.StringIO())
    (archive,) = (tmp_path / "backups").glob("cqpi-backup-*.tar")
    s3.client(s3_endpoint).put_object(Bucket=s3_bucket, Key=name, Body=b"changed")

    with pytest.raises(CommandError, match=r"database is not empty.*--force"):
        call_command("restore", str(archive), stdout=io.StringIO())
    assert s3.object_bytes(s3_endpoint, s3_bucket, name) == b"changed"

    out = io.StringIO()
    call_command("restore", str(archive), force=True, stdout=out)
    assert "--force: overwriting media file evidence/1/piece.pdf" in out.getvalue()
    assert f"into the bucket {s3_bucket}" in out.getvalue()
    assert s3.object_bytes(s3_endpoint, s3_bucket, name) == PDF
