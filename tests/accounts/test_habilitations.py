"""Suspending an evaluator's habilitation and lifting it: the state, its reason, its trail, and
what it changes to who may be given an evaluation."""

from __future__ import annotations

import datetime
from typing import Any

import pytest
from django.core.exceptions import PermissionDenied
from django.db import IntegrityError, transaction
from django.utils import timezone

from accounts import services
from audit.models import AuditEvent
from branches.models import EvaluatorHabilitation, Membership
from candidates import services as dossier_services
from core.errors import DomainError
from evaluations import selectors
from evaluations import services as evaluation_services
from evaluations.models import Evaluation, EvaluationKind, EvaluationUserObjectPermission
from tests.factories import UserFactory, habilitate
from tests.workflow import open_dossier

pytestmark = pytest.mark.django_db

TODAY = timezone.localdate()


def habilitation_of(cast: Any, branch: Any = None) -> EvaluatorHabilitation:
    return EvaluatorHabilitation.objects.get(
        evaluator=cast.evaluator, branch=branch or cast.branch_a
    )


def in_evaluation(cast: Any) -> Any:
    dossier = open_dossier(cast)
    dossier_services.dossier_start_positioning(dossier=dossier, by=cast.staff_a)
    dossier_services.dossier_start_evaluation(dossier=dossier, by=cast.staff_a)
    return dossier


def assign(cast: Any, dossier: Any, evaluator: Any) -> Evaluation:
    return evaluation_services.evaluation_create(
        dossier=dossier, kind=EvaluationKind.FINAL, external_evaluator=evaluator, by=cast.staff_a
    )


def test_a_suspension_keeps_its_reason_and_the_trail_its_before_and_after(cast: Any) -> None:
    habilitation = services.habilitation_suspend(
        habilitation=habilitation_of(cast), by=cast.staff_a, reason="  Enquête sur une plainte "
    )

    habilitation.refresh_from_db()
    assert habilitation.is_suspended
    assert habilitation.suspension_reason == "Enquête sur une plainte"
    assert habilitation.valid_until > TODAY  # suspended, not ended
    event = AuditEvent.objects.get(action="habilitation.suspended")
    assert event.actor == cast.staff_a and event.branch_id == cast.branch_a.pk
    assert event.details["before"] == {"suspended": False, "suspended_at": None, "reason": ""}
    assert event.details["after"]["suspended"] is True
    assert event.details["after"]["reason"] == "Enquête sur une plainte"


def test_lifting_clears_the_state_and_the_trail_keeps_what_it_was(cast: Any) -> None:
    suspended = services.habilitation_suspend(
        habilitation=habilitation_of(cast), by=cast.staff_a, reason="Enquête"
    )

    services.habilitation_lift_suspension(
        habilitation=suspended, by=cast.staff_a, reason="Enquête close"
    )

    suspended.refresh_from_db()
    assert not suspended.is_suspended and suspended.suspension_reason == ""
    event = AuditEvent.objects.get(action="habilitation.suspension_lifted")
    assert event.details["before"]["reason"] == "Enquête"
    assert event.details["after"] == {"suspended": False, "suspended_at": None, "reason": ""}
    assert event.details["reason"] == "Enquête close"


@pytest.mark.parametrize(
    ("prepare", "reason", "code"),
    [
        ("none", "  ", "reason_required"),
        ("suspended", "Encore", "already_suspended"),
        ("ended", "Trop tard", "already_ended"),
    ],
)
def test_a_suspension_checks_its_starting_state(
    cast: Any, prepare: str, reason: str, code: str
) -> None:
    habilitation = habilitation_of(cast)
    if prepare == "suspended":
        services.habilitation_suspend(habilitation=habilitation, by=cast.staff_a, reason="Motif")
    elif prepare == "ended":
        services.habilitation_end(habilitation=habilitation, by=cast.staff_a, reason="Fin")
    events = AuditEvent.objects.filter(action="habilitation.suspended").count()

    with pytest.raises(DomainError) as refusal:
        services.habilitation_suspend(habilitation=habilitation, by=cast.staff_a, reason=reason)

    assert refusal.value.code == code
    assert AuditEvent.objects.filter(action="habilitation.suspended").count() == events


def test_only_a_suspended_habilitation_is_lifted(cast: Any) -> None:
    with pytest.raises(DomainError) as refusal:
        services.habilitation_lift_suspension(habilitation=habilitation_of(cast), by=cast.staff_a)

    assert refusal.value.code == "not_suspended"
    assert not AuditEvent.objects.filter(action="habilitation.suspension_lifted").exists()


