"""The staff's référentiel pages: browse the CQPI (versions, blocs, capacities, indicators)
and adopt one for the branch."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db.models import Count, Prefetch
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from branches.access import require_staff_member
from branches.models import Branch
from core.portal import refusal_shown

from . import services
from .forms import AdoptForm
from .models import Adoption, Bloc, Capacity, Referentiel, VersionStatus


def _staff_branches(request: HttpRequest) -> Any:
    """The branches the user runs (all for the national admin); 403 for anyone else."""
    roles = require_staff_member(request.user)
    if roles.is_national_admin:
        return Branch.objects.all()
    return Branch.objects.filter(pk__in=roles.staff_branch_ids)


@login_required
def referentiel_list(request: HttpRequest) -> HttpResponse:
    branches = _staff_branches(request)
    adopted = set(
        Adoption.objects.filter(branch__in=branches).values_list("referentiel_id", flat=True)
    )
    referentiels = Referentiel.objects.annotate(
        adoption_count=Count("adoptions", distinct=True),
        version_count=Count("versions", distinct=True),
    ).order_by("title")
    return render(
        request,
        "certifications/referentiel_list.html",
        {"section": "referentiels", "referentiels": referentiels, "adopted": adopted},
    )


def _render_detail(
    request: HttpRequest, referentiel: Referentiel, form: AdoptForm | None = None
) -> HttpResponse:
    branches = _staff_branches(request)
    versions = list(referentiel.versions.order_by("-number"))
    chosen = None
    wanted = request.GET.get("version", "")
    if wanted.isdigit():
        chosen = next((v for v in versions if v.number == int(wanted)), None)
    if chosen is None:
        chosen = next((v for v in versions if v.status == VersionStatus.IN_FORCE), None) or (
            versions[0] if versions else None
        )
    blocs: list[Bloc] = []
    if chosen is not None:
        blocs = list(
            chosen.blocs.order_by("order", "code").prefetch_related(
                Prefetch(
                    "capacities",
                    queryset=Capacity.objects.order_by("order", "code").prefetch_related(
                        "indicators"
                    ),
                )
            )
        )
    adoptions = list(referentiel.adoptions.select_related("branch").order_by("accord_date"))
    adopted_ids = {a.branch_id for a in adoptions}
    open_branches = branches.exclude(pk__in=adopted_ids)
    if form is None and open_branches.exists():
        form = AdoptForm(branches=open_branches)
    return render(
        request,
        "certifications/referentiel_detail.html",
        {
            "section": "referentiels",
            "referentiel": referentiel,
            "versions": versions,
            "version": chosen,
            "blocs": blocs,
            "adoptions": adoptions,
            "registrations": list(referentiel.registrations.all()),
            "form": form,
        },
        status=400 if form is not None and form.is_bound else 200,
    )


@login_required
def referentiel_detail(request: HttpRequest, pk: int) -> HttpResponse:
    _staff_branches(request)
    return _render_detail(request, get_object_or_404(Referentiel, pk=pk))


@login_required
@require_POST
def referentiel_adopt(request: HttpRequest, pk: int) -> HttpResponse:
    branches = _staff_branches(request)
    referentiel = get_object_or_404(Referentiel, pk=pk)
    form = AdoptForm(request.POST, branches=branches.exclude(adoptions__referentiel=referentiel))
    if form.is_valid():
        with refusal_shown(request, form=form):
            services.referentiel_adopt(
                referentiel=referentiel,
                branch=form.cleaned_data["branch"],
                accord_date=form.cleaned_data["accord_date"],
                by=request.user,
            )
            messages.success(
                request,
                _("La branche %(branch)s a adopté le CQPI « %(title)s ».")
                % {"branch": form.cleaned_data["branch"].name, "title": referentiel.title},
            )
            return redirect("certifications:referentiel_detail", pk=referentiel.pk)
    return _render_detail(request, referentiel, form)
