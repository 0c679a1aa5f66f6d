"""The /healthz endpoint: public, uncached, and honest about a dead database or broker."""

from __future__ import annotations

import socket
import time
from typing import Any

import pytest
from django.db import OperationalError

from cqpi import health


def closed_port() -> int:
    # Bind then release: nothing listens there for the test's duration.
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.mark.django_db
def test_healthz_reports_the_database_and_the_broker_ok(client: Any) -> None:
    response = client.get("/healthz")

    assert response.status_code == 200
    assert response.json() == {"status": "ok", "checks": {"database": "ok", "broker": "ok"}}


@pytest.mark.django_db
def test_healthz_answers_503_naming_the_broker_when_the_broker_is_down(
    client: Any, settings: Any
) -> None:
    settings.CELERY_BROKER_URL = f"redis://127.0.0.1:{closed_port()}/0"
    settings.CELERY_BROKER_TRANSPORT_OPTIONS = {}

    started = time.monotonic()
    response = client.get("/healthz")
    elapsed = time.monotonic() - started

    assert response.status_code == 503
    body = response.json()
    assert body["status"] == "error"
    assert body["checks"]["database"] == "ok"
    assert body["checks"]["broker"].startswith("error")
    assert elapsed < 2.5


def test_healthz_answers_503_naming_the_database_when_the_database_is_down(
    client: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    class DeadConnection:
        def cursor(self) -> Any:
            raise OperationalError("connection refused")

    monkeypatch.setattr(health, "connection", DeadConnection())

    response = client.get("/healthz")

    assert response.status_code == 503
    assert response.json()["checks"] == {
        "database": "error: OperationalError",
        "broker": "ok",
    }


@pytest.mark.django_db
def test_healthz_is_never_cached(client: Any) -> None:
    response = client.get("/healthz")

    assert "no-cache" in response["Cache-Control"]


@pytest.mark.django_db
def test_healthz_refuses_writes(client: Any) -> None:
    assert client.post("/healthz").status_code == 405
