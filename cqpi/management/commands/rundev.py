"""Run the development server, a Celery worker and beat together; stop them all on Ctrl-C.

A child that dies is started again, with a message, up to `--max-restarts` times a minute;
beyond that rundev stops everything and says why.
"""

from __future__ import annotations

import ctypes
import os
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass, field
from types import FrameType
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

# How long a child gets to finish its work after SIGTERM before it is killed.
STOP_GRACE_SECONDS = 10
PR_SET_PDEATHSIG = 1
RESTART_WINDOW_SECONDS = 60


@dataclass
class Child:
    name: str
    command: list[str]
    process: subprocess.Popen[bytes]
    restarts: list[float] = field(default_factory=list)


def _detach_and_die_with_parent() -> None:
    """Run in the child before exec: its own process group, and SIGTERM if rundev dies.

    Its own group keeps a terminal's Ctrl-C away from the children, so that rundev stops
    them in order, once; the death signal covers rundev being killed outright.
    """
    os.setsid()
    try:
        libc = ctypes.CDLL("libc.so.6", use_errno=True)
        libc.prctl(PR_SET_PDEATHSIG, signal.SIGTERM)
    except OSError:
        pass


class Command(BaseCommand):
    help = (
        "Start the development web server and a Celery worker (and beat), print the demo "
        "accounts, and stop everything on Ctrl-C."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--host", default="127.0.0.1", help="Address to listen on.")
        parser.add_argument("--port", type=int, default=8000, help="Port to listen on.")
        parser.add_argument("--no-beat", action="store_true", help="Do not start Celery beat.")
        parser.add_argument(
            "--noreload", action="store_true", help="Do not reload the web server on code changes."
        )
        parser.add_argument(
            "--max-restarts",
            type=int,
            default=5,
            help="Restarts of one child allowed within a minute before rundev stops everything.",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        host: str = options["host"]
        port: int = options["port"]
        if self._port_taken(host, port):
            raise CommandError(f"{host}:{port} is already in use; choose another with --port.")

        self._stopping = False
        signal.signal(signal.SIGINT, self._request_stop)
        signal.signal(signal.SIGTERM, self._request_stop)

        # Links in emails and PDFs point where this server answers, unless set on purpose.
        shown = "127.0.0.1" if host in ("0.0.0.0", "::", "") else host  # noqa: S104
        os.environ.setdefault("SITE_URL", f"http://{shown}:{port}")
        children: list[Child] = []
        exit_code = 0
        try:
            children.append(self._start("web", self._web_command(host, port, options)))
            children.append(self._start("worker", self._celery("worker", "--concurrency", "1")))
            if not options["no_beat"]:
                schedule = str(settings.VAR_DIR / "celerybeat-schedule")
                children.append(self._start("beat", self._celery("beat", "--schedule", schedule)))
            if self._wait_until_listening(host, port, children):
                self._print_banner(host, port)
            while not self._stopping:
                ended = next((c for c in children if c.process.poll() is not None), None)
                if ended is not None and not self._restart(ended, options["max_restarts"]):
                    exit_code = 1
                    break
                time.sleep(0.2)
        finally:
            self._stop_all(children)
        if exit_code:
            sys.exit(exit_code)

    # --- children ------------------------------------------------------------

    def _web_command(self, host: str, port: int, options: dict[str, Any]) -> list[str]:
        command = [sys.executable, "manage.py", "runserver", f"{host}:{port}"]
        if options["noreload"]:
            command.append("--noreload")
        return command

    def _celery(self, *args: str) -> list[str]:
        return [sys.executable, "-m", "celery", "-A", "cqpi", *args, "--loglevel", "info"]

    def _restart(self, child: Child, max_restarts: int) -> bool:
        """Start a child that ended again; False when it died too often to go on."""
        code = child.process.returncode
        # Whatever it left behind (a worker's pool processes) goes with it.
        self._signal(child, signal.SIGKILL, group=True)
        now = time.monotonic()
        child.restarts = [t for t in child.restarts if now - t < RESTART_WINDOW_SECONDS]
        if len(child.restarts) >= max_restarts:
            self.stderr.write(
                f"rundev: {child.name} exited with code {code} and was already restarted "
                f"{len(child.restarts)} times in the last minute; stopping everything. "
                "Its output above says why."
            )
            return False
        child.restarts.append(now)
        self.stderr.write(
            f"rundev: {child.name} exited with code {code}; restarting it "
            f"({len(child.restarts)}/{max_restarts} in the last minute)."
        )
        child.process = self._start(child.name, child.command).process
        return True

    def _start(self, name: str, command: list[str]) -> Child:
        env = os.environ.copy()
        env["DJANGO_SETTINGS_MODULE"] = os.environ.get(
            "DJANGO_SETTINGS_MODULE", "cqpi.settings.base"
        )
        env.setdefault("PYTHONUNBUFFERED", "1")
        process = subprocess.Popen(  # noqa: S603 (our own interpreter and arguments)
            command,
            cwd=settings.BASE_DIR,
            env=env,
            stdin=subprocess.DEVNULL,
            preexec_fn=_detach_and_die_with_parent,
        )
        self.stdout.write(f"rundev: started {name} (pid {process.pid})")
        return Child(name, command, process)

    def _request_stop(self, signum: int, frame: FrameType | None) -> None:
        self._stopping = True

    def _stop_all(self, children: list[Child]) -> None:
        # Ctrl-C pressed again while stopping must not leave children behind.
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        running = [c for c in children if c.process.poll() is None]
        if running:
            self.stdout.write("rundev: stopping " + ", ".join(c.name for c in running))
        # The group leader first: celery finishes its task and stops its pool, the
        # autoreloading runserver stops its child.
        for child in running:
            self._signal(child, signal.SIGTERM, group=False)
        deadline = time.monotonic() + STOP_GRACE_SECONDS
        for child in running:
            try:
                child.process.wait(timeout=max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                self.stderr.write(f"rundev: {child.name} did not stop in time; killing it.")
        # Then whatever is left in each group (pool processes, the reloaded server).
        for child in children:
            self._signal(child, signal.SIGKILL, group=True)
            child.process.wait()
        self.stdout.write("rundev: stopped.")

    @staticmethod
    def _signal(child: Child, signum: int, *, group: bool) -> None:
        try:
            if group:
                os.killpg(child.process.pid, signum)
            else:
                child.process.send_signal(signum)
        except ProcessLookupError:
            pass

    # --- readiness -------------------------------------------------------------

    @staticmethod
    def _port_taken(host: str, port: int) -> bool:
        with socket.socket() as sock:
            sock.settimeout(0.5)
            return sock.connect_ex((host, port)) == 0

    def _wait_until_listening(self, host: str, port: int, children: list[Child]) -> bool:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and not self._stopping:
            if self._port_taken(host, port):
                return True
            if any(c.process.poll() is not None for c in children):
                return False
            time.sleep(0.2)
        return False

    def _print_banner(self, host: str, port: int) -> None:
        url = f"http://{host}:{port}/"
        lines = ["", f"cqpi runs at {url}  (Ctrl-C stops the server and the worker)", ""]
        try:
            from sampledata.demo import DEMO_ACCOUNTS
        except ImportError:
            lines.append(
                "Demo accounts: not available yet (sampledata.demo.DEMO_ACCOUNTS is missing)."
            )
        else:
            lines.append("Demo accounts:")
            width = max((len(a["email"]) for a in DEMO_ACCOUNTS), default=0)
            for account in DEMO_ACCOUNTS:
                lines.append(
                    f"  {account['email']:<{width}}  {account['password']}  ({account['role']})"
                )
        lines.append("")
        self.stdout.write("\n".join(lines))
