"""A small national data set whose figures are known by hand (see the expected values in tests)."""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from typing import Any
from zoneinfo import ZoneInfo

from branches.models import Branch
from candidates.models import AccessRoute, DossierStatus
from certifications.models import Referentiel
from evaluations.models import Decision, DecisionStatus, JurySession, Outcome, SessionStatus
from tests.factories import CandidateFactory, DossierFactory, UserFactory, build_referentiel

PARIS = ZoneInfo("Europe/Paris")
VAE, PRO, CONT = AccessRoute.VAE, AccessRoute.PROFESSIONALISATION, AccessRoute.CONTINUING
STATUS = {
    Outcome.AWARD: DossierStatus.AWARDED,
    Outcome.PARTIAL: DossierStatus.PARTIALLY_AWARDED,
    Outcome.REFUSAL: DossierStatus.REFUSED,
}

# (outcome, route, first certification, year decided, days from opening to decision)
BRANCH_A = [
    (Outcome.AWARD, VAE, True, 2023, 100),
    (Outcome.AWARD, VAE, True, 2024, 120),
    (Outcome.AWARD, VAE, False, 2024, 150),
    (Outcome.AWARD, PRO, True, 2024, 180),
    (Outcome.AWARD, PRO, False, 2024, 200),
    (Outcome.AWARD, CONT, True, 2024, 210),
    (Outcome.AWARD, CONT, True, 2024, 250),
    (Outcome.AWARD, CONT, True, 2024, 300),
    (Outcome.AWARD, CONT, False, 2024, 400),
    (Outcome.PARTIAL, CONT, True, 2024, 90),
    (Outcome.REFUSAL, VAE, True, 2024, 60),
    (Outcome.REFUSAL, VAE, False, 2024, 70),
]
BRANCH_B = [
    (Outcome.AWARD, VAE, True, 2025, 30),
    (Outcome.AWARD, CONT, False, 2025, 50),
]


@dataclass
class Dataset:
    branch_a: Branch
    branch_b: Branch
    cqpi_a: Referentiel
    cqpi_b: Referentiel


def _session(branch: Branch, year: int, by: Any, status: str = SessionStatus.CLOSED) -> JurySession:
    held = datetime.datetime(year, 6, 15, 10, tzinfo=PARIS)
    return JurySession.objects.create(
        branch=branch, held_on=held, place="Paris", status=status, created_by=by
    )


def _decide(branch: Branch, version: Any, rows: list[tuple], sessions: dict, by: Any) -> list:
    decisions = []
    for outcome, route, first, year, days in rows:
        decided_at = datetime.datetime(year, 6, 15, 12, tzinfo=PARIS)
        dossier = DossierFactory.create(
            candidate=CandidateFactory.create(branch=branch),
            branch=branch,
            version=version,
            access_route=route,
            first_certification=first,
            status=STATUS[outcome],
            opened_on=decided_at.date() - datetime.timedelta(days=days),
        )
        decisions.append(
            Decision.objects.create(
                dossier=dossier,
                session=sessions[year],
                outcome=outcome,
                reasons="" if outcome == Outcome.AWARD else "Motif",
                decided_at=decided_at,
                recorded_by=by,
            )
        )
    return decisions


def build_dataset(cast: Any) -> Dataset:
    """Branch A: 12 decisions on the cast's CQPI; branch B: 2 awards on a second CQPI.

    Decision rows are written directly (not through the jury service) so that dates,
    routes and delays are exactly those above; one superseded award must not count.
    """
    from tests.factories import habilitate

    cqpi_b, version_b = build_referentiel(
        branches=[cast.branch_b], title="Technicien de la qualité"
    )
    by = cast.jury_employer
    sessions_a = {year: _session(cast.branch_a, year, by) for year in (2023, 2024)}
    _session(cast.branch_a, 2024, by, status=SessionStatus.PLANNED)  # never held: not counted
    sessions_b = {2025: _session(cast.branch_b, 2025, by)}
    decisions = _decide(cast.branch_a, cast.version, BRANCH_A, sessions_a, by)
    _decide(cast.branch_b, version_b, BRANCH_B, sessions_b, by)
    # A refused dossier had an award before; that decision was superseded and no longer counts.
    refused = decisions[-1]
    Decision.objects.create(
        dossier=refused.dossier,
        session=sessions_a[2024],
        outcome=Outcome.AWARD,
        status=DecisionStatus.SUPERSEDED,
        decided_at=refused.decided_at - datetime.timedelta(days=1),
        recorded_by=by,
    )
    # Evaluators: the cast's evaluator (A and B, current), one more in B, one in A for 2023–2024.
    habilitate(
        UserFactory.create(email="eval.b@example.test"), branch=cast.branch_b, referentiel=cqpi_b
    )
    past = UserFactory.create(email="eval.ancien@example.test")
    past.habilitations.create(
        branch=cast.branch_a,
        referentiel=cast.referentiel,
        valid_from=datetime.date(2023, 1, 1),
        valid_until=datetime.date(2024, 12, 31),
    )
    return Dataset(cast.branch_a, cast.branch_b, cast.referentiel, cqpi_b)


def _document(decision: Decision, status: str, *, reissue_of: Any = None) -> Any:
    from certifications.models import Certificate, CertificateKind

    dossier = decision.dossier
    kind = CertificateKind.PARTIAL if decision.outcome == Outcome.PARTIAL else "certificate"
    serial = Certificate.objects.count() + 1
    return Certificate.objects.create(
        number=f"{'AVP' if kind == CertificateKind.PARTIAL else 'CQPI'}-TEST-{serial:06d}",
        kind=kind,
        dossier=dossier,
        decision=decision,
        reissue_of=reissue_of,
        branch=dossier.branch,
        version=dossier.version,
        holder_name="Titulaire",
        issued_on=decision.decided_at.date(),
        place_of_issue="Paris",
        snapshot={},
        status=status,
    )


def add_documents(cast: Any) -> None:
    """Branch A's documents, after `build_dataset`: the last award's certificate (CONT, not a
    first certification, 400 days) and the partial validation's attestation are revoked; the
    first award's certificate was reissued (superseded, then valid: still one award); the
    second award has its valid certificate."""
    from certifications.models import CertificateStatus

    active = list(
        Decision.objects.filter(dossier__branch=cast.branch_a, status=DecisionStatus.ACTIVE)
        .select_related("dossier")
        .order_by("dossier__opened_on", "pk")
    )
    by_days = {(d.decided_at.date() - d.dossier.opened_on).days: d for d in active}
    first = _document(by_days[100], CertificateStatus.SUPERSEDED)
    _document(by_days[100], CertificateStatus.VALID, reissue_of=first)
    _document(by_days[120], CertificateStatus.VALID)
    _document(by_days[400], CertificateStatus.REVOKED)
    _document(by_days[90], CertificateStatus.REVOKED)
