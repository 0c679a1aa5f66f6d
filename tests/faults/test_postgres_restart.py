"""PostgreSQL restarted under a running web server and worker: both reconnect by themselves,
and a request made while it is down gets a clean error, never a traceback."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest

from tests.faults.support import (
    ROOT,
    ThrowawayPostgres,
    Worker,
    scratch_dir,
    services,
    wait_until,
)

pytestmark = [pytest.mark.slow]


@pytest.fixture
def cluster() -> Iterator[ThrowawayPostgres]:
    server = ThrowawayPostgres(scratch_dir("cqpi-faults-pg-"))
    try:
        with psycopg.connect(server.database_url("postgres"), autocommit=True) as conn:
            conn.execute("CREATE DATABASE cqpi")
        yield server
    finally:
        server.destroy()


def get(url: str) -> tuple[int, str, str]:
    try:
        with urllib.request.urlopen(url, timeout=30) as response:
            return (
                response.status,
                response.headers.get("Content-Type", ""),
                response.read().decode(),
            )
    except urllib.error.HTTPError as error:
        return error.code, error.headers.get("Content-Type", ""), error.read().decode()


def test_web_server_and_worker_reconnect_after_a_postgresql_restart(cluster, own_redis, tmp_path):
    database = cluster.database_url("cqpi")
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "cqpi.settings.test",  # DEBUG off
        "DATABASE_URL": database,
        "CELERY_BROKER_URL": own_redis.url,
        "REDIS_URL": own_redis.url,
        "CELERY_EAGER": "0",
    }
    manage = [sys.executable, str(ROOT / "manage.py")]
    subprocess.run([*manage, "migrate", "--no-input", "-v", "0"], env=env, check=True, cwd=ROOT)

    port = services.free_port()
    base = f"http://127.0.0.1:{port}"
    log = tmp_path / "web.log"
    with log.open("wb") as output:
        web = subprocess.Popen(
            [*manage, "runserver", "--noreload", "--nothreading", f"127.0.0.1:{port}"],
            env=env,
            cwd=ROOT,
            stdout=output,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    worker = Worker(
        broker_url=own_redis.url, database_url=database, media=tmp_path, log=tmp_path / "w.log"
    )
    try:
        wait_until(lambda: _answers(base), seconds=60, what="runserver", log=log)
        worker.start()
        from certifications.tasks import sweep_pending_certificates

        # Each holds a persistent connection (CONN_MAX_AGE) before the restart.
        assert get(f"{base}/healthz")[0] == 200
        assert get(f"{base}/verify/NOPE/")[0] == 404
        sweep_pending_certificates.delay()
        wait_until(lambda: _succeeded(worker) == 1, seconds=60, what="the sweep", log=worker.log)

        cluster.restart()

        # The next requests and the next task succeed, with the same processes.
        assert get(f"{base}/verify/NOPE/")[0] == 404
        assert get(f"{base}/healthz")[0] == 200
        assert get(f"{base}/api/v1/verify/NOPE/")[0] == 404
        sweep_pending_certificates.delay()
        wait_until(lambda: _succeeded(worker) == 2, seconds=60, what="a task", log=worker.log)

        cluster.stop_fast()
        try:
            status, content_type, body = get(f"{base}/healthz")
            assert status == 503 and content_type == "application/json"
            for path in ("/verify/NOPE/", "/api/v1/verify/NOPE/"):
                status, content_type, body = get(base + path)
                assert status == 500, path
                assert "Traceback" not in body and "OperationalError" not in body, body[:500]
                assert "psycopg" not in body and str(cluster.port) not in body
                if path.startswith("/api/"):
                    assert content_type == "application/json"
                    assert json.loads(body)["error"]["code"] == "server_error"
                else:
                    assert content_type.startswith("text/html")
                    assert "Service momentanément indisponible" in body
        finally:
            cluster.start()

        assert get(f"{base}/verify/NOPE/")[0] == 404
        assert get(f"{base}/api/v1/verify/NOPE/")[0] == 404
        assert web.poll() is None and worker.process and worker.process.poll() is None
    finally:
        worker.stop()
        web.terminate()
        web.wait(timeout=20)
        shutil.rmtree(tmp_path / "media", ignore_errors=True)


def _answers(base: str) -> bool:
    try:
        urllib.request.urlopen(f"{base}/healthz", timeout=2)
        return True
    except urllib.error.HTTPError:
        return True
    except OSError:
        return False


def _succeeded(worker: Worker) -> int:
    return sum(
        1
        for line in Path(worker.log).read_text(errors="replace").splitlines()
        if "sweep_pending_certificates[" in line and "] succeeded" in line
    )
