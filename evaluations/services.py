"""Writes of the evaluations room: evaluations and their sheets, jury sessions, decisions.

A decision moves the dossier (candidates.services) and issues the certificate
(certifications.services) in the same transaction; the PDF is rendered after commit.
"""

from __future__ import annotations

import datetime
import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, NamedTuple

from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from guardian.shortcuts import assign_perm, remove_perm

from audit.services import audit_record
from branches.access import forget_roles, require_branch_staff, roles_of
from branches.models import VIEW_COMPANY, Branch, College, Company, Membership, QuorumRule, Role
from candidates import services as dossier_services
from candidates import workflow
from candidates.models import Dossier, DossierStatus
from certifications import compliance
from certifications.models import Capacity
from certifications.services import certificate_issue
from core.errors import AccessRefused, DomainError, InvalidTransition
from core.ratelimit import window_hit
from core.reminders import reminder_claim, reminders_forget

from . import selectors, voting
from .models import (
    SCORE_EVALUATION,
    SIT_ON_SESSION,
    AgendaItem,
    CalendarFeed,
    CapacityOutcome,
    CapacityResult,
    ConvocationAnswer,
    Decision,
    DecisionCapacity,
    Evaluation,
    EvaluationKind,
    EvaluationSheet,
    EvaluationStatus,
    IndicatorMark,
    JuryMember,
    JurySession,
    MemberRole,
    MinutesSignature,
    Outcome,
    Proposal,
    ProposalStatus,
    SessionStatus,
    SheetRole,
    SheetStatus,
    Vote,
    VoteChoice,
    feed_token_hash,
)
from .tasks import (
    email_appointment_cancelled,
    email_appointment_convocation,
    email_decision_recorded,
    email_evaluator_assigned,
    email_jury_convocation,
    email_jury_convocation_cancelled,
    email_sheet_submitted,
    enqueue_email,
)


class StaleSheet(DomainError):
    """The sheet changed since the user loaded it: nothing is overwritten."""

    code = "stale_sheet"


# --- Grants --------------------------------------------------------------------
# django-guardian's direct foreign-key grants decide who sees an evaluation, its grid, its
# dossier and evidence (evaluator, référent), a session and its agenda (jury member), a
# company (référent). Only the services of this module write or revoke them.


def _grant_evaluation(user: Any, evaluation: Evaluation) -> None:
    assign_perm(f"evaluations.{SCORE_EVALUATION}", user, evaluation)


def _revoke_evaluation(user: Any, evaluation: Evaluation) -> None:
    remove_perm(f"evaluations.{SCORE_EVALUATION}", user, evaluation)


# --- Evaluations -------------------------------------------------------------


@transaction.atomic
def evaluation_create(
    *,
    dossier: Dossier,
    kind: str,
    external_evaluator: Any,
    by: Any,
    referent: Any | None = None,
    due_date: datetime.date | None = None,
    appointment_at: datetime.datetime | None = None,
    appointment_place: str = "",
    appointment_link: str = "",
) -> Evaluation:
    """Assign an evaluation to a habilitated external evaluator, with the company référent as
    the other half of a binôme when given; with an appointment (a date and time, and a place
    or a video link), each of them gets it as a calendar invitation."""
    require_branch_staff(by, dossier.branch_id)
    appointment_place, appointment_link = _clean_appointment(
        appointment_at, appointment_place, appointment_link
    )
    dossier = Dossier.objects.select_for_update().get(pk=dossier.pk)
    if kind not in EvaluationKind.values:
        raise DomainError(_("Type d'évaluation inconnu."), code="invalid_kind")
    # The workflow table says from which states an evaluation is assigned, and of which kind.
    if dossier.status not in workflow.allowed_from(
        "assign_evaluation", dossier.access_route
    ) or kind != workflow.evaluation_kind(dossier.status):
        raise InvalidTransition(
            _("Le dossier est « %(status)s » : une évaluation « %(kind)s » ne peut être confiée.")
            % {"status": dossier.get_status_display(), "kind": EvaluationKind(kind).label}
        )
    if dossier.evaluations.filter(kind=kind, status=EvaluationStatus.IN_PROGRESS).exists():
        raise DomainError(
            _("Une évaluation de ce type est déjà en cours pour ce dossier."), code="duplicate"
        )
    if not selectors.eligible_evaluators(dossier=dossier).filter(pk=external_evaluator.pk).exists():
        raise DomainError(
            _(
                "Cet évaluateur n'est pas habilité par la branche pour ce CQPI à ce jour "
                "(ou son habilitation est suspendue), ou un conflit d'intérêts est déclaré "
                "avec l'entreprise."
            ),
            code="evaluator_not_eligible",
        )
    if referent is not None:
        if referent.pk == external_evaluator.pk:
            raise DomainError(_("Le binôme réunit deux personnes différentes."), code="same_person")
        if not selectors.eligible_referents(dossier=dossier).filter(pk=referent.pk).exists():
            raise DomainError(
                _("Cette personne n'est pas référent de l'entreprise du candidat."),
                code="referent_not_eligible",
            )
    evaluation = Evaluation.objects.create(
        dossier=dossier,
        kind=kind,
        due_date=due_date,
        appointment_at=appointment_at,
        appointment_place=appointment_place,
        appointment_link=appointment_link,
        created_by=by,
    )
    halves = [(external_evaluator, SheetRole.EXTERNAL)]
    if referent is not None:
        halves.append((referent, SheetRole.REFERENT))
    for person, role in halves:
        new_sheet = EvaluationSheet.objects.create(
            evaluation=evaluation, evaluator=person, role=role
        )
        _grant_evaluation(person, evaluation)
        enqueue_email(email_evaluator_assigned, new_sheet.pk)
    if appointment_at is not None:
        # The candidate is convoked too (their own invitation, answered in their space).
        enqueue_email(email_appointment_convocation, evaluation.pk, kind="invite")
    audit_record(
        "evaluation.assign",
        obj=evaluation,
        branch=dossier.branch_id,
        actor=by,
        details={
            "kind": kind,
            "dossier": dossier.reference,
            "evaluators": [p.pk for p, _r in halves],
            "appointment": appointment_at.isoformat() if appointment_at else None,
        },
    )
    return evaluation


