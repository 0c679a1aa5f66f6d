"""The national figures, computed by database aggregations and cached until the next decision."""

from __future__ import annotations

import datetime
import hashlib
import json
import statistics
from dataclasses import asdict, dataclass
from typing import Any

from django.core.cache import cache
from django.core.exceptions import PermissionDenied
from django.db import connection
from django.db.models import (
    Aggregate,
    Count,
    Exists,
    F,
    FloatField,
    Func,
    IntegerField,
    OuterRef,
    Q,
    QuerySet,
)
from django.db.models.functions import TruncDate, TruncYear
from django.utils import timezone, translation

from branches.access import roles_of
from branches.models import Branch, EvaluatorHabilitation
from candidates.models import AccessRoute
from certifications.models import Certificate, CertificateKind, CertificateStatus
from evaluations.models import Decision, DecisionStatus, JurySession, Outcome, SessionStatus
from historic.models import HistoricCertificate

VERSION_KEY = "figures:version"
CACHE_SECONDS = 24 * 3600
# The shape of the cached figures: bumped when a figure is added or redefined, so entries
# cached by the previous code (e.g. without the revoked column) are never read back.
SHAPE = 4


class Median(Aggregate):
    """PostgreSQL's `percentile_cont(0.5) WITHIN GROUP (ORDER BY …)`: the exact median."""

    function = "percentile_cont"
    name = "Median"
    template = "%(function)s(0.5) WITHIN GROUP (ORDER BY %(expressions)s)"
    output_field = FloatField()
    allow_distinct = False


class DaysBetween(Func):
    """`later - earlier` of two dates, in whole days (PostgreSQL's date subtraction)."""

    arg_joiner = " - "
    template = "(%(expressions)s)"
    output_field = IntegerField()


@dataclass(frozen=True)
class FigureFilters:
    """What the figures are computed over; `branch_ids` None means every branch."""

    year_from: int | None = None
    year_to: int | None = None
    branch_ids: tuple[int, ...] | None = None
    referentiel_id: int | None = None

    def cache_key(self, version: int) -> str:
        payload = json.dumps(asdict(self), sort_keys=True)
        digest = hashlib.sha256(payload.encode()).hexdigest()[:32]
        return f"figures:s{SHAPE}:v{version}:{translation.get_language() or 'fr'}:{digest}"


def figures_scope(user: Any) -> tuple[int, ...] | None:
    """The branches whose figures the user may read: None for all; PermissionDenied for none.

    COC observers and national administrators read every branch; CPNE staff only theirs.
    """
    roles = roles_of(user)
    if roles.sees_all_branches:
        return None
    if roles.is_staff_member:
        return tuple(sorted(roles.staff_branch_ids))
    raise PermissionDenied


def figures_branches(user: Any) -> QuerySet[Branch]:
    """The branches offered in the branch filter: visible to the user and within their scope."""
    scope = figures_scope(user)
    branches = Branch.objects.visible_to(user)
    if scope is not None:
        branches = branches.filter(pk__in=scope)
    return branches.order_by("name")


def _percent(part: int, whole: int) -> float | None:
    return round(100 * part / whole, 1) if whole else None


def _decisions(filters: FigureFilters) -> QuerySet[Decision]:
    qs = Decision.objects.filter(status=DecisionStatus.ACTIVE)
    if filters.year_from is not None:
        qs = qs.filter(decided_at__year__gte=filters.year_from)
    if filters.year_to is not None:
        qs = qs.filter(decided_at__year__lte=filters.year_to)
    if filters.branch_ids is not None:
        qs = qs.filter(dossier__branch_id__in=filters.branch_ids)
    if filters.referentiel_id is not None:
        qs = qs.filter(dossier__version__referentiel_id=filters.referentiel_id)
    return qs


# A decision whose certificate or attestation was revoked: the jury's award (or partial
# validation) no longer stands as one. Revocation is final (a revoked document is never
# reissued), so one revoked document revokes the decision's award. An EXISTS subquery, not a
# join: a reissued decision has two documents and must still count once.
REVOKED = Q(
    Exists(Certificate.objects.filter(decision_id=OuterRef("pk"), status=CertificateStatus.REVOKED))
)
AWARD = Q(outcome=Outcome.AWARD) & ~REVOKED
# awards + partials + refusals + revoked = decisions
OUTCOME_COUNTS = {
    "decisions": Count("pk"),
    "awards": Count("pk", filter=AWARD),
    "partials": Count("pk", filter=Q(outcome=Outcome.PARTIAL) & ~REVOKED),
    "refusals": Count("pk", filter=Q(outcome=Outcome.REFUSAL)),
    "revoked": Count("pk", filter=REVOKED),
}


