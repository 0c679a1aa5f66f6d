"""A real Celery worker, fed through Redis, renders the certificate of a recorded decision."""

from __future__ import annotations

import hashlib
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest
from django.conf import settings as django_settings
from django.db import connection
from django.urls import reverse

from certifications.models import Certificate, RenderStatus
from certifications.tasks import render_certificate
from cqpi.celery import app as celery_app
from tests import s3
from tests.certifications.pdfs import pdf_text, stored_pdf
from tests.workflow import award

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True)]

WAIT_SECONDS = 60


def database_url() -> str:
    """The URL of the database this test runs on (the test database), for the worker."""
    db = connection.settings_dict
    credentials = quote(db["USER"] or "postgres", safe="")
    if db.get("PASSWORD"):
        credentials += ":" + quote(db["PASSWORD"], safe="")
    return f"postgres://{credentials}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"


def wait_for(condition: Callable[[], bool], *, what: str, log: Path) -> None:
    deadline = time.monotonic() + WAIT_SECONDS
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.25)
    tail = log.read_text(errors="replace")[-4000:] if log.exists() else ""
    pytest.fail(f"timed out waiting for {what}; worker log:\n{tail}")


class Worker:
    def __init__(self, log: Path) -> None:
        self.log = log

    def logged(self, text: str) -> bool:
        return text in self.log.read_text(errors="replace")

    def succeeded(self) -> int:
        return sum(
            1
            for line in self.log.read_text(errors="replace").splitlines()
            if "certifications.tasks.render_certificate[" in line and "] succeeded" in line
        )


@pytest.fixture
def worker(cast: Any, settings: Any, tmp_path: Path) -> Iterator[Worker]:
    """`celery worker` in a subprocess, on this test's database, Redis db and media folder.

    Depends on `cast` so that it stops before the test database is flushed.
    """
    media = tmp_path / "media"
    settings.MEDIA_ROOT = media
    broker = celery_app.conf.broker_url
    assert broker.startswith("redis://"), "the worker tests need Redis"
    with celery_app.connection_for_write() as conn:
        conn.default_channel.queue_purge(celery_app.conf.task_default_queue)  # type: ignore[attr-defined]
    log = tmp_path / "worker.log"
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "cqpi.settings.test",
        "DATABASE_URL": database_url(),
        "CELERY_BROKER_URL": broker,
        "CELERY_EAGER": "0",
        "TEST_MEDIA_ROOT": str(media),
        "LOG_LEVEL": "INFO",
    }
    command = [
        sys.executable,
        "-m",
        "celery",
        "-A",
        "cqpi",
        "worker",
        "--pool=solo",
        "--loglevel=INFO",
        "--without-gossip",
        "--without-mingle",
        "--without-heartbeat",
        f"--hostname=render-test-{os.getpid()}@%h",
    ]
    with log.open("wb") as output:
        process = subprocess.Popen(
            command,
            cwd=django_settings.BASE_DIR,
            env=env,
            stdout=output,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    was_eager = celery_app.conf.task_always_eager
    try:
        worker = Worker(log)
        wait_for(lambda: worker.logged(" ready."), what="the worker to start", log=log)
        # This process now sends its tasks to Redis too, instead of running them itself.
        celery_app.conf.task_always_eager = False
        yield worker
    finally:
        celery_app.conf.task_always_eager = was_eager
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(timeout=10)


def certificate_ready(pk: int) -> Callable[[], bool]:
    return lambda: Certificate.objects.get(pk=pk).render_status == RenderStatus.READY


def test_a_worker_renders_the_certificate_of_a_decision_once(cast, worker, settings):
    decision = award(cast)  # committed: its render task goes to Redis
    certificate = decision.certificates.get()
    wait_for(certificate_ready(certificate.pk), what="the certificate PDF", log=worker.log)

    # rendered by the worker, not in this process (which would log nothing there)
    wait_for(lambda: worker.succeeded() == 1, what="the worker's report", log=worker.log)

    data = stored_pdf(certificate)
    text = pdf_text(data)
    assert "Léa DURAND" in text
    assert "Agent logistique" in text
    assert certificate.number in text
    assert certificate.verification_url in text
    assert hashlib.sha256(data).hexdigest() == certificate.pdf_sha256
    assert Path(settings.MEDIA_ROOT, certificate.pdf.name).is_file()

    # The same task delivered a second time changes nothing.
    task_id = render_certificate.delay(certificate.pk).id
    wait_for(
        lambda: worker.logged(f"[{task_id}] succeeded"), what="the second delivery", log=worker.log
    )
    again = Certificate.objects.get(pk=certificate.pk)
    assert Certificate.objects.filter(decision=decision).count() == 1
    assert again.number == certificate.number
    assert again.pdf_sha256 == certificate.pdf_sha256
    assert again.pdf.name == certificate.pdf.name
    assert again.render_attempts == 1
    assert worker.succeeded() == 2
    assert len(list(Path(settings.MEDIA_ROOT).rglob("*.pdf"))) == 1


@pytest.mark.s3
def test_a_worker_stores_the_pdf_in_the_bucket_and_the_web_serves_it(
    cast, worker, settings, client, s3_bucket, s3_endpoint
):
    decision = award(cast)
    certificate = decision.certificates.get()
    wait_for(certificate_ready(certificate.pk), what="the certificate PDF", log=worker.log)
    wait_for(lambda: worker.succeeded() == 1, what="the worker's report", log=worker.log)
    certificate.refresh_from_db()

    # In the bucket, not in the worker's media folder (which is this test's).
    assert certificate.pdf.name in s3.keys(s3_endpoint, s3_bucket)
    assert not list(Path(settings.MEDIA_ROOT).rglob("*.pdf"))
    stored = s3.object_bytes(s3_endpoint, s3_bucket, certificate.pdf.name)
    assert hashlib.sha256(stored).hexdigest() == certificate.pdf_sha256

    # The web reads it from the bucket, after the permission check.
    url = reverse("certifications:certificate_download", args=[certificate.pk])
    client.force_login(cast.other_candidate_user)
    assert client.get(url).status_code == 404
    client.force_login(cast.candidate_user)
    response = client.get(url)
    assert response.status_code == 200
    body = b"".join(response.streaming_content)
    assert body == stored
    assert certificate.holder_name == "Léa DURAND" and certificate.holder_name in pdf_text(body)
