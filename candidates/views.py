"""Branch staff's pages: dashboard, dossier list (search, exports), bulk import, open, follow
and move a dossier along its path."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import Prefetch
from django.http import Http404, HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST, require_safe

from branches.access import require_branch_staff, require_staff_member, roles_of
from branches.models import Branch
from certifications.access import managed_certificates
from certifications.forms import CertificateFilterForm
from certifications.views import filter_certificates
from core.pagination import KeysetPaginator
from core.portal import refusal_shown

from . import exports, identity, imports, services, workflow
from . import ledger as ledgers
from .access import managed_candidate, managed_dossier
from .dashboard import EXPIRY_HORIZON_DAYS, dashboard_for, national_overview
from .forms import (
    DECLARATION_FIELDS,
    AdmissibilityForm,
    BranchChoiceForm,
    CandidateIdentityForm,
    CommentForm,
    CreditForm,
    DossierFilterForm,
    DossierOpenForm,
    EvidenceReturnForm,
    ImportUploadForm,
    PersonMergeForm,
    WithdrawForm,
)
from .models import (
    Candidate,
    Dossier,
    DossierHistory,
    DossierQuerySet,
    Person,
)

PAGE_SIZE = 50


@login_required
def dossier_list(request: HttpRequest) -> HttpResponse:
    require_staff_member(request.user)
    filters = DossierFilterForm(request.GET or None, user=request.user)
    dossiers = filters.apply(Dossier.objects.managed_by(request.user))
    paginator = KeysetPaginator(
        dossiers,
        PAGE_SIZE,
        rows=DossierQuerySet.list_values,
        # A search's matches are all read to be sorted: the count comes with the ids.
        count_with_ids=filters.searching,
    )
    page = paginator.get_page(
        request.GET.get("page"), after=request.GET.get("after"), before=request.GET.get("before")
    )
    roles = roles_of(request.user)
    return render(
        request,
        "candidates/dossier_list.html",
        {
            "section": "dossiers",
            "filters": filters,
            "page": page,
            "rows": _list_rows(page.object_list),
            "show_branch": roles.is_national_admin or len(roles.staff_branch_ids) > 1,
        },
    )


def _list_rows(dossiers: Any) -> list[dict[str, Any]]:
    """The list's cells as plain values (from `DossierQuerySet.list_values`). The template
    engine looks an attribute up by trying a dictionary key, then an attribute, through each
    related object in turn: for fifty rows of six cells that cost more than the rest of the
    page."""
    return [
        {
            "pk": row["pk"],
            "reference": row["reference"],
            "candidate": Candidate.format_full_name(
                row["candidate__first_name"], row["candidate__last_name"]
            ),
            "cqpi": row["version__referentiel__title"],
            "version": row["version__number"],
            "company": row["company__name"] or "—",
            "branch": row["branch__name"],
            "status": row["status"],
            "opened_on": row["opened_on"],
        }
        for row in dossiers
    ]


@login_required
def dossier_open(request: HttpRequest) -> HttpResponse:
    require_staff_member(request.user)
    form = DossierOpenForm(request.POST or None, user=request.user)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        with refusal_shown(request, form=form):
            # The candidate is created only if the dossier opens too.
            with transaction.atomic():
                candidate = data["existing_candidate"] or services.candidate_create(
                    branch_id=data["branch"].pk,
                    last_name=data["last_name"],
                    first_name=data["first_name"],
                    birth_date=data["birth_date"],
                    birth_place=data["birth_place"],
                    email=data["email"] or "",
                    **{name: data[name] for name in DECLARATION_FIELDS},
                    person=data.get("person"),
                    consent_at=data.get("consent_at"),
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
            messages.success(
                request,
                _("Dossier %(ref)s ouvert pour %(name)s.")
                % {"ref": dossier.reference, "name": candidate.full_name},
            )
            return redirect(dossier)
    return render(request, "candidates/dossier_open.html", {"section": "dossiers", "form": form})


def _detail_queryset() -> Any:
    return (
        Dossier.objects.with_list_relations()
        .select_related("candidate__user")
        .prefetch_related(
            Prefetch("history", queryset=DossierHistory.objects.select_related("by")),
            "evaluations__sheets__evaluator",
            "decisions__session",
            "certificates",
        )
    )


def _render_detail(
    request: HttpRequest, dossier: Dossier, *, loaded: bool = False, **bound: Any
) -> HttpResponse:
    """The dossier page; `loaded` when `dossier` comes from _detail_queryset() already, else
    it is read again (after a transition, its status and history changed)."""
    if not loaded:
        dossier = _detail_queryset().get(pk=dossier.pk)
    forms = {
        "admissibility_form": AdmissibilityForm(prefix="admissibility"),
        "positioning_form": CommentForm(prefix="positioning"),
        "evaluation_form": CommentForm(prefix="evaluation"),
        "withdraw_form": WithdrawForm(prefix="withdraw"),
        "evidence_return_form": EvidenceReturnForm(prefix="evidence-return"),
        "credit_form": CreditForm(prefix="credit"),
    }
    forms.update(bound)
    credits = list(dossier.credited_capacities.select_related("capacity"))
    creditable = dossier.status in services.CREDIT_STATUSES and roles_of(request.user).is_staff_of(
        dossier.branch_id
    )
    return render(
        request,
        "candidates/dossier_detail.html",
        {
            "section": "dossiers",
            "dossier": dossier,
            # Which actions show comes from the workflow table; the services stay the judges.
            "actions": workflow.dossier_actions(dossier=dossier, user=request.user),
            "elsewhere": workflow.steps_elsewhere(dossier=dossier, user=request.user),
            "credits": credits,
            "creditable": creditable,
            # The candidate's own still-valid documents, offered for crediting (the ledger).
            "ledger_offers": [
                entry
                for entry in (ledgers.candidate_ledger(dossier.candidate) if creditable else [])
                # A paper certificate issued before the platform is not credited from here.
                if not entry.before_platform
                and not entry.expired
                and entry.cqpi_code == dossier.version.referentiel.code
            ],
            **forms,
        },
    )


@login_required
def dossier_detail(request: HttpRequest, pk: int) -> HttpResponse:
    return _render_detail(
        request, managed_dossier(request.user, pk, queryset=_detail_queryset()), loaded=True
    )


def _transition_view(
    request: HttpRequest, pk: int, *, form_class: Any, prefix: str, context_name: str, call: Any
) -> HttpResponse:
    """Validate the posted form, run the transition, redirect; on refusal re-render with the input."""
    dossier = managed_dossier(request.user, pk)
    form = form_class(request.POST, prefix=prefix)
    if not form.is_valid():
        messages.error(request, _("L'opération n'a pas été effectuée : voir le détail ci-dessous."))
        return _render_detail(request, dossier, **{context_name: form})
    # A refusal is shown at the top, not on the form: the action's form may no longer be
    # offered from this status.
    with refusal_shown(request):
        call(dossier, form.cleaned_data)
        messages.success(
            request,
            _("Dossier %(ref)s : « %(status)s ».")
            % {"ref": dossier.reference, "status": dossier.get_status_display()},
        )
        return redirect(dossier)
    return _render_detail(request, dossier, **{context_name: form})


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


@login_required
@require_POST
def dossier_credit(request: HttpRequest, pk: int) -> HttpResponse:
    """Credit the capacities an issued document proves (the candidate's own partial
    validation, or another branch's certificate recognised through the equivalences)."""
    dossier = managed_dossier(request.user, pk)
    form = CreditForm(request.POST, prefix="credit")
    if not form.is_valid():
        messages.error(request, _("L'opération n'a pas été effectuée : voir le détail ci-dessous."))
        return _render_detail(request, dossier, credit_form=form)
    with refusal_shown(request, form=form):
        credited = services.dossier_credit(
            dossier=dossier, reference=form.cleaned_data["reference"], by=request.user
        )
        messages.success(
            request,
            _("%(count)d capacité(s) créditée(s) au vu du document %(number)s.")
            % {"count": len(credited), "number": credited[0].document_number},
        )
        return redirect(dossier)
    return _render_detail(request, dossier, credit_form=form)


@login_required
@require_POST
def evidence_dossier_return(request: HttpRequest, pk: int) -> HttpResponse:
    """Staff return the candidate's submitted dossier of evidence, saying what to change."""
    dossier = managed_dossier(request.user, pk)
    form = EvidenceReturnForm(request.POST, prefix="evidence-return")
    if not form.is_valid():
        messages.error(request, _("L'opération n'a pas été effectuée : voir le détail ci-dessous."))
        return _render_detail(request, dossier, evidence_return_form=form)
    with refusal_shown(request):
        services.evidence_dossier_return(
            dossier=dossier, comment=form.cleaned_data["comment"], by=request.user
        )
        messages.success(request, _("Dossier de preuves renvoyé au candidat."))
    return redirect(dossier)


@login_required
@require_POST
def candidate_invite(request: HttpRequest, candidate_pk: int) -> HttpResponse:
    """Give the candidate an account and mail them the activation link; back to the page it
    was asked from."""
    candidate = get_object_or_404(Candidate.objects.visible_to(request.user), pk=candidate_pk)
    with refusal_shown(request):
        services.candidate_invite(candidate=candidate, by=request.user)
        messages.success(
            request,
            _("Invitation envoyée à %(email)s : le lien est valable %(days)s jours.")
            % {"email": candidate.email, "days": settings.INVITATION_TIMEOUT // 86400},
        )
    back = request.POST.get("next", "")
    if not url_has_allowed_host_and_scheme(
        back, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        back = reverse("candidates:dossier_list")
    return redirect(back)


@login_required
def person_merge(request: HttpRequest) -> HttpResponse:
    """National administrators merge a duplicate person into another (history kept)."""
    if not roles_of(request.user).is_national_admin:
        raise PermissionDenied
    form = PersonMergeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        persons = Person.objects.visible_to(request.user).in_bulk(
            [form.cleaned_data["keep"], form.cleaned_data["absorb"]]
        )
        keep = persons.get(form.cleaned_data["keep"])
        absorb = persons.get(form.cleaned_data["absorb"])
        if keep is None or absorb is None:
            form.add_error(None, _("Aucune personne ne porte ce numéro national."))
        else:
            with refusal_shown(request, form=form):
                services.person_merge(
                    keep=keep, absorb=absorb, reason=form.cleaned_data["reason"], by=request.user
                )
                messages.success(
                    request,
                    _("%(absorbed)s fusionnée dans %(kept)s.")
                    % {"absorbed": absorb.national_number, "kept": keep.national_number},
                )
                return redirect("candidates:person_merge")
    return render(request, "candidates/person_merge.html", {"section": "dossiers", "form": form})


@login_required
@require_safe
def candidate_ledger(request: HttpRequest, candidate_pk: int) -> HttpResponse:
    """What the branch's candidate validated, in every branch their person was linked in
    with their consent, from the issued documents."""
    candidate = managed_candidate(request.user, candidate_pk)
    return render(
        request,
        "candidates/candidate_ledger.html",
        {
            "section": "dossiers",
            "candidate": candidate,
            "entries": ledgers.candidate_ledger(candidate),
            "dossiers": candidate.dossiers.order_by("-opened_on", "-pk"),
        },
    )


@login_required
def candidate_identity(request: HttpRequest, candidate_pk: int) -> HttpResponse:
    """Staff correct a candidate's identity, including what the CDC declaration needs."""
    candidate = managed_candidate(request.user, candidate_pk)
    initial = {name: getattr(candidate, name) for name in identity.IDENTITY_FIELDS}
    form = CandidateIdentityForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        with refusal_shown(request, form=form):
            services.candidate_identity_update(
                candidate=candidate,
                by=request.user,
                changes={name: form.cleaned_data[name] for name in identity.IDENTITY_FIELDS},
            )
            messages.success(request, _("Identité enregistrée."))
            return redirect("candidates:candidate_identity", candidate_pk=candidate.pk)
    return render(
        request,
        "candidates/candidate_identity.html",
        {
            "candidate": candidate,
            "form": form,
            "gaps": identity.identity_gaps(candidate),
            "dossiers": candidate.dossiers.order_by("-opened_on", "-pk"),
        },
    )


# --- Dashboard ------------------------------------------------------------------


@login_required
def dashboard(request: HttpRequest) -> HttpResponse:
    """The branch at a glance: its dossiers, what waits on the CPNE, what falls due."""
    require_staff_member(request.user)
    chooser = BranchChoiceForm(request.GET or None, user=request.user)
    branch = chooser.chosen()
    if branch is None:
        raise PermissionDenied
    return render(
        request,
        "candidates/dashboard.html",
        {
            "section": "dashboard",
            "chooser": chooser,
            "show_chooser": len(chooser.fields["branch"].queryset) > 1,  # type: ignore[attr-defined]
            "board": dashboard_for(branch),
            "expiry_days": EXPIRY_HORIZON_DAYS,
            # A national administrator sees every branch at a glance before choosing one.
            "national": national_overview() if roles_of(request.user).is_national_admin else None,
        },
    )


# --- Exports --------------------------------------------------------------------


@login_required
@require_safe
def dossier_export(request: HttpRequest) -> HttpResponseBase:
    """The dossiers of the list, with its current filters, as CSV or XLSX."""
    require_staff_member(request.user)
    filters = DossierFilterForm(request.GET, user=request.user)
    dossiers = filters.apply(Dossier.objects.managed_by(request.user).with_list_relations())
    return exports.export_response(
        queryset=dossiers,
        columns=exports.dossier_columns(),
        fmt=request.GET.get("format", "csv"),
        basename="dossiers",
    )


@login_required
@require_safe
def certificate_export(request: HttpRequest) -> HttpResponseBase:
    """The certificates of the staff's list, with its current filters, as CSV or XLSX."""
    require_staff_member(request.user)
    filters = CertificateFilterForm(request.GET)
    certificates = filter_certificates(
        managed_certificates(request.user).select_related("branch", "dossier", "reissue_of"),
        filters,
    )
    return exports.export_response(
        queryset=certificates.order_by("-issued_on", "-pk"),
        columns=exports.certificate_columns(),
        fmt=request.GET.get("format", "csv"),
        basename="certificats",
    )


# --- Imports --------------------------------------------------------------------


@login_required
def import_upload(request: HttpRequest) -> HttpResponse:
    """Step 1: send a file; every row is checked and a preview is kept for confirmation."""
    require_staff_member(request.user)
    form = ImportUploadForm(request.POST or None, request.FILES or None, user=request.user)
    if request.method == "POST" and form.is_valid():
        preview = imports.build_preview(
            uploaded=form.cleaned_data["file"], branch=form.cleaned_data["branch"], by=request.user
        )
        if preview.file_error:
            form.add_error("file", preview.file_error)
        else:
            token = imports.store_preview(preview)
            return redirect("candidates:import_preview", token=token)
    return render(
        request,
        "candidates/import_upload.html",
        {"section": "dossiers", "form": form, "columns": imports.column_help()},
    )


def _load_preview(request: HttpRequest, token: str) -> imports.Preview:
    """A preview this user left (else 404), of a branch they run (else 403)."""
    require_staff_member(request.user)
    preview = imports.load_preview(token, user=request.user)
    if preview is None:
        raise Http404
    require_branch_staff(request.user, preview.branch_id)
    return preview


@login_required
def import_preview(request: HttpRequest, token: str) -> HttpResponse:
    """Step 2: what the file holds, every bad row and why; confirm only a file without one."""
    preview = _load_preview(request, token)
    return render(
        request,
        "candidates/import_preview.html",
        {
            "section": "dossiers",
            "preview": preview,
            "token": token,
            "branch": Branch.objects.get(pk=preview.branch_id),
            "sample": preview.rows[:20],
        },
    )


@login_required
@require_POST
def import_confirm(request: HttpRequest, token: str) -> HttpResponse:
    """Step 3: write every row in one transaction, or none."""
    preview = _load_preview(request, token)
    if not preview.is_importable:
        messages.error(request, _("Ce fichier contient des erreurs : il ne peut être importé."))
        return redirect("candidates:import_preview", token=token)
    branch = get_object_or_404(Branch, pk=preview.branch_id)
    with refusal_shown(request):
        dossiers = imports.import_rows(
            branch=branch, rows=preview.rows, by=request.user, filename=preview.filename
        )
        imports.discard_preview(token)
        messages.success(
            request,
            _("%(count)d candidat(s) et dossier(s) importé(s) dans la branche %(branch)s.")
            % {"count": len(dossiers), "branch": branch.name},
        )
        return redirect("candidates:dossier_list")
    return redirect("candidates:import_preview", token=token)


@login_required
@require_safe
def import_template(request: HttpRequest) -> HttpResponse:
    """The file to fill in, as CSV or XLSX, with an example row taken from the user's branch."""
    require_staff_member(request.user)
    branch = BranchChoiceForm(request.GET or None, user=request.user).chosen()
    if request.GET.get("format") == "xlsx":
        content, content_type, extension = (
            imports.template_xlsx(branch),
            exports.XLSX_TYPE,
            "xlsx",
        )
    else:
        content, content_type, extension = (
            imports.template_csv(branch),
            "text/csv; charset=utf-8",
            "csv",
        )
    response = HttpResponse(content, content_type=content_type)
    response["Content-Disposition"] = f'attachment; filename="modele-import-candidats.{extension}"'
    return response
