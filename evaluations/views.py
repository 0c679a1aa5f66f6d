"""Evaluators' scoring pages, assigning evaluations, and the jury sessions' pages."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db.models import Count, OuterRef, Prefetch, Subquery
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
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST, require_safe
from django_otp import user_has_device

from branches.access import require_staff_member, roles_of
from candidates.access import managed_dossier
from candidates.evidence import evidence_of
from candidates.models import Dossier, DossierStatus, EvidenceFile
from candidates.selectors import candidate_statements
from certifications.models import Certificate, CertificateStatus, RenderStatus
from certifications.views import zip_stream
from core.api.throttles import VerifyThrottle, throttled_page
from core.portal import refusal_as_json, refusal_shown

from . import calendar, selectors, services
from .access import (
    convoked_evaluation,
    managed_evaluation,
    managed_session,
    managed_sheet,
    visible_session,
)
from .forms import (
    AgendaForm,
    AppointmentForm,
    ConvokeForm,
    DecisionForm,
    EvaluationAssignForm,
    MinutesSignForm,
    SessionCreateForm,
    SessionRescheduleForm,
    SheetForm,
    SheetReassignForm,
    ShowOfHandsForm,
    VoteForm,
    WithdrawProposalForm,
)
from .minutes import minutes_content_sha256, minutes_context
from .models import (
    AgendaItem,
    CalendarFeed,
    CapacityOutcome,
    CapacityResult,
    EvaluationSheet,
    EvaluationStatus,
    JuryMember,
    JurySession,
    Outcome,
    Proposal,
    ProposalStatus,
    SessionStatus,
    SheetStatus,
    Vote,
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


# Where the new feed address waits, for one page view, to be shown once.
FEED_TOKEN_SESSION_KEY = "calendar_feed_token"  # noqa: S105 - a session key, not a secret


def _require_grid_holder(request: HttpRequest) -> None:
    roles = roles_of(request.user)
    if not (roles.is_evaluator or roles.is_referent):
        raise PermissionDenied


@login_required
@require_safe
def upcoming(request: HttpRequest) -> HttpResponse:
    """The evaluator's evaluations to come, soonest first, and their private calendar feed:
    its address is shown once, just after it is made (only its hash is kept)."""
    _require_grid_holder(request)
    sheets = list(selectors.upcoming_assignments(user=request.user))
    token = request.session.pop(FEED_TOKEN_SESSION_KEY, None)
    feed_url = (
        request.build_absolute_uri(reverse("evaluations:calendar_feed", args=[token]))
        if token
        else ""
    )
    return render(
        request,
        "evaluations/upcoming.html",
        {
            "section": "sheets",
            "sheets": sheets,
            "feed_url": feed_url,
            "has_feed": CalendarFeed.objects.filter(user_id=int(request.user.pk or 0)).exists(),
        },
    )


@login_required
@require_POST
def calendar_feed_manage(request: HttpRequest) -> HttpResponse:
    """Make a new private feed address (the old one stops working) or withdraw it."""
    _require_grid_holder(request)
    if request.POST.get("action") == "revoke":
        services.calendar_feed_revoke(by=request.user)
        messages.success(
            request, _("L'adresse de votre agenda est retirée : elle ne fonctionne plus.")
        )
    else:
        request.session[FEED_TOKEN_SESSION_KEY] = services.calendar_feed_regenerate(by=request.user)
        messages.success(
            request,
            _(
                "Nouvelle adresse créée : l'ancienne ne fonctionne plus. Copiez-la maintenant, elle ne sera plus affichée."
            ),
        )
    return redirect("evaluations:upcoming")


@require_safe
@throttled_page(VerifyThrottle)
def calendar_feed(request: HttpRequest, token: str) -> HttpResponse:
    """The private feed (.ics) of one person's evaluations to come. No login: the address's
    token is the secret (unguessable, revocable, counted like the other public doors)."""
    owner = selectors.calendar_feed_owner(token=token) if len(token) <= 100 else None
    if owner is None:
        raise Http404
    sheets = selectors.upcoming_assignments(user=owner)
    content = calendar.assignments_feed(
        sheets=sheets,
        link_of=lambda sheet: request.build_absolute_uri(
            reverse("evaluations:sheet", args=[sheet.pk])
        ),
    )
    response = HttpResponse(content, content_type="text/calendar; charset=utf-8")
    response["Cache-Control"] = "private, no-store"
    response["X-Robots-Tag"] = "noindex"
    return response


def _sheet_capacities(sheet: EvaluationSheet) -> Any:
    """The capacities the grid scores: those of the référentiel, less those credited from
    earlier documents (evaluators evaluate only the rest)."""
    dossier = sheet.evaluation.dossier
    return (
        selectors.version_capacities(dossier=dossier)
        .exclude(pk__in=dossier.credited_capacities.values("capacity_id"))
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
            # Beside each capacity, what the candidate wrote in their dossier of evidence.
            "statements": candidate_statements(evaluation.dossier),
            "left": left,
            "total": len(form.capacities),
            "divergent_count": len(divergent),
            "credits": list(evaluation.dossier.credited_capacities.select_related("capacity")),
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
                appointment_at=data["appointment_at"],
                appointment_place=data["appointment_place"],
                appointment_link=data["appointment_link"],
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
def evaluation_appointment(request: HttpRequest, pk: int) -> HttpResponse:
    """Staff set, move or cancel an evaluation's appointment; everybody convoked is told, with
    the matching calendar invitation. The candidate's answer is shown here."""
    evaluation = managed_evaluation(request.user, pk)
    dossier = evaluation.dossier
    initial = {
        "appointment_at": evaluation.appointment_at,
        "appointment_place": evaluation.appointment_place,
        "appointment_link": evaluation.appointment_link,
    }
    form = AppointmentForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        with refusal_shown(request, form=form):
            changed = services.evaluation_appointment_change(
                evaluation=evaluation,
                appointment_at=data["appointment_at"],
                appointment_place=data["appointment_place"],
                appointment_link=data["appointment_link"],
                by=request.user,
            )
            if changed.appointment_at is None:
                messages.success(
                    request, _("Rendez-vous annulé : les personnes convoquées sont prévenues.")
                )
            else:
                messages.success(
                    request, _("Rendez-vous enregistré : les personnes convoquées sont prévenues.")
                )
            return redirect(dossier)
    return render(
        request,
        "evaluations/evaluation_appointment.html",
        {"section": "dossiers", "evaluation": evaluation, "dossier": dossier, "form": form},
    )


