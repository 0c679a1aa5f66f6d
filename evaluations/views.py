"""Evaluators' scoring pages, assigning evaluations, and the jury sessions' pages."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db.models import Count, Prefetch
from django.http import (
    FileResponse,
    Http404,
    HttpRequest,
    HttpResponse,
    JsonResponse,
    StreamingHttpResponse,
)
from django.http.response import HttpResponseBase
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from branches.access import require_staff_member, roles_of
from candidates.access import managed_dossier
from candidates.evidence import evidence_of
from candidates.models import Dossier, DossierStatus, EvidenceFile
from certifications.models import Certificate, CertificateStatus, RenderStatus
from certifications.views import zip_stream
from core.portal import refusal_as_json, refusal_shown

from . import selectors, services
from .access import managed_session, managed_sheet, visible_session
from .forms import (
    AgendaForm,
    ConvokeForm,
    DecisionForm,
    EvaluationAssignForm,
    SessionCreateForm,
    SheetForm,
    SheetReassignForm,
)
from .models import (
    AgendaItem,
    CapacityOutcome,
    CapacityResult,
    EvaluationSheet,
    EvaluationStatus,
    JurySession,
    Outcome,
    SessionStatus,
    SheetStatus,
)

# --- Evaluators ----------------------------------------------------------------


@login_required
def sheet_list(request: HttpRequest) -> HttpResponse:
    roles = roles_of(request.user)
    sheets = selectors.sheets_of(user=request.user).order_by(
        "status", "evaluation__due_date", "-evaluation__created_at"
    )
    # Someone whose habilitation or référent role ended still reads the grids they scored.
    if not (roles.is_evaluator or roles.is_referent or sheets.exists()):
        raise PermissionDenied
    return render(request, "evaluations/sheet_list.html", {"section": "sheets", "sheets": sheets})


def _sheet_capacities(sheet: EvaluationSheet) -> Any:
    return (
        selectors.version_capacities(dossier=sheet.evaluation.dossier)
        .prefetch_related("indicators")
        .order_by("bloc__order", "bloc__code", "order", "code")
    )


def _capacities_left(sheet: EvaluationSheet, capacities: list[Any]) -> int:
    assessed = {
        r.capacity_id for r in sheet.results.all() if r.outcome != CapacityOutcome.NOT_ASSESSED
    }
    return sum(1 for capacity in capacities if capacity.pk not in assessed)


def _render_sheet(request: HttpRequest, sheet: EvaluationSheet, form: SheetForm) -> HttpResponse:
    evaluation = sheet.evaluation
    left = _capacities_left(sheet, form.capacities)
    divergent = selectors.divergent_capacity_ids(evaluation=evaluation)
    # Files illustrating a capacity sit in its block; the dossier's other files are listed once.
    evidence: dict[int, list[EvidenceFile]] = {}
    other_evidence: list[EvidenceFile] = []
    for item in evidence_of(evaluation.dossier):
        if item.capacity_id is None:
            other_evidence.append(item)
        else:
            evidence.setdefault(item.capacity_id, []).append(item)
    return render(
        request,
        "evaluations/sheet.html",
        {
            "section": "sheets",
            "sheet": sheet,
            "evaluation": evaluation,
            "dossier": evaluation.dossier,
            "form": form,
            "grid": form.grid(divergent, evidence),
            "other_evidence": other_evidence,
            "left": left,
            "total": len(form.capacities),
            "divergent_count": len(divergent),
            "editable": sheet.status == SheetStatus.DRAFT,
        },
    )


@login_required
def sheet(request: HttpRequest, pk: int) -> HttpResponse:
    """Score, save (with the optimistic version check) and, once confirmed, submit one grid."""
    sheet = get_object_or_404(
        # Only the relations the page reads: the dossier's branch and company joined too made
        # an eight-table join that took PostgreSQL longer to plan than to run.
        selectors.sheets_of(user=request.user)
        .select_related(None)
        .select_related(
            "evaluation__dossier__candidate", "evaluation__dossier__version__referentiel"
        ),
        pk=pk,
    )
    capacities = _sheet_capacities(sheet)
    if request.method != "POST":
        form = SheetForm(initial=SheetForm.initial_from(sheet), capacities=capacities)
        return _render_sheet(request, sheet, form)
    form = SheetForm(request.POST, capacities=capacities)
    submitting = request.POST.get("action") == "submit"
    if not form.is_valid():
        return _render_sheet(request, sheet, form)
    if submitting and not form.cleaned_data["confirm"]:
        form.add_error("confirm", _("Cochez cette case pour transmettre la grille."))
        return _render_sheet(request, sheet, form)
    with refusal_shown(request, form=form):
        services.sheet_save(
            sheet=sheet,
            entries=form.entries(),
            expected_version=form.cleaned_data["version"],
            by=request.user,
        )
        if not submitting:
            messages.success(request, _("Grille enregistrée."))
            return redirect(sheet)
        # The grid itself is saved whatever happens next: only the submission may be refused.
        with refusal_shown(request, template=_("Grille enregistrée mais non transmise : %s")):
            services.sheet_submit(sheet=sheet, by=request.user)
            messages.success(request, _("Grille transmise. Merci !"))
        return redirect(sheet)
    return _render_sheet(request, sheet, form)


def _json_error(code: str, message: str, status: int, **extra: Any) -> JsonResponse:
    return JsonResponse({"error": {"code": code, "message": message, **extra}}, status=status)


@login_required
@require_POST
@refusal_as_json
def sheet_autosave(request: HttpRequest, pk: int) -> JsonResponse:
    """The grid's autosave: the whole form as the page holds it, checked against its version.

    Answers the new version and what is left, or 409 when the grid changed elsewhere
    (nothing is overwritten; the page keeps the user's marks).
    """
    sheet = get_object_or_404(
        selectors.sheets_of(user=request.user).select_related("evaluation__dossier"), pk=pk
    )
    capacities = list(_sheet_capacities(sheet))
    form = SheetForm(request.POST, capacities=capacities)
    if not form.is_valid():
        return _json_error(
            "invalid",
            _("Certaines saisies sont invalides : corrigez-les pour qu'elles soient enregistrées."),
            400,
            fields={name: [str(e) for e in errors] for name, errors in form.errors.items()},
        )
    services.sheet_save(
        sheet=sheet,
        entries=form.entries(),
        expected_version=form.cleaned_data["version"],
        by=request.user,
    )
    saved_at = timezone.localtime()
    return JsonResponse(
        {
            "version": sheet.version,
            "left": _capacities_left(sheet, capacities),
            "saved_at": saved_at.isoformat(),
            "saved_at_display": saved_at.strftime("%H:%M:%S"),
        }
    )


# --- Staff: assigning an evaluation --------------------------------------------


@login_required
def evaluation_assign(request: HttpRequest, dossier_pk: int) -> HttpResponse:
    dossier = managed_dossier(
        request.user, dossier_pk, queryset=Dossier.objects.with_list_relations()
    )
    form = EvaluationAssignForm(request.POST or None, dossier=dossier)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        with refusal_shown(request, form=form):
            services.evaluation_create(
                dossier=dossier,
                kind=data["kind"],
                external_evaluator=data["external_evaluator"],
                referent=data["referent"],
                due_date=data["due_date"],
                by=request.user,
            )
            messages.success(request, _("Évaluation confiée."))
            return redirect(dossier)
    return render(
        request,
        "evaluations/evaluation_assign.html",
        {"section": "dossiers", "dossier": dossier, "form": form},
    )


@login_required
@require_http_methods(["GET", "POST"])
def sheet_reassign(request: HttpRequest, pk: int) -> HttpResponse:
    """Staff hand a grid still being filled in to another person; the one replaced loses the
    evaluation, its dossier and its evidence at once, and their unsent marks are discarded."""
    sheet = managed_sheet(request.user, pk)
    evaluation = sheet.evaluation
    dossier = evaluation.dossier
    open_grid = (
        sheet.status == SheetStatus.DRAFT and evaluation.status == EvaluationStatus.IN_PROGRESS
    )
    form = SheetReassignForm(request.POST or None, sheet=sheet)
    if request.method == "POST" and form.is_valid():
        newcomer = form.cleaned_data["evaluator"]
        with refusal_shown(request, form=form):
            services.evaluation_reassign(sheet=sheet, evaluator=newcomer, by=request.user)
            messages.success(
                request,
                _("La grille est confiée à %(name)s.")
                % {"name": newcomer.get_full_name() or newcomer.email},
            )
            return redirect(dossier)
    return render(
        request,
        "evaluations/sheet_reassign.html",
        {
            "section": "dossiers",
            "sheet": sheet,
            "dossier": dossier,
            "open_grid": open_grid,
            "form": form,
        },
    )


# --- Jury sessions ---------------------------------------------------------------


@login_required
def session_list(request: HttpRequest) -> HttpResponse:
    roles = roles_of(request.user)
    if not (roles.is_staff_member or roles.is_jury_member or roles.is_national_admin):
        raise PermissionDenied
    sessions = (
        JurySession.objects.visible_to(request.user)
        .select_related("branch")
        .annotate(
            member_count=Count("members", distinct=True),
            dossier_count=Count("agenda", distinct=True),
        )
    )
    return render(
        request,
        "evaluations/session_list.html",
        {
            "section": "sessions",
            "sessions": sessions,
            "may_create": roles.is_staff_member or roles.is_national_admin,
            "show_branch": roles.is_national_admin
            or len(roles.staff_branch_ids | roles.jury_branch_ids) > 1,
        },
    )


@login_required
def session_create(request: HttpRequest) -> HttpResponse:
    require_staff_member(request.user)
    form = SessionCreateForm(request.POST or None, user=request.user)
    if request.method == "POST" and form.is_valid():
        with refusal_shown(request, form=form):
            session = services.jury_session_create(
                branch=form.cleaned_data["branch"],
                held_on=form.cleaned_data["held_on"],
                place=form.cleaned_data["place"],
                by=request.user,
            )
            messages.success(request, _("Session de jury créée."))
            return redirect(session)
    return render(request, "evaluations/session_create.html", {"section": "sessions", "form": form})


def _render_session(request: HttpRequest, session: JurySession, **bound: Any) -> HttpResponse:
    roles = roles_of(request.user)
    manages = roles.is_staff_of(session.branch_id)
    members = list(session.members.select_related("user").order_by("college", "role", "pk"))
    agenda = list(
        session.agenda.select_related(
            "dossier__candidate", "dossier__version__referentiel"
        ).prefetch_related(
            selectors.AGENDA_COMPLIANCE_PREFETCH,
            Prefetch(
                "dossier__decisions",
                queryset=session.decisions.order_by("-decided_at"),
                to_attr="session_decisions",
            ),
        )
    )
    colleges: dict[str, dict[str, Any]] = {}
    for member in members:
        group = colleges.setdefault(
            member.college, {"label": member.get_college_display(), "members": []}
        )
        group["members"].append(member)
    may_decide = session.status == SessionStatus.OPEN and (
        manages or any(m.user_id == request.user.pk and m.present for m in members)
    )
    context: dict[str, Any] = {
        "section": "sessions",
        "session": session,
        "colleges": list(colleges.values()),
        "agenda": agenda,
        "agenda_rows": _agenda_rows(session, agenda, manages=manages, may_decide=may_decide),
        "manages": manages,
        "may_decide": may_decide,
        "problems": services.quorum_problems(session, members)
        if session.status == SessionStatus.PLANNED
        else [],
    }
    if (manages or may_decide) and session.status != SessionStatus.CLOSED:
        context["compliance"] = selectors.session_compliance(session=session, agenda=agenda)
    if manages:
        context["convoke_form"] = bound.get("convoke_form") or ConvokeForm(session=session)
        agenda_form = bound.get("agenda_form") or AgendaForm(session=session, user=request.user)
        context["agenda_form"] = agenda_form
        if session.status != SessionStatus.CLOSED:
            query = request.GET.get("prets", "").strip()[:100]
            count, rows = agenda_form.ready_rows(query)
            context.update(ready_query=query, ready_count=count, ready_rows=rows)
    return render(request, "evaluations/session_detail.html", context)


def _agenda_rows(
    session: JurySession, agenda: Sequence[AgendaItem], *, manages: bool, may_decide: bool
) -> list[dict[str, Any]]:
    """The agenda's cells as plain values (see candidates.views._list_rows): a session may
    hold fifty dossiers and more, each cell reached through three related objects."""
    outcomes = dict(Outcome.choices)
    rows = []
    for item in agenda:
        dossier = item.dossier
        decisions = dossier.session_decisions  # type: ignore[attr-defined]
        decision = decisions[0] if decisions else None
        rows.append(
            {
                "position": item.position,
                "pk": dossier.pk,
                "reference": dossier.reference,
                "candidate": dossier.candidate.full_name,
                "cqpi": dossier.version.referentiel.title,
                "status": dossier.status,
                "decision": outcomes.get(decision.outcome, decision.outcome) if decision else "",
                "recordable": bool(
                    decision or (may_decide and dossier.status == DossierStatus.SCHEDULED)
                ),
            }
        )
    return rows


@login_required
def session_detail(request: HttpRequest, pk: int) -> HttpResponse:
    return _render_session(request, visible_session(request.user, pk))


@login_required
@require_POST
def session_convoke(request: HttpRequest, pk: int) -> HttpResponse:
    session = managed_session(request.user, pk)
    form = ConvokeForm(request.POST, session=session)
    if form.is_valid():
        membership = form.cleaned_data["membership"]
        with refusal_shown(request, form=form):
            services.jury_member_convoke(
                session=session,
                user=membership.user,
                role=form.cleaned_data["role"],
                by=request.user,
            )
            messages.success(
                request,
                _("%(name)s est convoqué(e).")
                % {"name": membership.user.get_full_name() or membership.user.email},
            )
            return redirect(session)
    return _render_session(request, session, convoke_form=form)


@login_required
@require_POST
def session_add_dossier(request: HttpRequest, pk: int) -> HttpResponse:
    session = managed_session(request.user, pk)
    form = AgendaForm(request.POST, session=session, user=request.user)
    if form.is_valid():
        with refusal_shown(request, form=form):
            services.jury_session_add_dossier(
                session=session, dossier=form.cleaned_data["dossier"], by=request.user
            )
            messages.success(
                request,
                _("Dossier %(ref)s inscrit à l'ordre du jour.")
                % {"ref": form.cleaned_data["dossier"].reference},
            )
            return redirect(session)
    return _render_session(request, session, agenda_form=form)


@login_required
@require_POST
def session_member_presence(request: HttpRequest, pk: int, member_pk: int) -> HttpResponse:
    session = managed_session(request.user, pk)
    member = get_object_or_404(session.members.select_related("user"), pk=member_pk)
    present = request.POST.get("present") == "1"
    with refusal_shown(request):
        services.jury_member_set_presence(member=member, present=present, by=request.user)
        name = member.user.get_full_name() or member.user.email
        message = (
            _("%(name)s est noté(e) présent(e).")
            if present
            else _("%(name)s est noté(e) absent(e).")
        )
        messages.success(request, message % {"name": name})
    return redirect(session)


@login_required
@require_POST
def session_member_release(request: HttpRequest, pk: int, member_pk: int) -> HttpResponse:
    """Withdraw a convocation before the session opens: the seat and its grant go."""
    session = managed_session(request.user, pk)
    member = get_object_or_404(session.members.select_related("user"), pk=member_pk)
    with refusal_shown(request):
        services.jury_member_release(member=member, by=request.user)
        messages.success(
            request,
            _("La convocation de %(name)s est retirée.")
            % {"name": member.user.get_full_name() or member.user.email},
        )
    return redirect(session)


@login_required
@require_POST
def session_open(request: HttpRequest, pk: int) -> HttpResponse:
    session = managed_session(request.user, pk)
    with refusal_shown(request):
        services.jury_session_open(session=session, by=request.user)
        messages.success(request, _("La session est ouverte."))
    return redirect(session)


@login_required
@require_POST
def session_close(request: HttpRequest, pk: int) -> HttpResponse:
    session = managed_session(request.user, pk)
    with refusal_shown(request):
        services.jury_session_close(session=session, by=request.user)
        messages.success(
            request, _("La session est close. Le procès-verbal est en cours de génération.")
        )
    return redirect(session)


@login_required
def session_minutes(request: HttpRequest, pk: int) -> FileResponse:
    """The procès-verbal, to those who see the session; 404 until it has been rendered."""
    session = visible_session(request.user, pk)
    if not session.minutes:
        raise Http404
    filename = _("proces-verbal-jury-%(date)s.pdf") % {
        "date": timezone.localtime(session.held_on).strftime("%Y-%m-%d")
    }
    return FileResponse(
        session.minutes.open("rb"),
        as_attachment=True,
        filename=filename,
        content_type="application/pdf",
    )


@login_required
def session_certificates(request: HttpRequest, pk: int) -> HttpResponse:
    """The certificates a session's decisions produced, live while they are rendered.

    With `?partial=1` only the progress block is sent: `static/js/progress.js` asks for it
    every two seconds until no certificate is left pending.
    """
    session = managed_session(request.user, pk)
    certificates = list(
        Certificate.objects.visible_to(request.user)
        .filter(decision__session_id=session.pk)
        .order_by("number")
    )
    counts = {status: 0 for status in RenderStatus.values}
    for certificate in certificates:
        counts[certificate.render_status] += 1
    context = {
        "section": "sessions",
        "session": session,
        "certificates": certificates,
        "ready": counts[RenderStatus.READY],
        "pending": counts[RenderStatus.PENDING],
        "failed": counts[RenderStatus.FAILED],
        "total": len(certificates),
        "percent": round(100 * counts[RenderStatus.READY] / len(certificates))
        if certificates
        else 100,
    }
    if request.GET.get("partial") == "1":
        return render(request, "evaluations/_certificate_progress.html", context)
    return render(request, "evaluations/session_certificates.html", context)


@require_safe
@login_required
def session_certificates_zip(request: HttpRequest, pk: int) -> HttpResponseBase:
    """Every rendered, valid certificate decided by one jury session, in one ZIP."""
    session = managed_session(request.user, pk)
    certificates = list(
        Certificate.objects.visible_to(request.user)
        .filter(
            decision__session_id=session.pk,
            status=CertificateStatus.VALID,
            render_status=RenderStatus.READY,
        )
        .exclude(pdf="")
        .order_by("number")
    )
    if not certificates:
        messages.warning(request, _("Aucun certificat de cette session n'est encore prêt."))
        return redirect(session)
    response = StreamingHttpResponse(zip_stream(certificates), content_type="application/zip")
    filename = f"certificats-jury-{timezone.localtime(session.held_on):%Y-%m-%d}-{session.pk}.zip"
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    response["Cache-Control"] = "private, no-store"
    return response


@login_required
def decision_record(request: HttpRequest, pk: int, dossier_pk: int) -> HttpResponse:
    """The jury's decision on one dossier of the agenda, capacity by capacity."""
    session = visible_session(request.user, pk)
    item = get_object_or_404(
        AgendaItem.objects.select_related(
            "dossier__candidate", "dossier__version__referentiel", "dossier__branch"
        ),
        session=session,
        dossier_id=dossier_pk,
    )
    dossier = item.dossier
    # Every convoked member prepares (reads the grids, their divergences and the evidence)
    # from the convocation on; only staff and members present at the roll call decide.
    may_decide = services.may_record_decision(request.user, session)
    if request.method == "POST" and not may_decide:
        raise PermissionDenied
    capacities = list(
        selectors.version_capacities(dossier=dossier).order_by(
            "bloc__order", "bloc__code", "order", "code"
        )
    )
    proposed = selectors.proposed_capacity_ids(dossier=dossier)
    form = DecisionForm(request.POST or None, capacities=capacities, proposed=proposed)
    open_for_decision = (
        may_decide
        and session.status == SessionStatus.OPEN
        and dossier.status == DossierStatus.SCHEDULED
    )
    if request.method == "POST" and form.is_valid():
        with refusal_shown(request, form=form):
            services.decision_record(
                session=session,
                dossier=dossier,
                outcome=form.cleaned_data["outcome"],
                validated_capacity_ids=form.validated_ids(),
                override_reasons=form.override_reasons(),
                reasons=form.cleaned_data["reasons"],
                by=request.user,
            )
            messages.success(
                request,
                _("Décision enregistrée pour le dossier %(ref)s.") % {"ref": dossier.reference},
            )
            return redirect(session)

    evaluation = selectors.final_evaluation(dossier=dossier)
    sheets: list[EvaluationSheet] = []
    outcomes: dict[int, dict[int, str]] = {}
    divergent: set[int] = set()
    comments: list[CapacityResult] = []
    if evaluation is not None:
        sheets = list(evaluation.sheets.select_related("evaluator").order_by("role"))
        outcomes = selectors.capacity_outcomes(evaluation=evaluation)
        divergent = selectors.divergent_capacity_ids(evaluation=evaluation)
        comments = list(
            CapacityResult.objects.filter(sheet__evaluation=evaluation)
            .exclude(comment="")
            .select_related("sheet__evaluator", "capacity")
            .order_by("capacity__bloc__order", "capacity__order", "capacity__code", "sheet__role")
        )
    decision = (
        dossier.decisions.filter(session=session)
        .prefetch_related("capacities")
        .order_by("-decided_at")
        .first()
    )
    decided = {dc.capacity_id: dc for dc in decision.capacities.all()} if decision else {}
    labels = dict(CapacityOutcome.choices)
    blocs: list[dict[str, Any]] = []
    for capacity in capacities:
        if not blocs or blocs[-1]["bloc"].pk != capacity.bloc_id:
            blocs.append({"bloc": capacity.bloc, "rows": []})
        by_sheet = outcomes.get(capacity.pk, {})
        blocs[-1]["rows"].append(
            {
                "capacity": capacity,
                "results": [
                    (by_sheet.get(s.pk, ""), labels.get(by_sheet.get(s.pk, ""), "—"))
                    for s in sheets
                ],
                "proposed": capacity.pk in proposed,
                "divergent": capacity.pk in divergent,
                "validated": form[f"c{capacity.pk}_validated"],
                "reason": form[f"c{capacity.pk}_reason"],
                "decided": decided.get(capacity.pk),
            }
        )
    return render(
        request,
        "evaluations/decision_record.html",
        {
            "section": "sessions",
            "session": session,
            "dossier": dossier,
            "form": form,
            "sheets": sheets,
            "blocs": blocs,
            "open_for_decision": open_for_decision,
            "decision": decision,
            "divergent_count": len(divergent),
            "may_decide": may_decide,
            "comments": comments,
            "evidence": evidence_of(dossier),
        },
    )
