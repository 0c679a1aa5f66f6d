"""`make run`'s embedded default: SQLite and the filesystem broker, a real worker, a clean stop."""

from __future__ import annotations

import json
import os
import re
import signal
import socket
import sqlite3
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from django.conf import settings
from pypdf import PdfReader

from certifications.models import Certificate, RenderStatus

MANAGE = str(Path(settings.BASE_DIR) / "manage.py")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def embedded_env(var_dir: Path) -> dict[str, str]:
    """The environment of a developer who set nothing: no server URLs, base settings."""
    env = {
        key: value
        for key, value in os.environ.items()
        if key not in {"DATABASE_URL", "CELERY_BROKER_URL", "REDIS_URL", "TEST_DATABASE_NAME"}
        and not key.startswith("DJANGO_")
    }
    env.update(DJANGO_SETTINGS_MODULE="cqpi.settings.base", VAR_DIR=str(var_dir))
    return env


def manage(env: dict[str, str], *args: str) -> None:
    result = subprocess.run(
        [sys.executable, MANAGE, *args],
        env=env,
        cwd=settings.BASE_DIR,
        capture_output=True,
        text=True,
        timeout=240,
    )
    assert result.returncode == 0, f"manage.py {' '.join(args)}:\n{result.stdout}{result.stderr}"


def certificates(database: Path) -> list[tuple[int, str, str]]:
    with sqlite3.connect(database, timeout=10) as connection:
        table = Certificate._meta.db_table
        rows = connection.execute(f"SELECT id, render_status, pdf FROM {table}")  # noqa: S608
        return [(int(pk), str(status), str(pdf or "")) for pk, status, pdf in rows]


def descendants(pid: int) -> set[int]:
    """Every live process below `pid`, read from /proc."""
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        parent = int(stat.rsplit(")", 1)[1].split()[1])
        children.setdefault(parent, []).append(int(entry.name))
    found: set[int] = set()
    pending = [pid]
    while pending:
        for child in children.get(pending.pop(), []):
            if child not in found:
                found.add(child)
                pending.append(child)
    return found


def alive(pid: int) -> bool:
    # A zombie has exited; this machine's init may be slow to reap it.
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return stat.rsplit(")", 1)[1].split()[0] != "Z"


def get_json(url: str) -> tuple[int, dict[str, object]]:
    try:
        with urllib.request.urlopen(url, timeout=5) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as exc:
        return exc.code, json.loads(exc.read() or b"{}")


@pytest.fixture
def rundev_process(tmp_path: Path) -> Iterator[tuple[subprocess.Popen[bytes], Path, int]]:
    env = embedded_env(tmp_path)
    manage(env, "migrate", "--no-input", "-v", "0")
    manage(env, "load_reference_data")
    manage(env, "load_demo_data")
    port = free_port()
    # A file, not a pipe: nobody reads a pipe while the worker logs, and a full one blocks it.
    with (tmp_path / "rundev.log").open("w") as log:
        process = subprocess.Popen(
            [sys.executable, MANAGE, "rundev", "--port", str(port)],
            env=env,
            cwd=settings.BASE_DIR,
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    try:
        yield process, tmp_path, port
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()


@pytest.mark.slow
@pytest.mark.timeout(300)
def test_rundev_serves_renders_with_its_worker_and_stops_everything_on_sigint(
    rundev_process: tuple[subprocess.Popen[bytes], Path, int],
) -> None:
    process, var_dir, port = rundev_process
    database = var_dir / "cqpi.sqlite3"
    pending = {pk for pk, status, _ in certificates(database) if status == RenderStatus.PENDING}
    assert pending, "the demo data should leave certificates for the worker to render"

    deadline = time.monotonic() + 90
    status = 0
    while time.monotonic() < deadline and process.poll() is None:
        try:
            status, body = get_json(f"http://127.0.0.1:{port}/healthz")
        except OSError:
            status = 0
        if status == 200:
            break
        time.sleep(0.5)
    assert status == 200, "rundev's web server never answered /healthz"
    assert body == {"status": "ok", "checks": {"database": "ok", "broker": "ok"}}

    rendered: list[tuple[int, str, str]] = []
    while time.monotonic() < deadline + 90 and not rendered:
        rendered = [
            row
            for row in certificates(database)
            if row[0] in pending and row[1] == RenderStatus.READY and row[2]
        ]
        time.sleep(1)
    assert rendered, "the worker rendered none of the demo certificates"
    pdf = var_dir / "media" / rendered[0][2]
    assert pdf.read_bytes().startswith(b"%PDF-")
    # The verification address printed on it is where this server answers (SITE_URL unset).
    text = "".join(page.extract_text() for page in PdfReader(pdf).pages)
    assert f"127.0.0.1:{port}/" in "".join(text.split())

    started = descendants(process.pid)
    assert len(started) >= 3, "rundev should run a web server, a worker and beat"
    process.send_signal(signal.SIGINT)
    process.wait(timeout=60)
    output = (var_dir / "rundev.log").read_text(errors="replace")

    assert process.returncode == 0, output
    time.sleep(0.5)
    assert not [pid for pid in started if alive(pid)], output


def started_pids(log: Path, name: str) -> list[int]:
    text = log.read_text(errors="replace")
    return [int(pid) for pid in re.findall(rf"rundev: started {name} \(pid (\d+)\)", text)]


def wait_for(condition: Callable[[], object], seconds: float, what: str) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.2)
    raise AssertionError(f"timed out waiting for {what}")


@pytest.mark.slow
@pytest.mark.timeout(300)
def test_rundev_restarts_a_worker_that_dies_then_stops_everything_when_it_keeps_dying(
    tmp_path: Path,
) -> None:
    env = embedded_env(tmp_path)
    manage(env, "migrate", "--no-input", "-v", "0")
    port = free_port()
    rundev = [sys.executable, MANAGE, "rundev"]
    log_path = tmp_path / "rundev.log"
    with log_path.open("w") as log:
        process = subprocess.Popen(
            [*rundev, "--port", str(port), "--no-beat", "--noreload", "--max-restarts", "1"],
            env=env,
            cwd=settings.BASE_DIR,
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    try:
        wait_for(lambda: started_pids(log_path, "worker"), 60, "the worker to start")
        [first] = started_pids(log_path, "worker")
        wait_for(lambda: web_answers(port), 90, "the web server")
        web = descendants(process.pid) - descendants(first) - {first}

        os.kill(first, signal.SIGKILL)
        wait_for(lambda: len(started_pids(log_path, "worker")) == 2, 60, "a new worker")
        output = log_path.read_text(errors="replace")
        assert "rundev: worker exited with code -9; restarting it (1/1 in the last minute)." in (
            output
        )
        assert process.poll() is None, output
        assert web_answers(port), "the web server should have kept running"
        assert all(alive(pid) for pid in web), output

        second = started_pids(log_path, "worker")[1]
        assert alive(second)
        started = descendants(process.pid)
        os.kill(second, signal.SIGKILL)
        process.wait(timeout=60)
        output = log_path.read_text(errors="replace")
        assert process.returncode == 1, output
        assert "already restarted 1 times in the last minute; stopping everything" in output
        time.sleep(0.5)
        assert not [pid for pid in started if alive(pid)], output
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()


def web_answers(port: int) -> bool:
    try:
        status, _ = get_json(f"http://127.0.0.1:{port}/healthz")
    except OSError:
        return False
    return status == 200
