"""Read-side of the CPNE staff's dashboard: what a branch has, what waits, what is due."""

from __future__ import annotations

import datetime
import operator
from dataclasses import dataclass, field
from functools import reduce
from typing import Any

from django.contrib.auth.hashers import UNUSABLE_PASSWORD_PREFIX
from django.db.models import Count, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from branches.models import Branch
from certifications import passport
from certifications.models import (
    Certificate,
    CertificateKind,
    CertificateStatus,
    RenderStatus,
)

from . import workflow
from .models import Dossier, DossierStatus

S = DossierStatus
# Partial validations whose validity ends within this many days are listed: six months, when
# the first expiry alert goes out (certifications.services.EXPIRY_ALERT_MONTHS).
EXPIRY_HORIZON_DAYS = 183
LIST_LIMIT = 10


@dataclass
class Dashboard:
    branch: Branch
    by_status: list[dict[str, Any]]
    total: int
    waiting: dict[str, int]
    sessions: list[Any]
    issued_this_year: dict[str, int]
    expiring: list[Certificate]
    expiring_count: int
    declaration_overdue: list[Certificate]
    declaration_overdue_count: int
    declaration_due: list[Certificate]
    declaration_due_count: int
    corrections: list[Certificate]
    corrections_count: int
    today: datetime.date = field(default_factory=timezone.localdate)


def dossiers_by_status(branch: Branch) -> list[dict[str, Any]]:
    """One aggregation query: each status with its count (zeros included, in path order)."""
    counts = dict(
        Dossier.objects.filter(branch=branch)
        .order_by()
        .values_list("status")
        .annotate(n=Count("pk"))
        .values_list("status", "n")
    )
    return [
        {"status": status, "label": label, "count": counts.get(status, 0)}
        for status, label in S.choices
    ]


def may_start(step: workflow.Transition) -> Q:
    """The dossiers from which `step` may start, as the workflow table says: per starting
    state, the routes it is open to (all of them: no filter on the route)."""
    every_route = frozenset(workflow.ROUTES)
    return reduce(
        operator.or_,
        (
            Q(status=status)
            if routes == every_route
            else Q(status=status, access_route__in=sorted(routes))
            for status, routes in sorted(workflow.starting_points(step.name).items())
        ),
    )


# What the dashboard's counts (and the dossier list's "À traiter" filter) call each step.
TODO_LABELS = {
    "admissibility": _("Recevabilité VAE à prononcer"),
    "positioning": _("Positionnement à démarrer"),
    "to_schedule": _("À inscrire à un jury"),
}


# Not a step of the workflow but a follow-up the staff owe: candidates who cannot enter their
# space yet (no account, or one whose invitation was never used: its password still
# unusable), the abandoned dossiers left aside.
SPACE_NOT_ACTIVATED = "space_not_activated"
FOLLOW_UP_LABELS = {SPACE_NOT_ACTIVATED: _("Espace candidat pas encore activé")}


def space_not_activated() -> Q:
    return (
        Q(candidate__user__isnull=True)
        | Q(candidate__user__password__startswith=UNUSABLE_PASSWORD_PREFIX)
    ) & ~Q(status=S.WITHDRAWN)


def waiting_filter(todo: str) -> Q:
    """The dossiers waiting for the CPNE's step counted under `todo` on the dashboard."""
    if todo == SPACE_NOT_ACTIVATED:
        return space_not_activated()
    step = next(step for step in workflow.staff_todo() if step.todo == todo)
    return may_start(step)


def waiting_on_staff(branch: Branch) -> dict[str, int]:
    """Dossiers waiting for a step that the CPNE takes (the table's steps with a `todo` key)
    and the candidates whose space is not activated yet, counted in one query."""
    steps = {step.todo: Count("pk", filter=may_start(step)) for step in workflow.staff_todo()}
    # Candidates, not dossiers: one person with two dossiers has one space to activate.
    steps[SPACE_NOT_ACTIVATED] = Count("candidate", distinct=True, filter=space_not_activated())
    return Dossier.objects.filter(branch=branch).aggregate(**steps) | Certificate.objects.filter(
        branch=branch
    ).aggregate(failed_renders=Count("pk", filter=Q(render_status=RenderStatus.FAILED)))


def next_sessions(branch: Branch) -> list[Any]:
    # The jury sessions belong to the evaluations room, above this one: reached through the
    # relation it declares onto branches; "planned" and "open" are its SessionStatus values.
    return list(
        branch.jury_sessions.filter(status__in=["planned", "open"])
        .annotate(dossier_count=Count("agenda"))
        .order_by("held_on")[:5]
    )


