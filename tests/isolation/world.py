"""The isolation matrix's world: two branches, every role, and objects at every stage on both sides."""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field
from typing import Any

from django.contrib.auth.models import AnonymousUser
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from branches.models import Branch, College, Membership, Role
from candidates import services as dossier_services
from candidates.evidence import evidence_add
from candidates.models import AccessRoute, Candidate, Dossier
from certifications.models import Capacity
from declarations import services as declaration_services
from evaluations import services as evaluation_services
from evaluations.models import EvaluationKind, MemberRole, Outcome, SheetRole
from sampledata.jury import jury_decides
from tests.factories import (
    BranchFactory,
    CandidateFactory,
    CompanyFactory,
    UserFactory,
    build_referentiel,
    complete_identity,
    habilitate,
)
from tests.workflow import score_all

# Names planted in the world: a page shown to a role must not contain the names of
# the candidates that role may not see.
OWN_CANDIDATE = "Alphaowncand"
OTHER_CANDIDATE = "Alphaothercand"
FOREIGN_CANDIDATE = "Betaforeigncand"
ALL_CANDIDATE_MARKERS = (OWN_CANDIDATE, OTHER_CANDIDATE, FOREIGN_CANDIDATE)

ROLES = (
    "anonymous",
    "admin",
    "staff_a",
    "staff_b",
    "evaluator",
    "other_evaluator",
    "referent_a",
    "jury_employer",
    "jury_employee",
    "candidate",
    "other_candidate",
    "coc",
    "outsider",
    # Revoked grants: an evaluator replaced on the other candidate's grid, a jury member
    # convoked to branch A's planned session and released. Both keep their role, not the
    # objects.
    "replaced_evaluator",
    "released_juror",
)

# Which planted candidates each role may see (everything else is foreign to it).
VISIBLE_CANDIDATES: dict[str, frozenset[str]] = {
    "anonymous": frozenset(),
    "admin": frozenset(ALL_CANDIDATE_MARKERS),
    "staff_a": frozenset({OWN_CANDIDATE, OTHER_CANDIDATE}),
    "staff_b": frozenset({FOREIGN_CANDIDATE}),
    # The evaluator scores the own candidate's grid only; the other evaluator scores
    # the other candidate's (branch A) and the foreign candidate's (branch B).
    "evaluator": frozenset({OWN_CANDIDATE}),
    "other_evaluator": frozenset({OTHER_CANDIDATE, FOREIGN_CANDIDATE}),
    # The référent scores the own candidate's grid with the evaluator; the other candidate,
    # an employee of the same company, is not theirs to see.
    "referent_a": frozenset({OWN_CANDIDATE}),
    "jury_employer": frozenset({OWN_CANDIDATE}),
    "jury_employee": frozenset({OWN_CANDIDATE}),
    "candidate": frozenset({OWN_CANDIDATE}),
    "other_candidate": frozenset({OTHER_CANDIDATE}),
    # The COC observer reads national figures, not people.
    "coc": frozenset(),
    "outsider": frozenset(),
    "replaced_evaluator": frozenset(),
    "released_juror": frozenset(),
}


# Dossier references start with the branch prefix and the year: a page may show the
# numbers of a branch's dossiers only to those who may see them (matched case-sensitively).
REFERENCE_MARKERS = ("ALPHA-20", "BETA-20")
VISIBLE_REFERENCES: dict[str, frozenset[str]] = {
    "anonymous": frozenset(),
    "admin": frozenset(REFERENCE_MARKERS),
    "staff_a": frozenset({"ALPHA-20"}),
    "staff_b": frozenset({"BETA-20"}),
    "evaluator": frozenset({"ALPHA-20"}),
    "other_evaluator": frozenset(REFERENCE_MARKERS),
    "referent_a": frozenset({"ALPHA-20"}),
    "jury_employer": frozenset({"ALPHA-20"}),
    "jury_employee": frozenset({"ALPHA-20"}),
    "candidate": frozenset({"ALPHA-20"}),
    "other_candidate": frozenset({"ALPHA-20"}),
    "coc": frozenset(),
    "outsider": frozenset(),
    "replaced_evaluator": frozenset(),
    "released_juror": frozenset(),
}


