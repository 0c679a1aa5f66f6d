"""Reads of the evaluations room that need thought: eligible evaluators, binôme divergences,
the compliance checklist of a session's agenda."""

from __future__ import annotations

import datetime
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from django.contrib.auth import get_user_model
from django.db.models import QuerySet
from django.utils import timezone

from branches.models import ConflictOfInterest, EvaluatorHabilitation, Membership, Role
from candidates.models import Dossier, DossierStatus
from certifications import compliance
from certifications.compliance import Problem
from certifications.models import Capacity

from .models import (
    AgendaItem,
    CalendarFeed,
    CapacityOutcome,
    CapacityResult,
    Evaluation,
    EvaluationSheet,
    EvaluationStatus,
    JuryMember,
    JurySession,
    SessionStatus,
    SheetRole,
    SheetStatus,
    feed_token_hash,
)


def eligible_evaluators(*, dossier: Dossier) -> QuerySet[Any]:
    """External evaluators habilitated by the dossier's branch for its CQPI, today and not
    suspended, and free of a recorded conflict of interest with the dossier's company."""
    today = timezone.localdate()
    referentiel_id = dossier.version.referentiel_id
    habilitated = EvaluatorHabilitation.objects.filter(
        branch_id=dossier.branch_id,
        referentiel_id=referentiel_id,
        valid_from__lte=today,
        valid_until__gte=today,
        suspended_at__isnull=True,
    ).values("evaluator_id")
    users = get_user_model().objects.filter(pk__in=habilitated, is_active=True)
    if dossier.company_id:
        conflicted = ConflictOfInterest.objects.filter(
            company_id=dossier.company_id, referentiel_id=referentiel_id
        ).values("evaluator_id")
        users = users.exclude(pk__in=conflicted)
    return users.order_by("last_name", "first_name")


def eligible_referents(*, dossier: Dossier) -> QuerySet[Any]:
    """The company's référents, who score as the internal half of a binôme."""
    if not dossier.company_id:
        return get_user_model().objects.none()
    return (
        get_user_model()
        .objects.filter(
            memberships__role=Role.REFERENT,
            memberships__company_id=dossier.company_id,
            memberships__is_active=True,
            is_active=True,
        )
        .distinct()
        .order_by("last_name", "first_name")
    )


def jury_candidates(*, branch_id: int) -> QuerySet[Membership]:
    return Membership.objects.filter(
        branch_id=branch_id, role=Role.JURY, is_active=True
    ).select_related("user")


def planned_seats(*, user: Any, branch_id: int) -> QuerySet[JuryMember]:
    """The person's convocations to the branch's sessions not yet open: what ending their jury
    role releases (a seat in an open or closed session is the record of who sat)."""
    return (
        JuryMember.objects.filter(
            user=user, session__branch_id=branch_id, session__status=SessionStatus.PLANNED
        )
        .select_related("session")
        .order_by("session__held_on", "pk")
    )


def draft_sheets_held(*, branch_id: int, evaluator_ids: Sequence[int]) -> QuerySet[EvaluationSheet]:
    """The grids these evaluators still fill in, as external evaluators, on the branch's
    evaluations in progress: what a suspension leaves in their hands for staff to reassign."""
    return (
        EvaluationSheet.objects.filter(
            evaluator_id__in=evaluator_ids,
            role=SheetRole.EXTERNAL,
            status=SheetStatus.DRAFT,
            evaluation__status=EvaluationStatus.IN_PROGRESS,
            evaluation__dossier__branch_id=branch_id,
        )
        .select_related("evaluation__dossier__candidate", "evaluation__dossier__version")
        .order_by("evaluation__due_date", "evaluation__dossier__reference", "pk")
    )


def capacity_outcomes(*, evaluation: Evaluation) -> dict[int, dict[int, str]]:
    """For each capacity id, the outcome given on each submitted sheet (sheet id -> outcome)."""
    outcomes: dict[int, dict[int, str]] = {}
    rows = CapacityResult.objects.filter(
        sheet__evaluation=evaluation, sheet__status=SheetStatus.SUBMITTED
    ).values_list("capacity_id", "sheet_id", "outcome")
    for capacity_id, sheet_id, outcome in rows:
        outcomes.setdefault(capacity_id, {})[sheet_id] = outcome
    return outcomes


def divergent_capacity_ids(*, evaluation: Evaluation) -> set[int]:
    """Capacities on which the two halves of a binôme disagree (both sheets submitted)."""
    submitted = evaluation.sheets.filter(status=SheetStatus.SUBMITTED).count()
    if submitted < 2 or submitted != evaluation.sheets.count():
        return set()
    return {
        capacity_id
        for capacity_id, by_sheet in capacity_outcomes(evaluation=evaluation).items()
        if len(set(by_sheet.values())) > 1
    }


