"""A realistic national data set for benchmarks: bulk-loaded with PostgreSQL's COPY, reproducible.

`manage.py generate_load_data --dossiers 100000 --seed 1` builds, on top of the reference
data, 22 branches of skewed sizes (the largest holds about a quarter of the dossiers),
companies, candidates, staff, evaluators and jury members, dossiers at every stage with
their history, evaluations with capacity results and indicator marks, jury sessions,
decisions and certificates for about half the dossiers. Rows are generated in Python and
written with COPY (no per-row ORM save); ids are assigned here so that rows can point at
each other, and the sequences are moved past them at the end.
"""

from __future__ import annotations

import datetime
import json
import random
import secrets
from collections.abc import Iterable, Sequence
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
    MemberRole,
    Outcome,
    SessionStatus,
    SheetRole,
    SheetStatus,
)

S = DossierStatus
LOAD_PASSWORD = "Charge-CQPI-2026!"  # noqa: S105 - every generated account; benchmarks only
LOAD_EMAIL_DOMAIN = "charge.cqpi.test"

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
# The brochure: 1 in 3 through VAE, 1 in 5 in a contrat de professionnalisation.
_ROUTES: list[tuple[str, int]] = [
    (AccessRoute.VAE, 33),
    (AccessRoute.PROFESSIONALISATION, 20),
    (AccessRoute.CONTINUING, 30),
    (AccessRoute.PRO_A, 9),
    (AccessRoute.DIRECT, 8),
]
_LAST_NAMES = [
    "Martin",
    "Bernard",
    "Thomas",
    "Petit",
    "Robert",
    "Richard",
    "Durand",
    "Dubois",
    "Moreau",
    "Laurent",
    "Simon",
    "Michel",
    "Lefebvre",
    "Leroy",
    "Roux",
    "David",
    "Bertrand",
    "Morel",
    "Fournier",
    "Girard",
    "Bonnet",
    "Dupont",
    "Lambert",
    "Fontaine",
    "Rousseau",
    "Vincent",
    "Muller",
    "Lefevre",
    "Faure",
    "Andre",
    "Mercier",
    "Blanc",
    "Guerin",
    "Boyer",
    "Garnier",
    "Chevalier",
    "Francois",
    "Legrand",
    "Gauthier",
    "Garcia",
    "Perrin",
    "Robin",
    "Clement",
    "Morin",
    "Nicolas",
    "Henry",
    "Roussel",
    "Mathieu",
]
_FIRST_NAMES = [
    "Léa",
    "Emma",
    "Chloé",
    "Inès",
    "Manon",
    "Camille",
    "Sarah",
    "Jade",
    "Louise",
    "Lina",
    "Hugo",
    "Lucas",
    "Louis",
    "Nathan",
    "Jules",
    "Gabriel",
    "Arthur",
    "Adam",
    "Raphaël",
    "Paul",
    "Thomas",
    "Théo",
    "Mathis",
    "Enzo",
    "Noah",
    "Karim",
    "Sofia",
    "Yasmine",
    "Mehdi",
    "Anaïs",
]
_CITIES = [
    "Lyon",
    "Lille",
    "Nantes",
    "Rennes",
    "Bordeaux",
    "Toulouse",
    "Marseille",
    "Nice",
    "Reims",
    "Dijon",
    "Metz",
    "Tours",
]


def _weighted(rng: random.Random, choices: Sequence[tuple[Any, int]]) -> Any:
    values, weights = zip(*choices, strict=True)
    return rng.choices(values, weights=weights)[0]


def _path_to(status: str, route: str) -> list[str]:
    """The statuses a dossier passed through to reach `status`, in order."""
    if status == S.INADMISSIBLE:
        return [S.OPEN, S.INADMISSIBLE]
    if status == S.ADMISSIBLE:
        return [S.OPEN, S.ADMISSIBLE]
    start: list[str] = [S.OPEN, S.ADMISSIBLE] if route == AccessRoute.VAE else [S.OPEN]
    main: list[str] = [*start, S.POSITIONING, S.EVALUATION, S.READY_FOR_JURY, S.SCHEDULED]
    if status == S.WITHDRAWN:
        return [*start, S.POSITIONING, S.WITHDRAWN]
    if status in (S.AWARDED, S.PARTIALLY_AWARDED, S.REFUSED):
        return [*main, status]
    return main[: main.index(status) + 1]