def _days_to_award() -> DaysBetween:
    return DaysBetween(TruncDate("decided_at"), F("dossier__opened_on"))


def _median_days_sqlite(decisions: QuerySet[Decision]) -> float | None:
    # SQLite (the embedded default) has no percentile_cont: sort the durations here instead.
    rows = decisions.filter(AWARD).values_list("decided_at", "dossier__opened_on")
    days = sorted((timezone.localdate(at) - opened).days for at, opened in rows)
    return float(statistics.median(days)) if days else None


def _totals(decisions: QuerySet[Decision]) -> dict[str, Any]:
    aggregates: dict[str, Any] = {
        **OUTCOME_COUNTS,
        "vae_awards": Count("pk", filter=AWARD & Q(dossier__access_route=AccessRoute.VAE)),
        "professionalisation_awards": Count(
            "pk", filter=AWARD & Q(dossier__access_route=AccessRoute.PROFESSIONALISATION)
        ),
        "first_certification_awards": Count(
            "pk", filter=AWARD & Q(dossier__first_certification=True)
        ),
    }
    postgres = connection.vendor == "postgresql"
    if postgres:
        aggregates["median_days_to_award"] = Median(_days_to_award(), filter=AWARD)
    totals = decisions.aggregate(**aggregates)
    if not postgres:
        totals["median_days_to_award"] = _median_days_sqlite(decisions)
    awards, all_decisions = totals["awards"], totals["decisions"]
    totals.update(
        vae_share=_percent(totals["vae_awards"], awards),
        professionalisation_share=_percent(totals["professionalisation_awards"], awards),
        first_certification_share=_percent(totals["first_certification_awards"], awards),
        award_rate=_percent(awards, all_decisions),
        partial_rate=_percent(totals["partials"], all_decisions),
        refusal_rate=_percent(totals["refusals"], all_decisions),
        revoked_rate=_percent(totals["revoked"], all_decisions),
    )
    return totals


def _by_year(decisions: QuerySet[Decision]) -> list[dict[str, Any]]:
    rows = (
        decisions.annotate(year=TruncYear("decided_at"))
        .values("year")
        .annotate(**OUTCOME_COUNTS)
        .order_by("year")
    )
    return [{**row, "year": row["year"].year} for row in rows]


def _by_cqpi(decisions: QuerySet[Decision]) -> list[dict[str, Any]]:
    rows = (
        decisions.values(
            cqpi_id=F("dossier__version__referentiel_id"),
            cqpi=F("dossier__version__referentiel__title"),
        )
        .annotate(**OUTCOME_COUNTS)
        .order_by("-awards", "cqpi")
    )
    return list(rows)


def _by_route(decisions: QuerySet[Decision]) -> list[dict[str, Any]]:
    counts = {
        row["route"]: row
        for row in decisions.values(route=F("dossier__access_route")).annotate(**OUTCOME_COUNTS)
    }
    empty = dict.fromkeys(OUTCOME_COUNTS, 0)
    # Every route is listed, in the choices' order, so a chart's axis does not shift with filters.
    return [
        {"route": code, "label": str(label), **{**empty, **counts.get(code, {}), "route": code}}
        for code, label in AccessRoute.choices
    ]


def _period_bounds(filters: FigureFilters) -> tuple[datetime.date | None, datetime.date | None]:
    start = datetime.date(filters.year_from, 1, 1) if filters.year_from else None
    end = datetime.date(filters.year_to, 12, 31) if filters.year_to else None
    return start, end


