"""Portal views of the historic room: the staff's list and import, the holder's claim, and the
public lookup."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from branches.access import require_branch_staff, require_staff_member, roles_of
from branches.models import Branch
from candidates.exports import XLSX_TYPE
from core.api.throttles import VerifyThrottle, throttled_page
from core.pagination import DeferredJoinPaginator
from core.portal import refusal_shown

from . import claims, imports, services
from .access import managed_historic_certificate, managed_historic_certificates
from .forms import (
    BranchChoiceForm,
    ClaimForm,
    ClaimInviteForm,
    HistoricUploadForm,
    VerifyLookupForm,
)
from .selectors import historic_lookup

PAGE_SIZE = 50


@login_required
@require_safe
def historic_list(request: HttpRequest) -> HttpResponse:
    roles = require_staff_member(request.user)
    records = managed_historic_certificates(request.user).select_related("branch")
    page = DeferredJoinPaginator(records, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        "historic/historic_list.html",
        {
            "section": "certificates",
            "page": page,
            "show_branch": roles.is_national_admin or len(roles.staff_branch_ids) > 1,
        },
    )


@login_required
@require_safe
def historic_detail(request: HttpRequest, pk: int) -> HttpResponse:
    require_staff_member(request.user)
    record = managed_historic_certificate(request.user, pk)
    return _detail(request, record, ClaimInviteForm(initial={"email": record.claim_email}))


def _detail(
    request: HttpRequest, record: object, form: ClaimInviteForm, status: int = 200
) -> HttpResponse:
    return render(
        request,
        "historic/historic_detail.html",
        {"section": "certificates", "record": record, "invite_form": form},
        status=status,
    )


@login_required
@require_POST
def claim_invite(request: HttpRequest, pk: int) -> HttpResponse:
    """The branch's CPNE mails the holder a link to claim the record."""
    require_staff_member(request.user)
    record = managed_historic_certificate(request.user, pk)
    form = ClaimInviteForm(request.POST)
    if form.is_valid():
        with refusal_shown(request, form=form):
            services.historic_claim_invite(
                record=record, email=form.cleaned_data["email"], by=request.user
            )
            messages.success(
                request,
                _("Invitation envoyée à %(email)s.") % {"email": form.cleaned_data["email"]},
            )
            return redirect("historic:historic_detail", pk=record.pk)
    return _detail(request, record, form, status=400)


# --- The holder's claim ---------------------------------------------------------------


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
@never_cache
def claim(request: HttpRequest, token: str) -> HttpResponse:
    """The invited holder, signed in with their candidate account, claims the record by
    confirming their birth date. The link is the invitation: tampered, expired or replaced,
    it opens nothing. An account that is not a candidate's is told what to do (403)."""
    record = claims.claim_record(token)
    if record is None:
        return render(request, "historic/claim.html", {"valid": False}, status=400)
    if not roles_of(request.user).is_candidate:
        return render(
            request, "historic/claim.html", {"valid": True, "not_candidate": True}, status=403
        )
    form = ClaimForm(request.POST or None)
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            with refusal_shown(request, form=form):
                services.historic_claim(
                    record=record, user=request.user, birth_date=form.cleaned_data["birth_date"]
                )
                messages.success(
                    request,
                    _("Le certificat n° %(number)s figure désormais parmi vos acquis.")
                    % {"number": record.number},
                )
                return redirect("space:ledger")
    return render(
        request,
        "historic/claim.html",
        {
            "valid": True,
            "record": record,
            "form": form,
            "open": services.claim_open(record),
        },
        status=status,
    )


# --- Import ------------------------------------------------------------------------


@login_required
def import_upload(request: HttpRequest) -> HttpResponse:
    """Step 1: send a file; every row is checked and a preview is kept for confirmation."""
    require_staff_member(request.user)
    form = HistoricUploadForm(request.POST or None, request.FILES or None, user=request.user)
    if request.method == "POST" and form.is_valid():
        preview = imports.build_preview(
            uploaded=form.cleaned_data["file"], branch=form.cleaned_data["branch"], by=request.user
        )
        if preview.file_error:
            form.add_error("file", preview.file_error)
        else:
            return redirect("historic:import_preview", token=imports.store_preview(preview))
    return render(
        request,
        "historic/import_upload.html",
        {"section": "certificates", "form": form, "columns": imports.column_help()},
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
@require_safe
def import_preview(request: HttpRequest, token: str) -> HttpResponse:
    """Step 2: what the file holds, every bad row and why; confirm only a file without one."""
    preview = _load_preview(request, token)
    return render(
        request,
        "historic/import_preview.html",
        {
            "section": "certificates",
            "preview": preview,
            "token": token,
            "branch": Branch.objects.get(pk=preview.branch_id),
            "sample": preview.rows[:20],
        },
    )


@login_required
@require_POST
def import_confirm(request: HttpRequest, token: str) -> HttpResponse:
    """Step 3: record every row in one transaction, or none."""
    preview = _load_preview(request, token)
    if not preview.is_importable:
        messages.error(request, _("Ce fichier contient des erreurs : il ne peut être importé."))
        return redirect("historic:import_preview", token=token)
    branch = get_object_or_404(Branch, pk=preview.branch_id)
    with refusal_shown(request):
        records = services.historic_import(
            branch=branch, rows=preview.rows, by=request.user, filename=preview.filename
        )
        imports.discard_preview(token)
        messages.success(
            request,
            _(
                "%(count)d certificat(s) antérieur(s) à la plateforme importé(s) dans la branche %(branch)s."
            )
            % {"count": len(records), "branch": branch.name},
        )
        return redirect("historic:historic_list")
    return redirect("historic:import_preview", token=token)


@login_required
@require_safe
def import_template(request: HttpRequest) -> HttpResponse:
    """The file to fill in, as CSV or XLSX."""
    require_staff_member(request.user)
    branch = BranchChoiceForm(request.GET or None, user=request.user).chosen()
    if request.GET.get("format") == "xlsx":
        content, content_type, extension = imports.template_xlsx(branch), XLSX_TYPE, "xlsx"
    else:
        content = imports.template_csv(branch)
        content_type, extension = "text/csv; charset=utf-8", "csv"
    response = HttpResponse(content, content_type=content_type)
    response["Content-Disposition"] = (
        f'attachment; filename="modele-import-certificats-historiques.{extension}"'
    )
    return response


# --- Public verification -------------------------------------------------------------


@require_http_methods(["GET", "HEAD", "POST"])
@never_cache
@throttled_page(VerifyThrottle)
def verify_lookup(request: HttpRequest) -> HttpResponse:
    """Anyone holding a paper certificate issued before the platform may check it: its printed
    number, the holder's birth name and birth date. Counted by the verification throttle
    (each try is a guess); a miss gets one answer whichever field was wrong."""
    form = VerifyLookupForm(request.POST or None)
    record = None
    searched = False
    if request.method == "POST" and form.is_valid():
        searched = True
        record = historic_lookup(
            number=form.cleaned_data["number"],
            last_name=form.cleaned_data["last_name"],
            birth_date=form.cleaned_data["birth_date"],
        )
    status = 200
    if request.method == "POST":
        status = 400 if not searched else (200 if record else 404)
    response = render(
        request,
        "historic/verify_lookup.html",
        {"form": form, "record": record, "searched": searched},
        status=status,
    )
    # The answer names a person: search engines must not keep it.
    response["X-Robots-Tag"] = "noindex, nofollow"
    return response
