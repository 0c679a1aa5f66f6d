"""The national equivalence table between capacities (and blocs) of different CQPI and
versions: read by branch staff, maintained by national administrators (#18)."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from branches.access import require_staff_member, roles_of
from core.portal import refusal_shown

from . import services
from .forms import EquivalenceForm, SupersedeForm
from .models import Equivalence


def _rows() -> list[Equivalence]:
    return list(
        Equivalence.objects.select_related(
            "source_capacity__bloc__version__referentiel",
            "target_capacity__bloc__version__referentiel",
            "source_bloc__version__referentiel",
            "target_bloc__version__referentiel",
            "created_by",
            "approved_by",
            "superseded_by",
        ).order_by("status", "-created_at", "-pk")
    )


def _render(request: HttpRequest, form: EquivalenceForm | None = None) -> HttpResponse:
    admin = roles_of(request.user).is_national_admin
    return render(
        request,
        "certifications/equivalence_list.html",
        {
            "section": "referentiels",
            "equivalences": _rows(),
            "may_edit": admin,
            "form": (form or EquivalenceForm()) if admin else None,
            "supersede_form": SupersedeForm(),
        },
    )


@login_required
def equivalence_list(request: HttpRequest) -> HttpResponse:
    """The table, for CPNE staff and national administrators; the latter propose rows here."""
    require_staff_member(request.user)
    if request.method != "POST":
        return _render(request)
    if not roles_of(request.user).is_national_admin:
        raise PermissionDenied
    form = EquivalenceForm(request.POST)
    if form.is_valid():
        with refusal_shown(request, form=form):
            services.equivalence_propose(
                source=form.cleaned_data["source"],
                target=form.cleaned_data["target"],
                comment=form.cleaned_data["comment"],
                by=request.user,
            )
            messages.success(request, _("Équivalence proposée : approuvez-la pour l'appliquer."))
            return redirect("certifications:equivalence_list")
    return _render(request, form)


def _admin_row(request: HttpRequest, pk: int) -> Equivalence:
    if not roles_of(request.user).is_national_admin:
        raise PermissionDenied
    return get_object_or_404(Equivalence.objects.all(), pk=pk)


@login_required
@require_POST
def equivalence_approve(request: HttpRequest, pk: int) -> HttpResponse:
    equivalence = _admin_row(request, pk)
    with refusal_shown(request):
        services.equivalence_approve(equivalence=equivalence, by=request.user)
        messages.success(request, _("Équivalence approuvée."))
    return redirect("certifications:equivalence_list")


@login_required
@require_POST
def equivalence_supersede(request: HttpRequest, pk: int) -> HttpResponse:
    equivalence = _admin_row(request, pk)
    form = SupersedeForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Indiquez le motif du remplacement."))
        return redirect("certifications:equivalence_list")
    with refusal_shown(request):
        services.equivalence_supersede(
            equivalence=equivalence, reason=form.cleaned_data["reason"], by=request.user
        )
        messages.success(request, _("Équivalence remplacée : elle ne crédite plus rien."))
    return redirect("certifications:equivalence_list")
