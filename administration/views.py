"""Branch administration in the portal: a branch's settings and evaluators, run by its CPNE staff
(and national administrators for every branch) through the audited services of `accounts`."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.db.models import Q
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from accounts import services as accounts_services
from branches.access import roles_of
from branches.models import Branch, Company, ConflictOfInterest, EvaluatorHabilitation, Membership
from core.portal import get_object_for, refusal_shown
from core.uploads import SIGNATURE_MAX_BYTES

from . import services
from .forms import (
    BranchSettingsForm,
    CompanyForm,
    ConflictForm,
    EndHabilitationForm,
    HabilitationForm,
    MemberForm,
    RemoveMemberForm,
)


def managed_branch(user: Any, pk: int) -> Branch:
    """The branch if the user runs it (CPNE staff, national administrator); 404 if they cannot
    see it, 403 if they see it without running it."""
    roles = roles_of(user)
    return get_object_for(
        Branch.objects.visible_to(user), allowed=lambda b: roles.is_staff_of(b.pk), pk=pk
    )


@login_required
@require_http_methods(["GET", "POST"])
def branch_settings(request: HttpRequest, pk: int) -> HttpResponse:
    branch = managed_branch(request.user, pk)
    form = BranchSettingsForm(request.POST or None, request.FILES or None, instance=branch)
    if request.method == "POST" and form.is_valid():
        with refusal_shown(request, form=form):
            accounts_services.branch_settings_update(
                branch=branch,
                by=request.user,
                changes=form.changes(),
                signature_png=form.signature_png,
                remove_signature=form.cleaned_data["remove_signature"],
            )
            messages.success(request, _("Les paramètres de la branche sont enregistrés."))
            return redirect("administration:branch_settings", pk=branch.pk)
    # A refused form shows the branch as it is stored, not as the rejected input set it.
    branch.refresh_from_db()
    return render(
        request,
        "administration/branch_settings.html",
        {"branch": branch, "form": form, "signature_max": SIGNATURE_MAX_BYTES},
    )


def _render_evaluators(
    request: HttpRequest,
    branch: Branch,
    *,
    habilitation_form: HabilitationForm | None = None,
    conflict_form: ConflictForm | None = None,
) -> HttpResponse:
    today = timezone.localdate()
    habilitations = (
        EvaluatorHabilitation.objects.filter(branch=branch)
        .select_related("evaluator", "referentiel")
        .order_by(
            "evaluator__last_name", "evaluator__first_name", "referentiel__title", "-valid_until"
        )
    )
    conflicts = (
        ConflictOfInterest.objects.filter(company__branch=branch)
        .select_related("evaluator", "company", "referentiel")
        .order_by("evaluator__last_name", "company__name")
    )
    return render(
        request,
        "administration/branch_evaluators.html",
        {
            "branch": branch,
            "today": today,
            "habilitations": habilitations,
            "conflicts": conflicts,
            "habilitation_form": habilitation_form or HabilitationForm(branch=branch),
            "conflict_form": conflict_form or ConflictForm(branch=branch),
        },
    )


@login_required
@require_safe
def branch_evaluators(request: HttpRequest, pk: int) -> HttpResponse:
    """The branch's evaluators: their habilitations and declared conflicts of interest."""
    return _render_evaluators(request, managed_branch(request.user, pk))


@login_required
@require_POST
def habilitation_create(request: HttpRequest, pk: int) -> HttpResponse:
    branch = managed_branch(request.user, pk)
    form = HabilitationForm(request.POST, branch=branch)
    if form.is_valid():
        with refusal_shown(request, form=form):
            accounts_services.evaluator_habilitate(
                branch=branch, by=request.user, **form.cleaned_data
            )
            messages.success(request, _("L'habilitation est enregistrée."))
            return redirect("administration:branch_evaluators", pk=branch.pk)
    return _render_evaluators(request, branch, habilitation_form=form)


