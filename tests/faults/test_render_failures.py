"""Renders that really fail — a broken template, a missing asset — end marked failed with
their error, retried with growing delays, offered to staff for a retry, and nothing blank
or corrupt is ever stored or served."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import pytest
from celery.app.task import Task
from django.urls import reverse

from certifications import tasks
from certifications.models import Certificate, RenderStatus
from tests.workflow import award

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def media(settings: Any, tmp_path: Path) -> Path:
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


@pytest.fixture
def countdowns(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """The delay each retry asked for (eager retries run at once, whatever the delay)."""
    asked: list[int] = []
    retry = Task.retry

    def spy(self: Task, *args: Any, **kwargs: Any) -> Any:
        asked.append(kwargs["countdown"])
        return retry(self, *args, **kwargs)

    monkeypatch.setattr(Task, "retry", spy)
    return asked


@pytest.fixture
def broken_template(settings: Any, tmp_path: Path) -> None:
    """A deployment whose certificate template no longer compiles."""
    folder = tmp_path / "templates" / "certifications"
    folder.mkdir(parents=True)
    (folder / "certificate_pdf.html").write_text("{% if %}<p>{{ certificate.number }}</p>")
    settings.TEMPLATES = [
        {**settings.TEMPLATES[0], "DIRS": [tmp_path / "templates", *settings.TEMPLATES[0]["DIRS"]]}
    ]


@pytest.fixture
def missing_stylesheet(settings: Any, tmp_path: Path) -> None:
    """A deployment whose static folder lacks the certificate's stylesheet."""
    static = tmp_path / "static"
    shutil.copytree(Path(settings.BASE_DIR) / "static" / "pdf", static / "pdf")
    (static / "pdf" / "certificate.css").unlink()
    settings.STATICFILES_DIRS = [static]


def stored_pdfs(media: Path) -> list[Path]:
    return sorted(media.rglob("*.pdf")) if media.exists() else []


def pending(cast: Any) -> Certificate:
    """A decided dossier's certificate, rendered later by the test (not on commit)."""
    certificate = award(cast).certificates.get()
    Certificate.objects.filter(pk=certificate.pk).update(render_status=RenderStatus.PENDING, pdf="")
    certificate.refresh_from_db()
    return certificate


@pytest.mark.parametrize(
    ("fault", "error"),
    [("broken_template", "TemplateSyntaxError"), ("missing_stylesheet", "PDFAssetMissing")],
)
def test_a_render_that_fails_is_marked_failed_with_its_error_after_growing_delays(
    request: pytest.FixtureRequest,
    cast: Any,
    media: Path,
    countdowns: list[int],
    fault: str,
    error: str,
) -> None:
    certificate = pending(cast)
    for path in stored_pdfs(media):
        path.unlink()
    request.getfixturevalue(fault)

    result = tasks.render_certificate.apply(args=(certificate.pk,))

    assert result.failed()
    certificate.refresh_from_db()
    assert certificate.render_status == RenderStatus.FAILED
    assert certificate.render_error.startswith(error)
    assert certificate.render_attempts == tasks.MAX_RENDER_RETRIES + 1
    # Five retries, each waiting twice as long (the sixth call finds the retries spent).
    assert countdowns[: tasks.MAX_RENDER_RETRIES] == [10, 20, 40, 80, 160]
    assert not certificate.pdf and stored_pdfs(media) == []


def test_staff_see_the_failure_nobody_gets_a_file_and_a_retry_renders_it(
    client: Any,
    cast: Any,
    media: Path,
    settings: Any,
    tmp_path: Path,
    django_capture_on_commit_callbacks: Any,
) -> None:
    certificate = pending(cast)
    saved_templates = settings.TEMPLATES
    folder = tmp_path / "broken" / "certifications"
    folder.mkdir(parents=True)
    (folder / "certificate_pdf.html").write_text("{% if %}")
    settings.TEMPLATES = [{**saved_templates[0], "DIRS": [tmp_path / "broken"]}]
    tasks.render_certificate.apply(args=(certificate.pk,))
    settings.TEMPLATES = saved_templates  # the deployment is fixed
    certificate.refresh_from_db()
    assert certificate.render_status == RenderStatus.FAILED

    client.force_login(cast.staff_a)
    detail = reverse("certifications:certificate_detail", args=[certificate.pk])
    page = client.get(detail).content.decode()
    assert "TemplateSyntaxError" in page
    assert reverse("certifications:certificate_retry_render", args=[certificate.pk]) in page
    download = reverse("certifications:certificate_download", args=[certificate.pk])
    assert client.get(download).status_code == 409
    client.force_login(cast.candidate_user)
    assert client.get(download).status_code == 409

    client.force_login(cast.staff_a)
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("certifications:certificate_retry_render", args=[certificate.pk]))

    certificate.refresh_from_db()
    assert certificate.render_status == RenderStatus.READY and certificate.render_error == ""
    response = client.get(download)
    assert response.status_code == 200
    assert b"".join(response.streaming_content).startswith(b"%PDF-")
