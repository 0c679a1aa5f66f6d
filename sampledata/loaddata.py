"""A realistic national data set for benchmarks: bulk-loaded with PostgreSQL's COPY, reproducible.

`manage.py generate_load_data --dossiers 100000 --seed 1` builds, on top of the reference
data, 22 branches of skewed sizes (the largest holds about a quarter of the dossiers),
companies, candidates, staff, evaluators and jury members, dossiers at every stage with
their history, evaluations with capacity results and indicator marks, jury sessions,
decisions and certificates for about half the dossiers. Rows are generated in Python and
written with COPY (no per-row ORM save); ids are assigned here so that rows can point at
each other, and the sequences are moved past them at the end.

Each function below builds one kind of row and draws from the one random source in a fixed
order: the same seed gives the same data set. `TABLES` declares the columns written per
table (see `sampledata.copier`).
"""

from __future__ import annotations

import datetime
import json
import random
import secrets
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from django.contrib.auth.hashers import make_password
from django.db import connection, models, transaction
from django.utils import timezone

from accounts.models import User
from branches.models import (
    Branch,
    College,
    Company,
    Counter,
    EvaluatorHabilitation,
    Membership,
    Role,
)
from branches.validators import luhn_valid
from candidates import workflow
from candidates.models import AccessRoute, Candidate, Dossier, DossierHistory, DossierStatus
from candidates.services import dossier_reference
from certifications.models import (
    Adoption,
    Capacity,
    Certificate,
    CertificateKind,
    CertificateStatus,
    Indicator,
    Referentiel,
    ReferentielVersion,
    RenderStatus,
    VersionStatus,
)
from certifications.services import certificate_number
from evaluations.models import (
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
    EvaluationUserObjectPermission,
    IndicatorMark,
    JuryMember,
    JurySession,
    JurySessionUserObjectPermission,
    MemberRole,
    Outcome,
    SessionStatus,
    SheetRole,
    SheetStatus,
)

from .copier import Copier, Ids, table_problems
from .signatories import sign_branch

S = DossierStatus
LOAD_PASSWORD = "Charge-CQPI-2026!"  # noqa: S105 - every generated account; benchmarks only
LOAD_EMAIL_DOMAIN = "charge.cqpi.test"

# The columns written per table, exactly the keys each builder below gives. A model that gains
# a column the database requires and the generator does not write fails
# tests/sampledata/test_loaddata.py, and this generator before it writes anything.
TABLES: dict[type[models.Model], tuple[str, ...]] = {
    Adoption: ("id", "referentiel_id", "branch_id", "accord_date"),
    User: (
        "id", "password", "is_superuser", "first_name", "last_name", "email", "is_staff",
        "is_active", "date_joined", "is_coc_observer",
    ),
    Membership: ("id", "user_id", "branch_id", "role", "college", "is_active", "created_at"),
    EvaluatorHabilitation: (
        "id", "evaluator_id", "branch_id", "referentiel_id", "valid_from", "valid_until",
    ),
    Company: ("id", "branch_id", "name", "siret", "city", "created_at"),
    JurySession: (
        "id", "branch_id", "held_on", "place", "status", "opened_at", "closed_at", "minutes",
        "created_by_id",
    ),
    JuryMember: ("id", "session_id", "user_id", "college", "role", "present"),
    JurySessionUserObjectPermission: ("id", "permission_id", "user_id", "content_object_id"),
    Candidate: (
        "id", "branch_id", "last_name", "first_name", "birth_date", "birth_place", "email",
        "created_at", "usage_name", "first_name_2", "first_name_3", "sex", "birth_insee_code",
        "birth_postal_code", "birth_country_code", "birth_country_label",
    ),
    Dossier: (
        "id", "reference", "candidate_id", "branch_id", "company_id", "version_id",
        "access_route", "first_certification", "status", "opened_on", "status_changed_at",
        "created_by_id",
    ),
    DossierHistory: ("id", "dossier_id", "from_status", "to_status", "by_id", "at", "comment"),
    Evaluation: (
        "id", "dossier_id", "kind", "status", "due_date", "created_at", "created_by_id",
        "submitted_at",
    ),
    EvaluationUserObjectPermission: ("id", "permission_id", "user_id", "content_object_id"),
    EvaluationSheet: (
        "id", "evaluation_id", "evaluator_id", "role", "status", "version", "submitted_at",
    ),
    CapacityResult: ("id", "sheet_id", "capacity_id", "outcome", "comment", "updated_at"),
    IndicatorMark: ("id", "result_id", "indicator_id", "mark"),
    AgendaItem: ("id", "session_id", "dossier_id", "position"),
    Decision: (
        "id", "dossier_id", "session_id", "outcome", "reasons", "status", "decided_at",
        "recorded_by_id",
    ),
    DecisionCapacity: ("id", "decision_id", "capacity_id", "validated", "overridden", "reason"),
    Certificate: (
        "id", "number", "kind", "dossier_id", "decision_id", "branch_id", "version_id",
        "holder_name", "issued_on", "place_of_issue", "valid_until", "snapshot",
        "verification_code", "status", "revoked_at", "revocation_reason", "render_status",
        "render_error", "render_attempts", "pdf", "pdf_sha256", "rendered_at",
        "reported_to_passport_at", "created_at", "qr_jws",
    ),
}  # fmt: skip

