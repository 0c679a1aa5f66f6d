"""Portal views of the certifications room: public verification and certificate download."""

from __future__ import annotations

import datetime
import logging

from django.contrib.auth.decorators import login_required
from django.http import FileResponse, HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import get_object_or_404, render
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_safe

from branches.access import roles_of

from .models import Certificate, CertificateStatus, RenderStatus

logger = logging.getLogger(__name__)

# Verification codes are secrets.token_urlsafe(16) (22 characters); the column holds 40.
_MAX_CODE_LENGTH = 40


def _noindex(response: HttpResponse) -> HttpResponse:
    # Verification pages name a person: search engines must not keep them.
    response["X-Robots-Tag"] = "noindex, nofollow"
    return response


@require_safe
@never_cache
def verify(request: HttpRequest, code: str) -> HttpResponse:
    """What anyone holding the QR code may know: is this document genuine and still valid.

    The lookup is exact (no prefix, no case folding). An unknown code gets the same page
    whatever it looks like, so probing learns nothing about which codes exist.
    """
    certificate = None
    if len(code) <= _MAX_CODE_LENGTH:
        certificate = (
            Certificate.objects.select_related("branch").filter(verification_code=code).first()
        )
    if certificate is None:
        return _noindex(render(request, "certifications/verify_not_found.html", status=404))
    snapshot = certificate.snapshot
    partial_expired = bool(
        certificate.valid_until and certificate.valid_until < timezone.localdate()
    )
    return _noindex(
        render(
            request,
            "certifications/verify.html",
            {
                "certificate": certificate,
                "cqpi": snapshot.get("cqpi") or {},
                "registration": snapshot.get("registration"),
                # The branch as it was named at issue, not as it is called today.
                "branch_name": (snapshot.get("branch") or {}).get("name")
                or certificate.branch.name,
                "partial_expired": partial_expired,
                "replacement_issued_on": _replacement_date(certificate),
            },
        )
    )


def _replacement_date(certificate: Certificate) -> datetime.date | None:
    if certificate.status != CertificateStatus.SUPERSEDED:
        return None
    replacement = Certificate.objects.filter(reissue_of=certificate).only("issued_on").first()
    return replacement.issued_on if replacement else None


@require_safe
@login_required
def certificate_download(request: HttpRequest, pk: int) -> HttpResponseBase:
    """The PDF, as an attachment, to its holder and to the staff of its branch.

    A document not rendered yet gets a 409 page ("being generated"): the user may
    see the certificate, so saying it exists reveals nothing, and 409 tells a
    client to come back rather than that the address is wrong. A revoked or replaced
    document is no longer handed to its holder (410); the branch keeps access.
    """
    certificate = get_object_or_404(Certificate.objects.visible_to(request.user), pk=pk)
    if not certificate.is_valid and not roles_of(request.user).is_staff_of(certificate.branch_id):
        return render(
            request,
            "certifications/certificate_unavailable.html",
            {"certificate": certificate, "reason": "withdrawn"},
            status=410,
        )
    if certificate.render_status != RenderStatus.READY or not certificate.pdf:
        return _not_ready(request, certificate)
    try:
        handle = certificate.pdf.open("rb")
    except FileNotFoundError:
        logger.error("certificate %s is marked ready but its PDF file is missing", certificate.pk)
        return _not_ready(request, certificate)
    response = FileResponse(
        handle,
        as_attachment=True,
        filename=f"{certificate.number}.pdf",
        content_type="application/pdf",
    )
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, no-store"
    return response


def _not_ready(request: HttpRequest, certificate: Certificate) -> HttpResponse:
    reason = "failed" if certificate.render_status == RenderStatus.FAILED else "pending"
    response = render(
        request,
        "certifications/certificate_unavailable.html",
        {"certificate": certificate, "reason": reason},
        status=409,
    )
    response["Retry-After"] = "60"
    return response