def final_evaluation(*, dossier: Dossier) -> Evaluation | None:
    return (
        Evaluation.objects.filter(dossier=dossier, kind="final", status="submitted")
        .order_by("-submitted_at")
        .first()
    )


def credited_capacity_ids(*, dossier: Dossier) -> set[int]:
    """Capacities credited into the dossier from issued documents: not evaluated again."""
    return set(dossier.credited_capacities.values_list("capacity_id", flat=True))


def proposed_capacity_ids(*, dossier: Dossier) -> set[int]:
    """Capacities the final evaluation found acquired on every sheet, and those credited from
    issued documents: the jury's starting point."""
    credited = credited_capacity_ids(dossier=dossier)
    evaluation = final_evaluation(dossier=dossier)
    if evaluation is None:
        return credited
    return credited | {
        capacity_id
        for capacity_id, by_sheet in capacity_outcomes(evaluation=evaluation).items()
        if by_sheet
        and capacity_id not in credited
        and all(o == CapacityOutcome.ACQUIRED for o in by_sheet.values())
    }


def version_capacities(*, dossier: Dossier) -> QuerySet[Capacity]:
    return Capacity.objects.filter(bloc__version_id=dossier.version_id).select_related("bloc")


def sheets_of(*, user: Any) -> QuerySet[EvaluationSheet]:
    return EvaluationSheet.objects.of_evaluator(user).select_related(
        "evaluation__dossier__candidate",
        "evaluation__dossier__branch",
        "evaluation__dossier__version__referentiel",
    )


@dataclass(frozen=True)
class DossierCompliance:
    item: AgendaItem
    problems: list[Problem]


@dataclass(frozen=True)
class SessionCompliance:
    """The compliance gate's checklist for a session's agenda, before anything is issued."""

    on: datetime.date
    branch_problems: list[Problem]
    dossiers: list[DossierCompliance]

    @property
    def blocked(self) -> list[DossierCompliance]:
        return [d for d in self.dossiers if d.problems]

    @property
    def ok(self) -> bool:
        return not self.branch_problems and not self.blocked


def session_compliance(*, session: JurySession, agenda: Sequence[AgendaItem]) -> SessionCompliance:
    """What the gate would refuse for the dossiers still awaiting the jury, decided today (or on
    the day the session sits, if later). `agenda`: items with their dossier's candidate and
    version prefetched, and the référentiel's registrations (`AGENDA_COMPLIANCE_PREFETCH`)."""
    on = max(timezone.localdate(), timezone.localdate(session.held_on))
    waiting = [item for item in agenda if item.dossier.status == DossierStatus.SCHEDULED]
    return SessionCompliance(
        on=on,
        branch_problems=compliance.branch_problems(session.branch),
        dossiers=[
            DossierCompliance(item, compliance.dossier_problems(dossier=item.dossier, on=on))
            for item in waiting
        ],
    )


AGENDA_COMPLIANCE_PREFETCH = "dossier__version__referentiel__registrations"


def candidate_appointments(*, dossier: Dossier) -> QuerySet[Evaluation]:
    """The dossier's evaluations in progress with an appointment to come (the candidate's
    convocations), soonest first. The dossier is the candidate's own (the space's scope)."""
    return Evaluation.objects.filter(
        dossier=dossier,
        status=EvaluationStatus.IN_PROGRESS,
        appointment_at__gte=timezone.now() - datetime.timedelta(hours=12),
    ).order_by("appointment_at", "pk")


def upcoming_assignments(*, user: Any) -> QuerySet[EvaluationSheet]:
    """The user's own grids still to fill in whose evaluation has an appointment to come,
    while they hold the grant (EvaluationSheet.objects.of_evaluator), soonest first: the
    evaluator's upcoming evaluations and their calendar feed."""
    return (
        EvaluationSheet.objects.of_evaluator(user)
        .filter(
            evaluation__status=EvaluationStatus.IN_PROGRESS,
            evaluation__appointment_at__gte=timezone.now() - datetime.timedelta(hours=12),
        )
        .select_related("evaluation__dossier__branch", "evaluation__dossier__candidate")
        .order_by("evaluation__appointment_at", "pk")
    )


def calendar_feed_owner(*, token: str) -> Any | None:
    """The active user whose feed address carries `token`, else None (unknown or revoked)."""
    feed = (
        CalendarFeed.objects.select_related("user")
        .filter(token_sha256=feed_token_hash(token), user__is_active=True)
        .order_by()
        .first()
    )
    return feed.user if feed is not None else None
