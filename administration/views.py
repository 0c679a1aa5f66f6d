"""Branch administration in the portal: a branch's settings, people, evaluators and companies,
run by its CPNE staff (and national administrators for every branch) through audited services."""

from __future__ import annotations

from collections.abc import Callable
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
from evaluations import selectors as evaluations_selectors

from . import services
from .forms import (
    BranchSettingsForm,
    CompanyForm,
    ConflictForm,
    HabilitationForm,
    MemberForm,
    ReasonForm,
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


def reasoned_action(
    request: HttpRequest,
    *,
    act: Callable[[str], object],
    done: str,
    missing: str,
    back_to: str,
    branch: Branch,
    reason_required: bool = True,
) -> HttpResponse:
    """The shape of every action of the people pages that takes a reason: check the posted
    reason (`missing` if it is absent), call the service with it (`act`), say `done`, and go
    back to the page; a service's refusal becomes the message instead."""
    form = ReasonForm(request.POST, required=reason_required)
    if not form.is_valid():
        messages.error(request, missing)
    else:
        with refusal_shown(request):
            act(form.cleaned_data["reason"])
            messages.success(request, done)
    return redirect(back_to, pk=branch.pk)


def _render_evaluators(
    request: HttpRequest,
    branch: Branch,
    *,
    habilitation_form: HabilitationForm | None = None,
    conflict_form: ConflictForm | None = None,
) -> HttpResponse:
    today = timezone.localdate()
    habilitations = list(
        EvaluatorHabilitation.objects.filter(branch=branch)
        .select_related("evaluator", "referentiel")
        .order_by(
            "evaluator__last_name", "evaluator__first_name", "referentiel__title", "-valid_until"
        )
    )
    # What suspended evaluators still hold, for staff to reassign (nothing is taken silently).
    suspended = [h for h in habilitations if h.is_suspended and h.valid_until >= today]
    held: dict[tuple[int, int], list[Any]] = {}
    if suspended:
        sheets = evaluations_selectors.draft_sheets_held(
            branch_id=branch.pk, evaluator_ids=[h.evaluator_id for h in suspended]
        )
        for sheet in sheets:
            dossier = sheet.evaluation.dossier
            held.setdefault((sheet.evaluator_id, dossier.version.referentiel_id), []).append(sheet)
    for habilitation in habilitations:
        key = (habilitation.evaluator_id, habilitation.referentiel_id)
        habilitation.held_sheets = (  # type: ignore[attr-defined]
            held.get(key, []) if habilitation in suspended else []
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
    return reasoned_action(
        request,
        act=lambda reason: accounts_services.habilitation_end(
            habilitation=habilitation, by=request.user, reason=reason
        ),
        done=_("L'habilitation prend fin aujourd'hui."),
        missing=_("Donnez le motif de la fin d'habilitation."),
        back_to="administration:branch_evaluators",
        branch=branch,
    )


@login_required
@require_POST
def habilitation_suspend(request: HttpRequest, pk: int, habilitation_pk: int) -> HttpResponse:
    branch = managed_branch(request.user, pk)
    habilitation = get_object_or_404(EvaluatorHabilitation, pk=habilitation_pk, branch=branch)
    return reasoned_action(
        request,
        act=lambda reason: accounts_services.habilitation_suspend(
            habilitation=habilitation, by=request.user, reason=reason
        ),
        done=_(
            "L'habilitation est suspendue : l'évaluateur ne se voit plus rien confier. "
            "Les grilles qu'il tient encore sont listées pour être réattribuées."
        ),
        missing=_("Donnez le motif de la suspension."),
        back_to="administration:branch_evaluators",
        branch=branch,
    )


@login_required
@require_POST
def habilitation_lift(request: HttpRequest, pk: int, habilitation_pk: int) -> HttpResponse:
    branch = managed_branch(request.user, pk)
    habilitation = get_object_or_404(EvaluatorHabilitation, pk=habilitation_pk, branch=branch)
    return reasoned_action(
        request,
        act=lambda reason: accounts_services.habilitation_lift_suspension(
            habilitation=habilitation, by=request.user, reason=reason
        ),
        done=_("La suspension est levée."),
        missing=_("Le motif ne peut dépasser 300 caractères ni contenir de caractère invisible."),
        back_to="administration:branch_evaluators",
        branch=branch,
        reason_required=False,
    )


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
    return reasoned_action(
        request,
        act=lambda reason: services.member_remove(
            membership=membership, by=request.user, reason=reason
        ),
        done=_("Le rôle est retiré."),
        missing=_("Donnez le motif du retrait."),
        back_to="administration:branch_members",
        branch=branch,
    )


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