def _siret(n: int) -> str:
    base = f"{(n * 104_729 + 7_000_000_000_000) % 10**13:013d}"
    return next(base + str(key) for key in range(10) if luhn_valid(base + str(key)))


@dataclass
class _Ids:
    """Next free primary key per model, reserved in this process (the database is not shared)."""

    next: dict[type[models.Model], int] = field(default_factory=dict)

    def take(self, model: type[models.Model]) -> int:
        if model not in self.next:
            top = model._default_manager.aggregate(top=models.Max("pk"))["top"] or 0
            self.next[model] = top + 1
        value = self.next[model]
        self.next[model] += 1
        return value


class Copier:
    """Buffers rows per model and writes them with COPY, in dependency order."""

    def __init__(self) -> None:
        self.rows: dict[type[models.Model], list[tuple[Any, ...]]] = {}
        self.counts: dict[str, int] = {}

    @staticmethod
    def columns(model: type[models.Model]) -> list[str]:
        return [f.column for f in model._meta.concrete_fields]

    def add(self, model: type[models.Model], values: dict[str, Any]) -> None:
        row = tuple(values.get(column) for column in self.columns(model))
        self.rows.setdefault(model, []).append(row)

    def flush(self, order: Iterable[type[models.Model]]) -> None:
        with connection.cursor() as cursor:
            raw = cursor.cursor  # psycopg's own cursor, for COPY
            for model in order:
                rows = self.rows.pop(model, [])
                if not rows:
                    continue
                table = model._meta.db_table
                columns = ", ".join(f'"{c}"' for c in self.columns(model))
                with raw.copy(f'COPY "{table}" ({columns}) FROM STDIN') as copy:
                    for row in rows:
                        copy.write_row(row)
                self.counts[model._meta.label] = self.counts.get(model._meta.label, 0) + len(rows)

    @staticmethod
    def reset_sequences(models_: Iterable[type[models.Model]]) -> None:
        with connection.cursor() as cursor:
            for model in models_:
                table = model._meta.db_table
                cursor.execute(
                    f"SELECT setval(pg_get_serial_sequence('\"{table}\"', 'id'), "  # noqa: S608
                    f'COALESCE((SELECT MAX(id) FROM "{table}"), 1))'
                )


class _UpcomingSessions:
    """Planned sessions of one branch taking its scheduled dossiers, at most 50 to an agenda."""

    def __init__(
        self, out: Copier, ids: _Ids, branch_id: int, created_by: int, now: datetime.datetime
    ) -> None:
        self.out, self.ids, self.branch_id, self.created_by, self.now = (
            out,
            ids,
            branch_id,
            created_by,
            now,
        )
        self.sessions: list[int] = []
        self.seats = 0

    def seat(self) -> int:
        if not self.sessions or self.seats >= 50:
            pk = self.ids.take(JurySession)
            self.sessions.append(pk)
            self.seats = 0
            self.out.add(
                JurySession,
                {
                    "id": pk,
                    "branch_id": self.branch_id,
                    "held_on": self.now + datetime.timedelta(days=7 + 7 * len(self.sessions)),
                    "place": "Paris, siège de la CPNE",
                    "status": SessionStatus.PLANNED,
                    "minutes": "",
                    "created_by_id": self.created_by,
                },
            )
        self.seats += 1
        return self.sessions[-1]


def _branch_weights(count: int) -> list[float]:
    # Harmonic weights: with 22 branches the largest holds about 27 % of the dossiers.
    raw = [1 / (rank + 1) for rank in range(count)]
    total = sum(raw)
    return [w / total for w in raw]