@transaction.atomic
def evaluation_reassign(*, sheet: EvaluationSheet, evaluator: Any, by: Any) -> EvaluationSheet:
    """Hand a grid still being filled in to another person: an eligible external evaluator for
    the external half, another référent of the company for the référent's half.

    The grant moves with it: the person replaced loses the evaluation, its grid, its dossier
    and its evidence at once. Their unsubmitted marks are discarded, as the newcomer scores on
    their own judgement; the evidence they added stays with the dossier."""
    evaluation = sheet.evaluation
    dossier = evaluation.dossier
    require_branch_staff(by, dossier.branch_id)
    locked_evaluation = Evaluation.objects.select_for_update().get(pk=evaluation.pk)
    locked = EvaluationSheet.objects.select_for_update().get(pk=sheet.pk)
    if (
        locked.status != SheetStatus.DRAFT
        or locked_evaluation.status != EvaluationStatus.IN_PROGRESS
    ):
        raise InvalidTransition(
            _("Cette grille a été transmise : son évaluateur ne peut plus être remplacé.")
        )
    previous = locked.evaluator
    if evaluator.pk == previous.pk:
        raise DomainError(_("Cette personne tient déjà cette grille."), code="same_evaluator")
    if locked_evaluation.sheets.exclude(pk=locked.pk).filter(evaluator_id=evaluator.pk).exists():
        raise DomainError(_("Le binôme réunit deux personnes différentes."), code="same_person")
    if locked.role == SheetRole.REFERENT:
        if not selectors.eligible_referents(dossier=dossier).filter(pk=evaluator.pk).exists():
            raise DomainError(
                _("Cette personne n'est pas référent de l'entreprise du candidat."),
                code="referent_not_eligible",
            )
    elif not selectors.eligible_evaluators(dossier=dossier).filter(pk=evaluator.pk).exists():
        raise DomainError(
            _(
                "Cet évaluateur n'est pas habilité par la branche pour ce CQPI à ce jour "
                "(ou son habilitation est suspendue), ou un conflit d'intérêts est déclaré "
                "avec l'entreprise."
            ),
            code="evaluator_not_eligible",
        )
    _total, deleted = CapacityResult.objects.filter(sheet=locked).delete()
    discarded = deleted.get(CapacityResult._meta.label, 0)
    locked.evaluator = evaluator
    locked.version += 1  # a page still open on the old grid saves nothing
    locked.save(update_fields=["evaluator", "version"])
    _revoke_evaluation(previous, locked_evaluation)
    _grant_evaluation(evaluator, locked_evaluation)
    enqueue_email(email_evaluator_assigned, locked.pk)
    if locked_evaluation.appointment_at is not None:
        enqueue_email(email_appointment_cancelled, locked.pk, user_id=previous.pk)
    audit_record(
        "evaluation.reassign",
        obj=locked_evaluation,
        branch=dossier.branch_id,
        actor=by,
        details={
            "dossier": dossier.reference,
            "role": locked.role,
            "from": previous.pk,
            "to": evaluator.pk,
            "discarded_results": discarded,
        },
    )
    return locked


def _clean_appointment(
    appointment_at: datetime.datetime | None, place: str, link: str
) -> tuple[str, str]:
    place, link = place.strip(), link.strip()
    if appointment_at is None and (place or link):
        raise DomainError(
            _("Indiquez la date et l'heure du rendez-vous."), code="appointment_time_required"
        )
    if appointment_at is not None and not (place or link):
        raise DomainError(
            _("Indiquez le lieu du rendez-vous ou son lien de visioconférence."),
            code="appointment_place_required",
        )
    return place, link


@transaction.atomic
def evaluation_appointment_change(
    *,
    evaluation: Evaluation,
    appointment_at: datetime.datetime | None,
    appointment_place: str = "",
    appointment_link: str = "",
    by: Any,
) -> Evaluation:
    """Set, move or cancel (no date, no place) the appointment of an evaluation in progress.

    Everybody convoked — each evaluator of the binôme and the candidate — gets the matching
    invitation under their own UID, one SEQUENCE further: REQUEST for a new or moved
    appointment, CANCEL when it is withdrawn. A new date asks the candidate again (their answer
    was for the old one) and the reminders count from it."""
    require_branch_staff(by, evaluation.dossier.branch_id)
    place, link = _clean_appointment(appointment_at, appointment_place, appointment_link)
    locked = Evaluation.objects.select_for_update().select_related("dossier").get(pk=evaluation.pk)
    if locked.status != EvaluationStatus.IN_PROGRESS:
        raise InvalidTransition(
            _("Cette évaluation est terminée : son rendez-vous ne change plus.")
        )
    before_at, before_place, before_link = (
        locked.appointment_at,
        locked.appointment_place,
        locked.appointment_link,
    )
    if (appointment_at, place, link) == (before_at, before_place, before_link):
        raise DomainError(_("Le rendez-vous est inchangé."), code="unchanged")
    locked.appointment_at, locked.appointment_place, locked.appointment_link = (
        appointment_at,
        place,
        link,
    )
    locked.appointment_sequence += 1
    fields = ["appointment_at", "appointment_place", "appointment_link", "appointment_sequence"]
    if appointment_at != before_at:
        locked.candidate_answer, locked.candidate_answered_at = ConvocationAnswer.PENDING, None
        fields += ["candidate_answer", "candidate_answered_at"]
        reminders_forget(prefix=f"appointment:{locked.pk}:")
    locked.save(update_fields=fields)
    if appointment_at is None:
        kind = "cancel"
        extra = {
            "previous_at": before_at.isoformat() if before_at else "",
            "previous_where": before_place or before_link,
        }
    else:
        kind = "update" if before_at is not None else "invite"
        extra = {}
    if before_at is not None or appointment_at is not None:
        for sheet_id in locked.sheets.order_by("pk").values_list("pk", flat=True):
            enqueue_email(
                email_appointment_convocation,
                locked.pk,
                kind=kind,
                sheet_id=sheet_id,
                **extra,
            )
        enqueue_email(email_appointment_convocation, locked.pk, kind=kind, **extra)
    audit_record(
        "evaluation.appointment",
        obj=locked,
        branch=locked.dossier.branch_id,
        actor=by,
        details={
            "dossier": locked.dossier.reference,
            "from": before_at.isoformat() if before_at else None,
            "to": appointment_at.isoformat() if appointment_at else None,
            "place": place or link,
            "sequence": locked.appointment_sequence,
        },
    )
    return locked


@transaction.atomic
def appointment_answer(*, evaluation: Evaluation, accept: bool, by: Any) -> Evaluation:
    """The candidate of the dossier, and only they, confirms or declines their evaluation
    appointment while the evaluation is in progress and the appointment set."""
    candidate_user_id = evaluation.dossier.candidate.user_id
    if getattr(by, "pk", None) is None or candidate_user_id != by.pk:
        raise PermissionDenied
    locked = Evaluation.objects.select_for_update().get(pk=evaluation.pk)
    if locked.status != EvaluationStatus.IN_PROGRESS or locked.appointment_at is None:
        raise InvalidTransition(_("Aucun rendez-vous n'est prévu pour cette évaluation."))
    locked.candidate_answer = ConvocationAnswer.ACCEPTED if accept else ConvocationAnswer.DECLINED
    locked.candidate_answered_at = timezone.now()
    locked.save(update_fields=["candidate_answer", "candidate_answered_at"])
    evaluation.candidate_answer = locked.candidate_answer
    evaluation.candidate_answered_at = locked.candidate_answered_at
    audit_record(
        "evaluation.answer",
        obj=locked,
        branch=evaluation.dossier.branch_id,
        actor=by,
        details={"answer": locked.candidate_answer},
    )
    return locked


# --- The evaluator's private calendar feed ---------------------------------------------------


def _require_feed_holder(by: Any) -> None:
    roles = roles_of(by)
    if roles.user_id is None or not (roles.is_evaluator or roles.is_referent):
        raise PermissionDenied


@transaction.atomic
def calendar_feed_regenerate(*, by: Any) -> str:
    """Give an evaluator (or référent) a new private feed address and return its token, shown
    once; the previous address, if any, stops working at once."""
    _require_feed_holder(by)
    token = secrets.token_urlsafe(32)
    # The person's row is the lock: two renewals at once leave one address, not an error.
    get_user_model().objects.select_for_update().get(pk=by.pk)
    previous = CalendarFeed.objects.filter(user_id=by.pk).delete()[0]
    CalendarFeed.objects.create(
        user_id=by.pk, token_sha256=feed_token_hash(token), created_at=timezone.now()
    )
    audit_record("calendar_feed.regenerate", actor=by, details={"replaced": bool(previous)})
    return token


