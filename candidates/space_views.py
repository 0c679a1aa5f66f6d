"""The candidate's own space: their dossiers, where they stand, their certificate."""

from __future__ import annotations

import json
from collections.abc import Callable
from functools import wraps
from typing import Any

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.utils import timezone
from django.views.decorators.http import require_safe

from branches.access import roles_of
from certifications.models import CertificateStatus, RenderStatus
from certifications.rendering import qr_data_uri

from .personal_data import personal_data as collect_personal_data
from .selectors import candidate_dossiers, space_dossier


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
def dossier_detail(request: HttpRequest, pk: int) -> HttpResponse:
    dossier = get_object_or_404(candidate_dossiers(user=request.user), pk=pk)
    summary = space_dossier(dossier=dossier)
    certificate = summary.certificate
    qr_code = None
    if certificate is not None and certificate.status == CertificateStatus.VALID:
        qr_code = qr_data_uri(certificate.verification_url)
    return render(
        request,
        "candidates/space/dossier_detail.html",
        {
            "section": "space",
            "summary": summary,
            "dossier": dossier,
            "certificate": certificate,
            "qr_code": qr_code,
            "render_ready": certificate is not None
            and certificate.render_status == RenderStatus.READY,
        },
    )


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
