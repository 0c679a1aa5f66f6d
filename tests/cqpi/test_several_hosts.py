"""Several hosts, simulated: two web servers and two Celery workers, each with its own local
folders (media, var, tmp), sharing only PostgreSQL, Redis and the S3 server, render a jury
session of 100 awards: every certificate exactly once, every PDF served by either web server.
"""

from __future__ import annotations

import base64
import concurrent.futures
import contextlib
import functools
import hashlib
import os
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings as django_settings
from django.test import Client
from django.urls import reverse

from certifications.models import Certificate, CertificateEvent, RenderStatus
from cqpi.celery import app as celery_app
from credentials import keys as credential_keys
from tests import s3
from tests.faults.kill import TrialResult, award_all, count, prepare_session
from tests.faults.support import ROOT, Worker, broker, wait_until
from tests.faults.support import test_database_url as database_url
from tests.workflow import close_and_sign

pytestmark = [pytest.mark.slow, pytest.mark.s3, pytest.mark.django_db(transaction=True)]

# The whole test took 190 to 240 s (setup and teardown included) in three runs on the 2 shared
# cores of the development machine while other test runs kept its load between 9 and 13:
# about 40 s to prepare the dossiers, 75 to 85 s to render, 45 s to check and download.
AWARDS = 100
RENDER_SECONDS = 240


@dataclass
class Host:
    """The local folders of one simulated machine: nothing in them is shared."""

    name: str
    root: Path

    @property
    def media(self) -> Path:
        return self.root / "media"

    def env(self) -> dict[str, str]:
        for folder in ("media", "var", "tmp"):
            (self.root / folder).mkdir(parents=True, exist_ok=True)
        return {
            "MEDIA_ROOT": str(self.media),
            "TEST_MEDIA_ROOT": str(self.media),
            "VAR_DIR": str(self.root / "var"),
            "TMPDIR": str(self.root / "tmp"),
            # Configuration every host is given alike, as in production: the secret key, the
            # seal's key (here the test run's development chain) and the secret that encrypts
            # the branches' credential signing keys (a host with another could not sign).
            "SECRET_KEY": django_settings.SECRET_KEY,
            "TEST_SEAL_DIR": str(django_settings.SEAL_DEV_DIR),
            "CREDENTIALS_KEY_SECRET": base64.urlsafe_b64encode(credential_keys.secret())
            .decode()
            .rstrip("="),
        }

    def local_pdfs(self) -> list[Path]:
        return sorted(self.root.rglob("*.pdf"))


class Web:
    """gunicorn serving cqpi on a free port, with the host's folders."""

    def __init__(self, host: Host, *, log: Path) -> None:
        self.port = s3.free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.log = log
        env = {
            **os.environ,
            **host.env(),
            "DJANGO_SETTINGS_MODULE": "cqpi.settings.test",
            "DATABASE_URL": database_url(),
            "CELERY_BROKER_URL": celery_app.conf.broker_url,
            "CELERY_EAGER": "0",
        }
        with log.open("wb") as output:
            self.process = subprocess.Popen(
                [
                    sys.executable,
                    *("-m", "gunicorn", "cqpi.wsgi:application"),
                    *("--bind", f"127.0.0.1:{self.port}", "--workers", "1", "--threads", "4"),
                    *("--timeout", "120", "--worker-tmp-dir", str(host.root / "tmp")),
                ],
                cwd=ROOT,
                env=env,
                stdout=output,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )

    def answers(self) -> bool:
        try:
            with urllib.request.urlopen(f"{self.base}/healthz", timeout=2):
                return True
        except urllib.error.HTTPError:
            return True
        except OSError:
            return False

    def get(self, path: str, *, cookie: str) -> tuple[int, bytes]:
        request = urllib.request.Request(self.base + path, headers={"Cookie": cookie})
        try:
            with urllib.request.urlopen(request, timeout=60) as response:
                return response.status, response.read()
        except urllib.error.HTTPError as error:
            return error.code, error.read()

    def stop(self) -> None:
        if self.process.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait(timeout=10)