@transaction.atomic
def calendar_feed_revoke(*, by: Any) -> bool:
    """Withdraw the evaluator's feed address; True if there was one."""
    _require_feed_holder(by)
    deleted = CalendarFeed.objects.filter(user_id=by.pk).delete()[0]
    if deleted:
        audit_record("calendar_feed.revoke", actor=by)
    return bool(deleted)


@dataclass(frozen=True)
class CapacityEntry:
    outcome: str
    comment: str = ""
    marks: dict[int, int] | None = None


def _require_sheet_owner(sheet: EvaluationSheet, by: Any) -> None:
    if sheet.evaluator_id != getattr(by, "pk", None):
        raise PermissionDenied


@transaction.atomic
def sheet_save(
    *,
    sheet: EvaluationSheet,
    entries: dict[int, CapacityEntry],
    expected_version: int,
    by: Any,
) -> EvaluationSheet:
    """Save part or all of a grid. Refused with `StaleSheet` if someone saved in between."""
    _require_sheet_owner(sheet, by)
    locked = EvaluationSheet.objects.select_for_update().get(pk=sheet.pk)
    if locked.status != SheetStatus.DRAFT:
        raise InvalidTransition(_("Cette grille a été transmise : elle n'est plus modifiable."))
    if locked.version != expected_version:
        raise StaleSheet(
            _(
                "Cette grille a été modifiée ailleurs (autre onglet ou autre personne) depuis "
                "que vous l'avez ouverte. Rechargez-la : vos saisies non enregistrées sont "
                "conservées dans cette page."
            )
        )
    dossier = locked.evaluation.dossier
    capacities = {
        c.pk: c
        for c in Capacity.objects.filter(bloc__version_id=dossier.version_id).prefetch_related(
            "indicators"
        )
    }
    credited = selectors.credited_capacity_ids(dossier=dossier)
    for capacity_id, entry in entries.items():
        capacity = capacities.get(capacity_id)
        if capacity is None:
            raise DomainError(_("Capacité inconnue pour ce référentiel."), code="invalid_capacity")
        if capacity_id in credited:
            raise DomainError(
                _("La capacité %(code)s est déjà acquise (créditée) : elle n'est pas évaluée.")
                % {"code": capacity.code},
                code="credited_capacity",
            )
        if entry.outcome not in CapacityOutcome.values:
            raise DomainError(_("Résultat inconnu."), code="invalid_outcome")
        indicators = {i.pk: i for i in capacity.indicators.all()}
        result, _created = CapacityResult.objects.update_or_create(
            sheet=locked,
            capacity=capacity,
            defaults={"outcome": entry.outcome, "comment": entry.comment.strip()},
        )
        for indicator_id, mark in (entry.marks or {}).items():
            indicator = indicators.get(indicator_id)
            if indicator is None:
                raise DomainError(_("Indicateur inconnu."), code="invalid_indicator")
            if not 0 <= mark <= indicator.max_mark:
                raise DomainError(
                    _("La note de « %(label)s » doit être comprise entre 0 et %(max)d.")
                    % {"label": indicator.label, "max": indicator.max_mark},
                    code="invalid_mark",
                )
            IndicatorMark.objects.update_or_create(
                result=result, indicator=indicator, defaults={"mark": mark}
            )
    locked.version += 1
    locked.save(update_fields=["version"])
    sheet.version = locked.version
    audit_record(
        "sheet.save",
        obj=locked,
        branch=dossier.branch_id,
        actor=by,
        details={
            "dossier": dossier.reference,
            "capacities": len(entries),
            "version": locked.version,
        },
    )
    return locked


@transaction.atomic
def sheet_submit(*, sheet: EvaluationSheet, by: Any) -> EvaluationSheet:
    """Submit a complete grid; when the last sheet of a final evaluation is in, the dossier is
    ready for the jury."""
    _require_sheet_owner(sheet, by)
    locked = EvaluationSheet.objects.select_for_update().get(pk=sheet.pk)
    if locked.status != SheetStatus.DRAFT:
        raise InvalidTransition(_("Cette grille a déjà été transmise."))
    evaluation = Evaluation.objects.select_for_update().get(pk=locked.evaluation_id)
    dossier = evaluation.dossier
    # Credited capacities are not evaluated: the grid is complete without them.
    credited = selectors.credited_capacity_ids(dossier=dossier)
    expected = (
        Capacity.objects.filter(bloc__version_id=dossier.version_id)
        .exclude(pk__in=credited)
        .count()
    )
    assessed = (
        locked.results.exclude(outcome=CapacityOutcome.NOT_ASSESSED)
        .exclude(capacity_id__in=credited)
        .count()
    )
    if assessed < expected:
        raise DomainError(
            _("Il reste %(left)d capacité(s) à évaluer avant de transmettre la grille.")
            % {"left": expected - assessed},
            code="incomplete_sheet",
        )
    now = timezone.now()
    locked.status = SheetStatus.SUBMITTED
    locked.submitted_at = now
    locked.version += 1
    locked.save(update_fields=["status", "submitted_at", "version"])
    sheet.status, sheet.version = locked.status, locked.version
    if not evaluation.sheets.filter(status=SheetStatus.DRAFT).exists():
        evaluation.status = EvaluationStatus.SUBMITTED
        evaluation.submitted_at = now
        evaluation.save(update_fields=["status", "submitted_at"])
        if evaluation.kind == EvaluationKind.FINAL and dossier.status == DossierStatus.EVALUATION:
            dossier_services.dossier_mark_ready_for_jury(
                dossier=dossier, by=by, comment=_("Évaluation finale transmise.")
            )
    enqueue_email(email_sheet_submitted, locked.pk)
    audit_record(
        "sheet.submit",
        obj=locked,
        branch=dossier.branch_id,
        actor=by,
        details={"dossier": dossier.reference},
    )
    return locked


# --- Jury sessions -----------------------------------------------------------


@transaction.atomic
def jury_session_create(
    *, branch: Branch, held_on: datetime.datetime, place: str, by: Any
) -> JurySession:
    require_branch_staff(by, branch.pk)
    if not place.strip():
        raise DomainError(_("Indiquez le lieu de la session."), code="place_required")
    session = JurySession.objects.create(
        branch=branch, held_on=held_on, place=place.strip(), created_by=by
    )
    audit_record("session.create", obj=session, branch=branch.pk, actor=by)
    return session


def _lock_session(session: JurySession, *, allowed: tuple[str, ...]) -> JurySession:
    locked = JurySession.objects.select_for_update().get(pk=session.pk)
    if locked.status not in allowed:
        raise InvalidTransition(
            _("La session est « %(status)s » : opération impossible.")
            % {"status": locked.get_status_display()}
        )
    return locked


@transaction.atomic
def jury_member_convoke(
    *, session: JurySession, user: Any, by: Any, role: str = MemberRole.MEMBER
) -> JuryMember:
    """Convoke a jury member of the branch; their collège comes from their membership."""
    require_branch_staff(by, session.branch_id)
    locked = _lock_session(session, allowed=(SessionStatus.PLANNED,))
    membership = Membership.objects.filter(
        user=user, branch_id=locked.branch_id, role=Role.JURY, is_active=True
    ).first()
    if membership is None:
        raise DomainError(
            _("Cette personne n'est pas membre de jury de la branche."), code="not_jury_member"
        )
    if locked.members.filter(user=user).exists():
        raise DomainError(_("Cette personne est déjà convoquée."), code="already_convoked")
    if role != MemberRole.MEMBER and locked.members.filter(role=role).exists():
        raise DomainError(_("Cette fonction est déjà attribuée."), code="role_taken")
    member = JuryMember.objects.create(
        session=locked, user=user, college=membership.college, role=role
    )
    assign_perm(f"evaluations.{SIT_ON_SESSION}", user, locked)
    enqueue_email(email_jury_convocation, member.pk, kind="invite")
    audit_record(
        "session.convoke",
        obj=locked,
        branch=locked.branch_id,
        actor=by,
        details={"member": user.pk, "role": role},
    )
    return member