@dataclass
class Side:
    """One branch's objects, built the same way on both sides."""

    branch: Any
    company: Any
    staff: Any
    evaluator: Any
    candidate: Candidate
    open_dossier: Dossier  # VAE, status "open"
    evaluation_dossier: Dossier  # in evaluation, a draft grid of `evaluator`
    ready_dossier: Dossier  # ready for jury, on no agenda
    scheduled_dossier: Dossier  # on the open session's agenda, not decided
    awarded_dossier: Dossier  # decided: holds the certificate
    draft_sheet: Any
    planned_session: Any
    open_session: Any
    certificate: Any
    jury_member: Any  # a seat of the planned session
    evidence: Any = None  # a file of the evaluation dossier
    flux: Any = None  # a CDC declaration flux holding the certificate
    flux_entry: Any = None  # the certificate's entry in it
    open_proposal: Any = None  # put to the vote on the scheduled dossier, no vote yet
    closed_session: Any = None  # decided and closed, its minutes not signed yet
    erasure_request: Any = None  # the side's candidate asks for erasure, pending
    extra: dict[str, Any] = field(default_factory=dict)


@dataclass
class World:
    version: Any
    referentiel: Any
    users: dict[str, Any]
    a: Side
    b: Side
    other_dossier: Dossier  # branch A, other candidate, graded by the other evaluator
    other_sheet: Any  # first the replaced evaluator's, then handed to the other evaluator
    other_evidence: Any  # of the other dossier, added by the replaced evaluator
    tokens: dict[str, str] = field(default_factory=dict)  # role -> API token key (its id)

    def user(self, role: str) -> Any:
        return AnonymousUser() if role == "anonymous" else self.users[role]


def _walk_to_evaluation(
    dossier: Dossier, staff: Any, evaluator: Any, referent: Any | None = None
) -> Any:
    """The dossier in evaluation; returns the external evaluator's draft grid."""
    dossier_services.dossier_rule_admissibility(dossier=dossier, admissible=True, by=staff)
    dossier_services.dossier_start_evaluation(dossier=dossier, by=staff)
    evaluation = evaluation_services.evaluation_create(
        dossier=dossier,
        kind=EvaluationKind.FINAL,
        external_evaluator=evaluator,
        referent=referent,
        by=staff,
        # An appointment: the candidate is convoked to it and answers in their space.
        appointment_at=timezone.now() + datetime.timedelta(days=30),
        appointment_place="Atelier",
    )
    return evaluation.sheets.get(role=SheetRole.EXTERNAL)


