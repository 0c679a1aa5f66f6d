"""Run a command with PostgreSQL and Redis answering, starting throwaway servers if needed.

Usage: .venv/bin/python scripts/with_services.py [--throwaway] -- COMMAND [ARGS...]

PostgreSQL: DATABASE_URL when set, else the local server on 127.0.0.1:5432 if it
accepts the `postgres` user, else a throwaway cluster initialised in a temporary
directory from the installed binaries. Redis: REDIS_URL (or a redis:// CELERY_BROKER_URL)
when set, else 127.0.0.1:6379 if it answers PING, else a throwaway `redis-server`.
The command runs with DATABASE_URL, REDIS_URL and CELERY_BROKER_URL exported;
throwaway servers are stopped when it ends, whatever the outcome. `--throwaway`
ignores the environment and local servers and always starts throwaway ones.
"""

from __future__ import annotations

import contextlib
import glob
import os
import pwd
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import psycopg
import redis

LOCAL_POSTGRES = "postgres://postgres@127.0.0.1:5432/cqpi"
LOCAL_REDIS = "redis://127.0.0.1:6379/15"


def say(message: str) -> None:
    print(f"==> {message}", flush=True)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def postgres_answers(url: str) -> bool:
    # Connect to the maintenance database: the project's own may not exist yet.
    try:
        with psycopg.connect(url, dbname="postgres", connect_timeout=3):
            return True
    except psycopg.Error:
        return False


def redis_answers(url: str) -> bool:
    try:
        return bool(redis.Redis.from_url(url, socket_connect_timeout=3).ping())
    except redis.RedisError:
        return False


def find_binary(name: str) -> str:
    """The PostgreSQL/Redis binary, on PATH or where Debian installs server binaries."""
    found = shutil.which(name)
    if found:
        return found
    candidates = sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{name}"), reverse=True)
    if candidates:
        return candidates[0]
    raise SystemExit(f"error: {name} not found; install PostgreSQL 15 and Redis 7 server packages.")


def as_postgres_user(command: list[str]) -> list[str]:
    # initdb and the server refuse to run as root.
    if os.geteuid() != 0:
        return command
    runuser = shutil.which("runuser")
    if runuser:
        return [runuser, "-u", "postgres", "--", *command]
    return ["su", "postgres", "-s", "/bin/sh", "-c", subprocess.list2cmdline(command)]


def start_postgres(workdir: Path) -> tuple[str, Callable[[], None]]:
    port = free_port()
    data = workdir / "pgdata"
    workdir.mkdir(parents=True, exist_ok=True)
    if os.geteuid() == 0:
        try:
            user = pwd.getpwnam("postgres")
        except KeyError as exc:
            raise SystemExit("error: no `postgres` user to run a throwaway PostgreSQL.") from exc
        os.chown(workdir, user.pw_uid, user.pw_gid)
    say(f"starting a throwaway PostgreSQL on 127.0.0.1:{port} in {workdir}")
    subprocess.run(
        as_postgres_user(
            [
                find_binary("initdb"),
                *("-D", str(data), "-U", "postgres", "-A", "trust"),
                *("-E", "UTF8", "--locale=C", "--no-sync"),
            ]
        ),
        check=True,
        stdout=subprocess.DEVNULL,
    )
    options = f"-p {port} -k {workdir} -c listen_addresses=127.0.0.1 -c fsync=off"
    pg_ctl = find_binary("pg_ctl")
    subprocess.run(
        as_postgres_user(
            [pg_ctl, "-D", str(data), "-o", options, "-l", str(workdir / "log"), "-w", "start"]
        ),
        check=True,
        stdout=subprocess.DEVNULL,
    )

    def stop() -> None:
        say("stopping the throwaway PostgreSQL")
        subprocess.run(
            as_postgres_user([pg_ctl, "-D", str(data), "-m", "immediate", "-w", "stop"]),
            check=False,
            stdout=subprocess.DEVNULL,
        )

    return f"postgres://postgres@127.0.0.1:{port}/cqpi", stop


def start_redis(workdir: Path) -> tuple[str, Callable[[], None]]:
    port = free_port()
    workdir.mkdir(parents=True, exist_ok=True)
    pidfile = workdir / "redis.pid"
    say(f"starting a throwaway Redis on 127.0.0.1:{port}")
    subprocess.run(
        [
            find_binary("redis-server"),
            *("--port", str(port), "--bind", "127.0.0.1"),
            *("--save", "", "--appendonly", "no", "--dir", str(workdir)),
            *("--pidfile", str(pidfile), "--logfile", str(workdir / "redis.log")),
            *("--daemonize", "yes"),
        ],
        check=True,
    )
    url = f"redis://127.0.0.1:{port}/15"
    wait_for(lambda: redis_answers(url), "the throwaway Redis")

    def stop() -> None:
        say("stopping the throwaway Redis")
        with contextlib.suppress(OSError, ValueError):
            os.kill(int(pidfile.read_text().strip()), signal.SIGTERM)

    return url, stop


def wait_for(answers: Callable[[], bool], what: str, seconds: float = 20) -> None:
    deadline = time.monotonic() + seconds
    while not answers():
        if time.monotonic() > deadline:
            raise SystemExit(f"error: {what} does not answer.")
        time.sleep(0.2)


def main(argv: list[str]) -> int:
    throwaway = argv[:1] == ["--throwaway"]
    if throwaway:
        argv = argv[1:]
    if argv[:1] == ["--"]:
        argv = argv[1:]
    if not argv:
        print(__doc__, file=sys.stderr)
        return 2

    env = os.environ.copy()
    if throwaway:
        for name in ("DATABASE_URL", "REDIS_URL", "CELERY_BROKER_URL"):
            env.pop(name, None)
    stops: list[Callable[[], None]] = []
    workdir = Path(tempfile.mkdtemp(prefix="cqpi-services-"))
    workdir.chmod(0o755)
    try:
        if env.get("DATABASE_URL"):
            wait_for(lambda: postgres_answers(env["DATABASE_URL"]), "DATABASE_URL")
            say("PostgreSQL: DATABASE_URL")
        elif not throwaway and postgres_answers(LOCAL_POSTGRES):
            env["DATABASE_URL"] = LOCAL_POSTGRES
            say("PostgreSQL: the local server on 127.0.0.1:5432")
        else:
            env["DATABASE_URL"], stop = start_postgres(workdir / "postgres")
            stops.append(stop)

        broker = env.get("CELERY_BROKER_URL", "")
        redis_url = env.get("REDIS_URL") or (broker if broker.startswith("redis") else "")
        if redis_url:
            wait_for(lambda: redis_answers(redis_url), "REDIS_URL")
            say("Redis: REDIS_URL")
        elif not throwaway and redis_answers(LOCAL_REDIS):
            redis_url = LOCAL_REDIS
            say("Redis: the local server on 127.0.0.1:6379")
        else:
            redis_url, stop = start_redis(workdir / "redis")
            stops.append(stop)
        env["REDIS_URL"] = redis_url
        env["CELERY_BROKER_URL"] = broker if broker.startswith("redis") else redis_url

        # Forward Ctrl-C/SIGTERM to the command and still clean up after it.
        process = subprocess.Popen(argv, env=env)
        for signum in (signal.SIGINT, signal.SIGTERM):
            signal.signal(signum, lambda signum, frame: process.send_signal(signum))
        return process.wait()
    finally:
        for stop in reversed(stops):
            stop()
        shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
