"""Reissuing a certificate (a name correction) and marking certificates reported."""

from __future__ import annotations

from typing import Any

import pytest
from django.core.exceptions import PermissionDenied

from certifications import services
from certifications.models import Certificate, CertificateStatus
from core.errors import DomainError
from tests import workflow

pytestmark = pytest.mark.django_db


@pytest.fixture
def certificate(cast: Any) -> Certificate:
    return workflow.award(cast).certificates.get()


def test_reissue_supersedes_the_old_certificate_and_keeps_both(
    cast: Any, certificate: Certificate
) -> None:
    new = services.certificate_reissue(
        certificate=certificate,
        by=cast.staff_a,
        reason="Nom mal orthographié",
        holder_last_name="Durant",
    )

    certificate.refresh_from_db()
    assert certificate.status == CertificateStatus.SUPERSEDED
    assert new.reissue_of_id == certificate.pk
    assert new.status == CertificateStatus.VALID
    assert new.number != certificate.number
    assert Certificate.objects.filter(pk__in=[certificate.pk, new.pk]).count() == 2


def test_reissue_copies_the_snapshot_with_the_corrections(
    cast: Any, certificate: Certificate
) -> None:
    new = services.certificate_reissue(
        certificate=certificate,
        by=cast.staff_a,
        reason="Correction",
        holder_first_name="Léah",
        holder_last_name="Durant",
    )

    assert new.snapshot["holder"]["first_name"] == "Léah"
    assert new.snapshot["holder"]["last_name"] == "Durant"
    assert new.snapshot["holder"]["birth_date"] == certificate.snapshot["holder"]["birth_date"]
    assert new.snapshot["cqpi"] == certificate.snapshot["cqpi"]
    assert new.snapshot["number"] == new.number
    assert new.snapshot["reissue_of"] == certificate.number
    assert new.holder_name == "Léah DURANT"


def test_reissue_keeps_the_number_series(cast: Any, certificate: Certificate) -> None:
    new = services.certificate_reissue(certificate=certificate, by=cast.staff_a, reason="x")

    assert new.number.rsplit("-", 2)[0] == certificate.number.rsplit("-", 2)[0]


def test_reissue_writes_events_on_both(cast: Any, certificate: Certificate) -> None:
    new = services.certificate_reissue(certificate=certificate, by=cast.staff_a, reason="x")

    assert list(certificate.events.values_list("action", flat=True))[-1] == "superseded"
    assert list(new.events.values_list("action", flat=True)) == ["reissued"]


def test_a_revoked_certificate_cannot_be_reissued(cast: Any, certificate: Certificate) -> None:
    services.certificate_revoke(certificate=certificate, reason="Fraude", by=cast.staff_a)

    with pytest.raises(DomainError):
        services.certificate_reissue(certificate=certificate, by=cast.staff_a, reason="x")


def test_a_superseded_certificate_cannot_be_reissued_twice(
    cast: Any, certificate: Certificate
) -> None:
    services.certificate_reissue(certificate=certificate, by=cast.staff_a, reason="x")

    with pytest.raises(DomainError):
        services.certificate_reissue(certificate=certificate, by=cast.staff_a, reason="y")


def test_reissue_needs_a_reason(cast: Any, certificate: Certificate) -> None:
    with pytest.raises(DomainError):
        services.certificate_reissue(certificate=certificate, by=cast.staff_a, reason="  ")


def test_reissue_is_refused_to_another_branch(cast: Any, certificate: Certificate) -> None:
    with pytest.raises(PermissionDenied):
        services.certificate_reissue(certificate=certificate, by=cast.staff_b, reason="x")