@transaction.atomic
def jury_member_release(*, member: JuryMember, by: Any) -> None:
    """Withdraw a convocation before the session opens: the seat and its grant go, so the
    person no longer sees the session nor its agenda."""
    session = member.session
    require_branch_staff(by, session.branch_id)
    locked_session = _lock_session(session, allowed=(SessionStatus.PLANNED,))
    locked = JuryMember.objects.select_for_update().get(pk=member.pk)
    user = locked.user
    seat_id, sequence = locked.pk, locked.invitation_sequence + 1
    locked.delete()
    remove_perm(f"evaluations.{SIT_ON_SESSION}", user, locked_session)
    # The calendar invitation is cancelled under the seat's UID, one SEQUENCE further.
    enqueue_email(
        email_jury_convocation_cancelled,
        seat_id,
        session_id=locked_session.pk,
        user_id=user.pk,
        sequence=sequence,
    )
    audit_record(
        "session.release",
        obj=locked_session,
        branch=locked_session.branch_id,
        actor=by,
        details={"member": user.pk, "role": locked.role},
    )


@transaction.atomic
def jury_session_reschedule(
    *, session: JurySession, held_on: datetime.datetime, place: str, by: Any
) -> JurySession:
    """Move a planned session (date, time or place): every member convoked gets the updated
    invitation (same UID, next SEQUENCE). A new date asks each of them again (their answer was
    for the old one) and the reminders count from it."""
    require_branch_staff(by, session.branch_id)
    locked = _lock_session(session, allowed=(SessionStatus.PLANNED,))
    place = place.strip()
    if not place:
        raise DomainError(_("Indiquez le lieu de la session."), code="place_required")
    moved = held_on != locked.held_on
    if not moved and place == locked.place:
        raise DomainError(_("La date et le lieu sont inchangés."), code="unchanged")
    before = {"held_on": locked.held_on.isoformat(), "place": locked.place}
    locked.held_on, locked.place = held_on, place
    locked.save(update_fields=["held_on", "place"])
    session.held_on, session.place = held_on, place
    for member in locked.members.select_for_update().order_by("pk"):
        member.invitation_sequence += 1
        fields = ["invitation_sequence"]
        if moved:
            member.answer, member.answered_at = ConvocationAnswer.PENDING, None
            member.reminded_week_before_at = member.reminded_day_before_at = None
            fields += ["answer", "answered_at", "reminded_week_before_at", "reminded_day_before_at"]
        member.save(update_fields=fields)
        enqueue_email(email_jury_convocation, member.pk, kind="update")
    audit_record(
        "session.reschedule",
        obj=locked,
        branch=locked.branch_id,
        actor=by,
        details={"from": before, "to": {"held_on": held_on.isoformat(), "place": place}},
    )
    return locked


@transaction.atomic
def convocation_answer(*, member: JuryMember, accept: bool, by: Any) -> JuryMember:
    """The member convoked, and only they, confirms or declines their convocation while the
    session is planned; staff see the answer on the session's page."""
    if getattr(by, "pk", None) is None or member.user_id != by.pk:
        raise PermissionDenied
    session = _lock_session(member.session, allowed=(SessionStatus.PLANNED,))
    locked = JuryMember.objects.select_for_update().filter(pk=member.pk).first()
    if locked is None:
        raise PermissionDenied  # released in the meantime
    locked.answer = ConvocationAnswer.ACCEPTED if accept else ConvocationAnswer.DECLINED
    locked.answered_at = timezone.now()
    locked.save(update_fields=["answer", "answered_at"])
    member.answer, member.answered_at = locked.answer, locked.answered_at
    audit_record(
        "session.answer",
        obj=session,
        branch=session.branch_id,
        actor=by,
        details={"member": by.pk, "answer": locked.answer},
    )
    return locked


# Reminders before a session: (days before, the seat's field that records it was sent). Each
# window ends where the next begins, so a late convocation gets only the reminders still due.
REMINDERS = ((7, "reminded_week_before_at"), (1, "reminded_day_before_at"))


@transaction.atomic
def jury_reminders_send(*, now: datetime.datetime | None = None) -> int:
    """Remind the members convoked to planned sessions 7 days and 1 day before, once each:
    the seat records each reminder in the same transaction that enqueues it, so a second run
    (or a concurrent one, which skips the locked seats) sends nothing again. Declined seats
    are not reminded; released ones are gone. Returns how many reminders were enqueued."""
    now = now or timezone.now()
    sent = 0
    for position, (days, field) in enumerate(REMINDERS):
        window_end = now + datetime.timedelta(days=days)
        later = REMINDERS[position + 1][0] if position + 1 < len(REMINDERS) else 0
        window_start = now + datetime.timedelta(days=later)
        seats = (
            JuryMember.objects.select_for_update(skip_locked=True, of=("self",))
            .filter(
                session__status=SessionStatus.PLANNED,
                session__held_on__gt=window_start,
                session__held_on__lte=window_end,
                **{f"{field}__isnull": True},
            )
            .exclude(answer=ConvocationAnswer.DECLINED)
            .select_related("session")
            .order_by("pk")
        )
        for seat in seats:
            setattr(seat, field, now)
            seat.save(update_fields=[field])
            ahead = (timezone.localdate(seat.session.held_on) - timezone.localdate(now)).days
            enqueue_email(email_jury_convocation, seat.pk, kind="reminder", days=max(1, ahead))
            audit_record(
                "session.remind",
                obj=seat.session,
                branch=seat.session.branch_id,
                details={"member": seat.user_id, "days": days},
            )
            sent += 1
    return sent


def _reminder_windows(
    now: datetime.datetime,
) -> list[tuple[int, datetime.datetime, datetime.datetime]]:
    """(days before, window start, window end) for each reminder of REMINDERS."""
    windows = []
    for position, (days, _field) in enumerate(REMINDERS):
        later = REMINDERS[position + 1][0] if position + 1 < len(REMINDERS) else 0
        windows.append(
            (days, now + datetime.timedelta(days=later), now + datetime.timedelta(days=days))
        )
    return windows


