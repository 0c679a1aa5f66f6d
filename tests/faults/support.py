"""Fault-injection helpers: throwaway Redis and PostgreSQL servers, Celery workers to kill."""

from __future__ import annotations

import contextlib
import ctypes
import importlib.util
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from types import ModuleType
from typing import Any
from urllib.parse import quote

import kombu.pools
from django.conf import settings as django_settings
from django.db import connection

ROOT = Path(__file__).resolve().parents[2]


def _with_services() -> ModuleType:
    """scripts/with_services.py (not a package), for its server-starting functions."""
    spec = importlib.util.spec_from_file_location(
        "cqpi_with_services", ROOT / "scripts" / "with_services.py"
    )
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


services = _with_services()


def wait_until(
    condition: Callable[[], bool], *, seconds: float, what: str, log: Path | None = None
) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.25)
    tail = log.read_text(errors="replace")[-4000:] if log and log.exists() else ""
    raise AssertionError(f"timed out after {seconds:.0f} s waiting for {what}\n{tail}")


def scratch_dir(prefix: str) -> Path:
    """A folder the `postgres` user can reach (pytest's tmp_path is private to root)."""
    path = Path(tempfile.mkdtemp(prefix=prefix))
    path.chmod(0o755)
    return path


def test_database_url() -> str:
    """The URL of the database this test runs on (the test database), for subprocesses."""
    db = connection.settings_dict
    credentials = quote(db["USER"] or "postgres", safe="")
    if db.get("PASSWORD"):
        credentials += ":" + quote(db["PASSWORD"], safe="")
    return f"postgres://{credentials}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"


class ThrowawayRedis:
    """A redis-server of our own on a fixed free port, which the tests may stop and start."""

    def __init__(self, workdir: Path) -> None:
        self.workdir = workdir
        self.port = services.free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.pidfile = workdir / "redis.pid"

    def start(self) -> None:
        subprocess.run(
            [
                services.find_binary("redis-server"),
                *("--port", str(self.port), "--bind", "127.0.0.1"),
                *("--save", "", "--appendonly", "no", "--dir", str(self.workdir)),
                *("--pidfile", str(self.pidfile), "--logfile", str(self.workdir / "redis.log")),
                *("--daemonize", "yes"),
            ],
            check=True,
        )
        wait_until(self.answers, seconds=20, what="the throwaway Redis")

    def answers(self) -> bool:
        return bool(services.redis_answers(self.url))

    def stop(self) -> None:
        with contextlib.suppress(OSError, ValueError):
            os.kill(int(self.pidfile.read_text().strip()), signal.SIGTERM)
        wait_until(lambda: not self.answers(), seconds=20, what="the throwaway Redis to stop")


class ThrowawayPostgres:
    """A PostgreSQL cluster of our own (initdb as the `postgres` user), restartable."""

    def __init__(self, workdir: Path) -> None:
        self.workdir = workdir
        self.url, self._stop = services.start_postgres(workdir)
        self.port = int(self.url.rsplit(":", 1)[1].split("/", 1)[0])
        self.data = workdir / "pgdata"

    def database_url(self, name: str) -> str:
        return self.url.rsplit("/", 1)[0] + "/" + name

    def pg_ctl(self, *args: str) -> None:
        subprocess.run(
            services.as_postgres_user(
                [services.find_binary("pg_ctl"), "-D", str(self.data), *args]
            ),
            check=True,
            stdout=subprocess.DEVNULL,
        )

    def restart(self) -> None:
        self.pg_ctl("-m", "fast", "-w", "restart")

    def stop_fast(self) -> None:
        self.pg_ctl("-m", "fast", "-w", "stop")

    def start(self) -> None:
        # pg_ctl start does not reuse the first start's options (restart does): give them again.
        options = f"-p {self.port} -k {self.workdir} -c listen_addresses=127.0.0.1 -c fsync=off"
        self.pg_ctl("-o", options, "-l", str(self.workdir / "log"), "-w", "start")

    def destroy(self) -> None:
        self._stop()
        shutil.rmtree(self.workdir, ignore_errors=True)