def _build_side(
    *,
    code: str,
    candidate_name: str,
    candidate_user: Any,
    staff: Any,
    evaluator: Any,
    jury: tuple[Any, Any],
    version: Any,
    referent: Any | None = None,
) -> Side:
    """`referent`, when given, is appointed to the side's company and scores the evaluation
    dossier's grid with the evaluator (a binôme)."""
    branch = staff.memberships.get().branch
    company: Any = CompanyFactory.create(branch=branch, name=f"Entreprise {code}")
    if referent is not None:
        evaluation_services.referent_appoint(company=company, user=referent, by=staff)
    candidate: Any = CandidateFactory.create(
        branch=branch, user=candidate_user, last_name=candidate_name, first_name="Cand"
    )

    def open_one() -> Dossier:
        return dossier_services.dossier_open(
            candidate=candidate,
            version=version,
            company=company,
            access_route=AccessRoute.VAE,
            first_certification=True,
            by=staff,
        )

    open_dossier = open_one()
    evaluation_dossier = open_one()
    draft_sheet = _walk_to_evaluation(evaluation_dossier, staff, evaluator, referent)
    ready = []
    for _ in range(4):
        dossier = open_one()
        score_all(_walk_to_evaluation(dossier, staff, evaluator), by=evaluator)
        dossier.refresh_from_db()
        ready.append(dossier)
    ready_dossier, scheduled_dossier, awarded_dossier, closed_dossier = ready

    def session(held: datetime.datetime) -> Any:
        s = evaluation_services.jury_session_create(
            branch=branch, held_on=held, place=f"Salle {code}", by=staff
        )
        evaluation_services.jury_member_convoke(
            session=s, user=jury[0], role=MemberRole.CHAIR, by=staff
        )
        evaluation_services.jury_member_convoke(
            session=s, user=jury[1], role=MemberRole.VICE_CHAIR, by=staff
        )
        return s

    now = timezone.now()
    open_session = session(now - datetime.timedelta(hours=1))
    for dossier in (scheduled_dossier, awarded_dossier):
        evaluation_services.jury_session_add_dossier(
            session=open_session, dossier=dossier, by=staff
        )
    evaluation_services.jury_session_open(session=open_session, by=staff)
    decision = jury_decides(
        session=open_session, dossier=awarded_dossier, outcome=Outcome.AWARD, by=jury[0]
    )
    # A procès-verbal on file, so that its download is reachable for those allowed.
    open_session.minutes.save("pv.pdf", ContentFile(b"%PDF-1.4 test\n"), save=True)
    open_proposal = evaluation_services.proposal_put(
        session=open_session, dossier=scheduled_dossier, outcome=Outcome.AWARD, by=jury[0]
    )
    closed_session = session(now - datetime.timedelta(hours=3))
    evaluation_services.jury_session_add_dossier(
        session=closed_session, dossier=closed_dossier, by=staff
    )
    evaluation_services.jury_session_open(session=closed_session, by=staff)
    jury_decides(session=closed_session, dossier=closed_dossier, outcome=Outcome.AWARD, by=staff)
    evaluation_services.jury_session_close(session=closed_session, by=staff)
    planned_session = session(now + datetime.timedelta(days=30))
    for dossier in (open_dossier, evaluation_dossier, ready_dossier, scheduled_dossier):
        dossier.refresh_from_db()
    evidence = evidence_add(
        dossier=evaluation_dossier,
        uploaded=SimpleUploadedFile("piece.pdf", b"%PDF-1.4\n%%EOF\n"),
        by=staff,
    )
    # The certificate declared to the Caisse des Dépôts in a flux (declarations/).
    complete_identity(candidate)
    Branch.objects.filter(pk=branch.pk).update(
        cdc_client_id=f"CLI{code.upper()[:5]:0<5}", cdc_contract_id=f"CONTRAT-{code}"
    )
    branch.refresh_from_db()
    flux = declaration_services.flux_create(branch=branch, by=staff)
    return Side(
        flux=flux,
        flux_entry=flux.entries.get(certificate__decision=decision),
        evidence=evidence,
        branch=branch,
        company=company,
        staff=staff,
        evaluator=evaluator,
        candidate=candidate,
        open_dossier=open_dossier,
        evaluation_dossier=evaluation_dossier,
        ready_dossier=ready_dossier,
        scheduled_dossier=scheduled_dossier,
        awarded_dossier=awarded_dossier,
        draft_sheet=draft_sheet,
        planned_session=planned_session,
        open_session=open_session,
        certificate=decision.certificates.get(),
        jury_member=planned_session.members.order_by("pk").first(),
        open_proposal=open_proposal,
        closed_session=closed_session,
    )