@transaction.atomic
def appointment_reminders_send(*, now: datetime.datetime | None = None) -> int:
    """Remind everybody convoked to an evaluation appointment — the candidate (unless they
    declined) and each evaluator of the binôme — 7 days and 1 day before, once each: the
    reminder's key (core.reminders) is claimed in the transaction that enqueues it. Moving
    the appointment forgets its reminders. Returns how many were enqueued."""
    now = now or timezone.now()
    sent = 0
    for days, start, end in _reminder_windows(now):
        evaluations = (
            Evaluation.objects.filter(
                status=EvaluationStatus.IN_PROGRESS,
                appointment_at__gt=start,
                appointment_at__lte=end,
            )
            .select_related("dossier")
            .prefetch_related("sheets")
            .order_by("pk")
        )
        for evaluation in evaluations:
            assert evaluation.appointment_at is not None
            ahead = max(
                1,
                (timezone.localdate(evaluation.appointment_at) - timezone.localdate(now)).days,
            )
            people: list[tuple[str, int | None]] = [
                (f"sheet{sheet.pk}-user{sheet.evaluator_id}", sheet.pk)
                for sheet in evaluation.sheets.all()
            ]
            if evaluation.candidate_answer != ConvocationAnswer.DECLINED:
                people.append(("candidate", None))
            reminded = []
            for who, sheet_id in people:
                if not reminder_claim(f"appointment:{evaluation.pk}:{who}:{days}", now=now):
                    continue
                enqueue_email(
                    email_appointment_convocation,
                    evaluation.pk,
                    kind="reminder",
                    sheet_id=sheet_id,
                    days=ahead,
                )
                reminded.append(who)
            if reminded:
                audit_record(
                    "evaluation.remind",
                    obj=evaluation,
                    branch=evaluation.dossier.branch_id,
                    details={"days": days, "people": reminded},
                )
                sent += len(reminded)
    return sent


@transaction.atomic
def jury_member_set_presence(
    *, member: JuryMember, present: bool, by: Any, excused: bool = False
) -> JuryMember:
    """The roll call before the session opens (present, absent, or absent and excused); once
    it is open, a member who leaves the sitting is marked absent (and present again if they
    come back). Parity and quorum are checked again at each vote."""
    require_branch_staff(by, member.session.branch_id)
    session = _lock_session(member.session, allowed=(SessionStatus.PLANNED, SessionStatus.OPEN))
    locked = JuryMember.objects.select_for_update().get(pk=member.pk)
    sitting = session.status == SessionStatus.OPEN
    if excused and (present or sitting):
        raise DomainError(
            _("Seul un membre absent à l'appel peut être excusé."), code="excused_present"
        )
    locked.present = present
    locked.excused = excused
    if sitting and not present:
        locked.left_at = timezone.now()
    locked.save(update_fields=["present", "excused", "left_at"])
    member.present, member.excused, member.left_at = present, excused, locked.left_at
    audit_record(
        "session.presence",
        obj=session,
        branch=session.branch_id,
        actor=by,
        details={"member": locked.user_id, "present": present, "excused": excused},
    )
    if sitting and not present:
        # The votes still open may now have every member present's vote.
        for proposal in session.proposals.select_for_update().filter(status=ProposalStatus.OPEN):
            _proposal_conclude_if_complete(session, proposal, by=by)
    return locked


@transaction.atomic
def jury_session_add_dossier(*, session: JurySession, dossier: Dossier, by: Any) -> AgendaItem:
    require_branch_staff(by, session.branch_id)
    locked = _lock_session(session, allowed=(SessionStatus.PLANNED, SessionStatus.OPEN))
    if dossier.branch_id != locked.branch_id:
        raise DomainError(_("Ce dossier relève d'une autre branche."), code="other_branch")
    dossier_services.dossier_schedule(
        dossier=dossier,
        by=by,
        comment=_("Inscrit à la session du %(date)s.")
        % {"date": timezone.localtime(locked.held_on).strftime("%d/%m/%Y")},
    )
    position = locked.agenda.count() + 1
    item = AgendaItem.objects.create(session=locked, dossier=dossier, position=position)
    audit_record(
        "session.add_dossier",
        obj=locked,
        branch=locked.branch_id,
        actor=by,
        details={"dossier": dossier.reference},
    )
    return item


def quorum_problems(session: JurySession, members: Sequence[JuryMember] | None = None) -> list[str]:
    """What keeps the session from sitting under its branch's parity and quorum rule.

    `members`: the session's members when the caller has already read them (its page)."""
    branch = session.branch
    if members is None:
        present = list(session.members.filter(present=True))
    else:
        present = [member for member in members if member.present]
    employers = sum(1 for m in present if m.college == College.EMPLOYERS)
    employees = sum(1 for m in present if m.college == College.EMPLOYEES)
    problems: list[str] = []
    minimum = 1
    if branch.quorum_rule == QuorumRule.MINIMUM_PER_COLLEGE:
        minimum = max(1, branch.quorum_minimum)
    for label, count in ((_("employeurs"), employers), (_("salariés"), employees)):
        if count < minimum:
            problems.append(
                _("Collège %(college)s : %(count)d membre(s) présent(s), %(min)d requis.")
                % {"college": label, "count": count, "min": minimum}
            )
    if branch.quorum_rule == QuorumRule.EQUAL and employers != employees:
        problems.append(
            _(
                "Parité : %(employers)d employeur(s) pour %(employees)d salarié(s), il faut autant de chaque collège."
            )
            % {"employers": employers, "employees": employees}
        )
    chair = next((m for m in present if m.role == MemberRole.CHAIR), None)
    vice = next((m for m in present if m.role == MemberRole.VICE_CHAIR), None)
    if chair is None:
        problems.append(
            _(
                "Le président du jury doit être présent : il conduit les votes et signe le procès-verbal."
            )
        )
    if chair and vice and chair.college == vice.college:
        problems.append(
            _("Le président et le vice-président doivent appartenir à des collèges différents.")
        )
    return problems


@transaction.atomic
def jury_session_open(*, session: JurySession, by: Any) -> JurySession:
    require_branch_staff(by, session.branch_id)
    locked = _lock_session(session, allowed=(SessionStatus.PLANNED,))
    problems = quorum_problems(locked)
    if problems:
        raise DomainError(
            _("La session ne peut pas s'ouvrir : %(problems)s") % {"problems": " ".join(problems)},
            code="no_quorum",
        )
    locked.status = SessionStatus.OPEN
    locked.opened_at = timezone.now()
    locked.save(update_fields=["status", "opened_at"])
    session.status, session.opened_at = locked.status, locked.opened_at
    audit_record("session.open", obj=locked, branch=locked.branch_id, actor=by)
    return locked


def _present_seat(user: Any, session: JurySession) -> JuryMember | None:
    """The user's seat in the session if they are present and still hold its grant."""
    roles = roles_of(user)
    if roles.user_id is None:
        return None
    return (
        session.members.filter(
            user_id=roles.user_id,
            present=True,
            session__grants__user_id=roles.user_id,
            session__grants__permission__codename=SIT_ON_SESSION,
        )
        .select_related("user")
        .first()
    )


class DeliberationRights(NamedTuple):
    """What a user may do in a session's deliberation, asked once per request."""

    may_decide: bool  # takes part: branch staff (the secretary), or a member present
    may_put: bool  # puts proposals, records a show of hands, withdraws: the chair or staff


def deliberation_rights(user: Any, session: JurySession) -> DeliberationRights:
    """Branch staff act as secretary; a member present takes part, and the chair present also
    puts proposals to the vote. One query (the seat) for a jury member, none for staff."""
    if roles_of(user).is_staff_of(session.branch_id):
        return DeliberationRights(may_decide=True, may_put=True)
    seat = _present_seat(user, session)
    return DeliberationRights(
        may_decide=seat is not None, may_put=seat is not None and seat.role == MemberRole.CHAIR
    )


def may_record_decision(user: Any, session: JurySession) -> bool:
    """Takes part in the deliberation: branch staff (the secretary), or a member present."""
    return deliberation_rights(user, session).may_decide