@login_required
@require_POST
def appointment_answer(request: HttpRequest, pk: int) -> HttpResponse:
    """The candidate confirms (answer=accept) or declines their evaluation appointment."""
    evaluation = convoked_evaluation(request.user, pk)
    accept = request.POST.get("answer") == "accept"
    with refusal_shown(request):
        services.appointment_answer(evaluation=evaluation, accept=accept, by=request.user)
        if accept:
            messages.success(request, _("Votre présence au rendez-vous est confirmée."))
        else:
            messages.success(request, _("Votre absence au rendez-vous est annoncée à la branche."))
    return redirect("space:dossier_detail", evaluation.dossier_id)


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
            # The user's own answer to their convocation, where they sit.
            my_answer=Subquery(
                JuryMember.objects.filter(
                    session_id=OuterRef("pk"), user_id=roles.user_id or 0
                ).values("answer")[:1]
            ),
        )
    )
    return render(
        request,
        "evaluations/session_list.html",
        {
            "section": "sessions",
            "sessions": sessions,
            "may_create": roles.is_staff_member or roles.is_national_admin,
            "show_answer": roles.is_jury_member,
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
        "may_sign": services.may_sign_minutes(request.user, session) is not None,
    }
    if session.status == SessionStatus.CLOSED:
        signed = {s.role: s for s in session.minutes_signatures.all()}
        context["signers"] = [
            {"member": member, "signature": signed.get(member.role)}
            for member in members
            if member.present and member.role in services.SIGNING_ROLES
        ]
    if (manages or may_decide) and session.status != SessionStatus.CLOSED:
        context["compliance"] = selectors.session_compliance(session=session, agenda=agenda)
    context["my_seat"] = next((m for m in members if m.user_id == request.user.pk), None)
    if manages:
        context["convoke_form"] = bound.get("convoke_form") or ConvokeForm(session=session)
        context["reschedule_form"] = bound.get("reschedule_form") or SessionRescheduleForm(
            initial={"held_on": timezone.localtime(session.held_on), "place": session.place}
        )
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
    # Proposals are put only while the session sits: no query for a planned or closed one.
    in_vote = (
        set(
            session.proposals.filter(status=ProposalStatus.OPEN).values_list(
                "dossier_id", flat=True
            )
        )
        if session.status == SessionStatus.OPEN
        else set()
    )
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
                "in_vote": dossier.pk in in_vote,
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
    excused = not present and request.POST.get("excused") == "1"
    with refusal_shown(request):
        services.jury_member_set_presence(
            member=member, present=present, excused=excused, by=request.user
        )
        name = member.user.get_full_name() or member.user.email
        if present:
            message = _("%(name)s est noté(e) présent(e).")
        elif excused:
            message = _("%(name)s est noté(e) absent(e) excusé(e).")
        else:
            message = _("%(name)s est noté(e) absent(e).")
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
def session_convocation_answer(request: HttpRequest, pk: int, member_pk: int) -> HttpResponse:
    """The member convoked confirms (answer=accept) or declines their convocation."""
    session = visible_session(request.user, pk)
    member = get_object_or_404(session.members.all(), pk=member_pk)
    accept = request.POST.get("answer") == "accept"
    with refusal_shown(request):
        services.convocation_answer(member=member, accept=accept, by=request.user)
        if accept:
            messages.success(request, _("Votre présence est confirmée."))
        else:
            messages.success(request, _("Votre absence est annoncée à la branche."))
    return redirect(session)


@login_required
@require_POST
def session_reschedule(request: HttpRequest, pk: int) -> HttpResponse:
    """Move a planned session; every member convoked gets the updated invitation."""
    session = managed_session(request.user, pk)
    form = SessionRescheduleForm(request.POST)
    if form.is_valid():
        with refusal_shown(request, form=form):
            services.jury_session_reschedule(
                session=session,
                held_on=form.cleaned_data["held_on"],
                place=form.cleaned_data["place"],
                by=request.user,
            )
            messages.success(
                request, _("La session est déplacée : les membres convoqués sont prévenus.")
            )
            return redirect(session)
    return _render_session(request, session, reschedule_form=form)


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
            request,
            _(
                "La session est close. Le président et le vice-président signent maintenant "
                "le procès-verbal ; il est généré et scellé après leurs signatures."
            ),
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


def _deliberation_item(user: Any, pk: int, dossier_pk: int) -> tuple[JurySession, AgendaItem]:
    session = visible_session(user, pk)
    item = get_object_or_404(
        AgendaItem.objects.select_related(
            "dossier__candidate", "dossier__version__referentiel", "dossier__branch"
        ),
        session=session,
        dossier_id=dossier_pk,
    )
    return session, item


@login_required
def decision_record(request: HttpRequest, pk: int, dossier_pk: int) -> HttpResponse:
    """The deliberation on one dossier of the agenda: the grids side by side, the proposals
    put to the vote with their tallies, the vote itself, and the decision once adopted.

    Every convoked member prepares (reads the grids, their divergences and the evidence) from
    the convocation on; members present vote; the chair or the staff (secretary) put each
    proposal — capacity by capacity — with a POST to this page."""
    session, item = _deliberation_item(request.user, pk, dossier_pk)
    dossier = item.dossier
    rights = services.deliberation_rights(request.user, session)
    if request.method == "POST" and not rights.may_put:
        raise PermissionDenied
    capacities = list(
        selectors.version_capacities(dossier=dossier).order_by(
            "bloc__order", "bloc__code", "order", "code"
        )
    )
    proposed = selectors.proposed_capacity_ids(dossier=dossier)
    form = DecisionForm(request.POST or None, capacities=capacities, proposed=proposed)
    if request.method == "POST" and form.is_valid():
        with refusal_shown(request, form=form):
            services.proposal_put(
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
                _("Proposition mise aux voix pour le dossier %(ref)s.")
                % {"ref": dossier.reference},
            )
            return redirect("evaluations:decision_record", session.pk, dossier.pk)
    return _render_deliberation(
        request, session, dossier, capacities, proposed, rights=rights, form=form
    )


def _render_deliberation(
    request: HttpRequest,
    session: JurySession,
    dossier: Dossier,
    capacities: list[Any],
    proposed: set[int],
    *,
    rights: services.DeliberationRights,
    form: DecisionForm,
    hands_form: ShowOfHandsForm | None = None,
    withdraw_form: WithdrawProposalForm | None = None,
) -> HttpResponse:
    may_put = rights.may_put
    sitting = session.status == SessionStatus.OPEN and dossier.status == DossierStatus.SCHEDULED
    members = list(session.members.select_related("user").order_by("college", "role", "pk"))
    present = [m for m in members if m.present]
    seat = next((m for m in present if m.user_id == request.user.pk), None)
    proposals = list(
        session.proposals.filter(dossier=dossier)
        .select_related("put_by")
        .prefetch_related(Prefetch("votes", queryset=Vote.objects.select_related("member__user")))
        .order_by("put_at", "pk")
    )
    current = next((p for p in proposals if p.status == ProposalStatus.OPEN), None)
    voted = {v.member_id: v for v in current.votes.all()} if current else {}
    waiting = [m for m in present if m.pk not in voted]
    context: dict[str, Any] = {
        "proposals": proposals,
        "current": current,
        "present": present,
        "voted": voted,
        "waiting": waiting,
        "my_vote": voted.get(seat.pk) if seat else None,
        "may_vote": bool(current and seat and seat.pk not in voted and sitting),
        "may_put": may_put and sitting,
        "vote_form": VoteForm(),
    }
    if current and may_put and sitting:
        context["hands_form"] = hands_form or ShowOfHandsForm(seats=waiting)
        context["withdraw_form"] = withdraw_form or WithdrawProposalForm()

    # Jury members prepare from their convocation until the procès-verbal is sealed; then
    # the grids, comments and evidence close to them (the decision and its tally stay).
    sealed_for_me = session.minutes_signed_at is not None and not roles_of(
        request.user
    ).is_staff_of(session.branch_id)
    evaluation = None if sealed_for_me else selectors.final_evaluation(dossier=dossier)
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
        .select_related("proposal")
        .prefetch_related("capacities")
        .order_by("-decided_at")
        .first()
    )
    decided = {dc.capacity_id: dc for dc in decision.capacities.all()} if decision else {}
    in_vote = set(current.validated_capacity_ids) if current else set()
    # Capacities credited from earlier documents: the jury sees them with their provenance.
    credits = {c.capacity_id: c for c in dossier.credited_capacities.all()}
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
                "credited": credits.get(capacity.pk),
                "validated": form[f"c{capacity.pk}_validated"],
                "reason": form[f"c{capacity.pk}_reason"],
                "decided": decided.get(capacity.pk),
                "in_vote": capacity.pk in in_vote,
                "vote_reason": current.override_reasons.get(str(capacity.pk), "")
                if current
                else "",
            }
        )
    context.update(
        {
            "section": "sessions",
            "session": session,
            "dossier": dossier,
            "form": form,
            "sheets": sheets,
            "blocs": blocs,
            # The proposal form shows while no vote is under way and nothing is decided.
            "open_for_decision": may_put and sitting and current is None,
            "decision": decision,
            "divergent_count": len(divergent),
            "may_decide": rights.may_decide,
            "comments": comments,
            "evidence": [] if sealed_for_me else evidence_of(dossier),
            "sealed_for_me": sealed_for_me,
        }
    )
    return render(request, "evaluations/decision_record.html", context)


