"""The CPNE staff's declaration pages: what to declare (and what blocks it), the fluxes
produced, their acknowledgement, the corrections after a revocation."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import FileResponse, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST, require_safe

from branches.access import require_staff_member
from branches.models import Branch
from core.portal import refusal_shown

from . import selectors, services
from .access import managed_branch, managed_entry, managed_flux
from .forms import AcknowledgementForm, CorrectionForm
from .models import DeclarationEntry, DeclarationFlux, FluxStatus


@require_safe
@login_required
def index(request: HttpRequest) -> HttpResponse:
    """The branch's declaration page, or the choice of a branch for whom runs several."""
    roles = require_staff_member(request.user)
    branches = (
        Branch.objects.all()
        if roles.is_national_admin
        else Branch.objects.filter(pk__in=roles.staff_branch_ids)
    ).order_by("name")
    if len(branches) == 1:
        return redirect("declarations:branch", pk=branches[0].pk)
    return render(
        request, "declarations/index.html", {"section": "declarations", "branches": branches}
    )


def _branch_page(request: HttpRequest, branch: Branch) -> HttpResponse:
    items = selectors.candidacies(branch)
    return render(
        request,
        "declarations/branch.html",
        {
            "section": "declarations",
            "branch": branch,
            "problems": selectors.branch_problems(branch),
            "ready": [item for item in items if not item.blocked],
            "blocked": [item for item in items if item.blocked],
            "fluxes": DeclarationFlux.objects.filter(branch=branch).select_related("created_by")[
                :50
            ],
            "corrections": selectors.revoked_after_declaration(branch),
            "correction_form": CorrectionForm(),
        },
    )


@require_safe
@login_required
def branch(request: HttpRequest, pk: int) -> HttpResponse:
    return _branch_page(request, managed_branch(request.user, pk))


@require_POST
@login_required
def flux_create(request: HttpRequest, pk: int) -> HttpResponse:
    """Produce the flux of every declarable award; blocked awards stay listed with why."""
    branch = managed_branch(request.user, pk)
    with refusal_shown(request):
        record = services.flux_create(branch=branch, by=request.user)
        messages.success(
            request,
            _("Flux %(reference)s produit et validé par le schéma de la Caisse : téléchargez-le.")
            % {"reference": record.reference},
        )
        return redirect("declarations:flux_detail", pk=record.pk)
    return redirect("declarations:branch", pk=branch.pk)


def _entries(record: DeclarationFlux) -> list[DeclarationEntry]:
    return list(record.entries.select_related("certificate").order_by("pk"))


@require_safe
@login_required
def flux_detail(request: HttpRequest, pk: int) -> HttpResponse:
    record = managed_flux(request.user, pk)
    entries = _entries(record)
    return render(
        request,
        "declarations/flux_detail.html",
        {
            "section": "declarations",
            "flux": record,
            "entries": entries,
            "form": AcknowledgementForm(entries=entries)
            if record.status == FluxStatus.SENT
            else None,
        },
    )


@require_POST
@login_required
def flux_acknowledge(request: HttpRequest, pk: int) -> HttpResponse:
    record = managed_flux(request.user, pk)
    entries = _entries(record)
    form = AcknowledgementForm(request.POST, entries=entries)
    if form.is_valid():
        with refusal_shown(request, form=form):
            services.flux_acknowledge(flux=record, by=request.user, rejected=form.rejected())
            messages.success(request, _("Accusé de réception enregistré."))
            return redirect("declarations:flux_detail", pk=record.pk)
    return render(
        request,
        "declarations/flux_detail.html",
        {"section": "declarations", "flux": record, "entries": entries, "form": form},
        status=400,
    )


@require_safe
@login_required
def flux_download(request: HttpRequest, pk: int) -> FileResponse:
    record = managed_flux(request.user, pk)
    return FileResponse(
        record.file.open("rb"),
        as_attachment=True,
        filename=f"{record.reference}.xml",
        content_type="application/xml",
    )


@require_POST
@login_required
def correction_record(request: HttpRequest, pk: int) -> HttpResponse:
    entry = managed_entry(request.user, pk)
    form = CorrectionForm(request.POST)
    if form.is_valid():
        with refusal_shown(request):
            services.correction_record(entry=entry, by=request.user, note=form.cleaned_data["note"])
            messages.success(request, _("Déclaration corrective enregistrée."))
    else:
        messages.error(request, _("Décrivez la correction faite auprès de la Caisse."))
    return redirect("declarations:branch", pk=entry.flux.branch_id)
