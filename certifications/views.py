"""Portal views of the certifications room: public verification, download, and the staff's
certificate pages (list, revoke, reissue, report to the Passeport de compétences); the ZIP
that a jury session's page offers is built here (`zip_stream`)."""

from __future__ import annotations

import datetime
import logging
import zipfile
from collections.abc import Iterable, Iterator
from functools import partial
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db.models import Q
from django.http import FileResponse, HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from branches.access import require_staff_member, roles_of
from core.api.throttles import VerifyThrottle, throttled_page
from core.pagination import KeysetPaginator
from core.portal import refusal_shown

from . import passport, services
from .access import managed_certificate, managed_certificates
from .forms import CertificateFilterForm, DocumentVerifyForm, ReissueForm, RevokeForm
from .models import Certificate, CertificateKind, CertificateStatus, RenderStatus
from .verification import document_check, verdict_message

logger = logging.getLogger(__name__)

# Verification codes are secrets.token_urlsafe(16) (22 characters); the column holds 40.
_MAX_CODE_LENGTH = 40


def _noindex(response: HttpResponse) -> HttpResponse:
    # Verification pages name a person: search engines must not keep them.
    response["X-Robots-Tag"] = "noindex, nofollow"
    return response


@require_safe
@never_cache
@throttled_page(VerifyThrottle)
def verify(request: HttpRequest, code: str) -> HttpResponse:
    """What anyone holding the QR code may know: is this document genuine and still valid.

    The lookup is exact (no prefix, no case folding). An unknown code gets the same page
    whatever it looks like, so probing learns nothing about which codes exist.
    """
    certificate = None
    if len(code) <= _MAX_CODE_LENGTH:
        # The code is unique: no ORDER BY for first() to compile and run on every scan.
        found = Certificate.objects.select_related("branch").filter(verification_code=code)
        certificate = next(iter(found.order_by()[:1]), None)
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