@pytest.mark.parametrize("person", ["staff_b", "evaluator", "jury_employer", "referent_a"])
def test_only_the_branch_staff_suspend_or_lift(cast: Any, person: str) -> None:
    habilitation = habilitation_of(cast)

    with pytest.raises(PermissionDenied):
        services.habilitation_suspend(
            habilitation=habilitation, by=getattr(cast, person), reason="Intrusion"
        )
    services.habilitation_suspend(habilitation=habilitation, by=cast.admin, reason="National")
    with pytest.raises(PermissionDenied):
        services.habilitation_lift_suspension(habilitation=habilitation, by=getattr(cast, person))

    habilitation.refresh_from_db()
    assert habilitation.suspension_reason == "National"


def test_a_staff_member_whose_role_was_withdrawn_suspends_nothing(cast: Any) -> None:
    Membership.objects.filter(user=cast.staff_a).update(is_active=False)
    staff = type(cast.staff_a).objects.get(pk=cast.staff_a.pk)  # roles read afresh

    with pytest.raises(PermissionDenied):
        services.habilitation_suspend(habilitation=habilitation_of(cast), by=staff, reason="X")


def test_the_database_refuses_a_suspension_without_its_reason(cast: Any) -> None:
    with pytest.raises(IntegrityError), transaction.atomic():
        EvaluatorHabilitation.objects.filter(pk=habilitation_of(cast).pk).update(
            suspended_at=timezone.now()
        )


def test_a_suspended_evaluator_is_offered_and_given_nothing_new(cast: Any) -> None:
    dossier = in_evaluation(cast)
    services.habilitation_suspend(habilitation=habilitation_of(cast), by=cast.staff_a, reason="X")

    assert cast.evaluator not in selectors.eligible_evaluators(dossier=dossier)
    with pytest.raises(DomainError) as refusal:
        assign(cast, dossier, cast.evaluator)
    assert refusal.value.code == "evaluator_not_eligible"
    assert not Evaluation.objects.exists()


def test_lifting_the_suspension_makes_the_evaluator_eligible_again(cast: Any) -> None:
    dossier = in_evaluation(cast)
    suspended = services.habilitation_suspend(
        habilitation=habilitation_of(cast), by=cast.staff_a, reason="X"
    )
    services.habilitation_lift_suspension(habilitation=suspended, by=cast.staff_a)

    evaluation = assign(cast, dossier, cast.evaluator)

    assert evaluation.sheets.get().evaluator == cast.evaluator


def test_a_suspension_in_one_branch_leaves_the_other_branch_alone(cast: Any) -> None:
    services.habilitation_suspend(habilitation=habilitation_of(cast), by=cast.staff_a, reason="X")

    assert not habilitation_of(cast, cast.branch_b).is_suspended


def test_a_suspended_evaluator_is_not_handed_a_grid_either(cast: Any) -> None:
    substitute = UserFactory.create(email="suppleant@example.test")
    habilitate(substitute, branch=cast.branch_a, referentiel=cast.referentiel)
    evaluation = assign(cast, in_evaluation(cast), substitute)
    services.habilitation_suspend(habilitation=habilitation_of(cast), by=cast.staff_a, reason="X")

    with pytest.raises(DomainError) as refusal:
        evaluation_services.evaluation_reassign(
            sheet=evaluation.sheets.get(), evaluator=cast.evaluator, by=cast.staff_a
        )

    assert refusal.value.code == "evaluator_not_eligible"
    assert evaluation.sheets.get().evaluator == substitute


def test_grids_held_when_suspended_stay_with_their_grant_until_staff_reassign(cast: Any) -> None:
    """Nothing is revoked silently: the grid, its grant and the dossier stay the evaluator's,
    and staff are shown the grid to hand on."""
    evaluation = assign(cast, in_evaluation(cast), cast.evaluator)

    services.habilitation_suspend(habilitation=habilitation_of(cast), by=cast.staff_a, reason="X")

    assert Evaluation.objects.visible_to(cast.evaluator).filter(pk=evaluation.pk).exists()
    assert EvaluationUserObjectPermission.objects.filter(user=cast.evaluator).exists()
    held = selectors.draft_sheets_held(
        branch_id=cast.branch_a.pk, evaluator_ids=[cast.evaluator.pk]
    )
    assert list(held) == [evaluation.sheets.get()]
    assert not selectors.draft_sheets_held(
        branch_id=cast.branch_b.pk, evaluator_ids=[cast.evaluator.pk]
    ).exists()


def test_ending_a_suspended_habilitation_ends_it(cast: Any) -> None:
    suspended = services.habilitation_suspend(
        habilitation=habilitation_of(cast), by=cast.staff_a, reason="X"
    )

    services.habilitation_end(habilitation=suspended, by=cast.staff_a, reason="Retrait définitif")

    suspended.refresh_from_db()
    assert suspended.valid_until == TODAY - datetime.timedelta(days=1)
    with pytest.raises(DomainError) as refusal:
        services.habilitation_lift_suspension(habilitation=suspended, by=cast.staff_a)
    assert refusal.value.code == "already_ended"
