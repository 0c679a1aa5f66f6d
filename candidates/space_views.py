"""The candidate's own space: their dossiers, where they stand, their certificate."""

from __future__ import annotations

import json
from collections.abc import Callable
from functools import wraps
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import (
    Http404,
    HttpRequest,
    HttpResponse,
    HttpResponseNotAllowed,
    JsonResponse,
)
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST, require_safe

from branches.access import roles_of
from certifications.models import Capacity, CertificateStatus, RenderStatus
from core.portal import refusal_as_json, refusal_shown
from core.qr import qr_data_uri
from credentials.issuing import linkedin_add_url

from . import ledger as ledgers
from . import services
from .evidence import candidate_quota, max_bytes, upload_capacity_of
from .models import STATEMENT_MAX_LENGTH, Dossier
from .personal_data import personal_data as collect_personal_data
from .selectors import candidate_dossiers, evidence_dossier_of, space_dossier


def candidate_required(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """Logged in and a candidate (a `Candidate` row linked to the account); anyone else: 403."""

    @login_required
    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if not roles_of(request.user).is_candidate:
            raise PermissionDenied
        return view(request, *args, **kwargs)

    return wrapper


@require_safe
@candidate_required
def home(request: HttpRequest) -> HttpResponse:
    dossiers = [
        space_dossier(dossier=dossier, with_decision=False)
        for dossier in candidate_dossiers(user=request.user)
    ]
    return render(request, "candidates/space/home.html", {"section": "space", "dossiers": dossiers})


@require_safe
@candidate_required
def ledger(request: HttpRequest) -> HttpResponse:
    """What the candidate validated, in every branch, from their issued documents."""
    return render(
        request,
        "candidates/space/ledger.html",
        {"section": "space", "entries": ledgers.user_ledger(request.user)},
    )


@require_safe
@candidate_required
def dossier_detail(request: HttpRequest, pk: int) -> HttpResponse:
    dossier = get_object_or_404(candidate_dossiers(user=request.user), pk=pk)
    summary = space_dossier(dossier=dossier)
    certificate = summary.certificate
    qr_code = linkedin_url = None
    if certificate is not None and certificate.status == CertificateStatus.VALID:
        qr_code = qr_data_uri(certificate.verification_url)
        linkedin_url = linkedin_add_url(
            name=f"{certificate.get_kind_display()} — {certificate.snapshot['cqpi']['title']}",
            organization=(certificate.snapshot.get("branch") or {}).get("name", ""),
            issued_on=certificate.issued_on,
            valid_until=certificate.valid_until,
            number=certificate.number,
            url=certificate.verification_url,
        )
    return render(
        request,
        "candidates/space/dossier_detail.html",
        {
            "section": "space",
            "summary": summary,
            "dossier": dossier,
            "certificate": certificate,
            "qr_code": qr_code,
            "linkedin_url": linkedin_url,
            "evidence_dossier_open": services.evidence_dossier_open_to(dossier),
            "render_ready": certificate is not None
            and certificate.render_status == RenderStatus.READY,
        },
    )


@require_safe
@candidate_required
def credential_download(request: HttpRequest, pk: int) -> HttpResponse:
    """The holder's signed Open Badges 3.0 credential, as a JSON file to keep in a wallet or
    share; made with the PDF (409 until then), withdrawn with the document (404)."""
    dossier = get_object_or_404(candidate_dossiers(user=request.user), pk=pk)
    certificate = space_dossier(dossier=dossier).certificate
    if certificate is None or certificate.status != CertificateStatus.VALID:
        raise Http404
    if not certificate.credential:
        return HttpResponse(
            _("Votre attestation numérique est en cours de préparation."), status=409
        )
    response = HttpResponse(
        json.dumps(certificate.credential, ensure_ascii=False, indent=2),
        content_type="application/ld+json; charset=utf-8",
    )
    response["Content-Disposition"] = f'attachment; filename="{certificate.number}.json"'
    response["Cache-Control"] = "private, no-store"
    return response


@require_safe
@candidate_required
def personal_data(request: HttpRequest) -> HttpResponse:
    """What is held about the candidate, on one page (right of access)."""
    return render(
        request,
        "candidates/space/personal_data.html",
        {"section": "space", "data": collect_personal_data(user=request.user)},
    )


@require_safe
@candidate_required
def personal_data_download(request: HttpRequest) -> HttpResponse:
    """The same, as a JSON file to keep or take elsewhere (right to portability)."""
    data = {
        "exported_at": timezone.now().isoformat(),
        "source": settings.SITE_URL,
        **collect_personal_data(user=request.user),
    }
    response = HttpResponse(
        json.dumps(data, ensure_ascii=False, indent=2),
        content_type="application/json; charset=utf-8",
    )
    filename = f"mes-donnees-cqpi-{timezone.localdate():%Y-%m-%d}.json"
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    response["Cache-Control"] = "no-store"
    return response


# --- The dossier of evidence (VAE): written by the candidate, capacity by capacity ------------


def _evidence_dossier_for(request: HttpRequest, pk: int) -> Dossier:
    """The candidate's own dossier whose route has a dossier of evidence; else 404."""
    dossier = get_object_or_404(candidate_dossiers(user=request.user), pk=pk)
    if not services.evidence_dossier_open_to(dossier):
        raise Http404
    return dossier


def _capacities_of(dossier: Dossier) -> dict[int, Capacity]:
    return {
        capacity.pk: capacity
        for capacity in Capacity.objects.filter(bloc__version_id=dossier.version_id).select_related(
            "bloc"
        )
    }


def _save_posted_statements(request: HttpRequest, dossier: Dossier) -> int:
    """Save every description the form holds that differs from the stored one; how many."""
    view = evidence_dossier_of(dossier)
    stored = {item.capacity.pk: item.text for bloc in view.blocs for item in bloc.capacities}
    capacities = _capacities_of(dossier)
    saved = 0
    for capacity_pk, capacity in capacities.items():
        field = f"c{capacity_pk}"
        if field not in request.POST:
            continue
        text = request.POST[field].replace("\r\n", "\n")
        if text == stored.get(capacity_pk, ""):
            continue
        services.evidence_statement_save(
            dossier=dossier, capacity=capacity, text=text, by=request.user
        )
        saved += 1
    return saved


@candidate_required
def evidence_dossier(request: HttpRequest, pk: int) -> HttpResponse:
    """The candidate's dossier of evidence: a description and files per capacity; the form
    saves the drafts (the page's script autosaves each description as it is typed)."""
    dossier = _evidence_dossier_for(request, pk)
    if request.method == "POST":
        with refusal_shown(request):
            _save_posted_statements(request, dossier)
            messages.success(request, _("Brouillon enregistré."))
        return redirect("space:evidence_dossier", dossier.pk)
    if request.method not in ("GET", "HEAD"):
        return HttpResponseNotAllowed(["GET", "HEAD", "POST"])
    return render(
        request,
        "candidates/space/evidence_dossier.html",
        {
            "section": "space",
            "dossier": dossier,
            "view": evidence_dossier_of(dossier),
            "quota": candidate_quota(dossier),
            "may_upload": upload_capacity_of(request.user, dossier) == "candidate",
            "max_bytes": max_bytes(),
            "max_length": STATEMENT_MAX_LENGTH,
        },
    )


@require_POST
@candidate_required
@refusal_as_json
def evidence_dossier_autosave(request: HttpRequest, pk: int) -> JsonResponse:
    """The page's autosave: one capacity's description, as typed."""
    dossier = _evidence_dossier_for(request, pk)
    capacity = _capacities_of(dossier).get(_int(request.POST.get("capacity")) or 0)
    if capacity is None:
        return JsonResponse(
            {"error": {"code": "invalid_capacity", "message": _("Capacité inconnue.")}},
            status=400,
        )
    services.evidence_statement_save(
        dossier=dossier, capacity=capacity, text=request.POST.get("text", ""), by=request.user
    )
    saved_at = timezone.localtime()
    return JsonResponse(
        {"saved_at": saved_at.isoformat(), "saved_at_display": saved_at.strftime("%H:%M")}
    )


def _int(value: str | None) -> int | None:
    try:
        return int(value or "")
    except ValueError:
        return None


@require_POST
@candidate_required
def evidence_dossier_submit(request: HttpRequest, pk: int) -> HttpResponse:
    """Save what the form holds, then submit the dossier for recevabilité, once confirmed."""
    dossier = _evidence_dossier_for(request, pk)
    with refusal_shown(request):
        _save_posted_statements(request, dossier)
        if request.POST.get("confirm") != "1":
            messages.error(
                request,
                _("Cochez la case de confirmation pour transmettre votre dossier de preuves."),
            )
        else:
            services.evidence_dossier_submit(dossier=dossier, by=request.user)
            messages.success(
                request,
                _("Dossier de preuves transmis : votre branche va l'examiner."),
            )
    return redirect("space:evidence_dossier", dossier.pk)