def _proposal_of(user: Any, pk: int, proposal_pk: int) -> tuple[JurySession, Proposal]:
    session = visible_session(user, pk)
    proposal = get_object_or_404(
        Proposal.objects.select_related("dossier"), session=session, pk=proposal_pk
    )
    return session, proposal


def _back_to_deliberation(session: JurySession, proposal: Proposal) -> HttpResponse:
    return redirect("evaluations:decision_record", session.pk, proposal.dossier_id)


def _vote_outcome_message(request: HttpRequest, proposal: Proposal) -> None:
    if proposal.status == ProposalStatus.ADOPTED:
        messages.success(request, _("La proposition est adoptée : la décision est enregistrée."))
    elif proposal.status == ProposalStatus.REJECTED:
        messages.warning(
            request,
            _(
                "La proposition n'a pas obtenu la majorité requise : une autre peut être mise aux voix."
            ),
        )


@login_required
@require_POST
def proposal_vote(request: HttpRequest, pk: int, proposal_pk: int) -> HttpResponse:
    """A member present votes on the proposal before the jury."""
    session, proposal = _proposal_of(request.user, pk, proposal_pk)
    form = VoteForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Choisissez pour, contre ou abstention."))
        return _back_to_deliberation(session, proposal)
    with refusal_shown(request):
        services.vote_cast(proposal=proposal, choice=form.cleaned_data["choice"], by=request.user)
        messages.success(request, _("Votre vote est enregistré."))
        _vote_outcome_message(request, proposal)
    return _back_to_deliberation(session, proposal)


