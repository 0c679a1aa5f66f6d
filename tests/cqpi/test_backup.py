"""`manage.py backup` and `restore`: a certificate survives the round trip into a fresh database,
and a damaged archive or a database in use is refused before anything is touched."""

from __future__ import annotations

import hashlib
import io
import json
import secrets
import subprocess
import sys
import tarfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import psycopg
import pytest
from django.conf import settings as django_settings
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command
from django.urls import reverse
from psycopg import sql

from accounts.models import User
from candidates.evidence import evidence_add
from certifications.models import Certificate, RenderStatus
from tests.factories import TEST_SIGNATURE_NAME, UserFactory
from tests.faults import support
from tests.workflow import award

pytestmark = pytest.mark.django_db(transaction=True)

PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << >>\n%%EOF\n"


@pytest.fixture
def media(settings: Any, tmp_path: Path) -> Path:
    folder = tmp_path / "media"
    folder.mkdir()
    settings.MEDIA_ROOT = folder
    return folder


@pytest.fixture
def fresh_database(transactional_db: Any) -> Iterator[str]:
    """An empty PostgreSQL database beside the test database; its URL. Dropped afterwards."""
    name = f"test_cqpi_restore_{secrets.token_hex(4)}"
    server = support.test_database_url().rsplit("/", 1)[0]
    with psycopg.connect(f"{server}/postgres", autocommit=True) as conn:
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    try:
        yield f"{server}/{name}"
    finally:
        with psycopg.connect(f"{server}/postgres", autocommit=True) as conn:
            conn.execute(
                sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
            )


def manage(*args: str, database_url: str, media: Path) -> subprocess.CompletedProcess[str]:
    """manage.py in a process of its own, whose settings read this database and media folder."""
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=django_settings.BASE_DIR,
        env=support.server_env(
            DJANGO_SETTINGS_MODULE="cqpi.settings.test",
            DATABASE_URL=database_url,
            TEST_MEDIA_ROOT=media,
            MEDIA_ROOT=media,
        ),
        capture_output=True,
        text=True,
        timeout=180,
        check=False,
    )


def backup(folder: Path) -> Path:
    call_command("backup", output=str(folder), stdout=io.StringIO())
    (archive,) = folder.glob("cqpi-backup-*.tar")
    return archive


def files_of(folder: Path) -> dict[str, bytes]:
    return {
        path.relative_to(folder).as_posix(): path.read_bytes()
        for path in folder.rglob("*")
        if path.is_file()
    }


def damaged_copy(archive: Path, target: Path, *, member: str) -> Path:
    """The same archive with one byte of `member` changed (same size, other checksum)."""
    with tarfile.open(archive) as source, tarfile.open(target, "w") as copy:
        for info in source.getmembers():
            handle = source.extractfile(info)
            assert handle is not None
            data = handle.read()
            if info.name == member:
                data = bytes([data[0] ^ 0xFF]) + data[1:]
            copy.addfile(info, io.BytesIO(data))
    return target


# A script run against the restored database: what the public and the holder get.
CHECK = """
import hashlib, json
from django.contrib.auth import get_user_model
from django.test import Client

client = Client()
api = client.get({api!r})
page = client.get({page!r})
client.force_login(get_user_model().objects.get(email={email!r}))
download = client.get({download!r})
body = b"".join(download.streaming_content) if download.status_code == 200 else b""
print(json.dumps({{
    "api_status": api.status_code,
    "api": api.json() if api.status_code == 200 else None,
    "page_status": page.status_code,
    "page": page.content.decode(),
    "download_status": download.status_code,
    "pdf_head": body[:5].decode("latin-1"),
    "pdf_sha256": hashlib.sha256(body).hexdigest(),
}}))
"""