@contextlib.contextmanager
def broker(url: str) -> Iterator[None]:
    """Point this process's Celery app at `url` and off eager mode for the duration."""
    from cqpi.celery import app

    def reset_pools() -> None:
        # kombu keeps its pools in global groups keyed by connection: clear them all, or a
        # closed pool would be found again under the same URL.
        kombu.pools.reset()
        # Celery caches its connection and producer pools on private attributes.
        app._pool = None  # type: ignore[attr-defined]
        app.amqp._producer_pool = None  # type: ignore[attr-defined]

    saved = (app.conf.broker_url, app.conf.task_always_eager)
    # Celery reads the CELERY_BROKER_URL environment variable before its configuration.
    saved_env = os.environ.get("CELERY_BROKER_URL")
    reset_pools()
    os.environ["CELERY_BROKER_URL"] = url
    app.conf.update(broker_url=url, task_always_eager=False)
    try:
        yield
    finally:
        reset_pools()
        if saved_env is None:
            os.environ.pop("CELERY_BROKER_URL", None)
        else:
            os.environ["CELERY_BROKER_URL"] = saved_env
        app.conf.update(broker_url=saved[0], task_always_eager=saved[1])


def _die_with_parent() -> None:
    """In the child before exec: SIGKILL it when the test process dies.

    A test process killed from outside (a cancelled run, a timeout) never reaches its
    teardown; without this its worker would live on and keep rendering, through beat's
    sweep, into whatever database next takes the same test name.
    """
    PR_SET_PDEATHSIG = 1
    ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGKILL)


class Worker:
    """`celery worker` in its own process group, so that killing it kills its children too."""

    def __init__(
        self,
        *,
        broker_url: str,
        database_url: str,
        media: Path,
        log: Path,
        concurrency: int = 2,
        beat: bool = False,
        extra_env: dict[str, str] | None = None,
        settings_module: str = "cqpi.settings.test",
    ) -> None:
        self.log = log
        self.env = {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": settings_module,
            "DATABASE_URL": database_url,
            "CELERY_BROKER_URL": broker_url,
            "REDIS_URL": broker_url,
            "CELERY_EAGER": "0",
            "TEST_MEDIA_ROOT": str(media),
            "MEDIA_ROOT": str(media),
            "LOG_LEVEL": "INFO",
            **(extra_env or {}),
        }
        self.command = [
            sys.executable,
            *("-m", "celery", "-A", "cqpi", "worker"),
            *("--pool=prefork", f"--concurrency={concurrency}", "--loglevel=INFO"),
            *("--without-gossip", "--without-mingle", "--without-heartbeat"),
            f"--hostname=faults-{os.getpid()}-{time.monotonic_ns()}@%h",
        ]
        if beat:
            self.command += ["--beat", f"--schedule={log.parent / 'beat-schedule'}"]
        self.process: subprocess.Popen[bytes] | None = None
        self.starts = 0

    def start(self, *, wait: bool = True) -> None:
        self.starts += 1
        with self.log.open("ab") as output:
            output.write(f"\n===== start {self.starts} =====\n".encode())
            output.flush()
            self.process = subprocess.Popen(
                self.command,
                cwd=django_settings.BASE_DIR,
                env=self.env,
                stdout=output,
                stderr=subprocess.STDOUT,
                start_new_session=True,
                preexec_fn=_die_with_parent,
            )
        if wait:
            marker = f"===== start {self.starts} ====="
            wait_until(
                lambda: " ready." in self.log.read_text(errors="replace").rsplit(marker, 1)[-1],
                seconds=60,
                what="the worker to start",
                log=self.log,
            )

    def kill(self) -> None:
        """SIGKILL the whole group: the main process, its pool children and embedded beat."""
        assert self.process is not None
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait(timeout=20)

    def stop(self) -> None:
        if self.process is None or self.process.poll() is not None:
            return
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.process.pid, signal.SIGTERM)
        try:
            self.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(timeout=10)


def server_env(**extra: Any) -> dict[str, str]:
    return {**os.environ, **{k: str(v) for k, v in extra.items()}}
