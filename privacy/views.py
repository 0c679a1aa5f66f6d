"""The erasure pages: a candidate asks from their space, the staff of the branch answer."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from branches.access import require_staff_member, roles_of
from candidates.models import Candidate
from core.portal import refusal_shown

from . import services
from .access import managed_erasure_request
from .forms import ErasureApproveForm, ErasureRefuseForm, ErasureRequestForm
from .models import ErasureRequest, ErasureStatus
from .policy import RetentionPolicy

PAGE_SIZE = 50


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def own_erasure(request: HttpRequest) -> HttpResponse:
    """The candidate's page: what erasure does and keeps, their requests, the form to ask."""
    roles = roles_of(request.user)
    user_id = roles.user_id
    if user_id is None or not roles.is_candidate:
        raise PermissionDenied
    profiles = list(
        Candidate.objects.filter(user_id=user_id, anonymisation__isnull=True)
        .select_related("branch")
        .order_by("pk")
    )
    form = ErasureRequestForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        pending = set(
            ErasureRequest.objects.filter(
                candidate__in=profiles, status=ErasureStatus.PENDING
            ).values_list("candidate_id", flat=True)
        )
        # Each branch answers for its own profile; one already asked is left alone (asking
        # again for it alone is refused with the reason).
        to_ask = [c for c in profiles if c.pk not in pending] or profiles[:1]
        with refusal_shown(request, form=form):
            if not to_ask:
                raise PermissionDenied
            for candidate in to_ask:
                services.erasure_request_create(
                    candidate=candidate, by=request.user, message=form.cleaned_data["message"]
                )
            messages.success(
                request,
                _("Votre demande est transmise à votre branche, qui vous répondra ici."),
            )
            return redirect("privacy:own_erasure")
    requests = ErasureRequest.objects.filter(requested_by_id=user_id).select_related("branch")
    return render(
        request,
        "privacy/own_erasure.html",
        {
            "section": "space",
            "form": form,
            "requests": requests,
            "pending": any(r.status == ErasureStatus.PENDING for r in requests),
            "policy": RetentionPolicy.from_settings(),
        },
    )


@require_safe
@login_required
def request_list(request: HttpRequest) -> HttpResponse:
    roles = require_staff_member(request.user)
    requests = ErasureRequest.objects.visible_to(request.user)
    if not roles.is_national_admin:
        # Not the user's own requests as a candidate: this is the staff's list.
        requests = requests.filter(branch_id__in=roles.staff_branch_ids)
    requests = requests.select_related("candidate", "branch")
    status = request.GET.get("status", "")
    if status in ErasureStatus.values:
        requests = requests.filter(status=status)
    page = Paginator(requests, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        "privacy/request_list.html",
        {
            "section": "privacy",
            "page": page,
            "status": status,
            "statuses": ErasureStatus.choices,
        },
    )


def _render_detail(request: HttpRequest, erasure: ErasureRequest, **forms: Any) -> HttpResponse:
    return render(
        request,
        "privacy/request_detail.html",
        {
            "section": "privacy",
            "erasure": erasure,
            "approve_form": forms.get("approve_form") or ErasureApproveForm(prefix="approve"),
            "refuse_form": forms.get("refuse_form") or ErasureRefuseForm(prefix="refuse"),
            "dossiers": erasure.candidate.dossiers.select_related("version__referentiel"),
        },
    )


@require_safe
@login_required
def request_detail(request: HttpRequest, pk: int) -> HttpResponse:
    return _render_detail(request, managed_erasure_request(request.user, pk))


@require_POST
@login_required
def request_approve(request: HttpRequest, pk: int) -> HttpResponse:
    erasure = managed_erasure_request(request.user, pk)
    form = ErasureApproveForm(request.POST, prefix="approve")
    if form.is_valid():
        with refusal_shown(request, form=form):
            services.erasure_approve(
                request=erasure, answer=form.cleaned_data["answer"], by=request.user
            )
            messages.success(request, _("La demande est acceptée : les données sont effacées."))
            return redirect("privacy:request_detail", pk=erasure.pk)
    return _render_detail(request, erasure, approve_form=form)


@require_POST
@login_required
def request_refuse(request: HttpRequest, pk: int) -> HttpResponse:
    erasure = managed_erasure_request(request.user, pk)
    form = ErasureRefuseForm(request.POST, prefix="refuse")
    if form.is_valid():
        with refusal_shown(request, form=form):
            services.erasure_refuse(
                request=erasure, answer=form.cleaned_data["answer"], by=request.user
            )
            messages.success(request, _("La demande est refusée ; le candidat voit le motif."))
            return redirect("privacy:request_detail", pk=erasure.pk)
    return _render_detail(request, erasure, refuse_form=form)
