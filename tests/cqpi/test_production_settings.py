"""Production settings: they pass Django's deployment checks and refuse to start half-configured."""

from __future__ import annotations

import base64
import json
import os
import secrets
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings

MANAGE = str(Path(settings.BASE_DIR) / "manage.py")


def production_env(tmp_path: Path, **overrides: str | None) -> dict[str, str]:
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("SECRET_KEY", "ALLOWED_HOSTS", "DJANGO_"))
    }
    env.update(
        DJANGO_SETTINGS_MODULE="cqpi.settings.production",
        VAR_DIR=str(tmp_path),
        SECRET_KEY=secrets.token_urlsafe(50),
        ALLOWED_HOSTS="cqpi.example.org",
        SITE_URL="https://cqpi.example.org",
        # cqpi.settings.test put both into the environment.
        DATABASE_URL=os.environ["DATABASE_URL"],
        CELERY_BROKER_URL=os.environ["CELERY_BROKER_URL"],
        # The deployment's seal (read when a document is sealed, not at start).
        SEAL_PKCS12_PATH=str(tmp_path / "seal.p12"),
        SEAL_TRUST_ROOTS=str(tmp_path / "seal-roots.pem"),
        # The secret of the branches' credential-signing keys (read when signing).
        CREDENTIALS_KEY_SECRET=base64.urlsafe_b64encode(secrets.token_bytes(32)).decode(),
    )
    for key, value in overrides.items():
        if value is None:
            env.pop(key, None)
        else:
            env[key] = value
    return env


def manage(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, MANAGE, *args],
        env=env,
        cwd=settings.BASE_DIR,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_production_settings_pass_the_deployment_checks_without_a_warning(
    tmp_path: Path,
) -> None:
    result = manage(production_env(tmp_path), "check", "--deploy", "--fail-level", "WARNING")

    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues (0 silenced)." in result.stdout
    assert "WARNING" not in result.stderr


def test_production_puts_the_media_in_the_bucket_when_one_is_named(tmp_path: Path) -> None:
    env = production_env(
        tmp_path,
        S3_BUCKET="cqpi-media",
        S3_ENDPOINT_URL="https://s3.example.test",
        S3_REGION="fr-par",
        S3_ACCESS_KEY_ID="key",
        S3_SECRET_ACCESS_KEY="secret",
    )
    assert manage(env, "check", "--deploy", "--fail-level", "WARNING").returncode == 0
    script = (
        "from django.core.files.storage import storages; s = storages['default']; "
        "print(type(s).__name__, getattr(s, 'bucket_name', '-'), getattr(s, 'default_acl', '-'))"
    )
    result = manage(env, "shell", "-v", "0", "-c", script)
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["S3Storage", "cqpi-media", "None"]
    result = manage(production_env(tmp_path), "shell", "-v", "0", "-c", script)
    assert result.stdout.split() == ["FileSystemStorage", "-", "-"], result.stderr


def test_production_requires_a_second_factor_of_national_administrators_and_staff(
    tmp_path: Path,
) -> None:
    code = "from django.conf import settings; print(sorted(settings.TWO_FACTOR_REQUIRED_ROLES))"

    result = manage(production_env(tmp_path), "shell", "-c", code)

    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().splitlines()[-1] == "['national_admin', 'staff']"


def test_production_reads_the_secret_key_from_a_file(tmp_path: Path) -> None:
    key_file = tmp_path / "secret_key"
    key_file.write_text(secrets.token_urlsafe(50), encoding="utf-8")
    env = production_env(tmp_path, SECRET_KEY=None, SECRET_KEY_FILE=str(key_file))

    result = manage(env, "check", "--deploy", "--fail-level", "WARNING")

    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.parametrize(
    "missing",
    [
        "SECRET_KEY",
        "ALLOWED_HOSTS",
        "SITE_URL",
        "DATABASE_URL",
        "CELERY_BROKER_URL",
        "CACHE_URL",
        "SEAL_PKCS12_PATH",
        "SEAL_TRUST_ROOTS",
        "CREDENTIALS_KEY_SECRET",
    ],
)
def test_production_refuses_to_start_without_a_required_variable(
    tmp_path: Path, missing: str
) -> None:
    env = production_env(tmp_path, **{missing: None})
    if missing in ("CELERY_BROKER_URL", "CACHE_URL"):
        env.pop("REDIS_URL", None)

    result = manage(env, "check")

    assert result.returncode != 0
    assert "ImproperlyConfigured" in result.stderr
    assert missing in result.stderr


def test_production_refuses_a_site_address_that_is_not_https(tmp_path: Path) -> None:
    env = production_env(tmp_path, SITE_URL="http://127.0.0.1:8000")

    result = manage(env, "check")

    assert result.returncode != 0
    assert "SITE_URL must be the public https:// address" in result.stderr


def test_production_logs_one_json_object_per_line_with_the_request_id(tmp_path: Path) -> None:
    script = (
        "import logging; from core.observability import request_id_var; "
        "request_id_var.set('req-9'); logging.getLogger('cqpi.probe').warning('hello %s', 'x')"
    )
    result = manage(production_env(tmp_path), "shell", "-c", script)

    assert result.returncode == 0, result.stderr
    line = next(line for line in result.stderr.splitlines() if "cqpi.probe" in line)
    entry = json.loads(line)
    assert entry["message"] == "hello x" and entry["level"] == "WARNING"
    assert entry["request_id"] == "req-9"