def build_world() -> World:
    branch_a: Any = BranchFactory.create(code="alpha", name="Branche Alpha")
    branch_b: Any = BranchFactory.create(code="beta", name="Branche Beta")
    referentiel, version = build_referentiel(
        branches=[branch_a, branch_b], title="Agent logistique"
    )

    def member(email: str, branch: Any, role: str, **extra: Any) -> Any:
        user: Any = UserFactory.create(email=email)
        Membership.objects.create(user=user, branch=branch, role=role, **extra)
        return user

    users: dict[str, Any] = {
        "admin": UserFactory.create(email="admin@iso.test", is_superuser=True, is_staff=True),
        "staff_a": member("staff.a@iso.test", branch_a, Role.STAFF),
        "staff_b": member("staff.b@iso.test", branch_b, Role.STAFF),
        "evaluator": UserFactory.create(email="evaluateur@iso.test"),
        "other_evaluator": UserFactory.create(email="autre.evaluateur@iso.test"),
        "jury_employer": member(
            "jury.employeur@iso.test", branch_a, Role.JURY, college=College.EMPLOYERS
        ),
        "jury_employee": member(
            "jury.salarie@iso.test", branch_a, Role.JURY, college=College.EMPLOYEES
        ),
        "candidate": UserFactory.create(email="candidat@iso.test"),
        "other_candidate": UserFactory.create(email="autre.candidat@iso.test"),
        "coc": UserFactory.create(email="coc@iso.test", is_coc_observer=True),
        "outsider": UserFactory.create(email="personne@iso.test"),
        "referent_a": UserFactory.create(email="referent.a@iso.test"),
        "replaced_evaluator": UserFactory.create(email="evaluateur.remplace@iso.test"),
        "released_juror": member(
            "jury.libere@iso.test", branch_a, Role.JURY, college=College.EMPLOYERS
        ),
    }
    for who in ("evaluator", "other_evaluator", "replaced_evaluator"):
        habilitate(users[who], branch=branch_a, referentiel=referentiel)
        habilitate(users[who], branch=branch_b, referentiel=referentiel)
    jury_b = (
        member("jury.b.employeur@iso.test", branch_b, Role.JURY, college=College.EMPLOYERS),
        member("jury.b.salarie@iso.test", branch_b, Role.JURY, college=College.EMPLOYEES),
    )
    side_a = _build_side(
        code="A",
        candidate_name=OWN_CANDIDATE,
        candidate_user=users["candidate"],
        staff=users["staff_a"],
        evaluator=users["evaluator"],
        jury=(users["jury_employer"], users["jury_employee"]),
        version=version,
        referent=users["referent_a"],
    )
    side_b = _build_side(
        code="B",
        candidate_name=FOREIGN_CANDIDATE,
        candidate_user=UserFactory.create(email="candidat.b@iso.test"),
        staff=users["staff_b"],
        evaluator=users["other_evaluator"],
        jury=jury_b,
        version=version,
    )
    other: Any = CandidateFactory.create(
        branch=branch_a,
        user=users["other_candidate"],
        last_name=OTHER_CANDIDATE,
        first_name="Cand",
    )
    other_dossier = dossier_services.dossier_open(
        candidate=other,
        version=version,
        company=side_a.company,
        access_route=AccessRoute.VAE,
        first_certification=True,
        by=users["staff_a"],
    )
    # Revoked grants. The other candidate's grid was first given to the replaced evaluator,
    # who added a piece of evidence, then handed to the other evaluator.
    other_sheet = _walk_to_evaluation(other_dossier, users["staff_a"], users["replaced_evaluator"])
    other_evidence = evidence_add(
        dossier=other_dossier,
        uploaded=SimpleUploadedFile("observation.pdf", b"%PDF-1.4\n%%EOF\n"),
        by=users["replaced_evaluator"],
        capacity=Capacity.objects.filter(bloc__version=version).first(),
    )
    other_sheet = evaluation_services.evaluation_reassign(
        sheet=other_sheet, evaluator=users["other_evaluator"], by=users["staff_a"]
    )
    other_dossier.refresh_from_db()
    # A jury member convoked to branch A's planned session, then released.
    seat = evaluation_services.jury_member_convoke(
        session=side_a.planned_session, user=users["released_juror"], by=users["staff_a"]
    )
    evaluation_services.jury_member_release(member=seat, by=users["staff_a"])
    from privacy.services import erasure_request_create

    for side in (side_a, side_b):
        side.erasure_request = erasure_request_create(
            candidate=side.candidate, by=side.candidate.user, message="Effacez mes données."
        )
    # A certificate issued before the platform on each side (historic/).
    from tests.factories_historic import HistoricCertificateFactory

    for side in (side_a, side_b):
        # Its holder was invited to claim it: the claim link is the matrix's target.
        side.extra["historic"] = HistoricCertificateFactory.create(
            branch=side.branch,
            referentiel=referentiel,
            imported_by=side.staff,
            claim_email="titulaire@iso.test",
            claim_invited_at=timezone.now(),
            claim_invited_by=side.staff,
        )
    # The evaluator's private calendar feed (its token is the address's secret).
    side_a.extra["feed_token"] = evaluation_services.calendar_feed_regenerate(by=users["evaluator"])
    # A proposed row of the national equivalence table, to another CQPI (#18).
    from certifications.services import equivalence_propose

    _other_referentiel, other_version = build_referentiel(
        branches=[branch_a, branch_b], title="Opérateur logistique"
    )
    side_a.extra["equivalence"] = equivalence_propose(
        source=Capacity.objects.filter(bloc__version=version).order_by("pk")[0],
        target=Capacity.objects.filter(bloc__version=other_version).order_by("pk")[0],
        by=users["admin"],
    )
    from knox.models import AuthToken

    tokens = {
        role: AuthToken.objects.create(users[role])[0].token_key for role in ("staff_a", "staff_b")
    }
    return World(
        tokens=tokens,
        version=version,
        referentiel=referentiel,
        users=users,
        a=side_a,
        b=side_b,
        other_dossier=other_dossier,
        other_sheet=other_sheet,
        other_evidence=other_evidence,
    )
