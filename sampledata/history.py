"""The demo's history: the certificates the scheme issued on paper since 2006, shaped like the brochure.

About 14,000 CQPI awarded since 2006; 1 in 3 through VAE, 1 in 5 in a contrat de
professionnalisation, 2 in 3 the holder's first certification (docs: the brochure in
DOMAIN.md). Each branch's certificates start the year it signed the charter, grow with the
years, and end the year before the platform; a few partial attestations come with them.
They are imported like a branch's real register: one batch per branch through
`historic.services.historic_import`, in bulk, so the whole history takes seconds.
"""

from __future__ import annotations

import datetime
import random
import time
from dataclasses import dataclass, field
from typing import Any

from django.contrib.auth import get_user_model
from django.db import transaction

from branches.models import Branch
from candidates.models import AccessRoute
from certifications.models import CertificateKind, Referentiel, ReferentielVersion
from historic.imports import CleanRow
from historic.models import HistoricCertificate
from historic.services import historic_import

from .demo import BIRTH_INSEE, BIRTH_PLACES, FEMININE_FIRST_NAMES, FIRST_NAMES, LAST_NAMES

AWARDS = 14_000
PARTIAL_SHARE = 0.06  # attestations of partial validation, beside the awards
VAE_SHARE = 1 / 3
PROFESSIONALISATION_SHARE = 1 / 5
FIRST_CERTIFICATION_SHARE = 2 / 3
FIRST_YEAR = 2006
LAST_YEAR = 2023  # the platform takes over after this year
SEED = 2006
FILE_NAME = "registre-historique-{code}.csv"

# Branches of the retail trade award the sales CQPI; the others the industrial ones.
RETAIL = {"commerce-distribution", "grands-magasins", "vente-a-distance"}
RETAIL_CQPI = ("vente-conseil-magasin", "vente-conseil-distance", "agent-logistique")
# The two demo branches are the scheme's largest, as in life; the others share the rest.
BRANCH_WEIGHT = {"metallurgie": 8, "commerce-distribution": 5, "chimie": 3, "agroalimentaire": 3}


@dataclass
class HistorySummary:
    created: bool
    awards: int = 0
    partials: int = 0
    seconds: float = 0.0
    routes: dict[str, int] = field(default_factory=dict)
    first_certifications: int = 0


def history_present() -> bool:
    return HistoricCertificate.objects.filter(imported_by__email=_importer_email()).exists()


def _importer_email() -> str:
    from .demo import DEMO_DOMAIN

    return f"admin@{DEMO_DOMAIN}"


def _largest_remainder(total: int, weights: dict[Any, float]) -> dict[Any, int]:
    """`total` split in proportion to `weights`, in whole numbers that add up exactly."""
    whole = sum(weights.values())
    shares = {key: total * weight / whole for key, weight in weights.items()}
    counts = {key: int(share) for key, share in shares.items()}
    rest = total - sum(counts.values())
    for key in sorted(shares, key=lambda k: shares[k] - counts[k], reverse=True)[:rest]:
        counts[key] += 1
    return counts


def _routes(count: int, rng: random.Random) -> list[str]:
    """Exactly a third VAE and a fifth contrat de professionnalisation, the rest mostly
    continuing education, in random order."""
    vae = round(count * VAE_SHARE)
    pro = round(count * PROFESSIONALISATION_SHARE)
    rest = count - vae - pro
    direct = rest // 4
    routes = (
        [AccessRoute.VAE] * vae
        + [AccessRoute.PROFESSIONALISATION] * pro
        + [AccessRoute.DIRECT] * direct
        + [AccessRoute.CONTINUING] * (rest - direct)
    )
    rng.shuffle(routes)
    return [str(r) for r in routes]


def _firsts(count: int, rng: random.Random) -> list[bool]:
    firsts = [True] * round(count * FIRST_CERTIFICATION_SHARE)
    firsts += [False] * (count - len(firsts))
    rng.shuffle(firsts)
    return firsts


