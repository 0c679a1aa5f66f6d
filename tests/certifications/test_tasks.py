"""The render task: stores a PDF once, records and retries failures, is sent only on commit."""

from __future__ import annotations

import datetime
import hashlib
from types import SimpleNamespace
from typing import Any

import pytest
from django.db import transaction
from django.utils import timezone

from branches.models import Counter
from certifications import rendering, tasks
from certifications.models import Certificate, CertificateEvent, RenderStatus
from certifications.services import certificate_mark_render_failed, certificate_store_pdf
from evaluations.models import Outcome
from sampledata.jury import jury_decides
from tests.certifications.pdfs import pdf_text
from tests.workflow import award, open_session, ready_for_jury


@pytest.fixture(autouse=True)
def media_root(settings: Any, tmp_path: Any) -> Any:
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


@pytest.fixture
def sent(monkeypatch: Any) -> list[int]:
    """The certificate ids handed to the broker, instead of sending them."""
    ids: list[int] = []
    monkeypatch.setattr(tasks, "render_certificate", SimpleNamespace(delay=ids.append))
    return ids


def stored_files(root: Any) -> list[Any]:
    return sorted(root.rglob("*.pdf")) if root.exists() else []


def pending_certificate(cast: Any) -> Certificate:
    return award(cast).certificates.get()


# --- Idempotent storage --------------------------------------------------------------------


def test_storing_twice_leaves_one_file_with_the_same_hash(cast, media_root):
    certificate = pending_certificate(cast)
    first = certificate_store_pdf(certificate_id=certificate.pk)
    second = certificate_store_pdf(certificate_id=certificate.pk)
    files = stored_files(media_root)
    assert len(files) == 1
    assert hashlib.sha256(files[0].read_bytes()).hexdigest() == first.pdf_sha256
    assert second.pdf_sha256 == first.pdf_sha256 and second.pdf.name == first.pdf.name
    assert second.render_status == RenderStatus.READY
    assert second.render_attempts == 1
    assert CertificateEvent.objects.filter(certificate=certificate, action="rendered").count() == 1


def test_a_file_left_by_a_killed_attempt_is_replaced_not_kept_beside(cast, media_root):
    certificate = pending_certificate(cast)
    # A worker killed after writing the file and before its commit leaves this behind.
    left = (
        media_root / "certificates" / str(timezone.localdate().year) / f"{certificate.number}.pdf"
    )
    left.parent.mkdir(parents=True, exist_ok=True)
    left.write_bytes(b"%PDF-1.7 half written")

    stored = certificate_store_pdf(certificate_id=certificate.pk)

    assert stored_files(media_root) == [left]
    assert stored.pdf.name == f"certificates/{left.parent.name}/{left.name}"
    assert hashlib.sha256(left.read_bytes()).hexdigest() == stored.pdf_sha256


def test_the_pdf_is_stored_under_the_certificate_number(cast):
    certificate = certificate_store_pdf(certificate_id=pending_certificate(cast).pk)
    assert certificate.pdf.name.endswith(f"/{certificate.number}.pdf")
    assert certificate.rendered_at is not None


def test_the_task_renders_and_stores_the_pdf(cast):
    certificate = pending_certificate(cast)
    result = tasks.render_certificate.apply(args=(certificate.pk,))
    assert result.successful()
    certificate.refresh_from_db()
    assert certificate.render_status == RenderStatus.READY and certificate.pdf


def test_a_render_that_raises_marks_the_certificate_failed_after_its_retries(
    cast, media_root, monkeypatch
):
    def broken(certificate: Any) -> bytes:
        raise RuntimeError("fonts on fire")

    monkeypatch.setattr(rendering, "render_certificate_pdf", broken)
    certificate = pending_certificate(cast)
    result = tasks.render_certificate.apply(args=(certificate.pk,))
    assert result.failed()
    certificate.refresh_from_db()
    assert certificate.render_status == RenderStatus.FAILED
    assert "RuntimeError: fonts on fire" in certificate.render_error
    assert not certificate.pdf and certificate.pdf_sha256 == ""
    assert certificate.render_attempts == tasks.MAX_RENDER_RETRIES + 1
    assert stored_files(media_root) == []