def _by_branch(decisions: QuerySet[Decision], filters: FigureFilters) -> list[dict[str, Any]]:
    start, end = _period_bounds(filters)
    habilitations = EvaluatorHabilitation.objects.all()
    sessions = JurySession.objects.exclude(status=SessionStatus.PLANNED)
    if start:
        habilitations = habilitations.filter(valid_until__gte=start)
        sessions = sessions.filter(held_on__year__gte=filters.year_from)
    if end:
        habilitations = habilitations.filter(valid_from__lte=end)
        sessions = sessions.filter(held_on__year__lte=filters.year_to)
    if filters.branch_ids is not None:
        habilitations = habilitations.filter(branch_id__in=filters.branch_ids)
        sessions = sessions.filter(branch_id__in=filters.branch_ids)
    if filters.referentiel_id is not None:
        habilitations = habilitations.filter(referentiel_id=filters.referentiel_id)
        sessions = sessions.filter(agenda__dossier__version__referentiel_id=filters.referentiel_id)

    empty = {**dict.fromkeys(OUTCOME_COUNTS, 0), "evaluators": 0, "jury_sessions": 0}
    table: dict[int, dict[str, Any]] = {}

    def merge(rows: Any) -> None:
        for row in rows:
            entry = table.setdefault(row["branch_id"], {**empty, "branch": row["branch_name"]})
            entry.update({k: v for k, v in row.items() if k not in ("branch_id", "branch_name")})

    merge(
        decisions.values(branch_id=F("dossier__branch_id"), branch_name=F("dossier__branch__name"))
        .annotate(**OUTCOME_COUNTS)
        .order_by()
    )
    merge(
        habilitations.values("branch_id", branch_name=F("branch__name"))
        .annotate(evaluators=Count("evaluator_id", distinct=True))
        .order_by()
    )
    merge(
        sessions.values("branch_id", branch_name=F("branch__name"))
        .annotate(jury_sessions=Count("pk", distinct=True))
        .order_by()
    )
    return sorted(
        ({"branch_id": pk, **entry} for pk, entry in table.items()), key=lambda e: e["branch"]
    )


# --- Certificates issued before the platform (historic.HistoricCertificate) --------------


def _historic(filters: FigureFilters) -> QuerySet[HistoricCertificate]:
    qs = HistoricCertificate.objects.all()
    if filters.year_from is not None:
        qs = qs.filter(issued_on__year__gte=filters.year_from)
    if filters.year_to is not None:
        qs = qs.filter(issued_on__year__lte=filters.year_to)
    if filters.branch_ids is not None:
        qs = qs.filter(branch_id__in=filters.branch_ids)
    if filters.referentiel_id is not None:
        qs = qs.filter(referentiel_id=filters.referentiel_id)
    return qs


_HISTORIC_AWARD = Q(kind=CertificateKind.CERTIFICATE)
HISTORIC_COUNTS = {
    "historic_awards": Count("pk", filter=_HISTORIC_AWARD),
    "historic_partials": Count("pk", filter=Q(kind=CertificateKind.PARTIAL)),
    # The shares since the origin count only the papers that say it: a route or a "first
    # certification" left empty in the import is unknown, neither yes nor no.
    "historic_known_route": Count("pk", filter=_HISTORIC_AWARD & ~Q(access_route="")),
    "historic_vae": Count("pk", filter=_HISTORIC_AWARD & Q(access_route=AccessRoute.VAE)),
    "historic_professionalisation": Count(
        "pk", filter=_HISTORIC_AWARD & Q(access_route=AccessRoute.PROFESSIONALISATION)
    ),
    "historic_known_first": Count(
        "pk", filter=_HISTORIC_AWARD & Q(first_certification__isnull=False)
    ),
    "historic_first": Count("pk", filter=_HISTORIC_AWARD & Q(first_certification=True)),
}


def _historic_groups(records: QuerySet[HistoricCertificate]) -> list[dict[str, Any]]:
    """The historic records counted by year, branch and CQPI at once: one group-by query
    whose rows add up to every other grouping (by year, by branch, by CQPI, the totals), so
    these can never disagree with each other."""
    rows = (
        records.annotate(year=TruncYear("issued_on"))
        .values(
            "year",
            "branch_id",
            "referentiel_id",
            branch_name=F("branch__name"),
            cqpi=F("referentiel__title"),
        )
        .annotate(**HISTORIC_COUNTS)
        .order_by()
    )
    return [{**row, "year": row["year"].year} for row in rows]


def _sum_by(groups: list[dict[str, Any]], key: str) -> dict[Any, dict[str, Any]]:
    """The historic counts of `groups` summed per value of `key`."""
    sums: dict[Any, dict[str, Any]] = {}
    for row in groups:
        entry = sums.setdefault(row[key], dict.fromkeys(HISTORIC_COUNTS, 0))
        for name in HISTORIC_COUNTS:
            entry[name] += row[name]
    return sums


def _add_historic(
    rows: list[dict[str, Any]],
    groups: list[dict[str, Any]],
    *,
    key: str,
    group_key: str,
    labels: dict[str, str],
    empty: dict[str, Any],
) -> list[dict[str, Any]]:
    """`rows` (the platform's, one per branch or CQPI) with the historic certificates and
    partial attestations beside them, and a row for each branch or CQPI known only from
    its history; `all_awards` counts both sides' awards."""
    historic = _sum_by(groups, group_key)
    names = {row[group_key]: {k: row[v] for k, v in labels.items()} for row in groups}
    merged = []
    for row in rows:
        old = historic.pop(row[key], {})
        merged.append(_with_historic(row, old))
    for pk, old in historic.items():
        merged.append(_with_historic({**empty, key: pk, **names[pk]}, old))
    return merged