@login_required
@require_POST
def habilitation_end(request: HttpRequest, pk: int, habilitation_pk: int) -> HttpResponse:
    branch = managed_branch(request.user, pk)
    habilitation = get_object_or_404(EvaluatorHabilitation, pk=habilitation_pk, branch=branch)
    form = EndHabilitationForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Donnez le motif de la fin d'habilitation."))
    else:
        with refusal_shown(request):
            accounts_services.habilitation_end(
                habilitation=habilitation, by=request.user, reason=form.cleaned_data["reason"]
            )
            messages.success(request, _("L'habilitation prend fin aujourd'hui."))
    return redirect("administration:branch_evaluators", pk=branch.pk)


@login_required
@require_POST
def conflict_declare(request: HttpRequest, pk: int) -> HttpResponse:
    branch = managed_branch(request.user, pk)
    form = ConflictForm(request.POST, branch=branch)
    if form.is_valid():
        with refusal_shown(request, form=form):
            accounts_services.conflict_declare(branch=branch, by=request.user, **form.cleaned_data)
            messages.success(request, _("Le conflit d'intérêts est déclaré."))
            return redirect("administration:branch_evaluators", pk=branch.pk)
    return _render_evaluators(request, branch, conflict_form=form)


def _render_members(
    request: HttpRequest, branch: Branch, *, form: MemberForm | None = None
) -> HttpResponse:
    members = (
        Membership.objects.filter(branch=branch)
        .select_related("user", "company")
        .order_by("-is_active", "role", "user__last_name", "user__first_name")
    )
    return render(
        request,
        "administration/branch_members.html",
        {"branch": branch, "members": members, "form": form or MemberForm(branch=branch)},
    )


@login_required
@require_safe
def branch_members(request: HttpRequest, pk: int) -> HttpResponse:
    """The branch's people: CPNE staff, jury members by collège, company référents."""
    return _render_members(request, managed_branch(request.user, pk))


@login_required
@require_POST
def member_add(request: HttpRequest, pk: int) -> HttpResponse:
    branch = managed_branch(request.user, pk)
    form = MemberForm(request.POST, branch=branch)
    if form.is_valid():
        with refusal_shown(request, form=form):
            services.member_add(branch=branch, by=request.user, **form.cleaned_data)
            messages.success(request, _("Le rôle est donné."))
            return redirect("administration:branch_members", pk=branch.pk)
    return _render_members(request, branch, form=form)


@login_required
@require_POST
def member_remove(request: HttpRequest, pk: int, membership_pk: int) -> HttpResponse:
    branch = managed_branch(request.user, pk)
    membership = get_object_or_404(Membership, pk=membership_pk, branch=branch)
    form = RemoveMemberForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Donnez le motif du retrait."))
    else:
        with refusal_shown(request):
            services.member_remove(
                membership=membership, by=request.user, reason=form.cleaned_data["reason"]
            )
            messages.success(request, _("Le rôle est retiré."))
    return redirect("administration:branch_members", pk=branch.pk)


COMPANIES_PER_PAGE = 50


def _render_companies(
    request: HttpRequest, branch: Branch, *, form: CompanyForm | None = None
) -> HttpResponse:
    query = request.GET.get("q", "").strip()[:100]
    companies = Company.objects.filter(branch=branch).order_by("name", "pk")
    if query:
        companies = companies.filter(Q(name__icontains=query) | Q(siret__startswith=query))
    page = Paginator(companies, COMPANIES_PER_PAGE).get_page(request.GET.get("page"))
    return render(
        request,
        "administration/branch_companies.html",
        {"branch": branch, "page": page, "query": query, "form": form or CompanyForm()},
    )


@login_required
@require_safe
def branch_companies(request: HttpRequest, pk: int) -> HttpResponse:
    """The branch's companies, searched and paged, and the form to register one."""
    return _render_companies(request, managed_branch(request.user, pk))


@login_required
@require_POST
def company_register(request: HttpRequest, pk: int) -> HttpResponse:
    branch = managed_branch(request.user, pk)
    form = CompanyForm(request.POST)
    if form.is_valid():
        with refusal_shown(request, form=form):
            accounts_services.company_register(branch=branch, by=request.user, **form.cleaned_data)
            messages.success(request, _("L'entreprise est enregistrée."))
            return redirect("administration:branch_companies", pk=branch.pk)
    return _render_companies(request, branch, form=form)
