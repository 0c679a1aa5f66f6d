"""Walk dossiers through the real services, so tests start from states reached honestly."""

from __future__ import annotations

import datetime
from typing import Any

from django.utils import timezone

from candidates import services as dossier_services
from candidates.models import AccessRoute, Candidate, Dossier
from certifications.models import Capacity
from evaluations import services as evaluation_services
from evaluations.models import (
    CapacityOutcome,
    EvaluationKind,
    JurySession,
    MemberRole,
    Outcome,
)
from sampledata.jury import jury_decides


def open_dossier(
    cast: Any, *, candidate: Candidate | None = None, route: str = AccessRoute.CONTINUING
) -> Dossier:
    return dossier_services.dossier_open(
        candidate=candidate or cast.candidate,
        version=cast.version,
        company=cast.company_a,
        access_route=route,
        first_certification=True,
        by=cast.staff_a,
    )


def score_all(sheet: Any, *, by: Any, outcome: str = CapacityOutcome.ACQUIRED) -> None:
    dossier = sheet.evaluation.dossier
    entries = {
        capacity.pk: evaluation_services.CapacityEntry(
            outcome=outcome, marks={i.pk: 4 for i in capacity.indicators.all()}
        )
        for capacity in Capacity.objects.filter(bloc__version_id=dossier.version_id)
    }
    evaluation_services.sheet_save(
        sheet=sheet, entries=entries, expected_version=sheet.version, by=by
    )
    evaluation_services.sheet_submit(sheet=sheet, by=by)


def assigned_sheet(cast: Any) -> Any:
    """A final evaluation given to the cast's evaluator: their grid, still empty."""
    dossier = open_dossier(cast)
    dossier_services.dossier_start_positioning(dossier=dossier, by=cast.staff_a)
    dossier_services.dossier_start_evaluation(dossier=dossier, by=cast.staff_a)
    evaluation = evaluation_services.evaluation_create(
        dossier=dossier,
        kind=EvaluationKind.FINAL,
        external_evaluator=cast.evaluator,
        by=cast.staff_a,
    )
    return evaluation.sheets.get()


def ready_for_jury(
    cast: Any, *, candidate: Candidate | None = None, binome: bool = False
) -> Dossier:
    """Open → positioning → evaluation → final evaluation scored 'acquis' everywhere."""
    dossier = open_dossier(cast, candidate=candidate)
    dossier_services.dossier_start_positioning(dossier=dossier, by=cast.staff_a)
    dossier_services.dossier_start_evaluation(dossier=dossier, by=cast.staff_a)
    evaluation = evaluation_services.evaluation_create(
        dossier=dossier,
        kind=EvaluationKind.FINAL,
        external_evaluator=cast.evaluator,
        referent=cast.referent_a if binome else None,
        by=cast.staff_a,
    )
    for sheet in evaluation.sheets.all():
        score_all(sheet, by=sheet.evaluator)
    dossier.refresh_from_db()
    return dossier


def open_session(cast: Any, dossiers: list[Dossier]) -> JurySession:
    session = evaluation_services.jury_session_create(
        branch=cast.branch_a,
        held_on=timezone.now() - datetime.timedelta(hours=1),
        place="Paris, siège de la CPNE",
        by=cast.staff_a,
    )
    evaluation_services.jury_member_convoke(
        session=session, user=cast.jury_employer, role=MemberRole.CHAIR, by=cast.staff_a
    )
    evaluation_services.jury_member_convoke(
        session=session, user=cast.jury_employee, role=MemberRole.VICE_CHAIR, by=cast.staff_a
    )
    for dossier in dossiers:
        evaluation_services.jury_session_add_dossier(
            session=session, dossier=dossier, by=cast.staff_a
        )
    evaluation_services.jury_session_open(session=session, by=cast.staff_a)
    return session


