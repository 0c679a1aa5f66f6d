"""Branch staff's dossier pages: list, open, follow and move a dossier along its path."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db import transaction
from django.db.models import Prefetch, Q
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from branches.access import roles_of
from branches.errors import DomainError

from . import services
from .forms import (
    AdmissibilityForm,
    CommentForm,
    DossierFilterForm,
    DossierOpenForm,
    WithdrawForm,
)
from .models import TERMINAL_STATUSES, AccessRoute, Dossier, DossierHistory, DossierStatus

S = DossierStatus
PAGE_SIZE = 50


def _require_staff(request: HttpRequest) -> None:
    roles = roles_of(request.user)
    if not (roles.is_staff_member or roles.is_national_admin):
        raise PermissionDenied


def _get_managed_dossier(request: HttpRequest, pk: int, queryset: Any = None) -> Dossier:
    """A dossier the user sees (else 404) and runs as staff of its branch (else 403)."""
    queryset = queryset if queryset is not None else Dossier.objects.all()
    dossier = get_object_or_404(queryset.visible_to(request.user), pk=pk)
    if not roles_of(request.user).is_staff_of(dossier.branch_id):
        raise PermissionDenied
    return dossier


@login_required
def dossier_list(request: HttpRequest) -> HttpResponse:
    _require_staff(request)
    filters = DossierFilterForm(request.GET or None, user=request.user)
    dossiers = Dossier.objects.managed_by(request.user).with_list_relations()
    if filters.is_valid():
        query = filters.cleaned_data["q"].strip()
        if query:
            condition = Q(reference__icontains=query)
            for word in query.split():
                condition |= Q(candidate__last_name__icontains=word) | Q(
                    candidate__first_name__icontains=word
                )
            dossiers = dossiers.filter(condition)
        if filters.cleaned_data["status"]:
            dossiers = dossiers.filter(status=filters.cleaned_data["status"])
        if filters.cleaned_data["cqpi"]:
            dossiers = dossiers.filter(version__referentiel=filters.cleaned_data["cqpi"])
    page = Paginator(dossiers, PAGE_SIZE).get_page(request.GET.get("page"))
    roles = roles_of(request.user)
    return render(
        request,
        "candidates/dossier_list.html",
        {
            "section": "dossiers",
            "filters": filters,
            "page": page,
            "show_branch": roles.is_national_admin or len(roles.staff_branch_ids) > 1,
        },
    )


@login_required
def dossier_open(request: HttpRequest) -> HttpResponse:
    _require_staff(request)
    form = DossierOpenForm(request.POST or None, user=request.user)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            # The candidate is created only if the dossier opens too.
            with transaction.atomic():
                candidate = data["existing_candidate"] or services.candidate_create(
                    branch_id=data["branch"].pk,
                    last_name=data["last_name"],
                    first_name=data["first_name"],
                    birth_date=data["birth_date"],
                    birth_place=data["birth_place"],
                    email=data["email"] or "",
                    by=request.user,
                )
                dossier = services.dossier_open(
                    candidate=candidate,
                    version=data["version"],
                    company=data["company"],
                    access_route=data["access_route"],
                    first_certification=data["first_certification"],
                    by=request.user,
                )
        except DomainError as exc:
            form.add_error(None, exc.message)
        else:
            messages.success(
                request,
                _("Dossier %(ref)s ouvert pour %(name)s.")
                % {"ref": dossier.reference, "name": candidate.full_name},
            )
            return redirect(dossier)
    return render(request, "candidates/dossier_open.html", {"section": "dossiers", "form": form})


def _available_actions(dossier: Dossier) -> set[str]:
    """The transitions to offer from the current status; the services stay the judges."""
    status, vae = dossier.status, dossier.access_route == AccessRoute.VAE
    actions: set[str] = set()
    if vae and status == S.OPEN:
        actions.add("admissibility")
    if (vae and status == S.ADMISSIBLE) or (not vae and status == S.OPEN):
        actions.add("start_positioning")
    if (
        status == S.POSITIONING
        or (vae and status == S.ADMISSIBLE)
        or (dossier.access_route == AccessRoute.DIRECT and status == S.OPEN)
    ):
        actions.add("start_evaluation")
    if status in (S.POSITIONING, S.EVALUATION):
        kind = "positioning" if status == S.POSITIONING else "final"
        busy = any(e.kind == kind and e.status == "in_progress" for e in dossier.evaluations.all())
        if not busy:
            actions.add("assign_evaluation")
    if status not in TERMINAL_STATUSES and status != S.SCHEDULED:
        actions.add("withdraw")
    return actions


def _render_detail(request: HttpRequest, dossier: Dossier, **bound: Any) -> HttpResponse:
    dossier = (
        Dossier.objects.with_list_relations()
        .prefetch_related(
            Prefetch("history", queryset=DossierHistory.objects.select_related("by")),
            "evaluations__sheets__evaluator",
            "decisions__session",
            "certificates",
        )
        .get(pk=dossier.pk)
    )
    forms = {
        "admissibility_form": AdmissibilityForm(prefix="admissibility"),
        "positioning_form": CommentForm(prefix="positioning"),
        "evaluation_form": CommentForm(prefix="evaluation"),
        "withdraw_form": WithdrawForm(prefix="withdraw"),
    }
    forms.update(bound)
    return render(
        request,
        "candidates/dossier_detail.html",
        {
            "section": "dossiers",
            "dossier": dossier,
            "actions": _available_actions(dossier),
            **forms,
        },
    )


@login_required
def dossier_detail(request: HttpRequest, pk: int) -> HttpResponse:
    return _render_detail(request, _get_managed_dossier(request, pk))


def _transition_view(
    request: HttpRequest, pk: int, *, form_class: Any, prefix: str, context_name: str, call: Any
) -> HttpResponse:
    """Validate the posted form, run the transition, redirect; on refusal re-render with the input."""
    dossier = _get_managed_dossier(request, pk)
    form = form_class(request.POST, prefix=prefix)
    if not form.is_valid():
        messages.error(request, _("L'opération n'a pas été effectuée : voir le détail ci-dessous."))
        return _render_detail(request, dossier, **{context_name: form})
    try:
        call(dossier, form.cleaned_data)
    except DomainError as exc:
        # Shown at the top: the action's form may no longer be offered from this status.
        messages.error(request, exc.message)
        return _render_detail(request, dossier, **{context_name: form})
    messages.success(
        request,
        _("Dossier %(ref)s : « %(status)s ».")
        % {"ref": dossier.reference, "status": dossier.get_status_display()},
    )
    return redirect(dossier)


@login_required
@require_POST
def dossier_admissibility(request: HttpRequest, pk: int) -> HttpResponse:
    return _transition_view(
        request,
        pk,
        form_class=AdmissibilityForm,
        prefix="admissibility",
        context_name="admissibility_form",
        call=lambda dossier, data: services.dossier_rule_admissibility(
            dossier=dossier, admissible=data["admissible"], comment=data["comment"], by=request.user
        ),
    )


@login_required
@require_POST
def dossier_start_positioning(request: HttpRequest, pk: int) -> HttpResponse:
    return _transition_view(
        request,
        pk,
        form_class=CommentForm,
        prefix="positioning",
        context_name="positioning_form",
        call=lambda dossier, data: services.dossier_start_positioning(
            dossier=dossier, comment=data["comment"], by=request.user
        ),
    )


@login_required
@require_POST
def dossier_start_evaluation(request: HttpRequest, pk: int) -> HttpResponse:
    return _transition_view(
        request,
        pk,
        form_class=CommentForm,
        prefix="evaluation",
        context_name="evaluation_form",
        call=lambda dossier, data: services.dossier_start_evaluation(
            dossier=dossier, comment=data["comment"], by=request.user
        ),
    )


@login_required
@require_POST
def dossier_withdraw(request: HttpRequest, pk: int) -> HttpResponse:
    return _transition_view(
        request,
        pk,
        form_class=WithdrawForm,
        prefix="withdraw",
        context_name="withdraw_form",
        call=lambda dossier, data: services.dossier_withdraw(
            dossier=dossier, comment=data["comment"], by=request.user
        ),
    )