def generate(*, dossiers: int, seed: int, stdout: Any = None) -> dict[str, int]:
    if connection.vendor != "postgresql":
        raise RuntimeError(
            "generate_load_data writes with PostgreSQL's COPY: run it on PostgreSQL."
        )
    rng = random.Random(seed)  # noqa: S311 - reproducible test data, not secrets
    now = timezone.now()
    today = timezone.localdate()
    ids = _Ids()
    out = Copier()
    password = make_password(LOAD_PASSWORD)

    def say(message: str) -> None:
        if stdout is not None:
            stdout.write(message)

    branches = list(Branch.objects.order_by("pk"))
    if len(branches) < 22:
        raise RuntimeError("Load the reference data first (manage.py load_reference_data).")
    rng.shuffle(branches)  # which branch is the largest depends on the seed
    referentiels = {r.pk: r for r in Referentiel.objects.filter(status="validated").order_by("pk")}
    versions = {
        v.referentiel_id: v
        for v in ReferentielVersion.objects.filter(status=VersionStatus.IN_FORCE)
    }
    capacities: dict[int, list[Capacity]] = {}
    for capacity in Capacity.objects.select_related("bloc").order_by("bloc__order", "order"):
        capacities.setdefault(capacity.bloc.version_id, []).append(capacity)
    indicators: dict[int, list[Indicator]] = {}
    for indicator in Indicator.objects.order_by("order", "pk"):
        indicators.setdefault(indicator.capacity_id, []).append(indicator)
    adoptions: dict[int, list[int]] = {}
    for branch_id, referentiel_id in Adoption.objects.values_list("branch_id", "referentiel_id"):
        adoptions.setdefault(branch_id, []).append(referentiel_id)
    score_perm = EvaluationUserObjectPermission._meta.get_field("permission").related_model
    score_permission_id = score_perm.objects.get(  # type: ignore[union-attr]
        codename="score_evaluation", content_type__app_label="evaluations"
    ).pk

    with transaction.atomic():
        # Every branch needs at least one CQPI to open dossiers on: adopt where missing.
        for branch in branches:
            if not adoptions.get(branch.pk):
                referentiel_id = rng.choice(sorted(referentiels))
                out.add(
                    Adoption,
                    {
                        "id": ids.take(Adoption),
                        "referentiel_id": referentiel_id,
                        "branch_id": branch.pk,
                        "accord_date": datetime.date(2015, 1, 1),
                    },
                )
                adoptions[branch.pk] = [referentiel_id]
        out.flush([Adoption])

        weights = _branch_weights(len(branches))
        per_branch = [int(dossiers * w) for w in weights]
        per_branch[0] += dossiers - sum(per_branch)
        user_serial = User.objects.count()

        def new_user(first: str, last: str, label: str, **extra: Any) -> int:
            nonlocal user_serial
            user_serial += 1
            pk = ids.take(User)
            out.add(
                User,
                {
                    "id": pk,
                    "password": password,
                    "is_superuser": False,
                    "first_name": first,
                    "last_name": last,
                    "email": f"{label}.{user_serial}@{LOAD_EMAIL_DOMAIN}",
                    "is_staff": False,
                    "is_active": True,
                    "date_joined": now,
                    "is_coc_observer": False,
                    **extra,
                },
            )
            return pk

        dossier_count = 0
        certificate_count = 0
        for branch, size in zip(branches, per_branch, strict=True):
            say(f"{branch.code}: {size} dossiers")
            staff_ids = [
                new_user(rng.choice(_FIRST_NAMES), rng.choice(_LAST_NAMES), f"cpne.{branch.code}")
                for _ in range(2)
            ]
            for staff_id in staff_ids:
                out.add(
                    Membership,
                    {
                        "id": ids.take(Membership),
                        "user_id": staff_id,
                        "branch_id": branch.pk,
                        "role": Role.STAFF,
                        "college": "",
                        "is_active": True,
                        "created_at": now,
                    },
                )
            jury: list[tuple[int, str]] = []
            college: str
            for college in (College.EMPLOYERS, College.EMPLOYEES):
                for _ in range(3):
                    user_id = new_user(
                        rng.choice(_FIRST_NAMES), rng.choice(_LAST_NAMES), f"jury.{branch.code}"
                    )
                    jury.append((user_id, college))
                    out.add(
                        Membership,
                        {
                            "id": ids.take(Membership),
                            "user_id": user_id,
                            "branch_id": branch.pk,
                            "role": Role.JURY,
                            "college": college,
                            "is_active": True,
                            "created_at": now,
                        },
                    )
            branch_referentiels = adoptions[branch.pk]
            evaluators = [
                new_user(rng.choice(_FIRST_NAMES), rng.choice(_LAST_NAMES), f"eval.{branch.code}")
                for _ in range(max(2, size // 250))
            ]
            for evaluator_id in evaluators:
                for referentiel_id in branch_referentiels:
                    out.add(
                        EvaluatorHabilitation,
                        {
                            "id": ids.take(EvaluatorHabilitation),
                            "evaluator_id": evaluator_id,
                            "branch_id": branch.pk,
                            "referentiel_id": referentiel_id,
                            "valid_from": today - datetime.timedelta(days=3 * 365),
                            "valid_until": today + datetime.timedelta(days=2 * 365),
                        },
                    )
            companies = []
            for _ in range(max(3, size // 40)):
                pk = ids.take(Company)
                companies.append(pk)
                out.add(
                    Company,
                    {
                        "id": pk,
                        "branch_id": branch.pk,
                        "name": f"{rng.choice(_LAST_NAMES)} {rng.choice(['SA', 'SAS', 'SARL', 'Industries', 'Distribution'])} {pk}",
                        "siret": _siret(pk),
                        "city": rng.choice(_CITIES),
                        "created_at": now,
                    },
                )
            out.flush([User, Membership, EvaluatorHabilitation, Company])

            # Jury sessions: one for about 40 decided dossiers, spread over five years.
            sessions: list[tuple[int, datetime.datetime]] = []
            for _ in range(max(1, size // 80)):
                sitting = now - datetime.timedelta(days=rng.randint(1, 5 * 365))
                pk = ids.take(JurySession)
                sessions.append((pk, sitting))
                out.add(
                    JurySession,
                    {
                        "id": pk,
                        "branch_id": branch.pk,
                        "held_on": sitting,
                        "place": f"{rng.choice(_CITIES)}, siège de la CPNE",
                        "status": SessionStatus.CLOSED,
                        "opened_at": sitting,
                        "closed_at": sitting + datetime.timedelta(hours=3),
                        "minutes": "",
                        "created_by_id": staff_ids[0],
                    },
                )
                for position, (user_id, college) in enumerate(jury):
                    role = (
                        MemberRole.CHAIR
                        if position == 0
                        else MemberRole.VICE_CHAIR
                        if position == 3
                        else MemberRole.MEMBER
                    )
                    out.add(
                        JuryMember,
                        {
                            "id": ids.take(JuryMember),
                            "session_id": pk,
                            "user_id": user_id,
                            "college": college,
                            "role": role,
                            "present": True,
                        },
                    )
            upcoming = _UpcomingSessions(out, ids, branch.pk, staff_ids[0], now)
            sessions.sort(key=lambda item: item[1])

            counters: dict[tuple[str, int], int] = {}
            candidate_id = None
            for index in range(size):
                route = _weighted(rng, _ROUTES)
                status = _weighted(rng, _OUTCOMES)
                referentiel_id = rng.choice(branch_referentiels)
                version = versions[referentiel_id]
                path = _path_to(status, route)
                decided = status in (S.AWARDED, S.PARTIALLY_AWARDED, S.REFUSED)
                session_id: int | None = None
                held_on: datetime.datetime | None = None
                if decided:
                    session_id, held_on = rng.choice(sessions)
                if decided and held_on is not None:
                    opened_at = held_on - datetime.timedelta(days=rng.randint(120, 540))
                else:
                    opened_at = now - datetime.timedelta(days=rng.randint(5, 400))
                opened_on = timezone.localdate(opened_at)
                year = opened_on.year
                counters[("dossier", year)] = counters.get(("dossier", year), 0) + 1
                # One candidate in twenty comes back for a second CQPI.
                if candidate_id is None or index % 20 != 0:
                    candidate_id = ids.take(Candidate)
                    last_name, first_name = rng.choice(_LAST_NAMES), rng.choice(_FIRST_NAMES)
                    out.add(
                        Candidate,
                        {
                            "id": candidate_id,
                            "branch_id": branch.pk,
                            "last_name": f"{last_name}-{candidate_id}",
                            "first_name": first_name,
                            "birth_date": datetime.date(1965, 1, 1)
                            + datetime.timedelta(days=rng.randint(0, 38 * 365)),
                            "birth_place": rng.choice(_CITIES),
                            "email": f"candidat.{candidate_id}@{LOAD_EMAIL_DOMAIN}",
                            "created_at": opened_at,
                        },
                    )
                dossier_id = ids.take(Dossier)
                step = (
                    (now - opened_at) / (len(path) + 1)
                    if not decided
                    else (
                        (held_on - opened_at) / (len(path) - 1)  # type: ignore[operator]
                    )
                )
                moments = [opened_at + step * i for i in range(len(path))]
                out.add(
                    Dossier,
                    {
                        "id": dossier_id,
                        "reference": dossier_reference(
                            branch=branch, year=year, number=counters[("dossier", year)]
                        ),
                        "candidate_id": candidate_id,
                        "branch_id": branch.pk,
                        "company_id": rng.choice(companies),
                        "version_id": version.pk,
                        "access_route": route,
                        "first_certification": rng.random() < 0.67,
                        "status": status,
                        "opened_on": opened_on,
                        "status_changed_at": moments[-1],
                        "created_by_id": staff_ids[0],
                    },
                )
                previous = ""
                for moment, to_status in zip(moments, path, strict=True):
                    out.add(
                        DossierHistory,
                        {
                            "id": ids.take(DossierHistory),
                            "dossier_id": dossier_id,
                            "from_status": previous,
                            "to_status": to_status,
                            "by_id": staff_ids[0],
                            "at": moment,
                            "comment": "",
                        },
                    )
                    previous = to_status
                dossier_capacities = capacities[version.pk]
                evaluated = S.READY_FOR_JURY in path or status == S.EVALUATION
                acquired: set[int] = set()
                if evaluated:
                    submitted = S.READY_FOR_JURY in path
                    evaluation_id = ids.take(Evaluation)
                    evaluator_id = rng.choice(evaluators)
                    out.add(
                        Evaluation,
                        {
                            "id": evaluation_id,
                            "dossier_id": dossier_id,
                            "kind": EvaluationKind.FINAL,
                            "status": EvaluationStatus.SUBMITTED
                            if submitted
                            else EvaluationStatus.IN_PROGRESS,
                            "due_date": opened_on + datetime.timedelta(days=90),
                            "created_at": opened_at,
                            "created_by_id": staff_ids[0],
                            "submitted_at": moments[-1] if submitted else None,
                        },
                    )
                    out.add(
                        EvaluationUserObjectPermission,
                        {
                            "id": ids.take(EvaluationUserObjectPermission),
                            "permission_id": score_permission_id,
                            "user_id": evaluator_id,
                            "content_object_id": evaluation_id,
                        },
                    )
                    sheet_id = ids.take(EvaluationSheet)
                    out.add(
                        EvaluationSheet,
                        {
                            "id": sheet_id,
                            "evaluation_id": evaluation_id,
                            "evaluator_id": evaluator_id,
                            "role": SheetRole.EXTERNAL,
                            "status": SheetStatus.SUBMITTED if submitted else SheetStatus.DRAFT,
                            "version": 1,
                            "submitted_at": moments[-1] if submitted else None,
                        },
                    )
                    failing = status in (S.PARTIALLY_AWARDED, S.REFUSED)
                    scored = (
                        dossier_capacities
                        if submitted
                        else dossier_capacities[: len(dossier_capacities) // 2]
                    )
                    for position, capacity in enumerate(scored):
                        ok = not failing or position % 3 != 0
                        if ok:
                            acquired.add(capacity.pk)
                        result_id = ids.take(CapacityResult)
                        out.add(
                            CapacityResult,
                            {
                                "id": result_id,
                                "sheet_id": sheet_id,
                                "capacity_id": capacity.pk,
                                "outcome": CapacityOutcome.ACQUIRED
                                if ok
                                else CapacityOutcome.NOT_ACQUIRED,
                                "comment": "",
                                "updated_at": moments[-1],
                            },
                        )
                        for indicator in indicators.get(capacity.pk, []):
                            out.add(
                                IndicatorMark,
                                {
                                    "id": ids.take(IndicatorMark),
                                    "result_id": result_id,
                                    "indicator_id": indicator.pk,
                                    "mark": indicator.max_mark
                                    if ok
                                    else max(0, indicator.threshold - 1),
                                },
                            )
                if status == S.SCHEDULED:
                    out.add(
                        AgendaItem,
                        {
                            "id": ids.take(AgendaItem),
                            "session_id": upcoming.seat(),
                            "dossier_id": dossier_id,
                            "position": index,
                        },
                    )
                if decided:
                    out.add(
                        AgendaItem,
                        {
                            "id": ids.take(AgendaItem),
                            "session_id": session_id,
                            "dossier_id": dossier_id,
                            "position": index,
                        },
                    )
                    outcome = {
                        S.AWARDED: Outcome.AWARD,
                        S.PARTIALLY_AWARDED: Outcome.PARTIAL,
                        S.REFUSED: Outcome.REFUSAL,
                    }[status]
                    decision_id = ids.take(Decision)
                    out.add(
                        Decision,
                        {
                            "id": decision_id,
                            "dossier_id": dossier_id,
                            "session_id": session_id,
                            "outcome": outcome,
                            "reasons": ""
                            if outcome == Outcome.AWARD
                            else "Capacités à consolider en situation de travail.",
                            "status": "active",
                            "decided_at": held_on,
                            "recorded_by_id": jury[0][0],
                        },
                    )
                    validated = (
                        {c.pk for c in dossier_capacities} if outcome == Outcome.AWARD else acquired
                    )
                    for capacity in dossier_capacities:
                        out.add(
                            DecisionCapacity,
                            {
                                "id": ids.take(DecisionCapacity),
                                "decision_id": decision_id,
                                "capacity_id": capacity.pk,
                                "validated": capacity.pk in validated,
                                "overridden": False,
                                "reason": "",
                            },
                        )
                    if outcome != Outcome.REFUSAL:
                        certificate_count += 1
                        partial = outcome == Outcome.PARTIAL
                        issued_on = timezone.localdate(held_on)
                        # One counter for both kinds, as certificate_issue numbers them.
                        key = ("certificate", issued_on.year)
                        counters[key] = counters.get(key, 0) + 1
                        number = certificate_number(
                            partial=partial,
                            branch_prefix=branch.prefix,
                            year=issued_on.year,
                            sequence=counters[key],
                        )
                        referentiel = referentiels[referentiel_id]
                        valid_until = None
                        if partial and branch.partial_validity_months:
                            valid_until = issued_on + datetime.timedelta(
                                days=int(branch.partial_validity_months * 30.44)
                            )
                        snapshot = {
                            "holder": {
                                "last_name": "",
                                "first_name": "",
                                "birth_date": "",
                                "birth_place": "",
                            },
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
                            "signatory": {
                                "name": branch.signatory_name,
                                "title": branch.signatory_title,
                                "image": None,
                            },
                            "place_of_issue": branch.place_of_issue,
                            "issued_on": issued_on.isoformat(),
                            "kind": CertificateKind.PARTIAL
                            if partial
                            else CertificateKind.CERTIFICATE,
                            "valid_until": valid_until.isoformat() if valid_until else None,
                            "number": number,
                            "blocs": [],
                        }
                        revoked = rng.random() < 0.01
                        out.add(
                            Certificate,
                            {
                                "id": ids.take(Certificate),
                                "number": number,
                                "kind": snapshot["kind"],
                                "dossier_id": dossier_id,
                                "decision_id": decision_id,
                                "branch_id": branch.pk,
                                "version_id": version.pk,
                                "holder_name": f"{first_name} {last_name}-{candidate_id}",
                                "issued_on": issued_on,
                                "place_of_issue": branch.place_of_issue,
                                "valid_until": valid_until,
                                "snapshot": json.dumps(snapshot),
                                "verification_code": secrets.token_urlsafe(16),
                                "status": CertificateStatus.REVOKED
                                if revoked
                                else CertificateStatus.VALID,
                                "revoked_at": now if revoked else None,
                                "revocation_reason": "Erreur matérielle." if revoked else "",
                                # Rendering 50,000 PDFs is not the point of the load data: they are
                                # marked ready without a file (downloads answer "being generated").
                                "render_status": RenderStatus.READY,
                                "render_error": "",
                                "render_attempts": 0,
                                "pdf": "",
                                "pdf_sha256": "",
                                "rendered_at": now,
                                "reported_to_passport_at": held_on + datetime.timedelta(days=30)
                                if held_on and (now - held_on).days > 90
                                else None,
                                "created_at": held_on,
                            },
                        )
                dossier_count += 1
                if index % 5000 == 4999:
                    out.flush(_ORDER)
            out.flush(_ORDER)
            for (kind, year), value in counters.items():
                counter, _created = Counter.objects.get_or_create(
                    branch=branch, kind=kind, year=year
                )
                Counter.objects.filter(pk=counter.pk, last_value__lt=value).update(last_value=value)
        Copier.reset_sequences(
            [User, Membership, EvaluatorHabilitation, Company, Adoption, *_ORDER]
        )
    say(f"{dossier_count} dossiers, {certificate_count} certificates")
    return out.counts


_ORDER: list[type[models.Model]] = [
    JurySession,
    JuryMember,
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