@pytest.fixture
def hosts(cast: Any, s3_bucket: str, tmp_path: Path) -> Iterator[dict[str, Any]]:
    """Two web servers and two workers, each on a host of its own; stopped at the end.

    Depends on `cast` so that they stop before the test database is flushed.
    """
    broker_url = celery_app.conf.broker_url
    assert broker_url.startswith("redis://"), "the several-hosts test needs Redis"
    with celery_app.connection_for_write() as conn:
        for queue in django_settings.CELERY_TASK_QUEUES:
            conn.default_channel.queue_purge(queue)  # type: ignore[attr-defined]
    machines = {name: Host(name, tmp_path / name) for name in ("web1", "web2", "w1", "w2")}
    workers = [
        Worker(
            broker_url=broker_url,
            database_url=database_url(),
            media=machines[name].media,
            log=tmp_path / f"{name}.log",
            concurrency=1,
            extra_env=machines[name].env(),
        )
        for name in ("w1", "w2")
    ]
    webs: list[Web] = []
    try:
        for worker in workers:
            worker.start(wait=False)
        webs = [Web(machines[name], log=tmp_path / f"{name}.log") for name in ("web1", "web2")]
        for worker in workers:
            wait_until(
                functools.partial(started, worker),
                seconds=90,
                what="a worker to start",
                log=worker.log,
            )
        for web in webs:
            wait_until(web.answers, seconds=90, what="a web server to start", log=web.log)
        yield {"machines": machines, "workers": workers, "webs": webs}
    finally:
        # All at once: each waits for its warm shutdown.
        with concurrent.futures.ThreadPoolExecutor() as pool:
            list(pool.map(lambda process: process.stop(), [*webs, *workers]))


def started(worker: Worker) -> bool:
    return " ready." in worker.log.read_text(errors="replace")


def renders_by(worker: Worker) -> int:
    return sum(
        1
        for line in worker.log.read_text(errors="replace").splitlines()
        if "certifications.tasks.render_certificate[" in line and "] succeeded" in line
    )


def test_two_web_servers_and_two_workers_render_a_session_once_and_serve_every_pdf(
    cast: Any, hosts: dict[str, Any], s3_bucket: str, s3_endpoint: str
) -> None:
    started = time.monotonic()
    session, dossiers = prepare_session(cast, size=AWARDS, tag="Hotes")
    prepared = time.monotonic()
    # From here on this process only sends tasks: the two workers render.
    with broker(celery_app.conf.broker_url):
        award_all(cast, session, dossiers)
        session = close_and_sign(cast, session)
        certificates = Certificate.objects.filter(decision__session=session)
        wait_until(
            lambda: certificates.filter(render_status=RenderStatus.READY).count() == AWARDS,
            seconds=RENDER_SECONDS,
            what=f"{AWARDS} certificates",
            log=hosts["workers"][0].log,
        )
        wait_until(
            lambda: bool(type(session).objects.get(pk=session.pk).minutes),
            seconds=60,
            what="the procès-verbal",
            log=hosts["workers"][1].log,
        )
    rendered = time.monotonic()
    session.refresh_from_db()

    # Exactly once: one certificate per decision, each rendered in one attempt, one object
    # per certificate in the bucket, and as many renders as certificates across the workers.
    result = count(
        session,
        dossiers,
        TrialResult(size=AWARDS, kill_target=0, kill_after_s=0, ready_when_killed=0),
    )
    assert (result.ready, result.lost, result.duplicated) == (AWARDS, 0, 0), result.problems
    assert (result.duplicate_numbers, result.unreadable, result.wrong_holder) == (0, 0, 0)
    assert set(certificates.values_list("render_attempts", flat=True)) == {1}, list(
        CertificateEvent.objects.filter(action="render_failed").values_list("comment", flat=True)
    )
    names = set(certificates.values_list("pdf", flat=True))
    pdfs = {key for key in s3.keys(s3_endpoint, s3_bucket) if key.endswith(".pdf")}
    assert len(names) == AWARDS
    assert pdfs == names | {session.minutes.name}
    per_worker = [renders_by(worker) for worker in hosts["workers"]]
    assert sum(per_worker) == AWARDS, per_worker
    assert all(per_worker), f"a worker rendered nothing: {per_worker}"

    # Every PDF from either web server, to the branch's staff, read from the bucket.
    client = Client()
    client.force_login(cast.staff_a)
    name = django_settings.SESSION_COOKIE_NAME
    cookie = f"{name}={client.cookies[name].value}"
    for certificate in certificates:
        path = reverse("certifications:certificate_download", args=[certificate.pk])
        for web in hosts["webs"]:
            status, body = web.get(path, cookie=cookie)
            assert status == 200, (web.base, certificate.number, body[:300])
            assert hashlib.sha256(body).hexdigest() == certificate.pdf_sha256
    minutes = reverse("evaluations:session_minutes", args=[session.pk])
    expected = s3.object_bytes(s3_endpoint, s3_bucket, session.minutes.name)
    for web in hosts["webs"]:
        assert web.get(minutes, cookie=cookie) == (200, expected)
    # Nothing went through a host's own folders.
    for machine in hosts["machines"].values():
        assert machine.local_pdfs() == [], machine.name
    served = time.monotonic()
    print(
        f"\nseveral hosts: {AWARDS} awards prepared in {prepared - started:.0f} s, "
        f"rendered in {rendered - prepared:.0f} s ({per_worker}), "
        f"counted, read and served twice in {served - rendered:.0f} s"
    )
