"""Writes of the evaluations room: evaluations and their sheets, jury sessions, decisions.

A decision moves the dossier (candidates.services) and issues the certificate
(certifications.services) in the same transaction; the PDF is rendered after commit.
"""

from __future__ import annotations

import datetime
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

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
from core.errors import DomainError, InvalidTransition

from . import selectors
from .models import (
    SCORE_EVALUATION,
    SIT_ON_SESSION,
    AgendaItem,
    CapacityOutcome,
    CapacityResult,
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
    Outcome,
    SessionStatus,
    SheetRole,
    SheetStatus,
)
from .tasks import (
    email_decision_recorded,
    email_evaluator_assigned,
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
) -> Evaluation:
    """Assign an evaluation to a habilitated external evaluator, with the company référent as
    the other half of a binôme when given."""
    require_branch_staff(by, dossier.branch_id)
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
        dossier=dossier, kind=kind, due_date=due_date, created_by=by
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
    audit_record(
        "evaluation.assign",
        obj=evaluation,
        branch=dossier.branch_id,
        actor=by,
        details={
            "kind": kind,
            "dossier": dossier.reference,
            "evaluators": [p.pk for p, _r in halves],
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
    for capacity_id, entry in entries.items():
        capacity = capacities.get(capacity_id)
        if capacity is None:
            raise DomainError(_("Capacité inconnue pour ce référentiel."), code="invalid_capacity")
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
    expected = Capacity.objects.filter(bloc__version_id=dossier.version_id).count()
    assessed = locked.results.exclude(outcome=CapacityOutcome.NOT_ASSESSED).count()
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
    locked.delete()
    remove_perm(f"evaluations.{SIT_ON_SESSION}", user, locked_session)
    audit_record(
        "session.release",
        obj=locked_session,
        branch=locked_session.branch_id,
        actor=by,
        details={"member": user.pk, "role": locked.role},
    )


@transaction.atomic
def jury_member_set_presence(*, member: JuryMember, present: bool, by: Any) -> JuryMember:
    """Roll call before the session opens: who of those convoked is actually there."""
    require_branch_staff(by, member.session.branch_id)
    _lock_session(member.session, allowed=(SessionStatus.PLANNED,))
    locked = JuryMember.objects.select_for_update().get(pk=member.pk)
    locked.present = present
    locked.save(update_fields=["present"])
    member.present = present
    audit_record(
        "session.presence",
        obj=member.session,
        branch=member.session.branch_id,
        actor=by,
        details={"member": locked.user_id, "present": present},
    )
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


def may_record_decision(user: Any, session: JurySession) -> bool:
    """Branch staff, or a member present in the session."""
    roles = roles_of(user)
    if roles.is_staff_of(session.branch_id):
        return True
    if roles.user_id is None:
        return False
    # Present at the roll call, and still holding the seat's grant.
    return session.members.filter(
        user_id=roles.user_id,
        present=True,
        session__grants__user_id=roles.user_id,
        session__grants__permission__codename=SIT_ON_SESSION,
    ).exists()


OUTCOME_STATUS = {
    Outcome.AWARD: DossierStatus.AWARDED,
    Outcome.PARTIAL: DossierStatus.PARTIALLY_AWARDED,
    Outcome.REFUSAL: DossierStatus.REFUSED,
}


@transaction.atomic
def decision_record(
    *,
    session: JurySession,
    dossier: Dossier,
    outcome: str,
    by: Any,
    validated_capacity_ids: set[int] | None = None,
    override_reasons: dict[int, str] | None = None,
    reasons: str = "",
) -> Decision:
    """Record the jury's decision on a dossier of the agenda, capacity by capacity.

    Capacities default to the final evaluation's proposal; departing from it is an
    override that needs a reason. An award or partial validation issues the certificate.
    """
    if not may_record_decision(by, session):
        raise PermissionDenied
    locked_session = _lock_session(session, allowed=(SessionStatus.OPEN,))
    if not locked_session.agenda.filter(dossier_id=dossier.pk).exists():
        raise DomainError(_("Ce dossier n'est pas à l'ordre du jour."), code="not_on_agenda")
    locked = Dossier.objects.select_for_update().get(pk=dossier.pk)
    if locked.status != DossierStatus.SCHEDULED:
        raise InvalidTransition(
            _(
                "Le dossier %(ref)s est « %(status)s » : une décision est déjà enregistrée ou il n'attend pas de jury."
            )
            % {"ref": locked.reference, "status": locked.get_status_display()}
        )
    if outcome not in Outcome.values:
        raise DomainError(_("Décision inconnue."), code="invalid_outcome")
    all_ids = set(selectors.version_capacities(dossier=locked).values_list("pk", flat=True))
    proposed = selectors.proposed_capacity_ids(dossier=locked)
    chosen = set(proposed if validated_capacity_ids is None else validated_capacity_ids)
    if not chosen <= all_ids:
        raise DomainError(_("Capacité inconnue pour ce référentiel."), code="invalid_capacity")
    override_reasons = override_reasons or {}
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
    if outcome in (Outcome.REFUSAL, Outcome.PARTIAL) and not reasons.strip():
        raise DomainError(_("Motivez la décision du jury."), code="reasons_required")
    decision = Decision.objects.create(
        dossier=locked,
        session=locked_session,
        outcome=outcome,
        reasons=reasons.strip(),
        decided_at=timezone.now(),
        recorded_by=by,
    )
    DecisionCapacity.objects.bulk_create(
        DecisionCapacity(
            decision=decision,
            capacity_id=cid,
            validated=cid in chosen,
            overridden=cid in overridden,
            reason=override_reasons.get(cid, "").strip(),
        )
        for cid in sorted(all_ids)
    )
    dossier_services.dossier_record_outcome(
        dossier=locked, status=OUTCOME_STATUS[Outcome(outcome)], by=by, comment=reasons.strip()
    )
    dossier.status = locked.status
    if outcome != Outcome.REFUSAL:
        certificate_issue(
            decision=decision,
            validated_capacity_ids=chosen,
            partial=outcome == Outcome.PARTIAL,
            by=by,
        )
    enqueue_email(email_decision_recorded, decision.pk)
    audit_record(
        "decision.record",
        obj=decision,
        branch=locked.branch_id,
        actor=by,
        details={"dossier": locked.reference, "outcome": str(outcome)},
    )
    return decision


@transaction.atomic
def jury_session_close(*, session: JurySession, by: Any) -> JurySession:
    """Close a session once every dossier of its agenda is decided; renders the procès-verbal.

    Refused while the branch's certifier body is not named (the procès-verbal states it)."""
    from .tasks import enqueue_minutes

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
    locked.status = SessionStatus.CLOSED
    locked.closed_at = timezone.now()
    locked.save(update_fields=["status", "closed_at"])
    session.status, session.closed_at = locked.status, locked.closed_at
    enqueue_minutes(locked.pk)
    audit_record("session.close", obj=locked, branch=locked.branch_id, actor=by)
    return locked


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
