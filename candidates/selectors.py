"""Reads of the candidates room: what staff may choose when opening a dossier, and the
candidate's own space (their dossiers, told as a plain-language timeline)."""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field
from typing import Any

from django.db.models import Prefetch, QuerySet
from django.utils import formats, timezone
from django.utils.translation import gettext as _

from branches.access import roles_of
from branches.models import Branch, Company
from certifications.models import Bloc, Capacity, Certificate, CertificateStatus
from core.identity import NormalisedIdentity

from . import workflow
from .models import (
    Candidate,
    Dossier,
    DossierHistory,
    DossierStatus,
    EvidenceDossier,
    EvidenceDossierStatus,
    EvidenceFile,
    EvidenceStatement,
    Person,
)

S = DossierStatus

# The evaluations room sits above this one (evaluations -> candidates), so its models are
# reached through the reverse relations (`dossier.decisions`, `dossier.agenda_items`) and
# its status values are spelt here: evaluations.models.DecisionStatus.ACTIVE and
# SessionStatus.CLOSED.
_DECISION_ACTIVE = "active"
_SESSION_CLOSED = "closed"


def staff_branches(user: Any) -> QuerySet[Branch]:
    """The branches a user runs: all of them for the national administrator."""
    roles = roles_of(user)
    if roles.is_national_admin:
        return Branch.objects.all()
    return Branch.objects.filter(pk__in=roles.staff_branch_ids)


# The choices of the dossier opening form, shared by the form and the search endpoints that
# fill its `SearchSelect` fields: what is offered is what a submitted id may be.


def openable_candidates(*, user: Any) -> QuerySet[Candidate]:
    """The registered candidates of the branches the user runs."""
    return Candidate.objects.visible_to(user).filter(branch__in=staff_branches(user))


def person_matches(identity: NormalisedIdentity) -> list[Person]:
    """The national persons whose identity is exactly `identity` (names normalised, birth
    date and place), for staff registering a candidate to be offered the link.

    Deliberately not scoped to the user's branches, and the only such read: it answers only
    someone who already typed the person's whole identity, so nobody browses the persons of
    another branch. An incomplete identity matches nobody."""
    if not identity.complete:
        return []
    return [
        person
        for person in Person.objects.current().filter(identity_key=identity.key).order_by("pk")
        if person.identity().matches(identity)
    ]


def openable_companies(*, user: Any) -> QuerySet[Company]:
    """The companies of the branches the user runs."""
    return Company.objects.visible_to(user).filter(branch__in=staff_branches(user))


def candidate_dossiers(*, user: Any) -> QuerySet[Dossier]:
    """The dossiers of which `user` is the candidate, and only those (never staff visibility)."""
    if user is None or not getattr(user, "is_authenticated", False):
        return Dossier.objects.none()
    return (
        Dossier.objects.filter(candidate__user=user)
        .select_related("candidate", "branch", "version", "version__referentiel")
        .prefetch_related(
            Prefetch("history", queryset=DossierHistory.objects.order_by("at", "pk")),
            Prefetch(
                "certificates",
                queryset=Certificate.objects.order_by("-issued_on", "-pk"),
            ),
            "agenda_items__session",
        )
        .order_by("-opened_on", "-pk")
    )


@dataclass(frozen=True)
class TimelineStep:
    status: str
    sentence: str
    at: datetime.datetime
    current: bool = False