@pytest.mark.parametrize("output", [b"", b"%PDF-1.7\n" + b"x" * 5000], ids=["empty", "truncated"])
def test_an_invalid_pdf_is_refused_and_nothing_is_stored(cast, media_root, monkeypatch, output):
    monkeypatch.setattr(rendering, "render_certificate_pdf", lambda certificate: output)
    certificate = pending_certificate(cast)
    with pytest.raises(ValueError, match="no valid PDF"):
        certificate_store_pdf(certificate_id=certificate.pk)
    certificate.refresh_from_db()
    assert certificate.render_status == RenderStatus.PENDING
    assert not certificate.pdf
    assert stored_files(media_root) == []


def test_a_failed_certificate_renders_at_a_later_attempt(cast):
    certificate = pending_certificate(cast)
    certificate_mark_render_failed(certificate_id=certificate.pk, error="OSError: disk full")
    certificate = certificate_store_pdf(certificate_id=certificate.pk)
    assert certificate.render_status == RenderStatus.READY
    assert certificate.render_error == ""
    assert certificate.render_attempts == 2


def test_a_ready_certificate_is_never_marked_failed(cast):
    certificate = certificate_store_pdf(certificate_id=pending_certificate(cast).pk)
    certificate_mark_render_failed(certificate_id=certificate.pk, error="late failure")
    certificate.refresh_from_db()
    assert certificate.render_status == RenderStatus.READY and certificate.render_error == ""


def test_the_task_ignores_a_certificate_that_does_not_exist(db):
    assert tasks.render_certificate.apply(args=(987654,)).successful()


# --- Enqueued on commit only ---------------------------------------------------------------


def test_a_committed_decision_enqueues_one_render(cast, sent, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        decision = award(cast)
    assert sent == [decision.certificates.get().pk]


class Rollback(Exception):
    pass


@pytest.mark.django_db(transaction=True)
def test_a_rolled_back_decision_enqueues_nothing_and_uses_no_number(cast, sent):
    dossier = ready_for_jury(cast)
    session = open_session(cast, [dossier])
    with pytest.raises(Rollback), transaction.atomic():
        jury_decides(session=session, dossier=dossier, outcome=Outcome.AWARD, by=cast.jury_employer)
        assert Certificate.objects.count() == 1  # issued inside the transaction…
        raise Rollback
    assert sent == []  # …and nothing was sent for it
    assert Certificate.objects.count() == 0
    assert not Counter.objects.filter(branch=cast.branch_a, kind="certificate").exists()

    decision = jury_decides(
        session=session, dossier=dossier, outcome=Outcome.AWARD, by=cast.jury_employer
    )
    certificate = decision.certificates.get()
    assert sent == [certificate.pk]
    assert certificate.number.endswith("-000001")


# --- The sweep -----------------------------------------------------------------------------


def test_the_sweep_sends_again_only_certificates_pending_too_long(cast, sent, settings):
    stale = pending_certificate(cast)
    fresh = award(cast, candidate=cast.other_candidate).certificates.get()
    long_ago = timezone.now() - datetime.timedelta(
        seconds=settings.CERTIFICATE_PENDING_GRACE_SECONDS + 60
    )
    Certificate.objects.filter(pk=stale.pk).update(created_at=long_ago)
    assert tasks.sweep_pending_certificates() == 1
    assert sent == [stale.pk]
    assert fresh.pk not in sent


def test_the_sweep_leaves_ready_certificates_alone(cast, sent, settings):
    certificate = certificate_store_pdf(certificate_id=pending_certificate(cast).pk)
    Certificate.objects.filter(pk=certificate.pk).update(
        created_at=timezone.now() - datetime.timedelta(days=1)
    )
    assert tasks.sweep_pending_certificates() == 0
    assert sent == []


def test_a_starting_worker_renders_seals_and_signs_a_specimen_without_the_database() -> None:
    """What every child would pay on its first certificate is paid once, before the pool forks:
    nothing read from the database (this test has none: a query would fail it), no thread left
    running (a forked child would lack it)."""
    import threading

    from certifications.sealing import seal_check

    threads = threading.active_count()
    data = tasks._warm_up()
    assert threading.active_count() == threads
    assert rendering.is_valid_pdf(data)
    assert seal_check(data).valid
    assert "SPECIMEN" in pdf_text(data)


def test_a_worker_starts_even_if_the_warm_up_fails(monkeypatch: Any, caplog: Any) -> None:
    def broken() -> bytes:
        raise RuntimeError("no seal configured")

    monkeypatch.setattr(tasks, "_warm_up", broken)
    tasks._load_renderer()
    assert "could not be warmed up" in caplog.text