@login_required
@require_POST
def proposal_show_of_hands(request: HttpRequest, pk: int, proposal_pk: int) -> HttpResponse:
    """The secretary (or the chair) records the votes given by a show of hands."""
    session, proposal = _proposal_of(request.user, pk, proposal_pk)
    rights = services.deliberation_rights(request.user, session)
    if not rights.may_put:
        raise PermissionDenied
    voted = set(proposal.votes.values_list("member_id", flat=True))
    seats = [
        m
        for m in session.members.filter(present=True).select_related("user").order_by("pk")
        if m.pk not in voted
    ]
    form = ShowOfHandsForm(request.POST, seats=seats)
    if form.is_valid():
        with refusal_shown(request, form=form):
            services.show_of_hands_record(
                proposal=proposal, choices=form.choices(), by=request.user
            )
            messages.success(request, _("Le vote à main levée est enregistré."))
            _vote_outcome_message(request, proposal)
            return _back_to_deliberation(session, proposal)
    return _rerender_deliberation(request, session, proposal, rights, hands_form=form)


@login_required
@require_POST
def proposal_withdraw(request: HttpRequest, pk: int, proposal_pk: int) -> HttpResponse:
    """The chair or the secretary takes the proposal back, with a reason, before the vote ends."""
    session, proposal = _proposal_of(request.user, pk, proposal_pk)
    rights = services.deliberation_rights(request.user, session)
    if not rights.may_put:
        raise PermissionDenied
    form = WithdrawProposalForm(request.POST)
    if form.is_valid():
        with refusal_shown(request, form=form):
            services.proposal_withdraw(
                proposal=proposal, reason=form.cleaned_data["reason"], by=request.user
            )
            messages.success(request, _("La proposition est retirée."))
            return _back_to_deliberation(session, proposal)
    return _rerender_deliberation(request, session, proposal, rights, withdraw_form=form)