def may_put_proposal(user: Any, session: JurySession) -> bool:
    """Puts a proposal to the vote, records a show of hands, withdraws a proposal: the chair
    present, or branch staff acting as secretary."""
    return deliberation_rights(user, session).may_put


OUTCOME_STATUS = {
    Outcome.AWARD: DossierStatus.AWARDED,
    Outcome.PARTIAL: DossierStatus.PARTIALLY_AWARDED,
    Outcome.REFUSAL: DossierStatus.REFUSED,
}


def _refuse_without_quorum(session: JurySession) -> None:
    """Parity and quorum hold at each vote, not only at the opening: a member who left is
    marked absent and may take them away."""
    problems = quorum_problems(session)
    if problems:
        raise DomainError(
            _("Le quorum n'est plus atteint : %(problems)s") % {"problems": " ".join(problems)},
            code="no_quorum",
        )


def _scheduled_dossier(session: JurySession, dossier: Dossier) -> Dossier:
    if not session.agenda.filter(dossier_id=dossier.pk).exists():
        raise DomainError(_("Ce dossier n'est pas à l'ordre du jour."), code="not_on_agenda")
    locked = Dossier.objects.select_for_update().get(pk=dossier.pk)
    if locked.status != DossierStatus.SCHEDULED:
        raise InvalidTransition(
            _(
                "Le dossier %(ref)s est « %(status)s » : une décision est déjà enregistrée ou il n'attend pas de jury."
            )
            % {"ref": locked.reference, "status": locked.get_status_display()}
        )
    return locked


@transaction.atomic
def proposal_put(
    *,
    session: JurySession,
    dossier: Dossier,
    outcome: str,
    by: Any,
    validated_capacity_ids: set[int] | None = None,
    override_reasons: dict[int, str] | None = None,
    reasons: str = "",
) -> Proposal:
    """Put a proposed decision on a dossier of the agenda to the vote of the members present.

    The chair, or branch staff acting as secretary. Capacities default to the final
    evaluation's proposal; departing from it needs a reason per capacity; a partial validation
    or a refusal needs the jury's reasons. One proposal is voted at a time per dossier.
    """
    if not may_put_proposal(by, session):
        raise PermissionDenied
    locked_session = _lock_session(session, allowed=(SessionStatus.OPEN,))
    locked = _scheduled_dossier(locked_session, dossier)
    if outcome not in Outcome.values:
        raise DomainError(_("Décision inconnue."), code="invalid_outcome")
    all_ids = set(selectors.version_capacities(dossier=locked).values_list("pk", flat=True))
    proposed = selectors.proposed_capacity_ids(dossier=locked)
    chosen = set(proposed if validated_capacity_ids is None else validated_capacity_ids)
    if not chosen <= all_ids:
        raise DomainError(_("Capacité inconnue pour ce référentiel."), code="invalid_capacity")
    if outcome in (Outcome.REFUSAL, Outcome.PARTIAL) and not reasons.strip():
        raise DomainError(_("Motivez la décision du jury."), code="reasons_required")
    override_reasons = dict(override_reasons or {})
    if outcome == Outcome.REFUSAL:
        # A refusal validates nothing (to keep some capacities, the jury validates partially):
        # each capacity the evaluation proposed departs from it for the refusal's reasons.
        chosen = set()
        for cid in proposed:
            override_reasons[cid] = override_reasons.get(cid, "").strip() or reasons.strip()
    overridden = chosen ^ proposed
    missing = [cid for cid in overridden if not override_reasons.get(cid, "").strip()]
    if missing:
        raise DomainError(
            _("Motivez chaque capacité dont le jury s'écarte de l'évaluation (%(n)d sans motif).")
            % {"n": len(missing)},
            code="override_reason_required",
        )
    if outcome == Outcome.AWARD and chosen != all_ids:
        raise DomainError(
            _("Une délivrance totale suppose toutes les capacités validées."),
            code="award_incomplete",
        )
    if outcome == Outcome.PARTIAL and (not chosen or chosen == all_ids):
        raise DomainError(
            _("Une validation partielle porte sur une partie seulement des capacités."),
            code="partial_inconsistent",
        )
    if outcome != Outcome.REFUSAL:
        # An award that would fail the compliance gate is not put to the vote at all.
        compliance.refuse_unless_compliant(
            compliance.branch_problems(locked_session.branch)
            + compliance.dossier_problems(dossier=locked, on=timezone.localdate())
        )
    _refuse_without_quorum(locked_session)
    if Proposal.objects.filter(
        session=locked_session, dossier=locked, status=ProposalStatus.OPEN
    ).exists():
        raise DomainError(
            _("Une proposition est déjà soumise au vote pour ce dossier."),
            code="proposal_open",
        )
    proposal = Proposal.objects.create(
        session=locked_session,
        dossier=locked,
        outcome=outcome,
        reasons=reasons.strip(),
        validated_capacity_ids=sorted(chosen),
        override_reasons={str(cid): override_reasons[cid].strip() for cid in sorted(overridden)},
        put_by=by,
        put_at=timezone.now(),
    )
    audit_record(
        "proposal.put",
        obj=proposal,
        branch=locked_session.branch_id,
        actor=by,
        details={"dossier": locked.reference, "outcome": str(outcome)},
    )
    return proposal


def _lock_open_proposal(proposal: Proposal) -> tuple[JurySession, Proposal]:
    session = _lock_session(proposal.session, allowed=(SessionStatus.OPEN,))
    locked = Proposal.objects.select_for_update().get(pk=proposal.pk)
    if locked.status != ProposalStatus.OPEN:
        raise InvalidTransition(
            _("Le vote sur cette proposition est clos (%(status)s).")
            % {"status": locked.get_status_display()}
        )
    return session, locked


def _record_vote(
    proposal: Proposal, member: JuryMember, choice: str, *, by: Any, by_hand: bool
) -> Vote:
    if choice not in VoteChoice.values:
        raise DomainError(_("Choisissez pour, contre ou abstention."), code="invalid_choice")
    if member.session_id != proposal.session_id or not member.present:
        raise DomainError(
            _("Seuls les membres présents à la séance votent."), code="member_not_present"
        )
    if proposal.votes.filter(member=member).exists():
        raise DomainError(
            _("%(name)s a déjà voté sur cette proposition.")
            % {"name": member.user.get_full_name() or member.user.email},
            code="already_voted",
        )
    return Vote.objects.create(
        proposal=proposal,
        member=member,
        choice=choice,
        by_show_of_hands=by_hand,
        recorded_by=by,
        cast_at=timezone.now(),
    )


@transaction.atomic
def vote_cast(*, proposal: Proposal, choice: str, by: Any) -> Vote:
    """A member present votes in the app: for, against or abstention, once. When every member
    present has voted, the vote concludes (`_proposal_conclude`)."""
    session, locked = _lock_open_proposal(proposal)
    seat = _present_seat(by, session)
    if seat is None:
        raise PermissionDenied
    _refuse_without_quorum(session)
    vote = _record_vote(locked, seat, choice, by=by, by_hand=False)
    audit_record(
        "proposal.vote",
        obj=locked,
        branch=session.branch_id,
        actor=by,
        details={"dossier": locked.dossier.reference, "member": seat.user_id},
    )
    _proposal_conclude_if_complete(session, locked, by=by)
    proposal.status = locked.status
    return vote


