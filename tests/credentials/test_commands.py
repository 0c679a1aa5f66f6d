"""export_credential_keys, verify_credential (offline) and rotate_issuer_key."""

from __future__ import annotations

import json
import socket
from io import StringIO
from typing import Any

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from certifications.services import certificate_revoke, certificate_store_pdf
from credentials.models import IssuerKey
from credentials.services import issuer_key_rotate, status_list_credential
from tests.workflow import award


@pytest.fixture(autouse=True)
def media_root(settings: Any, tmp_path: Any) -> Any:
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


@pytest.fixture
def issued(cast: Any) -> Any:
    return certificate_store_pdf(certificate_id=award(cast).certificates.get().pk)


def export(tmp_path: Any) -> Any:
    path = tmp_path / "keys.json"
    call_command("export_credential_keys", "--output", str(path), stdout=StringIO())
    return path


def write(tmp_path: Any, name: str, content: Any) -> str:
    path = tmp_path / name
    path.write_text(content if isinstance(content, str) else json.dumps(content), "utf-8")
    return str(path)


def run(*args: str) -> str:
    out = StringIO()
    call_command("verify_credential", *args, stdout=out)
    return out.getvalue()


def offline(monkeypatch: Any) -> None:
    def refuse(*args: Any, **kwargs: Any) -> None:
        raise AssertionError("network access while verifying")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket, "getaddrinfo", refuse)


def test_a_credential_file_verifies_offline_with_the_exported_keys(tmp_path, issued, monkeypatch):
    keys = export(tmp_path)
    offline(monkeypatch)
    out = run(write(tmp_path, "badge.json", issued.credential), "--keys", str(keys))
    assert out.startswith("valid: credential")


def test_the_qr_text_verifies_offline(tmp_path, issued, monkeypatch):
    keys = export(tmp_path)
    offline(monkeypatch)
    out = run(write(tmp_path, "qr.txt", issued.qr_text), "--keys", str(keys))
    assert out.startswith("valid: qr") and issued.number in out


def test_an_altered_credential_fails(tmp_path, issued):
    keys = export(tmp_path)
    credential = {**issued.credential, "validFrom": "2001-01-01T00:00:00Z"}
    with pytest.raises(CommandError, match="altered"):
        run(write(tmp_path, "badge.json", credential), "--keys", str(keys))


def test_with_the_downloaded_status_list_a_revoked_credential_fails(tmp_path, cast, issued):
    certificate_revoke(certificate=issued, reason="Fraude", by=cast.staff_a)
    keys = export(tmp_path)
    status = write(tmp_path, "status.json", status_list_credential(branch=cast.branch_a, number=0))
    with pytest.raises(CommandError, match="revoked"):
        run(
            write(tmp_path, "badge.json", issued.credential),
            "--keys",
            str(keys),
            "--status-list",
            status,
        )


def test_keys_of_another_branch_only_do_not_verify(tmp_path, cast, issued):
    issuer_key_rotate(branch=cast.branch_b, by=None)
    export_b = json.loads(export(tmp_path).read_text("utf-8"))
    export_b["issuers"] = [d for d in export_b["issuers"] if d["id"].endswith(":beta")]
    keys = write(tmp_path, "keys-b.json", export_b)
    with pytest.raises(CommandError, match="unknown"):
        run(write(tmp_path, "qr.txt", issued.qr_text), "--keys", keys)


def test_rotation_command_keeps_the_old_key_and_dry_run_changes_nothing(tmp_path, cast, issued):
    out = StringIO()
    call_command("rotate_issuer_key", "alpha", "--dry-run", stdout=out)
    assert "would retire" in out.getvalue()
    assert IssuerKey.objects.filter(branch=cast.branch_a).count() == 1
    call_command("rotate_issuer_key", "alpha", stdout=StringIO())
    assert IssuerKey.objects.filter(branch=cast.branch_a).count() == 2
    assert IssuerKey.objects.current().filter(branch=cast.branch_a).count() == 1
    keys = export(tmp_path)
    assert run(write(tmp_path, "badge.json", issued.credential), "--keys", str(keys)).startswith(
        "valid"
    )


def test_rotation_of_an_unknown_branch_fails(db):
    with pytest.raises(CommandError):
        call_command("rotate_issuer_key", "nulle", stdout=StringIO())