def _with_historic(row: dict[str, Any], old: dict[str, Any]) -> dict[str, Any]:
    awards = old.get("historic_awards", 0)
    return {
        **row,
        "historic_awards": awards,
        "historic_partials": old.get("historic_partials", 0),
        "all_awards": row.get("awards", 0) + awards,
    }


def _history(
    groups: list[dict[str, Any]], by_year: list[dict[str, Any]], totals: dict[str, Any]
) -> list[dict[str, Any]]:
    """The awards by year since the first certificate, before and on the platform; adds the
    historic totals and the shares since the origin to `totals`. No query of its own: the
    historic side is summed from `_historic_groups`, the platform's from the decisions' rows."""
    historic = _sum_by(groups, "year")
    sums = {key: sum(row[key] for row in historic.values()) for key in HISTORIC_COUNTS}
    platform = {row["year"]: row for row in by_year}
    rows = []
    for year in sorted(set(historic) | set(platform)):
        old, new = historic.get(year, {}), platform.get(year, {})
        rows.append(
            {
                "year": year,
                "historic_awards": old.get("historic_awards", 0),
                "historic_partials": old.get("historic_partials", 0),
                "awards": new.get("awards", 0),
                "partials": new.get("partials", 0),
                "all_awards": old.get("historic_awards", 0) + new.get("awards", 0),
            }
        )
    awards = totals["awards"]
    totals.update(
        historic_awards=sums["historic_awards"],
        historic_partials=sums["historic_partials"],
        all_awards=awards + sums["historic_awards"],
        all_vae_share=_percent(
            totals["vae_awards"] + sums["historic_vae"], awards + sums["historic_known_route"]
        ),
        all_professionalisation_share=_percent(
            totals["professionalisation_awards"] + sums["historic_professionalisation"],
            awards + sums["historic_known_route"],
        ),
        all_first_certification_share=_percent(
            totals["first_certification_awards"] + sums["historic_first"],
            awards + sums["historic_known_first"],
        ),
    )
    return rows


def compute_figures(filters: FigureFilters) -> dict[str, Any]:
    """Every figure of the page, straight from the database (a fixed number of queries)."""
    decisions = _decisions(filters)
    totals = _totals(decisions)
    by_year = _by_year(decisions)
    # Certificates issued before the platform count in every grouping but the access route
    # (which they do not always state): by year, by CQPI and by branch, from the same rows.
    groups = _historic_groups(_historic(filters))
    by_cqpi = _add_historic(
        _by_cqpi(decisions),
        groups,
        key="cqpi_id",
        group_key="referentiel_id",
        labels={"cqpi": "cqpi"},
        empty=dict.fromkeys(OUTCOME_COUNTS, 0),
    )
    by_cqpi.sort(key=lambda row: (-row["all_awards"], -row["awards"], row["cqpi"]))
    by_branch = _add_historic(
        _by_branch(decisions, filters),
        groups,
        key="branch_id",
        group_key="branch_id",
        labels={"branch": "branch_name"},
        empty={**dict.fromkeys(OUTCOME_COUNTS, 0), "evaluators": 0, "jury_sessions": 0},
    )
    by_branch.sort(key=lambda row: row["branch"])
    return {
        "totals": totals,
        "by_year": by_year,
        "history": _history(groups, by_year, totals),
        "by_cqpi": by_cqpi,
        "by_route": _by_route(decisions),
        "by_branch": by_branch,
    }


def figures_version() -> int:
    version = cache.get(VERSION_KEY)
    if version is None:
        # A fresh start (or an evicted key): any cached figures are unreachable from here on.
        version = int(timezone.now().timestamp() * 1000)
        cache.add(VERSION_KEY, version, timeout=None)
        version = cache.get(VERSION_KEY, version)
    return int(version)


def figures_invalidate() -> None:
    """Make every cached figure stale: called whenever a jury decision is saved."""
    try:
        cache.incr(VERSION_KEY)
    except ValueError:
        cache.set(VERSION_KEY, int(timezone.now().timestamp() * 1000), timeout=None)


def figures_for(filters: FigureFilters) -> dict[str, Any]:
    """The figures for these filters, from the cache when no decision was recorded since."""
    key = filters.cache_key(figures_version())
    figures = cache.get(key)
    if figures is None:
        figures = compute_figures(filters)
        cache.set(key, figures, timeout=CACHE_SECONDS)
    return figures
