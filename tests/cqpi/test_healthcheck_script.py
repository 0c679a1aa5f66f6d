"""scripts/healthcheck.py, the container's health probe: it must pass production's host check."""

from __future__ import annotations

import importlib.util
from pathlib import Path
from types import ModuleType

import pytest
from django.conf import settings


def load_script() -> ModuleType:
    path = Path(settings.BASE_DIR) / "scripts" / "healthcheck.py"
    spec = importlib.util.spec_from_file_location("cqpi_healthcheck", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.mark.parametrize(
    ("allowed_hosts", "expected"),
    [
        ("cqpi.example.org,www.example.org", "cqpi.example.org"),
        (" .example.org ", "example.org"),
        ("*", "localhost"),
        ("", "localhost"),
    ],
)
def test_the_probe_names_a_host_that_allowed_hosts_accepts(
    allowed_hosts: str, expected: str
) -> None:
    assert load_script().host_header(allowed_hosts) == expected


@pytest.mark.django_db
def test_the_probe_passes_against_a_server_that_answers(
    live_server: object, monkeypatch: pytest.MonkeyPatch
) -> None:
    port = str(live_server.url.rsplit(":", 1)[1])  # type: ignore[attr-defined]
    monkeypatch.setenv("PORT", port)
    monkeypatch.setenv("ALLOWED_HOSTS", "testserver")

    assert load_script().main() == 0