# A branch's people and companies, written before its sessions and dossiers point at them.
_PEOPLE_ORDER: list[type[models.Model]] = [User, Membership, EvaluatorHabilitation, Company]
# A branch's sessions and dossiers with all that hangs from them, in foreign-key order.
_ORDER: list[type[models.Model]] = [
    JurySession,
    JuryMember,
    JurySessionUserObjectPermission,
    Candidate,
    Dossier,
    DossierHistory,
    Evaluation,
    EvaluationUserObjectPermission,
    EvaluationSheet,
    CapacityResult,
    IndicatorMark,
    AgendaItem,
    Decision,
    DecisionCapacity,
    Certificate,
]
# Rows are sent every so many dossiers, so that memory stays flat in the largest branch.
_FLUSH_EVERY = 5000

# The path a dossier walks, and where generated dossiers stop on it (weights sum to 100):
# about half are decided with a certificate, as the issue asks.
_OUTCOMES: list[tuple[str, int]] = [
    (S.OPEN, 4),
    (S.ADMISSIBLE, 2),
    (S.INADMISSIBLE, 1),
    (S.POSITIONING, 6),
    (S.EVALUATION, 10),
    (S.READY_FOR_JURY, 6),
    (S.SCHEDULED, 5),
    (S.AWARDED, 44),
    (S.PARTIALLY_AWARDED, 8),
    (S.REFUSED, 6),
    (S.WITHDRAWN, 8),
]
# The stages a jury decided, and its decision.
_DECIDED: dict[str, str] = {
    S.AWARDED: Outcome.AWARD,
    S.PARTIALLY_AWARDED: Outcome.PARTIAL,
    S.REFUSED: Outcome.REFUSAL,
}
# The brochure: 1 in 3 through VAE, 1 in 5 in a contrat de professionnalisation.
_ROUTES: list[tuple[str, int]] = [
    (AccessRoute.VAE, 33),
    (AccessRoute.PROFESSIONALISATION, 20),
    (AccessRoute.CONTINUING, 30),
    (AccessRoute.PRO_A, 9),
    (AccessRoute.DIRECT, 8),
]
_LAST_NAMES = [
    "Martin", "Bernard", "Thomas", "Petit", "Robert", "Richard", "Durand", "Dubois", "Moreau",
    "Laurent", "Simon", "Michel", "Lefebvre", "Leroy", "Roux", "David", "Bertrand", "Morel",
    "Fournier", "Girard", "Bonnet", "Dupont", "Lambert", "Fontaine", "Rousseau", "Vincent",
    "Muller", "Lefevre", "Faure", "Andre", "Mercier", "Blanc", "Guerin", "Boyer", "Garnier",
    "Chevalier", "Francois", "Legrand", "Gauthier", "Garcia", "Perrin", "Robin", "Clement",
    "Morin", "Nicolas", "Henry", "Roussel", "Mathieu",
]  # fmt: skip
_FIRST_NAMES = [
    "Léa", "Emma", "Chloé", "Inès", "Manon", "Camille", "Sarah", "Jade", "Louise", "Lina",
    "Hugo", "Lucas", "Louis", "Nathan", "Jules", "Gabriel", "Arthur", "Adam", "Raphaël", "Paul",
    "Thomas", "Théo", "Mathis", "Enzo", "Noah", "Karim", "Sofia", "Yasmine", "Mehdi", "Anaïs",
]  # fmt: skip
_CITIES = [
    "Lyon", "Lille", "Nantes", "Rennes", "Bordeaux", "Toulouse", "Marseille", "Nice", "Reims",
    "Dijon", "Metz", "Tours",
]  # fmt: skip
# Their INSEE codes, for the identity the declaration to the Caisse des Dépôts needs.
_CITY_INSEE = {
    "Lyon": "69123", "Lille": "59350", "Nantes": "44109", "Rennes": "35238",
    "Bordeaux": "33063", "Toulouse": "31555", "Marseille": "13055", "Nice": "06088",
    "Reims": "51454", "Dijon": "21231", "Metz": "57463", "Tours": "37261",
}  # fmt: skip
_COMPANY_FORMS = ["SA", "SAS", "SARL", "Industries", "Distribution"]


def _weighted(rng: random.Random, choices: Sequence[tuple[Any, int]]) -> Any:
    values, weights = zip(*choices, strict=True)
    return rng.choices(values, weights=weights)[0]