@transaction.atomic
def show_of_hands_record(*, proposal: Proposal, choices: dict[int, str], by: Any) -> Proposal:
    """The secretary (staff) or the chair records a show of hands: `choices` maps the seat
    (`JuryMember` pk) of each member present who has not voted yet to their vote."""
    if not may_put_proposal(by, proposal.session):
        raise PermissionDenied
    session, locked = _lock_open_proposal(proposal)
    _refuse_without_quorum(session)
    seats = {m.pk: m for m in session.members.select_related("user")}
    unknown = set(choices) - set(seats)
    if unknown:
        raise DomainError(_("Ce membre ne siège pas dans cette session."), code="not_a_member")
    for seat_pk, choice in sorted(choices.items()):
        _record_vote(locked, seats[seat_pk], choice, by=by, by_hand=True)
    audit_record(
        "proposal.show_of_hands",
        obj=locked,
        branch=session.branch_id,
        actor=by,
        details={"dossier": locked.dossier.reference, "votes": len(choices)},
    )
    _proposal_conclude_if_complete(session, locked, by=by)
    proposal.status = locked.status
    return locked


@transaction.atomic
def proposal_withdraw(*, proposal: Proposal, reason: str, by: Any) -> Proposal:
    """Take an open proposal back before its vote concludes (to correct it, say); the votes
    already cast stay on record with it."""
    if not may_put_proposal(by, proposal.session):
        raise PermissionDenied
    session, locked = _lock_open_proposal(proposal)
    if not reason.strip():
        raise DomainError(
            _("Indiquez pourquoi la proposition est retirée."), code="reason_required"
        )
    locked.status = ProposalStatus.WITHDRAWN
    locked.withdraw_reason = reason.strip()
    locked.concluded_at = timezone.now()
    locked.save(update_fields=["status", "withdraw_reason", "concluded_at"])
    proposal.status = locked.status
    audit_record(
        "proposal.withdraw",
        obj=locked,
        branch=session.branch_id,
        actor=by,
        details={"dossier": locked.dossier.reference, "reason": reason.strip()},
    )
    return locked


def _proposal_conclude_if_complete(session: JurySession, proposal: Proposal, *, by: Any) -> None:
    """Once every member present has voted, count the votes under the branch's rule: an
    adopted proposal becomes the decision, a rejected one leaves the dossier to another."""
    present = list(session.members.filter(present=True))
    votes = {v.member_id: v.choice for v in proposal.votes.all()}
    if any(member.pk not in votes for member in present):
        return
    if quorum_problems(session, present):
        # Members left and the jury no longer sits validly: the vote waits (or is withdrawn).
        return
    chair = next((m for m in present if m.role == MemberRole.CHAIR), None)
    branch = session.branch
    result = voting.tally(
        [votes[m.pk] for m in present],
        members_present=len(present),
        rule=branch.majority_rule,
        chair_casting_vote=branch.chair_casting_vote,
        chair_choice=votes.get(chair.pk) if chair else None,
    )
    proposal.status = ProposalStatus.ADOPTED if result.adopted else ProposalStatus.REJECTED
    proposal.votes_for = result.votes_for
    proposal.votes_against = result.votes_against
    proposal.votes_abstain = result.votes_abstain
    proposal.members_present = result.members_present
    proposal.casting_vote = result.casting_vote
    proposal.concluded_at = timezone.now()
    proposal.save(
        update_fields=[
            "status",
            "votes_for",
            "votes_against",
            "votes_abstain",
            "members_present",
            "casting_vote",
            "concluded_at",
        ]
    )
    audit_record(
        "proposal.adopted" if result.adopted else "proposal.rejected",
        obj=proposal,
        branch=session.branch_id,
        actor=by,
        details={
            "dossier": proposal.dossier.reference,
            "for": result.votes_for,
            "against": result.votes_against,
            "abstain": result.votes_abstain,
            "present": result.members_present,
            "casting_vote": result.casting_vote,
        },
    )
    if result.adopted:
        _decision_create(session, proposal, by=by)


def _decision_create(session: JurySession, proposal: Proposal, *, by: Any) -> Decision:
    """The adopted proposal becomes the jury's decision: the dossier moves to its outcome and
    an award or partial validation issues its document (refused with the decision when the
    document would fail the compliance gate)."""
    locked = _scheduled_dossier(session, proposal.dossier)
    all_ids = set(selectors.version_capacities(dossier=locked).values_list("pk", flat=True))
    chosen = set(proposal.validated_capacity_ids)
    reasons_by_id = {int(cid): text for cid, text in proposal.override_reasons.items()}
    decision = Decision.objects.create(
        dossier=locked,
        session=session,
        outcome=proposal.outcome,
        reasons=proposal.reasons,
        decided_at=proposal.concluded_at or timezone.now(),
        recorded_by=by,
        proposal=proposal,
    )
    DecisionCapacity.objects.bulk_create(
        DecisionCapacity(
            decision=decision,
            capacity_id=cid,
            validated=cid in chosen,
            overridden=cid in reasons_by_id,
            reason=reasons_by_id.get(cid, ""),
        )
        for cid in sorted(all_ids)
    )
    dossier_services.dossier_record_outcome(
        dossier=locked,
        status=OUTCOME_STATUS[Outcome(proposal.outcome)],
        by=by,
        comment=proposal.reasons,
    )
    if proposal.outcome != Outcome.REFUSAL:
        certificate_issue(
            decision=decision,
            validated_capacity_ids=chosen,
            partial=proposal.outcome == Outcome.PARTIAL,
            by=by,
        )
    # The decision's email (and the document's) point to the candidate's space: the key to it
    # goes out first when the candidate has none yet.
    dossier_services.candidate_invite_if_awaited(candidate=locked.candidate, by=by)
    enqueue_email(email_decision_recorded, decision.pk)
    audit_record(
        "decision.record",
        obj=decision,
        branch=session.branch_id,
        actor=by,
        details={
            "dossier": locked.reference,
            "outcome": str(proposal.outcome),
            "for": proposal.votes_for,
            "against": proposal.votes_against,
            "abstain": proposal.votes_abstain,
        },
    )
    return decision


@transaction.atomic
def jury_session_close(*, session: JurySession, by: Any) -> JurySession:
    """Close a session once every dossier of its agenda is decided; renders the procès-verbal.

    Refused while the branch's certifier body is not named (the procès-verbal states it)."""
    require_branch_staff(by, session.branch_id)
    locked = _lock_session(session, allowed=(SessionStatus.OPEN,))
    # The procès-verbal names the certifier: it is not produced without one.
    compliance.refuse_unless_compliant(compliance.certifier_problems(locked.branch))
    undecided = locked.agenda.filter(dossier__status=DossierStatus.SCHEDULED).count()
    if undecided:
        raise DomainError(
            _("%(n)d dossier(s) de l'ordre du jour attendent encore une décision.")
            % {"n": undecided},
            code="undecided_dossiers",
        )
    chair = locked.members.filter(role=MemberRole.CHAIR, present=True).exists()
    if not chair:
        raise DomainError(
            _("Le président du jury doit être présent à la clôture : il signe le procès-verbal."),
            code="no_chair",
        )
    locked.status = SessionStatus.CLOSED
    locked.closed_at = timezone.now()
    locked.save(update_fields=["status", "closed_at"])
    session.status, session.closed_at = locked.status, locked.closed_at
    audit_record("session.close", obj=locked, branch=locked.branch_id, actor=by)
    return locked


# --- Signing the procès-verbal ---------------------------------------------------------

SIGNING_ROLES = (MemberRole.CHAIR, MemberRole.VICE_CHAIR)
# Wrong passwords a signer may give in an hour before signing is refused for that hour.
SIGNING_ATTEMPTS_PER_HOUR = 10