@pytest.mark.slow
def test_a_certificate_verifies_and_downloads_after_a_restore_into_a_fresh_database(
    cast: Any, media: Path, fresh_database: str, tmp_path: Path
) -> None:
    decision = award(cast)
    certificate = decision.certificates.get()
    certificate.refresh_from_db()
    # Celery is eager in tests: the PDF was rendered when the decision committed.
    assert certificate.render_status == RenderStatus.READY
    original_pdf = (media / certificate.pdf.name).read_bytes()
    assert hashlib.sha256(original_pdf).hexdigest() == certificate.pdf_sha256
    evidence = evidence_add(
        dossier=decision.dossier,
        uploaded=SimpleUploadedFile("preuve.pdf", PDF, content_type="application/pdf"),
        by=cast.staff_a,
    )
    archive = backup(tmp_path / "backups")

    restored_media = tmp_path / "restored-media"
    result = manage("restore", str(archive), database_url=fresh_database, media=restored_media)
    assert result.returncode == 0, result.stderr
    assert "Restored: certificates 1," in result.stdout

    assert files_of(restored_media) == files_of(media)
    assert (restored_media / evidence.file.name).read_bytes() == PDF
    script = CHECK.format(
        api=reverse("api:verify", args=[certificate.verification_code]),
        page=reverse("certifications:verify", args=[certificate.verification_code]),
        email=cast.candidate_user.email,
        download=reverse("certifications:certificate_download", args=[certificate.pk]),
    )
    result = manage("shell", "-c", script, database_url=fresh_database, media=restored_media)
    assert result.returncode == 0, result.stderr
    seen = json.loads(result.stdout.strip().splitlines()[-1])
    assert seen["api_status"] == 200
    assert seen["api"]["valid"] is True
    assert seen["api"]["number"] == certificate.number
    assert seen["api"]["holder_name"] == certificate.holder_name
    assert seen["page_status"] == 200 and certificate.holder_name in seen["page"]
    assert seen["download_status"] == 200
    assert seen["pdf_head"] == "%PDF-"
    assert seen["pdf_sha256"] == certificate.pdf_sha256


def test_a_damaged_archive_is_refused_and_nothing_is_touched(
    cast: Any, media: Path, tmp_path: Path
) -> None:
    name = default_storage.save("evidence/1/piece.pdf", ContentFile(PDF))
    archive = backup(tmp_path / "backups")
    damaged = damaged_copy(archive, tmp_path / "damaged.tar", member=f"media/{name}")
    # What the restore would erase if it went ahead.
    UserFactory.create(email="apres.sauvegarde@example.test")
    default_storage.save("evidence/1/apres.pdf", ContentFile(PDF))
    (media / name).write_bytes(PDF + b"% changed since the backup\n")
    before = files_of(media)

    with pytest.raises(CommandError, match=rf"media/{name}: checksum mismatch"):
        call_command("restore", str(damaged), force=True, stdout=io.StringIO())

    assert User.objects.filter(email="apres.sauvegarde@example.test").exists()
    assert files_of(media) == before


def test_it_refuses_a_database_that_is_not_empty_without_force(
    cast: Any, media: Path, tmp_path: Path
) -> None:
    default_storage.save("evidence/1/piece.pdf", ContentFile(PDF))
    archive = backup(tmp_path / "backups")
    UserFactory.create(email="apres.sauvegarde@example.test")
    before = files_of(media)
    (media / "evidence/1/piece.pdf").unlink()

    with pytest.raises(CommandError, match=r"database is not empty.*--force"):
        call_command("restore", str(archive), stdout=io.StringIO())

    assert User.objects.filter(email="apres.sauvegarde@example.test").exists()
    assert files_of(media) == {k: v for k, v in before.items() if k != "evidence/1/piece.pdf"}


def test_force_replaces_the_database_and_the_media_with_the_backup(
    cast: Any, media: Path, tmp_path: Path
) -> None:
    name = default_storage.save("evidence/1/piece.pdf", ContentFile(PDF))
    archive = backup(tmp_path / "backups")
    users = User.objects.count()
    UserFactory.create(email="apres.sauvegarde@example.test")
    (media / name).write_bytes(b"overwritten")

    out = io.StringIO()
    call_command("restore", str(archive), force=True, stdout=out)

    assert "--force: overwriting media file evidence/1/piece.pdf" in out.getvalue()
    assert not User.objects.filter(email="apres.sauvegarde@example.test").exists()
    assert User.objects.count() == users
    assert (media / name).read_bytes() == PDF
    assert Certificate.objects.count() == 0