def _step_sentence(*, entry: DossierHistory, dossier: Dossier) -> str:
    title = dossier.version.referentiel.title
    to, came_from = entry.to_status, entry.from_status
    if to == S.READY_FOR_JURY and came_from == S.SCHEDULED:
        return _(
            "Votre dossier a été retiré de l'ordre du jour du jury ; "
            "il sera présenté à un prochain jury."
        )
    sentences: dict[str, str] = {
        S.OPEN: _("Votre dossier a été ouvert pour le CQPI « %(title)s ».") % {"title": title},
        S.ADMISSIBLE: _("Votre dossier de VAE a été déclaré recevable."),
        S.INADMISSIBLE: _("Votre dossier de VAE n'a pas été déclaré recevable."),
        S.POSITIONING: _(
            "Votre positionnement a commencé : un premier bilan de vos acquis "
            "pour définir votre parcours."
        ),
        S.EVALUATION: _(
            "Votre évaluation a commencé : un évaluateur habilité observe vos capacités "
            "en situation de travail."
        ),
        S.READY_FOR_JURY: _("Votre évaluation est terminée ; votre dossier est prêt pour le jury."),
        S.SCHEDULED: _("Votre dossier est inscrit à l'ordre du jour d'un jury paritaire."),
        S.AWARDED: _("Le jury paritaire vous a délivré le CQPI « %(title)s ».") % {"title": title},
        S.PARTIALLY_AWARDED: _(
            "Le jury paritaire a validé une partie des capacités du CQPI « %(title)s »."
        )
        % {"title": title},
        S.REFUSED: _("Le jury paritaire n'a pas délivré le CQPI « %(title)s ».") % {"title": title},
        S.WITHDRAWN: _("Votre dossier a été clos."),
    }
    return sentences.get(to, str(S(to).label) if to in S.values else "")


def dossier_timeline(*, dossier: Dossier) -> list[TimelineStep]:
    """One sentence per step the dossier went through, oldest first; the last one is current.

    History comments are written by staff for staff and never shown here.
    """
    entries = list(dossier.history.all())
    return [
        TimelineStep(
            status=entry.to_status,
            sentence=_step_sentence(entry=entry, dossier=dossier),
            at=entry.at,
            current=index == len(entries) - 1,
        )
        for index, entry in enumerate(entries)
    ]


def current_certificate(*, dossier: Dossier) -> Certificate | None:
    """The document the candidate holds for this dossier: a replaced one gives way to its reissue."""
    certificates = list(dossier.certificates.all())
    for certificate in certificates:
        if certificate.status != CertificateStatus.SUPERSEDED:
            return certificate
    return None


def _date(value: datetime.date) -> str:
    return formats.date_format(value, "j F Y")


def next_step(*, dossier: Dossier, certificate: Certificate | None = None) -> str:
    """What comes next for the candidate, in one sentence: the workflow table's sentence for
    the dossier's state and route, told more precisely where a date or the certificate is known."""
    status = dossier.status
    if status == S.SCHEDULED and (held_on := _upcoming_jury_date(dossier)) is not None:
        return _("Le jury paritaire se réunira le %(date)s et décidera, capacité par capacité.") % {
            "date": _date(held_on)
        }
    if status == S.PARTIALLY_AWARDED and certificate is not None and certificate.valid_until:
        return _(
            "Les capacités validées vous restent acquises jusqu'au %(date)s : "
            "vous pouvez compléter votre CQPI d'ici là."
        ) % {"date": _date(certificate.valid_until)}
    if (
        status == S.AWARDED
        and certificate is not None
        and certificate.status == CertificateStatus.REVOKED
    ):
        return _("Votre certificat a été révoqué. Contactez votre branche pour en savoir plus.")
    return workflow.next_step(status=status, route_value=dossier.access_route)


def _upcoming_jury_date(dossier: Dossier) -> datetime.date | None:
    """The date of the jury the dossier is on the agenda of, if it has not sat yet."""
    upcoming = [
        item.session.held_on
        for item in dossier.agenda_items.all()
        if item.session.status != _SESSION_CLOSED and item.session.held_on >= timezone.now()
    ]
    if not upcoming:
        return None
    return timezone.localtime(min(upcoming)).date()


@dataclass(frozen=True)
class CapacityLine:
    code: str
    title: str


@dataclass
class SpaceDossier:
    """Everything the candidate's space shows about one dossier."""

    dossier: Dossier
    timeline: list[TimelineStep]
    next_step: str
    certificate: Certificate | None
    decision: Any | None = None
    validated_blocs: list[dict[str, Any]] = field(default_factory=list)
    remaining_capacities: list[CapacityLine] = field(default_factory=list)