def _rerender_deliberation(
    request: HttpRequest,
    session: JurySession,
    proposal: Proposal,
    rights: services.DeliberationRights,
    **forms: Any,
) -> HttpResponse:
    dossier = Dossier.objects.select_related("candidate", "version__referentiel", "branch").get(
        pk=proposal.dossier_id
    )
    capacities = list(
        selectors.version_capacities(dossier=dossier).order_by(
            "bloc__order", "bloc__code", "order", "code"
        )
    )
    proposed = selectors.proposed_capacity_ids(dossier=dossier)
    form = DecisionForm(capacities=capacities, proposed=proposed)
    response = _render_deliberation(
        request, session, dossier, capacities, proposed, rights=rights, form=form, **forms
    )
    response.status_code = 400
    return response


@login_required
def session_minutes_sign(request: HttpRequest, pk: int) -> HttpResponse:
    """The chair or vice-chair reads the procès-verbal's content and signs it after
    re-authenticating."""
    session = visible_session(request.user, pk)
    if services.may_sign_minutes(request.user, session) is None:
        raise PermissionDenied
    form = MinutesSignForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        with refusal_shown(request, form=form):
            services.minutes_sign(
                session=session,
                by=request.user,
                password=form.cleaned_data["password"],
                otp_code=form.cleaned_data["otp_token"],
                ip_address=request.META.get("REMOTE_ADDR"),
                user_agent=request.META.get("HTTP_USER_AGENT", ""),
            )
            messages.success(request, _("Vous avez signé le procès-verbal."))
            return redirect(session)
    context = minutes_context(session)
    context.update(
        {
            "section": "sessions",
            "form": form,
            "sha256": minutes_content_sha256(session),
            "has_device": user_has_device(request.user),
        }
    )
    return render(request, "evaluations/minutes_sign.html", context)
