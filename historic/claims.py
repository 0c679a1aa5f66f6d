"""The signed link a holder receives to claim a certificate issued before the platform.

The link names the record and the moment of the invitation it belongs to, signed with the
site's secret: tampered, it is refused; older than `HISTORIC_CLAIM_TIMEOUT`, it has expired;
replaced by a newer invitation (another address, say), it no longer matches the record.
"""

from __future__ import annotations

from django.conf import settings
from django.core import signing
from django.urls import reverse

from .models import HistoricCertificate

_SALT = "historic.claim"


def claim_token(record: HistoricCertificate) -> str:
    assert record.claim_invited_at is not None
    return signing.dumps(
        {"r": record.pk, "i": record.claim_invited_at.isoformat()}, salt=_SALT, compress=True
    )


def claim_url(record: HistoricCertificate) -> str:
    path = reverse("historic:claim", kwargs={"token": claim_token(record)})
    return f"{settings.SITE_URL}{path}"


def claim_record(token: str) -> HistoricCertificate | None:
    """The record the link invites to claim, if the link is genuine, not expired and still
    the record's current invitation; None otherwise (whatever the reason: one answer)."""
    try:
        data = signing.loads(token, salt=_SALT, max_age=settings.HISTORIC_CLAIM_TIMEOUT)
        pk, invited = int(data["r"]), str(data["i"])
    except (signing.BadSignature, KeyError, TypeError, ValueError):
        return None
    record = HistoricCertificate.objects.filter(pk=pk).select_related("branch", "version").first()
    if record is None or record.claim_invited_at is None:
        return None
    if record.claim_invited_at.isoformat() != invited:
        return None
    return record