@require_http_methods(["GET", "HEAD", "POST"])
@never_cache
@throttled_page(VerifyThrottle)
def verify_document(request: HttpRequest) -> HttpResponse:
    """Anyone may upload a PDF and learn whether it is a document issued here, unaltered.

    Counted by the same throttle as the verification codes: each upload is a guess too. An
    unknown document gets one answer whatever it contains; nothing uploaded is kept.
    """
    form = DocumentVerifyForm(request.POST or None, request.FILES or None)
    verdict = None
    if request.method == "POST" and form.is_valid():
        with refusal_shown(request, form=form):
            verdict = document_check(uploaded=form.cleaned_data["document"])
    status = 400 if request.method == "POST" and verdict is None else 200
    return _noindex(
        render(
            request,
            "certifications/verify_document.html",
            {
                "form": form,
                "verdict": verdict,
                "message": verdict_message(verdict.verdict) if verdict else "",
            },
            status=status,
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


# --- The branch staff's certificate pages ------------------------------------------

PAGE_SIZE = 50


def filter_certificates(queryset: Any, form: CertificateFilterForm) -> Any:
    if not form.is_valid():
        return queryset
    data = form.cleaned_data
    query = data["q"].strip()
    if query:
        # Numbers are searched by prefix (index-friendly); names by any part.
        queryset = queryset.filter(Q(number__istartswith=query) | Q(holder_name__icontains=query))
    if data["status"]:
        queryset = queryset.filter(status=data["status"])
    if data["reported"] == "no":
        queryset = queryset.filter(reported_to_passport_at__isnull=True)
    elif data["reported"] == "yes":
        queryset = queryset.filter(reported_to_passport_at__isnull=False)
    return queryset


@require_safe
@login_required
def certificate_list(request: HttpRequest) -> HttpResponse:
    require_staff_member(request.user)
    filters = CertificateFilterForm(request.GET or None)
    certificates = filter_certificates(
        managed_certificates(request.user).select_related("branch", "dossier"), filters
    )
    page = KeysetPaginator(certificates, PAGE_SIZE).get_page(
        request.GET.get("page"), after=request.GET.get("after"), before=request.GET.get("before")
    )
    roles = roles_of(request.user)
    # Each row's kind written once here, not by a get_kind_display() per row.
    kinds = dict(CertificateKind.choices)
    rows = [
        {
            "certificate": certificate,
            "kind": kinds.get(certificate.kind, certificate.kind),
        }
        for certificate in page.object_list
    ]
    return render(
        request,
        "certifications/certificate_list.html",
        {
            "section": "certificates",
            "filters": filters,
            "page": page,
            "rows": rows,
            # Not yet declared and within a month of the three-month limit, or past it.
            "warning_before": passport.due_before(timezone.localdate()),
            "show_branch": roles.is_national_admin or len(roles.staff_branch_ids) > 1,
        },
    )


def _event_labels() -> dict[str, str]:
    return {
        "issued": _("Délivré"),
        "rendered": _("PDF généré"),
        "render_failed": _("Échec de génération du PDF"),
        "render_retried": _("Génération relancée"),
        "revoked": _("Révoqué"),
        "superseded": _("Remplacé par une réédition"),
        "reissued": _("Réédité"),
        "reported": _("Déclaré au Passeport de compétences"),
        "declaration_rejected": _("Déclaration rejetée par la Caisse des Dépôts"),
    }


def _render_detail(request: HttpRequest, certificate: Certificate, **bound: Any) -> HttpResponse:
    holder = (certificate.snapshot or {}).get("holder") or {}
    labels = _event_labels()
    events = list(certificate.events.select_related("by"))
    for event in events:
        event.label = labels.get(event.action, event.action)  # type: ignore[attr-defined]
    context = {
        "section": "certificates",
        "certificate": certificate,
        "events": events,
        "replacement": Certificate.objects.filter(reissue_of=certificate).first(),
        "revoke_form": bound.get("revoke_form") or RevokeForm(prefix="revoke"),
        "reissue_form": bound.get("reissue_form")
        or ReissueForm(
            prefix="reissue",
            initial={
                "first_name": holder.get("first_name", ""),
                "last_name": holder.get("last_name", ""),
            },
        ),
    }
    status = 400 if bound else 200
    return render(request, "certifications/certificate_detail.html", context, status=status)


@require_safe
@login_required
def certificate_detail(request: HttpRequest, pk: int) -> HttpResponse:
    return _render_detail(request, managed_certificate(request.user, pk))


@login_required
@require_POST
def certificate_revoke(request: HttpRequest, pk: int) -> HttpResponse:
    certificate = managed_certificate(request.user, pk)
    form = RevokeForm(request.POST, prefix="revoke")
    if form.is_valid():
        with refusal_shown(request, form=form):
            services.certificate_revoke(
                certificate=certificate, reason=form.cleaned_data["reason"], by=request.user
            )
            messages.success(
                request, _("Le certificat %(number)s est révoqué.") % {"number": certificate.number}
            )
            return redirect("certifications:certificate_detail", pk=certificate.pk)
    return _render_detail(request, certificate, revoke_form=form)


@login_required
@require_POST
def certificate_reissue(request: HttpRequest, pk: int) -> HttpResponse:
    certificate = managed_certificate(request.user, pk)
    form = ReissueForm(request.POST, prefix="reissue")
    if form.is_valid():
        data = form.cleaned_data
        with refusal_shown(request, form=form):
            replacement = services.certificate_reissue(
                certificate=certificate,
                reason=data["reason"],
                holder_first_name=data["first_name"],
                holder_last_name=data["last_name"],
                by=request.user,
            )
            messages.success(
                request,
                _("Le certificat %(new)s remplace le certificat %(old)s.")
                % {"new": replacement.number, "old": certificate.number},
            )
            return redirect("certifications:certificate_detail", pk=replacement.pk)
    return _render_detail(request, certificate, reissue_form=form)


@login_required
@require_POST
def certificate_retry_render(request: HttpRequest, pk: int) -> HttpResponse:
    certificate = managed_certificate(request.user, pk)
    with refusal_shown(request):
        services.certificate_retry_render(certificate=certificate, by=request.user)
        messages.success(request, _("La génération du PDF est relancée."))
    return redirect("certifications:certificate_detail", pk=certificate.pk)


class _Sink:
    """A write-only file for zipfile that hands out what was written so far."""

    def __init__(self) -> None:
        self._chunks: list[bytes] = []
        self._position = 0

    def write(self, data: bytes) -> int:
        self._chunks.append(bytes(data))
        self._position += len(data)
        return len(data)

    def tell(self) -> int:
        return self._position

    def flush(self) -> None:
        pass

    def close(self) -> None:
        # Part of the file protocol zipfile expects; there is nothing to release.
        pass

    def drain(self) -> Iterator[bytes]:
        chunks, self._chunks = self._chunks, []
        yield from chunks


def zip_stream(certificates: Iterable[Certificate]) -> Iterator[bytes]:
    """The certificates' PDFs as one ZIP, produced while it is sent (never whole in memory)."""
    sink = _Sink()
    with zipfile.ZipFile(sink, "w", compression=zipfile.ZIP_STORED) as archive:
        for certificate in certificates:
            try:
                handle = certificate.pdf.open("rb")
            except FileNotFoundError:
                logger.error("certificate %s: PDF missing, left out of the ZIP", certificate.pk)
                continue
            with handle, archive.open(f"{certificate.number}.pdf", "w") as entry:
                for chunk in iter(partial(handle.read, 64 * 1024), b""):
                    entry.write(chunk)
                    yield from sink.drain()
            yield from sink.drain()
    yield from sink.drain()