def space_dossier(*, dossier: Dossier, with_decision: bool = True) -> SpaceDossier:
    """The candidate's view of one dossier; the decision's details only when `with_decision`.

    What was validated is read from the certificate's snapshot (what was certified), not
    recomputed from the live référentiel.
    """
    certificate = current_certificate(dossier=dossier)
    summary = SpaceDossier(
        dossier=dossier,
        timeline=dossier_timeline(dossier=dossier),
        next_step=next_step(dossier=dossier, certificate=certificate),
        certificate=certificate,
    )
    if not with_decision:
        return summary
    summary.decision = dossier.decisions.filter(status=_DECISION_ACTIVE).first()
    if certificate is not None:
        summary.validated_blocs = list(certificate.snapshot.get("blocs") or [])
    if summary.decision is not None and dossier.status == S.PARTIALLY_AWARDED:
        summary.remaining_capacities = [
            CapacityLine(code=line.capacity.code, title=line.capacity.title)
            for line in summary.decision.capacities.filter(validated=False)
            .select_related("capacity")
            .order_by("capacity__bloc__order", "capacity__order", "capacity__code")
        ]
    return summary


# --- The candidate's dossier of evidence (VAE) ------------------------------------------------


@dataclass
class CapacityEvidence:
    """One capacity of the dossier's référentiel, with what the candidate wrote and attached."""

    capacity: Any
    text: str
    files: list[Any]


@dataclass
class BlocEvidence:
    bloc: Any
    capacities: list[CapacityEvidence]


@dataclass
class EvidenceDossierView:
    """The dossier of evidence as a page shows it: its state and the capacities by bloc."""

    evidence_dossier: EvidenceDossier | None
    blocs: list[BlocEvidence]

    @property
    def status(self) -> str:
        if self.evidence_dossier is None:
            return EvidenceDossierStatus.DRAFT
        return self.evidence_dossier.status

    @property
    def editable(self) -> bool:
        return self.evidence_dossier is None or self.evidence_dossier.editable

    @property
    def described(self) -> int:
        return sum(1 for bloc in self.blocs for item in bloc.capacities if item.text)


def evidence_dossier_of(dossier: Dossier) -> EvidenceDossierView:
    """The dossier's evidence dossier, every capacity of its version listed (described or
    not), in three queries plus the capacities'."""
    evidence_dossier = EvidenceDossier.objects.filter(dossier_id=dossier.pk).first()
    texts: dict[int, str] = {}
    if evidence_dossier is not None:
        texts = dict(evidence_dossier.statements.values_list("capacity_id", "text"))
    files: dict[int, list[Any]] = {}
    for piece in EvidenceFile.objects.filter(
        dossier_id=dossier.pk, capacity__isnull=False
    ).order_by("uploaded_at", "pk"):
        if piece.capacity_id is not None:
            files.setdefault(piece.capacity_id, []).append(piece)
    blocs = (
        Bloc.objects.filter(version_id=dossier.version_id)
        .prefetch_related(
            Prefetch("capacities", queryset=Capacity.objects.order_by("order", "code"))
        )
        .order_by("order", "code")
    )
    return EvidenceDossierView(
        evidence_dossier=evidence_dossier,
        blocs=[
            BlocEvidence(
                bloc=bloc,
                capacities=[
                    CapacityEvidence(
                        capacity=capacity,
                        text=texts.get(capacity.pk, ""),
                        files=files.get(capacity.pk, []),
                    )
                    for capacity in bloc.capacities.all()
                ],
            )
            for bloc in blocs
        ],
    )


def candidate_statements(dossier: Dossier) -> dict[int, str]:
    """The candidate's descriptions by capacity, for evaluators and jury members: once the
    dossier of evidence has been submitted (drafts never submitted stay the candidate's)."""
    return dict(
        EvidenceStatement.objects.filter(
            evidence_dossier__dossier_id=dossier.pk,
            evidence_dossier__submitted_at__isnull=False,
        )
        .exclude(text="")
        .values_list("capacity_id", "text")
    )