def minutes_signers(session: JurySession) -> list[JuryMember]:
    """Who signs the procès-verbal: the chair, and the vice-chair if one sat (present)."""
    return list(
        session.members.filter(role__in=SIGNING_ROLES, present=True)
        .select_related("user")
        .order_by("role")
    )


def may_sign_minutes(user: Any, session: JurySession) -> JuryMember | None:
    """The user's signing seat if they still have to sign this closed session's minutes."""
    if session.status != SessionStatus.CLOSED or session.minutes_signed_at is not None:
        return None
    seat = _present_seat(user, session)
    if seat is None or seat.role not in SIGNING_ROLES:
        return None
    if session.minutes_signatures.filter(role=seat.role).exists():
        return None
    return seat


def _reauthenticate(user: Any, *, password: str, code: str) -> bool:
    """Check the signer's password, and their second factor when they have one; a failure is
    written to the audit trail (outside the signing transaction, which it never reaches).
    Returns whether a second factor was verified."""
    from django_otp import match_token, user_has_device

    hits = window_hit(f"minutes-sign:{user.pk}", seconds=3600)
    if hits > SIGNING_ATTEMPTS_PER_HOUR:
        raise AccessRefused(
            _("Trop de tentatives de signature : réessayez dans une heure."),
            code="too_many_attempts",
        )
    if not password or not user.check_password(password):
        audit_record("minutes.reauth_failed", actor=user, details={"factor": "password"})
        raise AccessRefused(
            _("Mot de passe incorrect : la signature n'est pas apposée."), code="reauth_failed"
        )
    if not user_has_device(user):
        return False
    if not code.strip() or match_token(user, code.strip()) is None:
        audit_record("minutes.reauth_failed", actor=user, details={"factor": "otp"})
        raise AccessRefused(
            _(
                "Code de double authentification absent ou invalide : la signature n'est pas apposée."
            ),
            code="reauth_failed",
        )
    return True


def minutes_sign(
    *,
    session: JurySession,
    by: Any,
    password: str,
    otp_code: str = "",
    ip_address: str | None = None,
    user_agent: str = "",
) -> MinutesSignature:
    """The chair or vice-chair signs the procès-verbal of a closed session after
    re-authenticating (password, and the second factor where they have one). The signature
    records who, when, from where and the SHA-256 of the content signed; once every signer
    has signed, the session is sealed and its procès-verbal rendered and sealed by a worker."""
    if may_sign_minutes(by, session) is None:
        raise PermissionDenied
    second_factor = _reauthenticate(by, password=password, code=otp_code)
    return _minutes_sign_locked(
        session=session,
        by=by,
        second_factor=second_factor,
        ip_address=ip_address,
        user_agent=user_agent,
    )


@transaction.atomic
def _minutes_sign_locked(
    *,
    session: JurySession,
    by: Any,
    second_factor: bool,
    ip_address: str | None,
    user_agent: str,
) -> MinutesSignature:
    from .minutes import minutes_content_sha256
    from .tasks import enqueue_minutes

    locked = _lock_session(session, allowed=(SessionStatus.CLOSED,))
    seat = may_sign_minutes(by, locked)
    if seat is None:
        raise InvalidTransition(_("Vous avez déjà signé ce procès-verbal, ou il est scellé."))
    digest = minutes_content_sha256(locked)
    earlier = locked.minutes_signatures.exclude(content_sha256=digest).first()
    if earlier is not None:
        raise DomainError(
            _(
                "Le contenu du procès-verbal a changé depuis la signature de %(role)s : "
                "il ne peut plus être signé tel quel. Contactez l'administration nationale."
            )
            % {"role": earlier.get_role_display()},
            code="minutes_changed",
        )
    now = timezone.now()
    signature = MinutesSignature.objects.create(
        session=locked,
        member=seat,
        role=seat.role,
        signed_at=now,
        ip_address=ip_address,
        user_agent=user_agent[:300],
        content_sha256=digest,
        second_factor=second_factor,
    )
    audit_record(
        "minutes.sign",
        obj=locked,
        branch=locked.branch_id,
        actor=by,
        details={"role": seat.role, "sha256": digest, "second_factor": second_factor},
    )
    signed_roles = set(locked.minutes_signatures.values_list("role", flat=True))
    if all(member.role in signed_roles for member in minutes_signers(locked)):
        locked.minutes_signed_at = now
        locked.save(update_fields=["minutes_signed_at"])
        session.minutes_signed_at = now
        enqueue_minutes(locked.pk)
        audit_record("minutes.sealed", obj=locked, branch=locked.branch_id, actor=by)
    return signature


# --- Company référents ---------------------------------------------------------
# A référent scores their company's candidates as the internal half of a binôme: their role
# is a membership, what they see is their grant on the company and on the evaluations they
# are given. This room holds both kinds of grant, so it appoints and removes them.


@transaction.atomic
def referent_appoint(*, company: Company, user: Any, by: Any) -> Membership:
    """Make `user` a référent of `company` (CPNE staff of its branch)."""
    require_branch_staff(by, company.branch_id)
    locked = Company.objects.select_for_update().get(pk=company.pk)
    membership = (
        Membership.objects.select_for_update()
        .filter(user=user, branch_id=locked.branch_id, role=Role.REFERENT, company=locked)
        .first()
    )
    if membership is not None and membership.is_active:
        raise DomainError(
            _("Cette personne est déjà référent de cette entreprise."), code="already_referent"
        )
    if membership is None:
        membership = Membership.objects.create(
            user=user, branch_id=locked.branch_id, role=Role.REFERENT, company=locked
        )
    else:
        membership.is_active = True
        membership.save(update_fields=["is_active"])
    assign_perm(f"branches.{VIEW_COMPANY}", user, locked)
    forget_roles(user)
    audit_record(
        "company.referent_appoint",
        obj=locked,
        branch=locked.branch_id,
        actor=by,
        details={"referent": user.pk},
    )
    return membership


@transaction.atomic
def referent_remove(*, company: Company, user: Any, by: Any, reason: str = "") -> Membership:
    """End `user`'s role as référent of `company`: their grant on the company goes, and so do
    their grants on the company's evaluations still in progress (staff hand those grids to
    another référent with `evaluation_reassign`)."""
    require_branch_staff(by, company.branch_id)
    locked = Company.objects.select_for_update().get(pk=company.pk)
    membership = (
        Membership.objects.select_for_update()
        .filter(user=user, role=Role.REFERENT, company=locked, is_active=True)
        .first()
    )
    if membership is None:
        raise DomainError(
            _("Cette personne n'est pas référent de cette entreprise."), code="not_referent"
        )
    membership.is_active = False
    membership.save(update_fields=["is_active"])
    remove_perm(f"branches.{VIEW_COMPANY}", user, locked)
    in_progress = Evaluation.objects.filter(
        dossier__company=locked,
        status=EvaluationStatus.IN_PROGRESS,
        sheets__evaluator=user,
        sheets__role=SheetRole.REFERENT,
    )
    revoked = 0
    for evaluation in in_progress:
        _revoke_evaluation(user, evaluation)
        revoked += 1
    forget_roles(user)
    audit_record(
        "company.referent_remove",
        obj=locked,
        branch=locked.branch_id,
        actor=by,
        details={"referent": user.pk, "evaluations_revoked": revoked, "reason": reason.strip()},
    )
    return membership