def _path_to(status: str, route: str) -> list[str]:
    """The statuses a dossier passed through to reach `status`, in order."""
    if status == S.INADMISSIBLE:
        return [S.OPEN, S.INADMISSIBLE]
    if status == S.ADMISSIBLE:
        return [S.OPEN, S.ADMISSIBLE]
    start: list[str] = (
        [S.OPEN, S.ADMISSIBLE] if workflow.route(route).needs_admissibility else [S.OPEN]
    )
    main: list[str] = [*start, S.POSITIONING, S.EVALUATION, S.READY_FOR_JURY, S.SCHEDULED]
    if status == S.WITHDRAWN:
        return [*start, S.POSITIONING, S.WITHDRAWN]
    if status in _DECIDED:
        return [*main, status]
    return main[: main.index(status) + 1]


def _siret(n: int) -> str:
    base = f"{(n * 104_729 + 7_000_000_000_000) % 10**13:013d}"
    return next(base + str(key) for key in range(10) if luhn_valid(base + str(key)))


def _branch_sizes(dossiers: int, count: int) -> list[int]:
    """Dossiers per branch, largest first. Harmonic weights: with 22 branches the largest holds
    about 27 % of the dossiers."""
    raw = [1 / (rank + 1) for rank in range(count)]
    total = sum(raw)
    sizes = [int(dossiers * (w / total)) for w in raw]
    sizes[0] += dossiers - sum(sizes)
    return sizes


# --- what every builder shares ------------------------------------------------------------


@dataclass
class _Catalogue:
    """The reference data read once: CQPIs, versions in force, their grids, adoptions."""

    referentiels: dict[int, Referentiel]
    versions: dict[int, ReferentielVersion]  # by referentiel id
    capacities: dict[int, list[Capacity]]  # by version id, in grid order
    indicators: dict[int, list[Indicator]]  # by capacity id
    adoptions: dict[int, list[int]]  # referentiel ids by branch id
    score_permission_id: int
    sit_permission_id: int


def _read_catalogue() -> _Catalogue:
    capacities: dict[int, list[Capacity]] = {}
    for capacity in Capacity.objects.select_related("bloc").order_by("bloc__order", "order"):
        capacities.setdefault(capacity.bloc.version_id, []).append(capacity)
    indicators: dict[int, list[Indicator]] = {}
    for indicator in Indicator.objects.order_by("order", "pk"):
        indicators.setdefault(indicator.capacity_id, []).append(indicator)
    adoptions: dict[int, list[int]] = {}
    for branch_id, referentiel_id in Adoption.objects.values_list("branch_id", "referentiel_id"):
        adoptions.setdefault(branch_id, []).append(referentiel_id)
    permission = EvaluationUserObjectPermission._meta.get_field("permission").related_model
    score_permission_id = permission.objects.get(  # type: ignore[union-attr]
        codename=SCORE_EVALUATION, content_type__app_label="evaluations"
    ).pk
    sit_permission_id = permission.objects.get(  # type: ignore[union-attr]
        codename=SIT_ON_SESSION, content_type__app_label="evaluations"
    ).pk
    return _Catalogue(
        referentiels={
            r.pk: r for r in Referentiel.objects.filter(status="validated").order_by("pk")
        },
        versions={
            v.referentiel_id: v
            for v in ReferentielVersion.objects.filter(status=VersionStatus.IN_FORCE)
        },
        capacities=capacities,
        indicators=indicators,
        adoptions=adoptions,
        score_permission_id=score_permission_id,
        sit_permission_id=sit_permission_id,
    )


@dataclass
class _Run:
    """One generation: the random source, the clock, the ids and the rows waiting for COPY."""

    rng: random.Random
    catalogue: _Catalogue
    now: datetime.datetime = field(default_factory=lambda: timezone.now())
    today: datetime.date = field(default_factory=lambda: timezone.localdate())
    ids: Ids = field(default_factory=Ids)
    out: Copier = field(default_factory=lambda: Copier(TABLES))
    password: str = field(default_factory=lambda: make_password(LOAD_PASSWORD))
    user_serial: int = 0  # numbers the generated emails
    dossiers: int = 0
    certificates: int = 0


@dataclass
class _Cast:
    """One branch's people and companies, as ids."""

    staff: list[int]
    jury: list[tuple[int, str]]  # (user id, collège); the first of each collège chairs
    evaluators: list[int]
    companies: list[int]


@dataclass
class _Fate:
    """Where one dossier stands and how it got there, drawn before any of its rows is written."""

    route: str
    status: str
    referentiel_id: int
    version: ReferentielVersion
    path: list[str]
    session_id: int | None  # the closed session that decided it
    held_on: datetime.datetime | None
    opened_at: datetime.datetime
    opened_on: datetime.date
    moments: list[datetime.datetime]  # when it entered each status of its path

    @property
    def decided(self) -> bool:
        return self.status in _DECIDED

    @property
    def evaluated(self) -> bool:
        return S.READY_FOR_JURY in self.path or self.status == S.EVALUATION