def build_history(*, awards: int = AWARDS, seed: int = SEED) -> HistorySummary:
    """Import the demo's history once; does nothing when it is already there."""
    started = time.perf_counter()
    if history_present():
        return HistorySummary(created=False)
    admin = get_user_model().objects.get(email=_importer_email())
    rng = random.Random(seed)  # noqa: S311 - demo data, not security
    branches = {
        b.code: b for b in Branch.objects.prefetch_related("charter_signatures").order_by("code")
    }
    referentiels = {r.code: r for r in Referentiel.objects.order_by("code")}
    versions = list(ReferentielVersion.objects.all())
    capacities = _capacities(versions)
    signed = {
        code: min((s.signed_on for s in b.charter_signatures.all()), default=None)
        for code, b in branches.items()
    }
    # Awards grow with the years: a tenth of the last year's in 2006.
    years = range(FIRST_YEAR, LAST_YEAR + 1)
    per_year = _largest_remainder(
        awards, {y: 1 + 9 * (y - FIRST_YEAR) / (LAST_YEAR - FIRST_YEAR) for y in years}
    )
    partials_per_year = _largest_remainder(round(awards * PARTIAL_SHARE), dict.fromkeys(years, 1.0))
    plan: list[tuple[int, str, str]] = []  # (year, branch code, kind)
    for year in years:
        open_branches = {
            code: float(BRANCH_WEIGHT.get(code, 1))
            for code, day in signed.items()
            if day is not None and day.year <= year
        }
        for document_kind, count in (
            (str(CertificateKind.CERTIFICATE), per_year[year]),
            (str(CertificateKind.PARTIAL), partials_per_year[year]),
        ):
            for code, n in _largest_remainder(count, open_branches).items():
                plan += [(year, code, document_kind)] * n
    total = len(plan)
    routes, firsts = _routes(total, rng), _firsts(total, rng)
    rows: dict[str, list[CleanRow]] = {}
    sequence: dict[tuple[str, int], int] = {}
    for index, (year, code, kind) in enumerate(sorted(plan)):
        branch = branches[code]
        day = signed[code]
        assert day is not None
        start = max(datetime.date(year, 1, 2), day)
        issued_on = start + datetime.timedelta(
            days=rng.randrange(max(1, (datetime.date(year, 12, 20) - start).days))
        )
        choices = (
            RETAIL_CQPI if code in RETAIL else [c for c in referentiels if c not in RETAIL_CQPI[:2]]
        )
        referentiel = referentiels[rng.choice(sorted(choices))]
        version = next(
            (
                v
                for v in sorted(versions, key=lambda v: -v.number)
                if v.referentiel_id == referentiel.pk and v.effective_from <= issued_on
            ),
            None,
        )
        route = routes[index]
        young = route == AccessRoute.PROFESSIONALISATION
        age = rng.randint(18, 25) if young else rng.randint(24, 58)
        born = datetime.date(issued_on.year - age, rng.randint(1, 12), rng.randint(1, 28))
        first_name, last_name = rng.choice(FIRST_NAMES), rng.choice(LAST_NAMES)
        place = rng.choice(BIRTH_PLACES)
        key = (code, year)
        sequence[key] = sequence.get(key, 0) + 1
        validated: list[str] = []
        if kind == CertificateKind.PARTIAL and version is not None:
            codes = capacities.get(version.pk, [])
            validated = codes[: max(1, len(codes) // 2)]
        rows.setdefault(code, []).append(
            CleanRow(
                line=len(rows.get(code, [])) + 2,
                number=f"{branch.prefix}-{year}-{sequence[key]:05d}",
                kind=kind,
                referentiel_id=referentiel.pk,
                version_id=version.pk if version else None,
                cqpi_title=referentiel.title,
                issued_on=issued_on.isoformat(),
                last_name=last_name,
                first_name=first_name,
                birth_date=born.isoformat(),
                birth_place=place,
                access_route=route,
                first_certification=firsts[index],
                capacities=validated,
                signatory=branch.signatory_title,
                identity={
                    "sex": "F" if first_name in FEMININE_FIRST_NAMES else "M",
                    "birth_insee_code": BIRTH_INSEE[place],
                    "birth_country_code": "100",
                    "birth_country_label": "France",
                },
            )
        )
    with transaction.atomic():
        for code in sorted(rows):
            historic_import(
                branch=branches[code],
                rows=rows[code],
                by=admin,
                filename=FILE_NAME.format(code=code),
            )
    summary = HistorySummary(created=True, seconds=time.perf_counter() - started)
    for (_year, _code, kind), route, first in zip(sorted(plan), routes, firsts, strict=True):
        if kind == CertificateKind.CERTIFICATE:
            summary.awards += 1
            summary.routes[route] = summary.routes.get(route, 0) + 1
            summary.first_certifications += first
        else:
            summary.partials += 1
    return summary


def _capacities(versions: list[ReferentielVersion]) -> dict[int, list[str]]:
    from certifications.models import Capacity

    codes: dict[int, list[str]] = {}
    for version_id, code in (
        Capacity.objects.filter(bloc__version__in=versions)
        .values_list("bloc__version_id", "code")
        .order_by("bloc__order", "order", "code")
    ):
        codes.setdefault(version_id, []).append(code)
    return codes


DEMO_CLAIM_ACCOUNT = "candidat.certifie"
DEMO_CLAIM_STAFF = "cpne.metallurgie"


def build_demo_claim() -> bool:
    """One paper certificate of the demo's certified candidate (Métallurgie), from before the
    platform: imported by the branch's CPNE, the holder invited and the record claimed, all
    through the historic room's services, so that "Mes acquis" shows a record "délivré avant
    la plateforme" beside the platform's certificate. Nothing without the demo's accounts, or
    when it is already there (returns whether it was built)."""
    from historic.services import historic_claim, historic_claim_invite

    from .demo import DEMO_DOMAIN

    users = {
        user.email: user
        for user in get_user_model().objects.filter(
            email__in=[
                f"{DEMO_CLAIM_ACCOUNT}@{DEMO_DOMAIN}",
                f"{DEMO_CLAIM_STAFF}@{DEMO_DOMAIN}",
            ]
        )
    }
    holder = users.get(f"{DEMO_CLAIM_ACCOUNT}@{DEMO_DOMAIN}")
    staff = users.get(f"{DEMO_CLAIM_STAFF}@{DEMO_DOMAIN}")
    branch = Branch.objects.filter(code="metallurgie").first()
    if holder is None or staff is None or branch is None:
        return False
    candidate = holder.candidate_profiles.filter(branch=branch).order_by("pk").first()
    if candidate is None:
        return False
    year = min(LAST_YEAR, candidate.birth_date.year + 24)
    number = f"{branch.prefix}-{year}-P0001"
    if HistoricCertificate.objects.filter(branch=branch, number=number).exists():
        return False
    # A CQPI the branch awards that is not the one of the candidate's platform certificate.
    taken = set(candidate.dossiers.values_list("version__referentiel_id", flat=True))
    referentiel = (
        Referentiel.objects.filter(adoptions__branch=branch)
        .exclude(pk__in=taken)
        .order_by("code")
        .first()
    ) or Referentiel.objects.filter(adoptions__branch=branch).order_by("code").first()
    if referentiel is None:
        return False
    row = CleanRow(
        line=2,
        number=number,
        kind=str(CertificateKind.CERTIFICATE),
        referentiel_id=referentiel.pk,
        version_id=None,
        cqpi_title=referentiel.title,
        issued_on=datetime.date(year, 6, 14).isoformat(),
        last_name=candidate.last_name,
        first_name=candidate.first_name,
        birth_date=candidate.birth_date.isoformat(),
        birth_place=candidate.birth_place,
        access_route=str(AccessRoute.CONTINUING),
        first_certification=True,
        capacities=[],
        signatory=branch.signatory_title,
        identity={
            name: getattr(candidate, name)
            for name in ("sex", "birth_insee_code", "birth_country_code", "birth_country_label")
            if getattr(candidate, name)
        },
    )
    with transaction.atomic():
        (record,) = historic_import(
            branch=branch, rows=[row], by=staff, filename="registre-papier-2012.csv"
        )
        historic_claim_invite(record=record, email=holder.email, by=staff)
        historic_claim(record=record, user=holder, birth_date=candidate.birth_date)
    return True
