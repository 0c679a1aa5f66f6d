"""Redis down while the jury decides: decisions commit, pages answer, and once Redis is back
beat's sweep has every pending certificate rendered with no manual step."""

from __future__ import annotations

import time

import pytest
from django.urls import reverse

from certifications.models import Certificate, RenderStatus
from evaluations.models import Decision
from tests.factories import CandidateFactory
from tests.faults.support import wait_until
from tests.workflow import award

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True)]

DECISIONS = 3


def test_decisions_taken_while_redis_is_down_get_their_certificates_once_it_is_back(
    cast, own_redis, make_worker, client
):
    own_redis.stop()

    started = time.monotonic()
    decisions = [
        award(cast, candidate=CandidateFactory.create(branch=cast.branch_a))
        for _ in range(DECISIONS)
    ]
    # The broker error is swallowed after a short retry: the jury is not kept waiting.
    assert time.monotonic() - started < 60
    assert Decision.objects.count() == DECISIONS
    certificates = Certificate.objects.filter(decision__in=decisions)
    assert certificates.count() == DECISIONS
    assert set(certificates.values_list("render_status", flat=True)) == {RenderStatus.PENDING}

    # The portal keeps answering and says the documents are being generated.
    client.force_login(cast.staff_a)
    certificate = certificates.first()
    assert certificate is not None
    assert client.get(reverse("certifications:certificate_list")).status_code == 200
    detail = client.get(reverse("certifications:certificate_detail", args=[certificate.pk]))
    assert detail.status_code == 200
    download = client.get(reverse("certifications:certificate_download", args=[certificate.pk]))
    assert download.status_code == 409
    verify = client.get(reverse("certifications:verify", args=[certificate.verification_code]))
    assert verify.status_code == 200

    own_redis.start()
    worker = make_worker(
        beat=True,
        extra_env={"CERTIFICATE_SWEEP_SECONDS": "2", "CERTIFICATE_PENDING_GRACE_SECONDS": "1"},
    )
    worker.start()
    wait_until(
        lambda: certificates.filter(render_status=RenderStatus.READY).count() == DECISIONS,
        seconds=90,
        what="the sweep to render the pending certificates",
        log=worker.log,
    )
    assert "sweep_pending_certificates" in worker.log.read_text(errors="replace")
    assert Certificate.objects.count() == DECISIONS
    download = client.get(reverse("certifications:certificate_download", args=[certificate.pk]))
    assert download.status_code == 200
    assert b"".join(download.streaming_content).startswith(b"%PDF-")