def issued_this_year(branch: Branch, today: datetime.date) -> dict[str, int]:
    """Originals only: a reissue is the same award, corrected."""
    return Certificate.objects.filter(
        branch=branch,
        issued_on__gte=datetime.date(today.year, 1, 1),
        issued_on__lte=today,
        reissue_of__isnull=True,
    ).aggregate(
        certificates=Count("pk", filter=Q(kind=CertificateKind.CERTIFICATE)),
        partials=Count("pk", filter=Q(kind=CertificateKind.PARTIAL)),
    )


def expiring_partials(branch: Branch, today: datetime.date) -> Any:
    """Valid partial attestations that lapse within the horizon (the branch's validity period
    was applied at issue; an unlimited one has no end date and never shows here). A partial
    validation completed since (`CertificateQuerySet.not_completed`) is not listed."""
    return (
        Certificate.objects.filter(
            branch=branch,
            kind=CertificateKind.PARTIAL,
            status=CertificateStatus.VALID,
            valid_until__gte=today,
            valid_until__lte=today + datetime.timedelta(days=EXPIRY_HORIZON_DAYS),
        )
        .not_completed()
        .select_related("dossier")
        .order_by("valid_until", "pk")
    )


def undeclared_certificates(branch: Branch) -> Any:
    """Valid certificates not (or no longer: rejected) declared to the Caisse des Dépôts.

    `reported_to_passport_at` is written only by the declarations room's services: set when
    the award goes into a flux, cleared when the Caisse rejects it (docs/cdc.md)."""
    return Certificate.objects.filter(
        branch=branch,
        kind=CertificateKind.CERTIFICATE,
        status=CertificateStatus.VALID,
        reported_to_passport_at__isnull=True,
    )


def declaration_overdue(branch: Branch, today: datetime.date) -> Any:
    """Undeclared awards past the three-month limit."""
    return (
        undeclared_certificates(branch)
        .filter(issued_on__lt=passport.late_before(today))
        .select_related("dossier")
        .order_by("issued_on", "pk")
    )


def declaration_due(branch: Branch, today: datetime.date) -> Any:
    """Undeclared awards whose limit falls within the warning window."""
    return (
        undeclared_certificates(branch)
        .filter(
            issued_on__gte=passport.late_before(today), issued_on__lt=passport.due_before(today)
        )
        .select_related("dossier")
        .order_by("issued_on", "pk")
    )


def corrections_due(branch: Branch) -> Any:
    """Certificates revoked after their declaration whose corrective declaration is not
    recorded yet (the entries are the declarations room's, read through its relation)."""
    return (
        Certificate.objects.filter(
            branch=branch,
            status=CertificateStatus.REVOKED,
            reported_to_passport_at__isnull=False,
            cdc_entries__outcome__in=("pending", "accepted"),
            cdc_entries__correction_recorded_at__isnull=True,
        )
        .distinct()
        .select_related("dossier")
        .order_by("revoked_at", "pk")
    )


def dashboard_for(branch: Branch) -> Dashboard:
    today = timezone.localdate()
    by_status = dossiers_by_status(branch)
    expiring = expiring_partials(branch, today)
    overdue = declaration_overdue(branch, today)
    due = declaration_due(branch, today)
    corrections = corrections_due(branch)
    return Dashboard(
        branch=branch,
        by_status=by_status,
        total=sum(row["count"] for row in by_status),
        waiting=waiting_on_staff(branch),
        sessions=next_sessions(branch),
        issued_this_year=issued_this_year(branch, today),
        expiring=list(expiring[:LIST_LIMIT]),
        expiring_count=expiring.count(),
        declaration_overdue=list(overdue[:LIST_LIMIT]),
        declaration_overdue_count=overdue.count(),
        declaration_due=list(due[:LIST_LIMIT]),
        declaration_due_count=due.count(),
        corrections=list(corrections[:LIST_LIMIT]),
        corrections_count=corrections.count(),
        today=today,
    )


def national_overview() -> list[dict[str, Any]]:
    """For national administrators: each branch with its dossiers and what waits on its CPNE,
    in one grouped query (the branches without a dossier too)."""
    steps = {step.todo: Count("pk", filter=may_start(step)) for step in workflow.staff_todo()}
    counts = {
        row["branch_id"]: row
        for row in Dossier.objects.order_by()
        .values("branch_id")
        .annotate(total=Count("pk"), **steps)
    }
    empty = {"total": 0, **dict.fromkeys(steps, 0)}
    return [
        {
            "branch": branch,
            **{k: v for k, v in counts.get(branch.pk, empty).items() if k != "branch_id"},
        }
        for branch in Branch.objects.order_by("name")
    ]