def award(cast: Any, *, candidate: Candidate | None = None) -> Any:
    """A dossier decided 'délivrance totale'; returns the decision."""
    dossier = ready_for_jury(cast, candidate=candidate)
    session = open_session(cast, [dossier])
    return jury_decides(
        session=session, dossier=dossier, outcome=Outcome.AWARD, by=cast.jury_employer
    )


def refuse(cast: Any, *, candidate: Candidate | None = None) -> Any:
    """A dossier decided 'refus'; returns the decision."""
    dossier = ready_for_jury(cast, candidate=candidate)
    session = open_session(cast, [dossier])
    return jury_decides(
        session=session,
        dossier=dossier,
        outcome=Outcome.REFUSAL,
        reasons="Le jury estime les gestes de sécurité insuffisamment maîtrisés.",
        by=cast.jury_employer,
    )


PASSWORD = "secret-password-123"  # tests.factories.UserFactory's


def close_and_sign(cast: Any, session: JurySession) -> JurySession:
    """Close a decided session; the chair and the vice-chair sign its procès-verbal."""
    evaluation_services.jury_session_close(session=session, by=cast.staff_a)
    for signer in (cast.jury_employer, cast.jury_employee):
        evaluation_services.minutes_sign(session=session, by=signer, password=PASSWORD)
    session.refresh_from_db()
    return session


def partial(cast: Any, *, candidate: Candidate | None = None, validated: int = 2) -> Any:
    """A dossier decided 'validation partielle' on its first `validated` capacities (the jury
    departing from the evaluation on the others); returns the decision."""
    dossier = ready_for_jury(cast, candidate=candidate)
    ids = list(
        Capacity.objects.filter(bloc__version_id=dossier.version_id)
        .order_by("bloc__order", "order")
        .values_list("pk", flat=True)
    )
    session = open_session(cast, [dossier])
    return jury_decides(
        session=session,
        dossier=dossier,
        outcome=Outcome.PARTIAL,
        validated_capacity_ids=set(ids[:validated]),
        override_reasons={cid: "Gestes à consolider." for cid in ids[validated:]},
        reasons="Le jury valide une partie des capacités.",
        by=cast.jury_employer,
    )


def evaluate_the_rest(cast: Any, dossier: Dossier) -> None:
    """Positioning, final evaluation of the capacities not credited, grid submitted."""
    dossier_services.dossier_start_positioning(dossier=dossier, by=cast.staff_a)
    dossier_services.dossier_start_evaluation(dossier=dossier, by=cast.staff_a)
    evaluation = evaluation_services.evaluation_create(
        dossier=dossier,
        kind=EvaluationKind.FINAL,
        external_evaluator=cast.evaluator,
        by=cast.staff_a,
    )
    sheet = evaluation.sheets.get()
    credited = set(dossier.credited_capacities.values_list("capacity_id", flat=True))
    entries = {
        capacity.pk: evaluation_services.CapacityEntry(
            outcome=CapacityOutcome.ACQUIRED, marks={i.pk: 4 for i in capacity.indicators.all()}
        )
        for capacity in Capacity.objects.filter(bloc__version_id=dossier.version_id)
        if capacity.pk not in credited
    }
    evaluation_services.sheet_save(
        sheet=sheet, entries=entries, expected_version=sheet.version, by=cast.evaluator
    )
    evaluation_services.sheet_submit(sheet=sheet, by=cast.evaluator)
    dossier.refresh_from_db()


def complete(cast: Any, attestation: Any, *, candidate: Candidate | None = None) -> Any:
    """A new dossier crediting the partial validation `attestation`, the rest evaluated
    'acquis', decided 'délivrance totale'; returns the decision."""
    dossier = open_dossier(cast, candidate=candidate)
    dossier_services.dossier_credit(dossier=dossier, reference=attestation.number, by=cast.staff_a)
    evaluate_the_rest(cast, dossier)
    session = open_session(cast, [dossier])
    return jury_decides(
        session=session, dossier=dossier, outcome=Outcome.AWARD, by=cast.jury_employer
    )