def test_the_manifest_lists_counts_migrations_and_checksums(
    cast: Any, media: Path, tmp_path: Path
) -> None:
    name = default_storage.save("certificates/2026/x.pdf", ContentFile(PDF))
    archive = backup(tmp_path / "backups")
    assert archive.stat().st_mode & 0o077 == 0  # personal data: the owner's only

    with tarfile.open(archive) as tar:
        handle = tar.extractfile("manifest.json")
        assert handle is not None
        manifest = json.loads(handle.read())
        names = set(tar.getnames())
    assert manifest["database"]["vendor"] == "postgresql"
    assert manifest["counts"]["users"] == User.objects.count()
    assert manifest["counts"]["media_files"] == 2  # the PDF and the branches' signature
    assert "0001_initial" in manifest["migrations"]["certifications"]
    assert manifest["files"][f"media/{name}"]["sha256"] == hashlib.sha256(PDF).hexdigest()
    assert names == {
        "manifest.json",
        "database.pgdump",
        f"media/{name}",
        f"media/{TEST_SIGNATURE_NAME}",
    }


def test_dry_run_verifies_and_changes_nothing(cast: Any, media: Path, tmp_path: Path) -> None:
    archive = backup(tmp_path / "backups")
    UserFactory.create(email="apres.sauvegarde@example.test")
    out = io.StringIO()

    call_command("restore", str(archive), force=True, dry_run=True, stdout=out)

    assert "checksums of 2 files verified" in out.getvalue()  # and the branches' signature
    assert "Dry run: nothing was changed." in out.getvalue()
    assert User.objects.filter(email="apres.sauvegarde@example.test").exists()


@pytest.mark.slow
def test_an_sqlite_installation_round_trips(tmp_path: Path) -> None:
    """The `make run` default: the SQLite file under var/, copied with SQLite's backup API."""
    env = {
        key: value
        for key, value in support.server_env(DJANGO_SETTINGS_MODULE="cqpi.settings.base").items()
        if key not in {"DATABASE_URL", "MEDIA_ROOT", "TEST_MEDIA_ROOT"}
    }

    def run(var: Path, *args: str, stdin: Any = None) -> subprocess.CompletedProcess[bytes]:
        return subprocess.run(
            [sys.executable, "manage.py", *args],
            cwd=django_settings.BASE_DIR,
            env={**env, "VAR_DIR": str(var)},
            stdin=stdin,
            capture_output=True,
            timeout=180,
            check=False,
        )

    source, target = tmp_path / "var", tmp_path / "restored-var"
    assert run(source, "migrate", "-v", "0").returncode == 0
    create = "from accounts.models import User; User.objects.create_user(email='a@example.test')"
    assert run(source, "shell", "-c", create).returncode == 0
    (source / "media" / "minutes").mkdir(parents=True)
    (source / "media" / "minutes" / "pv.pdf").write_bytes(PDF)
    # Through a pipe, as docs/RELIABILITY.md has docker-compose users do it.
    made = run(source, "backup", "--output", "-")
    assert made.returncode == 0, made.stderr
    archive = tmp_path / "backup.tar"
    archive.write_bytes(made.stdout)

    with archive.open("rb") as stdin:
        restored = run(target, "restore", "-", stdin=stdin)

    assert restored.returncode == 0, restored.stderr
    assert (
        b"Restored: certificates 0, dossiers 0, evidence_files 0, jury_sessions 0, users 1."
        in restored.stdout
    )
    assert (target / "media" / "minutes" / "pv.pdf").read_bytes() == PDF
    again = run(target, "restore", str(archive))
    assert again.returncode != 0 and b"database is not empty" in again.stderr