@dataclass(frozen=True)
class _Holder:
    id: int
    first_name: str
    last_name: str


def _next(counters: dict[tuple[str, int], int], key: tuple[str, int]) -> int:
    counters[key] = counters.get(key, 0) + 1
    return counters[key]


# --- branches and companies ---------------------------------------------------------------


def _adopt_where_missing(run: _Run, branches: list[Branch]) -> None:
    """Every branch needs at least one CQPI to open dossiers on."""
    adoptions = run.catalogue.adoptions
    for branch in branches:
        if adoptions.get(branch.pk):
            continue
        referentiel_id = run.rng.choice(sorted(run.catalogue.referentiels))
        run.out.add(
            Adoption,
            {
                "id": run.ids.take(Adoption),
                "referentiel_id": referentiel_id,
                "branch_id": branch.pk,
                "accord_date": datetime.date(2015, 1, 1),
            },
        )
        adoptions[branch.pk] = [referentiel_id]
    run.out.flush([Adoption])


def _companies(run: _Run, branch: Branch, size: int) -> list[int]:
    """About one company for 40 dossiers, at least three."""
    companies = []
    for _ in range(max(3, size // 40)):
        pk = run.ids.take(Company)
        companies.append(pk)
        name = f"{run.rng.choice(_LAST_NAMES)} {run.rng.choice(_COMPANY_FORMS)} {pk}"
        run.out.add(
            Company,
            {
                "id": pk,
                "branch_id": branch.pk,
                "name": name,
                "siret": _siret(pk),
                "city": run.rng.choice(_CITIES),
                "created_at": run.now,
            },
        )
    return companies


# --- people and roles ---------------------------------------------------------------------


def _person(run: _Run, label: str) -> int:
    """A user account with a made-up name and the shared benchmark password."""
    first, last = run.rng.choice(_FIRST_NAMES), run.rng.choice(_LAST_NAMES)
    run.user_serial += 1
    pk = run.ids.take(User)
    run.out.add(
        User,
        {
            "id": pk,
            "password": run.password,
            "is_superuser": False,
            "first_name": first,
            "last_name": last,
            "email": f"{label}.{run.user_serial}@{LOAD_EMAIL_DOMAIN}",
            "is_staff": False,
            "is_active": True,
            "date_joined": run.now,
            "is_coc_observer": False,
        },
    )
    return pk


def _membership(run: _Run, branch: Branch, user_id: int, role: str, college: str = "") -> None:
    run.out.add(
        Membership,
        {
            "id": run.ids.take(Membership),
            "user_id": user_id,
            "branch_id": branch.pk,
            "role": role,
            "college": college,
            "is_active": True,
            "created_at": run.now,
        },
    )


def _staff(run: _Run, branch: Branch) -> list[int]:
    """Two CPNE staff members; the first one does the paperwork of every generated row."""
    staff = [_person(run, f"cpne.{branch.code}") for _ in range(2)]
    for user_id in staff:
        _membership(run, branch, user_id, Role.STAFF)
    return staff


def _jury(run: _Run, branch: Branch) -> list[tuple[int, str]]:
    """Three jury members in each collège."""
    jury: list[tuple[int, str]] = []
    college: str
    for college in (College.EMPLOYERS, College.EMPLOYEES):
        for _ in range(3):
            user_id = _person(run, f"jury.{branch.code}")
            jury.append((user_id, college))
            _membership(run, branch, user_id, Role.JURY, college)
    return jury


def _evaluators(run: _Run, branch: Branch, size: int) -> list[int]:
    """One evaluator for about 250 dossiers, at least two, habilitated on every CQPI of the
    branch."""
    evaluators = [_person(run, f"eval.{branch.code}") for _ in range(max(2, size // 250))]
    for evaluator_id in evaluators:
        for referentiel_id in run.catalogue.adoptions[branch.pk]:
            run.out.add(
                EvaluatorHabilitation,
                {
                    "id": run.ids.take(EvaluatorHabilitation),
                    "evaluator_id": evaluator_id,
                    "branch_id": branch.pk,
                    "referentiel_id": referentiel_id,
                    "valid_from": run.today - datetime.timedelta(days=3 * 365),
                    "valid_until": run.today + datetime.timedelta(days=2 * 365),
                },
            )
    return evaluators


def _cast(run: _Run, branch: Branch, size: int) -> _Cast:
    staff = _staff(run, branch)
    jury = _jury(run, branch)
    evaluators = _evaluators(run, branch, size)
    companies = _companies(run, branch, size)
    run.out.flush(_PEOPLE_ORDER)
    return _Cast(staff=staff, jury=jury, evaluators=evaluators, companies=companies)


# --- jury sessions ------------------------------------------------------------------------


def _jury_members(run: _Run, session_id: int, jury: list[tuple[int, str]]) -> None:
    """The whole jury sits: the first employer chairs, the first employee is vice-chair; each
    seat comes with its grant on the session (what the jury member sees)."""
    for position, (user_id, college) in enumerate(jury):
        role = (
            MemberRole.CHAIR
            if position == 0
            else MemberRole.VICE_CHAIR
            if position == 3
            else MemberRole.MEMBER
        )
        run.out.add(
            JuryMember,
            {
                "id": run.ids.take(JuryMember),
                "session_id": session_id,
                "user_id": user_id,
                "college": college,
                "role": role,
                "present": True,
            },
        )
        run.out.add(
            JurySessionUserObjectPermission,
            {
                "id": run.ids.take(JurySessionUserObjectPermission),
                "permission_id": run.catalogue.sit_permission_id,
                "user_id": user_id,
                "content_object_id": session_id,
            },
        )


def _closed_sessions(
    run: _Run, branch: Branch, size: int, cast: _Cast
) -> list[tuple[int, datetime.datetime]]:
    """Past sessions, one for about 40 decided dossiers, spread over five years: (id, sitting)."""
    sessions: list[tuple[int, datetime.datetime]] = []
    for _ in range(max(1, size // 80)):
        sitting = run.now - datetime.timedelta(days=run.rng.randint(1, 5 * 365))
        pk = run.ids.take(JurySession)
        sessions.append((pk, sitting))
        run.out.add(
            JurySession,
            {
                "id": pk,
                "branch_id": branch.pk,
                "held_on": sitting,
                "place": f"{run.rng.choice(_CITIES)}, siège de la CPNE",
                "status": SessionStatus.CLOSED,
                "opened_at": sitting,
                "closed_at": sitting + datetime.timedelta(hours=3),
                "minutes": "",
                "created_by_id": cast.staff[0],
            },
        )
        _jury_members(run, pk, cast.jury)
    sessions.sort(key=lambda item: item[1])
    return sessions


class _UpcomingSessions:
    """Planned sessions of one branch taking its scheduled dossiers, at most 50 to an agenda."""

    def __init__(self, run: _Run, branch: Branch, created_by: int) -> None:
        self.run, self.branch, self.created_by = run, branch, created_by
        self.sessions: list[int] = []
        self.seats = 0

    def seat(self) -> int:
        if not self.sessions or self.seats >= 50:
            pk = self.run.ids.take(JurySession)
            self.sessions.append(pk)
            self.seats = 0
            self.run.out.add(
                JurySession,
                {
                    "id": pk,
                    "branch_id": self.branch.pk,
                    "held_on": self.run.now + datetime.timedelta(days=7 + 7 * len(self.sessions)),
                    "place": "Paris, siège de la CPNE",
                    "status": SessionStatus.PLANNED,
                    "opened_at": None,
                    "closed_at": None,
                    "minutes": "",
                    "created_by_id": self.created_by,
                },
            )
        self.seats += 1
        return self.sessions[-1]


def _agenda_item(run: _Run, session_id: int, dossier_id: int, position: int) -> None:
    run.out.add(
        AgendaItem,
        {
            "id": run.ids.take(AgendaItem),
            "session_id": session_id,
            "dossier_id": dossier_id,
            "position": position,
        },
    )


# --- candidates and dossiers with their history -------------------------------------------


def _fate(
    run: _Run, referentiel_ids: list[int], sessions: list[tuple[int, datetime.datetime]]
) -> _Fate:
    """Draw a dossier's route, stage, CQPI, deciding session and dates."""
    rng = run.rng
    route = _weighted(rng, _ROUTES)
    status = _weighted(rng, _OUTCOMES)
    referentiel_id = rng.choice(referentiel_ids)
    path = _path_to(status, route)
    session_id: int | None = None
    held_on: datetime.datetime | None = None
    if status in _DECIDED:
        session_id, held_on = rng.choice(sessions)
        opened_at = held_on - datetime.timedelta(days=rng.randint(120, 540))
        # Decided on the day of its session: the path's steps are spread up to it.
        step = (held_on - opened_at) / (len(path) - 1)
    else:
        opened_at = run.now - datetime.timedelta(days=rng.randint(5, 400))
        step = (run.now - opened_at) / (len(path) + 1)
    return _Fate(
        route=route,
        status=status,
        referentiel_id=referentiel_id,
        version=run.catalogue.versions[referentiel_id],
        path=path,
        session_id=session_id,
        held_on=held_on,
        opened_at=opened_at,
        opened_on=timezone.localdate(opened_at),
        moments=[opened_at + step * i for i in range(len(path))],
    )


def _candidate(run: _Run, branch: Branch, fate: _Fate) -> _Holder:
    rng = run.rng
    pk = run.ids.take(Candidate)
    last_name, first_name = rng.choice(_LAST_NAMES), rng.choice(_FIRST_NAMES)
    # The id in the surname keeps homonyms apart in searches and on certificates.
    holder = _Holder(id=pk, first_name=first_name, last_name=f"{last_name}-{pk}")
    run.out.add(
        Candidate,
        {
            "id": pk,
            "branch_id": branch.pk,
            "last_name": holder.last_name,
            "first_name": first_name,
            "birth_date": datetime.date(1965, 1, 1)
            + datetime.timedelta(days=rng.randint(0, 38 * 365)),
            "birth_place": (city := rng.choice(_CITIES)),
            "email": f"candidat.{pk}@{LOAD_EMAIL_DOMAIN}",
            "created_at": fate.opened_at,
            # Complete for the declaration, without drawing from the seed's sequence.
            "usage_name": "",
            "first_name_2": "",
            "first_name_3": "",
            "sex": "MF"[pk % 2],
            "birth_insee_code": _CITY_INSEE[city],
            "birth_postal_code": "",
            "birth_country_code": "100",
            "birth_country_label": "France",
        },
    )
    return holder


def _history(run: _Run, dossier_id: int, fate: _Fate, by_id: int) -> None:
    """One row per status the dossier went through, ending where it stands."""
    previous = ""
    for moment, to_status in zip(fate.moments, fate.path, strict=True):
        run.out.add(
            DossierHistory,
            {
                "id": run.ids.take(DossierHistory),
                "dossier_id": dossier_id,
                "from_status": previous,
                "to_status": to_status,
                "by_id": by_id,
                "at": moment,
                "comment": "",
            },
        )
        previous = to_status


def _dossier(
    run: _Run, branch: Branch, cast: _Cast, fate: _Fate, holder: _Holder, number: int
) -> int:
    pk = run.ids.take(Dossier)
    run.out.add(
        Dossier,
        {
            "id": pk,
            "reference": dossier_reference(branch=branch, year=fate.opened_on.year, number=number),
            "candidate_id": holder.id,
            "branch_id": branch.pk,
            "company_id": run.rng.choice(cast.companies),
            "version_id": fate.version.pk,
            "access_route": fate.route,
            # Two holders in three get their first certification.
            "first_certification": run.rng.random() < 0.67,
            "status": fate.status,
            "opened_on": fate.opened_on,
            "status_changed_at": fate.moments[-1],
            "created_by_id": cast.staff[0],
        },
    )
    _history(run, pk, fate, cast.staff[0])
    return pk


# --- evaluations and marks ----------------------------------------------------------------


def _marks(run: _Run, result_id: int, capacity: Capacity, acquired: bool) -> None:
    """Every indicator at its maximum when the capacity is acquired, just below its threshold
    when not."""
    for indicator in run.catalogue.indicators.get(capacity.pk, []):
        run.out.add(
            IndicatorMark,
            {
                "id": run.ids.take(IndicatorMark),
                "result_id": result_id,
                "indicator_id": indicator.pk,
                "mark": indicator.max_mark if acquired else max(0, indicator.threshold - 1),
            },
        )


def _capacity_results(
    run: _Run, sheet_id: int, fate: _Fate, *, submitted: bool, updated_at: datetime.datetime
) -> set[int]:
    """The grid: whole when submitted, half filled in when still a draft. A dossier heading
    for a partial validation or a refusal misses one capacity in three. Returns the ids of
    the capacities acquired."""
    capacities = run.catalogue.capacities[fate.version.pk]
    failing = fate.status in (S.PARTIALLY_AWARDED, S.REFUSED)
    scored = capacities if submitted else capacities[: len(capacities) // 2]
    acquired: set[int] = set()
    for position, capacity in enumerate(scored):
        ok = not failing or position % 3 != 0
        if ok:
            acquired.add(capacity.pk)
        result_id = run.ids.take(CapacityResult)
        run.out.add(
            CapacityResult,
            {
                "id": result_id,
                "sheet_id": sheet_id,
                "capacity_id": capacity.pk,
                "outcome": CapacityOutcome.ACQUIRED if ok else CapacityOutcome.NOT_ACQUIRED,
                "comment": "",
                "updated_at": updated_at,
            },
        )
        _marks(run, result_id, capacity, ok)
    return acquired


def _evaluation(run: _Run, cast: _Cast, fate: _Fate, dossier_id: int) -> set[int]:
    """The final evaluation by one external evaluator, granted the right to score it; submitted
    once the dossier is ready for the jury. Returns the ids of the capacities acquired."""
    submitted = S.READY_FOR_JURY in fate.path
    finished_at = fate.moments[-1] if submitted else None
    pk = run.ids.take(Evaluation)
    evaluator_id = run.rng.choice(cast.evaluators)
    run.out.add(
        Evaluation,
        {
            "id": pk,
            "dossier_id": dossier_id,
            "kind": EvaluationKind.FINAL,
            "status": EvaluationStatus.SUBMITTED if submitted else EvaluationStatus.IN_PROGRESS,
            "due_date": fate.opened_on + datetime.timedelta(days=90),
            "created_at": fate.opened_at,
            "created_by_id": cast.staff[0],
            "submitted_at": finished_at,
        },
    )
    run.out.add(
        EvaluationUserObjectPermission,
        {
            "id": run.ids.take(EvaluationUserObjectPermission),
            "permission_id": run.catalogue.score_permission_id,
            "user_id": evaluator_id,
            "content_object_id": pk,
        },
    )
    sheet_id = run.ids.take(EvaluationSheet)
    run.out.add(
        EvaluationSheet,
        {
            "id": sheet_id,
            "evaluation_id": pk,
            "evaluator_id": evaluator_id,
            "role": SheetRole.EXTERNAL,
            "status": SheetStatus.SUBMITTED if submitted else SheetStatus.DRAFT,
            "version": 1,
            "submitted_at": finished_at,
        },
    )
    return _capacity_results(run, sheet_id, fate, submitted=submitted, updated_at=fate.moments[-1])


# --- decisions ----------------------------------------------------------------------------


def _decision(run: _Run, cast: _Cast, fate: _Fate, dossier_id: int, acquired: set[int]) -> int:
    """The jury's decision, recorded by its chair, with every capacity validated or not."""
    assert fate.session_id is not None and fate.held_on is not None
    outcome = _DECIDED[fate.status]
    pk = run.ids.take(Decision)
    run.out.add(
        Decision,
        {
            "id": pk,
            "dossier_id": dossier_id,
            "session_id": fate.session_id,
            "outcome": outcome,
            "reasons": ""
            if outcome == Outcome.AWARD
            else "Capacités à consolider en situation de travail.",
            "status": "active",
            "decided_at": fate.held_on,
            "recorded_by_id": cast.jury[0][0],
        },
    )
    capacities = run.catalogue.capacities[fate.version.pk]
    validated = {c.pk for c in capacities} if outcome == Outcome.AWARD else acquired
    for capacity in capacities:
        run.out.add(
            DecisionCapacity,
            {
                "id": run.ids.take(DecisionCapacity),
                "decision_id": pk,
                "capacity_id": capacity.pk,
                "validated": capacity.pk in validated,
                "overridden": False,
                "reason": "",
            },
        )
    return pk


# --- certificates -------------------------------------------------------------------------


def _snapshot(
    branch: Branch,
    referentiel: Referentiel,
    version: ReferentielVersion,
    *,
    kind: str,
    number: str,
    issued_on: datetime.date,
    valid_until: datetime.date | None,
) -> dict[str, Any]:
    """The snapshot's shape, without the holder's identity or the blocs (nobody renders it)."""
    return {
        "holder": {"last_name": "", "first_name": "", "birth_date": "", "birth_place": ""},
        "cqpi": {
            "code": referentiel.code,
            "title": referentiel.title,
            "version": version.number,
            "level": referentiel.level,
            "eqf_level": referentiel.eqf_level,
            "nsf_codes": referentiel.nsf_codes,
        },
        "registration": None,
        "branch": {"code": branch.code, "name": branch.name},
        "certifier": branch.certifier_name,
        "signatory": {
            "name": branch.signatory_name,
            "title": branch.signatory_title,
            "image": None,
        },
        "place_of_issue": branch.place_of_issue,
        "issued_on": issued_on.isoformat(),
        "kind": kind,
        "valid_until": valid_until.isoformat() if valid_until else None,
        "number": number,
        "blocs": [],
    }


def _certificate(
    run: _Run,
    branch: Branch,
    fate: _Fate,
    *,
    holder: _Holder,
    dossier_id: int,
    decision_id: int,
    counters: dict[tuple[str, int], int],
) -> None:
    """The certificate, or the attestation of a partial validation; one in a hundred revoked."""
    assert fate.held_on is not None
    held_on, now = fate.held_on, run.now
    partial = fate.status == S.PARTIALLY_AWARDED
    kind = CertificateKind.PARTIAL if partial else CertificateKind.CERTIFICATE
    issued_on = timezone.localdate(held_on)
    # One counter for both kinds, as certificate_issue numbers them.
    number = certificate_number(
        partial=partial,
        branch_prefix=branch.prefix,
        year=issued_on.year,
        sequence=_next(counters, ("certificate", issued_on.year)),
    )
    valid_until = None
    if partial and branch.partial_validity_months:
        valid_until = issued_on + datetime.timedelta(
            days=int(branch.partial_validity_months * 30.44)
        )
    snapshot = _snapshot(
        branch,
        run.catalogue.referentiels[fate.referentiel_id],
        fate.version,
        kind=kind,
        number=number,
        issued_on=issued_on,
        valid_until=valid_until,
    )
    revoked = run.rng.random() < 0.01
    run.out.add(
        Certificate,
        {
            "id": run.ids.take(Certificate),
            "number": number,
            "kind": kind,
            "dossier_id": dossier_id,
            "decision_id": decision_id,
            "branch_id": branch.pk,
            "version_id": fate.version.pk,
            "holder_name": f"{holder.first_name} {holder.last_name}",
            "issued_on": issued_on,
            "place_of_issue": branch.place_of_issue,
            "valid_until": valid_until,
            "snapshot": json.dumps(snapshot),
            "verification_code": secrets.token_urlsafe(16),
            "status": CertificateStatus.REVOKED if revoked else CertificateStatus.VALID,
            "revoked_at": now if revoked else None,
            "revocation_reason": "Erreur matérielle." if revoked else "",
            # Rendering 50,000 PDFs is not the point of the load data: they are marked ready
            # without a file (downloads answer "being generated").
            "render_status": RenderStatus.READY,
            "render_error": "",
            "render_attempts": 0,
            "pdf": "",
            "pdf_sha256": "",
            "rendered_at": now,
            "reported_to_passport_at": held_on + datetime.timedelta(days=30)
            if (now - held_on).days > 90
            else None,
            "created_at": held_on,
            # No signed credential either (the worker signs it with the PDF): the QR code
            # carries the verification URL alone.
            "qr_jws": "",
        },
    )
    run.certificates += 1


# --- one branch, then the whole country ---------------------------------------------------


def _save_counters(branch: Branch, counters: dict[tuple[str, int], int]) -> None:
    """Numbering continues after the generated dossiers and certificates."""
    for (kind, year), value in counters.items():
        counter, _created = Counter.objects.get_or_create(branch=branch, kind=kind, year=year)
        Counter.objects.filter(pk=counter.pk, last_value__lt=value).update(last_value=value)


def _branch(run: _Run, branch: Branch, size: int) -> None:
    """A branch's people, sessions and `size` dossiers with everything that hangs from them."""
    cast = _cast(run, branch, size)
    sessions = _closed_sessions(run, branch, size, cast)
    upcoming = _UpcomingSessions(run, branch, cast.staff[0])
    referentiel_ids = run.catalogue.adoptions[branch.pk]
    counters: dict[tuple[str, int], int] = {}
    holder: _Holder | None = None
    for index in range(size):
        fate = _fate(run, referentiel_ids, sessions)
        number = _next(counters, ("dossier", fate.opened_on.year))
        # One candidate in twenty comes back for a second CQPI.
        if holder is None or index % 20 != 0:
            holder = _candidate(run, branch, fate)
        dossier_id = _dossier(run, branch, cast, fate, holder, number)
        acquired = _evaluation(run, cast, fate, dossier_id) if fate.evaluated else set()
        if fate.status == S.SCHEDULED:
            _agenda_item(run, upcoming.seat(), dossier_id, index)
        if fate.decided:
            assert fate.session_id is not None
            _agenda_item(run, fate.session_id, dossier_id, index)
            decision_id = _decision(run, cast, fate, dossier_id, acquired)
            if fate.status != S.REFUSED:
                _certificate(
                    run,
                    branch,
                    fate,
                    holder=holder,
                    dossier_id=dossier_id,
                    decision_id=decision_id,
                    counters=counters,
                )
        run.dossiers += 1
        if index % _FLUSH_EVERY == _FLUSH_EVERY - 1:
            run.out.flush(_ORDER)
    run.out.flush(_ORDER)
    _save_counters(branch, counters)


def generate(*, dossiers: int, seed: int, stdout: Any = None) -> dict[str, int]:
    """Generate `dossiers` dossiers over the 22 branches; returns the rows written per model."""
    if connection.vendor != "postgresql":
        raise RuntimeError(
            "generate_load_data writes with PostgreSQL's COPY: run it on PostgreSQL."
        )
    problems = table_problems(TABLES)
    if problems:
        raise RuntimeError("The load generator is behind the models:\n" + "\n".join(problems))

    def say(message: str) -> None:
        if stdout is not None:
            stdout.write(message)

    rng = random.Random(seed)  # noqa: S311 - reproducible test data, not secrets
    branches = list(Branch.objects.order_by("pk"))
    if len(branches) < 22:
        raise RuntimeError("Load the reference data first (manage.py load_reference_data).")
    rng.shuffle(branches)  # which branch is the largest depends on the seed
    run = _Run(rng=rng, catalogue=_read_catalogue())
    with transaction.atomic():
        for branch in branches:
            sign_branch(branch)  # so that decisions taken later on these branches can issue
        _adopt_where_missing(run, branches)
        run.user_serial = User.objects.count()
        for branch, size in zip(branches, _branch_sizes(dossiers, len(branches)), strict=True):
            say(f"{branch.code}: {size} dossiers")
            _branch(run, branch, size)
        Copier.reset_sequences([*_PEOPLE_ORDER, Adoption, *_ORDER])
    say(f"{run.dossiers} dossiers, {run.certificates} certificates")
    return run.out.counts
