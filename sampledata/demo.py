"""Demo data built through the real services: an account for every role, companies, and dossiers
at every stage of the path, from an open dossier to a revoked certificate.

Every person and company here is fictitious. The run is deterministic (fixed seed) and happens in
one transaction; a second run finds the marker account and does nothing.
"""

from __future__ import annotations

import base64
import datetime
import random
from collections import Counter
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import make_password
from django.db import transaction
from django.utils import timezone
from django_otp.plugins.otp_totp.models import TOTPDevice

from branches.models import (
    Branch,
    College,
    Company,
    ConflictOfInterest,
    EvaluatorHabilitation,
    Membership,
    Role,
)
from branches.validators import luhn_valid
from candidates import services as dossier_services
from candidates import workflow
from candidates.models import AccessRoute, Candidate, Dossier
from certifications import services as certification_services
from certifications.models import Capacity, Referentiel, ReferentielVersion
from evaluations import selectors
from evaluations import services as evaluation_services
from evaluations.models import CapacityOutcome, EvaluationKind, JurySession, MemberRole, Outcome
from sampledata.jury import jury_decides

from .signatories import sign_branch

DEMO_PASSWORD = "Demo-CQPI-2026!"  # noqa: S105 - the documented password of the demo accounts
DEMO_DOMAIN = "demo.cqpi.fr"
SEED = 2026


@dataclass(frozen=True)
class DemoAccount:
    key: str
    email: str
    first_name: str
    last_name: str
    role: str


def _account(key: str, first_name: str, last_name: str, role: str) -> DemoAccount:
    return DemoAccount(key, f"{key}@{DEMO_DOMAIN}", first_name, last_name, role)


ACCOUNTS: list[DemoAccount] = [
    _account("admin", "Hélène", "Comptoiret", "Administrateur national"),
    _account("coc", "Bruno", "Statistiquet", "Observateur COC"),
    _account("cpne.metallurgie", "Sandrine", "Lenclume", "CPNE Métallurgie"),
    _account("cpne.commerce", "Karim", "Lavitrine", "CPNE Commerce et Distribution"),
    _account(
        "cpne.securise",
        "Amandine",
        "Cadenassier",
        "CPNE Commerce et Distribution, avec double authentification (clé TOTP ci-dessous)",
    ),
    _account("evaluateur.industrie", "Patrick", "Dumanomètre", "Évaluateur (Métallurgie)"),
    _account("evaluateur.commerce", "Céline", "Promotel", "Évaluateur (Commerce et Distribution)"),
    _account(
        "evaluateur.conflit",
        "Julien",
        "Taraudel",
        "Évaluateur (deux branches, conflit d'intérêts déclaré)",
    ),
    _account(
        "referent.forges", "Aurélie", "Boulonnet", "Référent entreprise (Forges de la Vallée)"
    ),
    _account(
        "referent.hypermarche",
        "Mehdi",
        "Caissard",
        "Référent entreprise (Hypermarché des Quatre Saisons)",
    ),
    _account(
        "jury.metallurgie.employeurs",
        "Nathalie",
        "Engrenaud",
        "Jury Métallurgie (collège employeurs)",
    ),
    _account(
        "jury.metallurgie.salaries", "Antoine", "Pignonnet", "Jury Métallurgie (collège salariés)"
    ),
    _account(
        "jury.commerce.employeurs",
        "Sophie",
        "Chalandier",
        "Jury Commerce et Distribution (collège employeurs)",
    ),
    _account(
        "jury.commerce.salaries",
        "Fatou",
        "Dupanier",
        "Jury Commerce et Distribution (collège salariés)",
    ),
    _account("candidat.certifie", "Léa", "Delétagère", "Candidat (certifié, Métallurgie)"),
    _account(
        "candidat.partiel",
        "Hugo",
        "Ducolis",
        "Candidat (validation partielle, Commerce et Distribution)",
    ),
    _account("candidat.evaluation", "Manon", "Fraiseuil", "Candidat (en évaluation, Métallurgie)"),
]

# What `load_demo_data` prints and the README lists: every demo login.
DEMO_ACCOUNTS: list[dict[str, str]] = [
    {"email": a.email, "password": DEMO_PASSWORD, "role": a.role} for a in ACCOUNTS
]
MARKER_EMAIL = ACCOUNTS[0].email

# The demo account that has a second factor, so that anyone can try it: its TOTP key (the
# RFC 6238 test key, public like the password) to type into an authenticator app, in base32.
DEMO_TOTP_ACCOUNT = "cpne.securise"
DEMO_TOTP_KEY_HEX = "3132333435363738393031323334353637383930"
DEMO_TOTP_SECRET = base64.b32encode(bytes.fromhex(DEMO_TOTP_KEY_HEX)).decode()

FIRST_NAMES = [
    "Léa", "Hugo", "Camille", "Lucas", "Manon", "Thomas", "Chloé", "Nathan", "Inès", "Louis",
    "Sarah", "Enzo", "Julie", "Mathis", "Emma", "Théo", "Clara", "Maxime", "Laura", "Antoine",
    "Pauline", "Yanis", "Sophie", "Karim", "Nadia", "Julien", "Aurélie", "Mehdi", "Céline",
    "Bruno", "Sandrine", "Amandine", "Kévin", "Fatou", "Romain", "Élodie",
]  # fmt: skip
# Surnames made up from the trades' vocabulary, so that nobody can mistake them for real people.
LAST_NAMES = [
    "Delaforge", "Dubobineau", "Lechariot", "Palettier", "Dutournevis", "Laclavette",
    "Ducompas", "Écroubert", "Lacisaille", "Rabotin", "Dulimier", "Ducatalogue", "Vitrinel",
    "Deltiquet", "Rayonnais", "Soudière", "Dupignon", "Mandrinier", "Lagoupille", "Duressort",
    "Chevillard", "Pointelet", "Ducarton", "Gerbier", "Transpalin", "Létiquet", "Dumarquage",
    "Lafidèle", "Dubalancier", "Courroyer", "Dutamis", "Convoyard", "Brasurier", "Fraisette",
    "Cisailleau", "Manutier",
]  # fmt: skip
BIRTH_PLACES = [
    "Lyon", "Saint-Étienne", "Lille", "Nantes", "Rennes", "Tours", "Valenciennes", "Grenoble",
    "Clermont-Ferrand", "Dijon", "Metz", "Rouen", "Orléans", "Angers", "Limoges", "Amiens",
]  # fmt: skip

# The INSEE code of each birth place, for the declaration to the Caisse des Dépôts.
BIRTH_INSEE = {
    "Lyon": "69123", "Saint-Étienne": "42218", "Lille": "59350", "Nantes": "44109",
    "Rennes": "35238", "Tours": "37261", "Valenciennes": "59606", "Grenoble": "38185",
    "Clermont-Ferrand": "63113", "Dijon": "21231", "Metz": "57463", "Rouen": "76540",
    "Orléans": "45234", "Angers": "49007", "Limoges": "87085", "Amiens": "80021",
}  # fmt: skip
FEMININE_FIRST_NAMES = {
    "Léa", "Camille", "Manon", "Chloé", "Inès", "Sarah", "Julie", "Emma", "Clara", "Laura",
    "Pauline", "Sophie", "Nadia", "Aurélie", "Céline", "Sandrine", "Amandine", "Fatou", "Élodie",
}  # fmt: skip
# Every so many candidates, one born abroad (Belgium), and one whose identity the staff have
# yet to complete: the declaration page shows both kinds (declared, and blocked with why).
BORN_ABROAD_EVERY = 7
TO_COMPLETE_EVERY = 11
# The demo branches' identifiers at the Caisse des Dépôts (fictitious).
DEMO_CDC_IDS = {
    "metallurgie": ("DEMO0001", "DEMO-CQPI-METAL"),
    "commerce-distribution": ("DEMO0002", "DEMO-CQPI-COMMERCE"),
}

# Companies: (key, branch code, name, city, référent account key or None)
COMPANIES = [
    ("forges", "metallurgie", "Forges de la Vallée", "Saint-Étienne", "referent.forges"),
    ("mecanique", "metallurgie", "Mécanique Précision du Rhône", "Lyon", None),
    ("chaudronnerie", "metallurgie", "Chaudronnerie des Trois Ponts", "Valenciennes", None),
    ("hypermarche", "commerce-distribution", "Hypermarché des Quatre Saisons", "Nantes",
     "referent.hypermarche"),
    ("superette", "commerce-distribution", "Supermarché Bon Voisin", "Rennes", None),
    ("entrepot", "commerce-distribution", "Entrepôt Val-de-Loire", "Tours", None),
]  # fmt: skip

CEI = "conducteur-equipements-industriels"
TMI = "technicien-maintenance-industrielle"
OMI = "operateur-maintenance-industrielle"
AL = "agent-logistique"
TQ = "technicien-qualite"
VCM = "vente-conseil-magasin"
VCD = "vente-conseil-distance"

# (evaluator account key, branch code, CQPI codes) — all habilitated today.
HABILITATIONS = [
    ("evaluateur.industrie", "metallurgie", [CEI, TMI, OMI, AL, TQ]),
    ("evaluateur.commerce", "commerce-distribution", [VCM, VCD, AL]),
    ("evaluateur.conflit", "metallurgie", [CEI, AL]),
    ("evaluateur.conflit", "commerce-distribution", [AL]),
]
MAIN_EVALUATOR = {
    "metallurgie": "evaluateur.industrie",
    "commerce-distribution": "evaluateur.commerce",
}
STAFF = {"metallurgie": "cpne.metallurgie", "commerce-distribution": "cpne.commerce"}
JURY = {
    "metallurgie": ("jury.metallurgie.employeurs", "jury.metallurgie.salaries"),
    "commerce-distribution": ("jury.commerce.employeurs", "jury.commerce.salaries"),
}

# Stages of a dossier in the demo.
OPEN, ADMISSIBLE, INADMISSIBLE, POSITIONING = "open", "admissible", "inadmissible", "positioning"
EVALUATION, READY, SCHEDULED, WITHDRAWN = "evaluation", "ready", "scheduled", "withdrawn"
AWARD, PARTIAL, REFUSAL = Outcome.AWARD, Outcome.PARTIAL, Outcome.REFUSAL

R = AccessRoute


@dataclass
class Spec:
    branch: str
    cqpi: str
    route: str
    stage: str
    company: str | None
    first: bool = True
    account: str | None = None
    session: str | None = None
    override: bool = False
    revoke: bool = False


# Jury sessions of the demo: (key, branch code, days from today, closed)
SESSIONS = [
    ("metallurgie-1", "metallurgie", -120, True),
    ("metallurgie-2", "metallurgie", -35, True),
    ("commerce-1", "commerce-distribution", -90, True),
    ("commerce-2", "commerce-distribution", -21, True),
    ("metallurgie-3", "metallurgie", 21, False),
]


def _decided_specs(rng: random.Random) -> list[Spec]:
    """About 30 decided dossiers shaped like the brochure's figures: 1 award in 3 through VAE,
    1 in 5 in contrat de professionnalisation, 2 in 3 the holder's first certification."""
    award_routes = (
        [R.VAE] * 7 + [R.PROFESSIONALISATION] * 5 + [R.CONTINUING] * 6 + [R.PRO_A] * 2
        + [R.DIRECT] * 2
    )  # fmt: skip
    award_first = [True] * 15 + [False] * 7
    rng.shuffle(award_routes)
    rng.shuffle(award_first)
    outcomes = [
        (AWARD, route, first) for route, first in zip(award_routes, award_first, strict=True)
    ]
    outcomes += [
        (PARTIAL, R.CONTINUING, True),
        (PARTIAL, R.VAE, False),
        (PARTIAL, R.PROFESSIONALISATION, True),
        (PARTIAL, R.CONTINUING, True),
        (REFUSAL, R.VAE, True),
        (REFUSAL, R.CONTINUING, False),
        (REFUSAL, R.PROFESSIONALISATION, True),
        (REFUSAL, R.DIRECT, False),
    ]
    cqpi_cycle = {
        "metallurgie": [CEI, CEI, TMI, OMI, AL, TQ],
        "commerce-distribution": [VCM, VCM, AL, VCD],
    }
    company_cycle = {
        "metallurgie": ["forges", "mecanique", "chaudronnerie"],
        "commerce-distribution": ["hypermarche", "superette", "entrepot"],
    }
    session_cycle = {
        "metallurgie": ["metallurgie-1", "metallurgie-2"],
        "commerce-distribution": ["commerce-1", "commerce-2"],
    }
    specs: list[Spec] = []
    for index, (outcome, route, first) in enumerate(outcomes):
        branch = "metallurgie" if index % 2 == 0 else "commerce-distribution"
        n = index // 2
        specs.append(
            Spec(
                branch=branch,
                cqpi=cqpi_cycle[branch][n % len(cqpi_cycle[branch])],
                route=route,
                stage=outcome,
                company=company_cycle[branch][n % 3],
                first=first,
                session=session_cycle[branch][n % 2],
            )
        )
    # Named roles in the story: a candidate with an account holds a certificate, another a
    # partial validation; one certificate is revoked; one award re-examines a capacity.
    metallurgie_awards = [s for s in specs if s.branch == "metallurgie" and s.stage == AWARD]
    metallurgie_awards[0].account = "candidat.certifie"
    metallurgie_awards[0].cqpi = CEI
    metallurgie_awards[1].revoke = True
    forges_award = next(s for s in metallurgie_awards[2:] if s.company == "forges")
    forges_award.override = True
    commerce_partial = next(
        s for s in specs if s.branch == "commerce-distribution" and s.stage == PARTIAL
    )
    commerce_partial.account = "candidat.partiel"
    commerce_partial.cqpi = VCM
    return specs


ONGOING: list[Spec] = [
    Spec("metallurgie", CEI, R.CONTINUING, OPEN, "forges"),
    Spec("commerce-distribution", VCM, R.PROFESSIONALISATION, OPEN, "superette"),
    Spec("commerce-distribution", AL, R.VAE, OPEN, "entrepot", first=False),
    Spec("metallurgie", TMI, R.VAE, ADMISSIBLE, "chaudronnerie", first=False),
    Spec("commerce-distribution", VCM, R.VAE, INADMISSIBLE, "hypermarche"),
    Spec("metallurgie", OMI, R.PROFESSIONALISATION, POSITIONING, "forges"),
    Spec("metallurgie", CEI, R.CONTINUING, EVALUATION, "forges", account="candidat.evaluation"),
    Spec("metallurgie", TMI, R.CONTINUING, READY, "chaudronnerie", first=False),
    Spec("commerce-distribution", VCM, R.CONTINUING, READY, "hypermarche"),
    Spec("metallurgie", CEI, R.VAE, SCHEDULED, "mecanique", session="metallurgie-3"),
    Spec("metallurgie", AL, R.PROFESSIONALISATION, SCHEDULED, "forges", session="metallurgie-3"),
    Spec("commerce-distribution", AL, R.CONTINUING, WITHDRAWN, "entrepot"),
]


def refusal_reason() -> str | None:
    """Why the demo may not be loaded here, or None.

    Refused under the production settings module, and wherever DEBUG is off outside the test
    settings: a server configured for real use never gets demo accounts with a public password.
    """
    module = getattr(settings, "SETTINGS_MODULE", "") or ""
    if module.endswith(".production"):
        return "production"
    if not settings.DEBUG and not module.endswith(".test"):
        return "debug_off"
    return None


def demo_present() -> bool:
    return get_user_model().objects.filter(email=MARKER_EMAIL).exists()


@dataclass
class DemoSummary:
    created: bool
    stages: Counter[str]
    certificates: int = 0
    revoked: int = 0
    sessions: int = 0


def build_demo() -> DemoSummary:
    """Build the demo once, in one transaction; does nothing when it is already there."""
    from certifications.data.loader import load_reference_data

    with transaction.atomic():
        if demo_present():
            return DemoSummary(created=False, stages=Counter())
        load_reference_data()
        return _Builder(random.Random(SEED)).run()  # noqa: S311 - demo data, not security


class _Builder:
    def __init__(self, rng: random.Random) -> None:
        self.rng = rng
        self.today = timezone.localdate()
        self.users: dict[str, Any] = {}
        self.companies: dict[str, Company] = {}
        self.branches: dict[str, Branch] = {}
        self.versions: dict[str, ReferentielVersion] = {}
        self.capacities: dict[int, list[Capacity]] = {}
        self.sessions: dict[str, JurySession] = {}
        self.identities: set[tuple[str, str, str]] = set()
        self.summary = DemoSummary(created=True, stages=Counter())

    # --- people, companies, roles ------------------------------------------

    def run(self) -> DemoSummary:
        self.branches = {
            b.code: b
            for b in Branch.objects.filter(code__in=["metallurgie", "commerce-distribution"])
        }
        for branch in self.branches.values():
            sign_branch(branch)
            if not branch.cdc_client_id:
                branch.cdc_client_id, branch.cdc_contract_id = DEMO_CDC_IDS[branch.code]
                branch.save(update_fields=["cdc_client_id", "cdc_contract_id"])
        referentiels = Referentiel.objects.filter(code__in=[CEI, TMI, OMI, AL, TQ, VCM, VCD])
        for referentiel in referentiels:
            self.versions[referentiel.code] = referentiel.versions.in_force().get()
        self._accounts()
        self._companies()
        self._roles()
        self._sessions()
        decided = _decided_specs(self.rng)
        self._decide(decided)
        for spec in ONGOING:
            self._ongoing(spec)
        self._completion()
        return self.summary

    def _completion(self) -> None:
        """#18: the partial validation of `candidat.partiel` credited into a new dossier of the
        same CQPI (the completion under way), and one approved row of the equivalence table
        between the two CQPI of selling."""
        from certifications.models import Certificate, CertificateKind

        admin = self.users["admin"]
        certification_services.equivalence_approve(
            equivalence=certification_services.equivalence_propose(
                source=self._capacities_of(VCM)[0],
                target=self._capacities_of(VCD)[0],
                comment="Même geste d'accueil et de découverte du besoin du client.",
                by=admin,
            ),
            by=admin,
        )
        attestation = (
            Certificate.objects.filter(
                kind=CertificateKind.PARTIAL,
                dossier__candidate__user=self.users["candidat.partiel"],
            )
            .select_related("dossier__candidate")
            .first()
        )
        if attestation is None:  # pragma: no cover - the story always has one
            return
        staff = self.users[STAFF["commerce-distribution"]]
        dossier = dossier_services.dossier_open(
            candidate=attestation.dossier.candidate,
            version=attestation.dossier.version,
            access_route=AccessRoute.CONTINUING,
            opened_on=self.today - datetime.timedelta(days=3),
            by=staff,
        )
        dossier_services.dossier_credit(dossier=dossier, reference=attestation.number, by=staff)

    def _capacities_of(self, code: str) -> list[Capacity]:
        return list(
            Capacity.objects.filter(bloc__version=self.versions[code]).order_by(
                "bloc__order", "order", "pk"
            )
        )

    def _accounts(self) -> None:
        # One hash for every account: hashing is slow by design, and the password is shared.
        password = make_password(DEMO_PASSWORD)
        user_model = get_user_model()
        for account in ACCOUNTS:
            self.users[account.key] = user_model.objects.create(
                email=account.email,
                first_name=account.first_name,
                last_name=account.last_name,
                password=password,
                is_superuser=account.key == "admin",
                is_staff=account.key == "admin",
                is_coc_observer=account.key == "coc",
            )

    def _siret(self) -> str:
        while True:
            base = str(self.rng.randint(10**12, 10**13 - 1))
            siret = next(base + str(k) for k in range(10) if luhn_valid(base + str(k)))
            if not Company.objects.filter(siret=siret).exists():
                return siret

    def _companies(self) -> None:
        for key, branch_code, name, city, referent in COMPANIES:
            company = Company.objects.create(
                branch=self.branches[branch_code], name=name, siret=self._siret(), city=city
            )
            self.companies[key] = company
            if referent:
                # Through the service, which also grants the company (the référent's scope).
                evaluation_services.referent_appoint(
                    company=company, user=self.users[referent], by=self.users["admin"]
                )

    def _roles(self) -> None:
        for branch_code, staff in STAFF.items():
            Membership.objects.create(
                user=self.users[staff], branch=self.branches[branch_code], role=Role.STAFF
            )
        secured = self.users[DEMO_TOTP_ACCOUNT]
        Membership.objects.create(
            user=secured, branch=self.branches["commerce-distribution"], role=Role.STAFF
        )
        TOTPDevice.objects.create(
            user=secured, name="Démonstration", key=DEMO_TOTP_KEY_HEX, confirmed=True
        )
        for branch_code, (employer, employee) in JURY.items():
            for key, college in ((employer, College.EMPLOYERS), (employee, College.EMPLOYEES)):
                Membership.objects.create(
                    user=self.users[key],
                    branch=self.branches[branch_code],
                    role=Role.JURY,
                    college=college,
                )
        for evaluator, branch_code, codes in HABILITATIONS:
            for code in codes:
                EvaluatorHabilitation.objects.create(
                    evaluator=self.users[evaluator],
                    branch=self.branches[branch_code],
                    referentiel=self.versions[code].referentiel,
                    valid_from=self.today - datetime.timedelta(days=730),
                    valid_until=self.today + datetime.timedelta(days=365),
                )
        ConflictOfInterest.objects.create(
            evaluator=self.users["evaluateur.conflit"],
            company=self.companies["mecanique"],
            referentiel=self.versions[CEI].referentiel,
            reason="A formé les salariés de l'entreprise à ce CQPI en 2025.",
        )

    def _sessions(self) -> None:
        for key, branch_code, days, _closed in SESSIONS:
            staff = self.users[STAFF[branch_code]]
            employer, employee = JURY[branch_code]
            held_on = timezone.now().replace(hour=9, minute=30, second=0, microsecond=0)
            session = evaluation_services.jury_session_create(
                branch=self.branches[branch_code],
                held_on=held_on + datetime.timedelta(days=days),
                place=f"Paris, siège de la CPNE — {self.branches[branch_code].name}",
                by=staff,
            )
            evaluation_services.jury_member_convoke(
                session=session, user=self.users[employer], role=MemberRole.CHAIR, by=staff
            )
            evaluation_services.jury_member_convoke(
                session=session, user=self.users[employee], role=MemberRole.VICE_CHAIR, by=staff
            )
            self.sessions[key] = session
            self.summary.sessions += 1

    # --- dossiers ------------------------------------------------------------

    def _candidate(self, spec: Spec) -> Candidate:
        staff = self.users[STAFF[spec.branch]]
        account = next((a for a in ACCOUNTS if a.key == spec.account), None)
        # A route meant for an age group (the contrat de professionnalisation) gets young people.
        young = workflow.route(spec.route).ages is not None
        while True:
            if account is not None:
                first, last = account.first_name, account.last_name
            else:
                first, last = self.rng.choice(FIRST_NAMES), self.rng.choice(LAST_NAMES)
            age = self.rng.randint(18, 24) if young else self.rng.randint(26, 56)
            birth = self.today - datetime.timedelta(days=age * 365 + self.rng.randint(0, 300))
            identity = (spec.branch, first, last)
            if identity not in self.identities:
                break
        self.identities.add(identity)
        place = self.rng.choice(BIRTH_PLACES)
        count = len(self.identities)
        # The identity the declaration to the Caisse des Dépôts needs, without drawing from
        # the random sequence (the demo stays the same for a given seed).
        declaration: dict[str, Any] = {
            "sex": "F" if first in FEMININE_FIRST_NAMES else "M",
            "birth_insee_code": BIRTH_INSEE[place],
            "birth_country_code": "100",
            "birth_country_label": "France",
        }
        if account is None and count % BORN_ABROAD_EVERY == 0:
            place = "Bruxelles"
            declaration |= {
                "birth_insee_code": "99131",
                "birth_country_code": "131",
                "birth_country_label": "Belgique",
            }
        if account is None and count % TO_COMPLETE_EVERY == 0:
            declaration["sex"] = ""
        candidate = dossier_services.candidate_create(
            branch_id=self.branches[spec.branch].pk,
            last_name=last,
            first_name=first,
            birth_date=birth,
            birth_place=place,
            email=account.email if account else "",
            by=staff,
            **declaration,
        )
        if account is not None:
            # No service links an account yet: the link is a plain attribute of the candidate.
            candidate.user = self.users[account.key]
            candidate.save(update_fields=["user"])
        return candidate

    def _open(self, spec: Spec, *, days_ago: int) -> Dossier:
        return dossier_services.dossier_open(
            candidate=self._candidate(spec),
            version=self.versions[spec.cqpi],
            access_route=spec.route,
            company=self.companies[spec.company] if spec.company else None,
            first_certification=spec.first,
            opened_on=self.today - datetime.timedelta(days=days_ago),
            by=self.users[STAFF[spec.branch]],
        )

    def _to_evaluation(self, dossier: Dossier, spec: Spec) -> None:
        staff = self.users[STAFF[spec.branch]]
        traits = workflow.route(spec.route)
        if traits.needs_admissibility:
            dossier_services.dossier_rule_admissibility(
                dossier=dossier,
                admissible=True,
                comment="Expérience en lien direct avec le CQPI, justifiée sur trois ans.",
                by=staff,
            )
        elif not traits.may_skip_positioning:
            dossier_services.dossier_start_positioning(dossier=dossier, by=staff)
        dossier_services.dossier_start_evaluation(dossier=dossier, by=staff)

    def _evaluator(self, dossier: Dossier, spec: Spec, index: int) -> Any:
        eligible = set(selectors.eligible_evaluators(dossier=dossier).values_list("pk", flat=True))
        preferred = self.users["evaluateur.conflit"]
        if index % 4 == 3 and preferred.pk in eligible:
            return preferred
        return self.users[MAIN_EVALUATOR[spec.branch]]

    def _referent(self, spec: Spec) -> Any | None:
        company = next(c for c in COMPANIES if c[0] == spec.company) if spec.company else None
        return self.users[company[4]] if company and company[4] else None

    def _capacities(self, dossier: Dossier) -> list[Capacity]:
        if dossier.version_id not in self.capacities:
            self.capacities[dossier.version_id] = list(
                Capacity.objects.filter(bloc__version_id=dossier.version_id)
                .select_related("bloc")
                .prefetch_related("indicators")
                .order_by("bloc__order", "order")
            )
        return self.capacities[dossier.version_id]

    def _entry(self, capacity: Capacity, acquired: bool) -> evaluation_services.CapacityEntry:
        marks: dict[int, int] = {}
        for position, indicator in enumerate(capacity.indicators.all()):
            if acquired:
                marks[indicator.pk] = self.rng.randint(indicator.threshold, indicator.max_mark)
            elif position == 0:
                marks[indicator.pk] = self.rng.randint(0, indicator.threshold - 1)
            else:
                marks[indicator.pk] = self.rng.randint(0, indicator.max_mark)
        return evaluation_services.CapacityEntry(
            outcome=CapacityOutcome.ACQUIRED if acquired else CapacityOutcome.NOT_ACQUIRED,
            comment="" if acquired else "Maîtrise insuffisante lors de l'observation en situation.",
            marks=marks,
        )

    def _score(
        self, sheet: Any, capacities: list[Capacity], acquired: set[int], *, submit: bool = True
    ) -> None:
        entries = {c.pk: self._entry(c, c.pk in acquired) for c in capacities}
        evaluation_services.sheet_save(
            sheet=sheet, entries=entries, expected_version=sheet.version, by=sheet.evaluator
        )
        if submit:
            evaluation_services.sheet_submit(sheet=sheet, by=sheet.evaluator)

    def _evaluate(self, dossier: Dossier, spec: Spec, index: int, acquired: set[int]) -> None:
        """Final evaluation, as a binôme where the company has a référent."""
        referent = self._referent(spec)
        evaluation = evaluation_services.evaluation_create(
            dossier=dossier,
            kind=EvaluationKind.FINAL,
            external_evaluator=self._evaluator(dossier, spec, index),
            referent=referent,
            due_date=self.today,
            by=self.users[STAFF[spec.branch]],
        )
        capacities = self._capacities(dossier)
        for sheet in evaluation.sheets.select_related("evaluator"):
            seen = set(acquired)
            if spec.override and sheet.role == "referent":
                # The binôme disagrees on one capacity: the jury re-examines it.
                seen.discard(capacities[-1].pk)
            self._score(sheet, capacities, seen)

    def _acquired(self, dossier: Dossier, stage: str) -> set[int]:
        capacities = self._capacities(dossier)
        if stage == REFUSAL:
            return set()
        if stage == PARTIAL:
            last_bloc = capacities[-1].bloc_id
            return {c.pk for c in capacities if c.bloc_id != last_bloc}
        return {c.pk for c in capacities}

    def _decide(self, specs: list[Spec]) -> None:
        by_session: dict[str, list[tuple[Spec, Dossier]]] = {}
        for index, spec in enumerate(specs):
            dossier = self._open(spec, days_ago=self.rng.randint(200, 540))
            self._to_evaluation(dossier, spec)
            self._evaluate(dossier, spec, index, self._acquired(dossier, spec.stage))
            by_session.setdefault(spec.session or "", []).append((spec, dossier))
        for key, _branch, _days, closed in SESSIONS:
            if not closed:
                continue
            session = self.sessions[key]
            staff = self.users[STAFF[session.branch.code]]
            chair = self.users[JURY[session.branch.code][0]]
            for _spec, dossier in by_session.get(key, []):
                evaluation_services.jury_session_add_dossier(
                    session=session, dossier=dossier, by=staff
                )
            evaluation_services.jury_session_open(session=session, by=staff)
            for spec, dossier in by_session.get(key, []):
                self._decision(session, dossier, spec, chair)
            evaluation_services.jury_session_close(session=session, by=staff)
            # The chair and the vice-chair sign the procès-verbal, as they would in the app.
            for signer in JURY[session.branch.code]:
                evaluation_services.minutes_sign(
                    session=session, by=self.users[signer], password=DEMO_PASSWORD
                )

    def _decision(self, session: JurySession, dossier: Dossier, spec: Spec, chair: Any) -> None:
        capacities = self._capacities(dossier)
        kwargs: dict[str, Any] = {}
        if spec.stage == PARTIAL:
            kwargs["reasons"] = (
                "Le dernier bloc de compétences n'est pas acquis : validation partielle des "
                "autres blocs ; le candidat pourra compléter."
            )
        elif spec.stage == REFUSAL:
            kwargs["reasons"] = "Les capacités observées ne sont pas maîtrisées au niveau requis."
        elif spec.override:
            kwargs["validated_capacity_ids"] = {c.pk for c in capacities}
            kwargs["override_reasons"] = {
                capacities[-1].pk: "Réexaminée par le jury au vu du dossier de preuves : acquise."
            }
        decision = jury_decides(
            session=session, dossier=dossier, outcome=spec.stage, by=chair, **kwargs
        )
        self.summary.stages[spec.stage] += 1
        if spec.stage != REFUSAL:
            self.summary.certificates += 1
        if spec.revoke:
            certification_services.certificate_revoke(
                certificate=decision.certificates.get(),
                reason="Erreur sur la date de naissance du titulaire : certificat révoqué.",
                by=self.users[STAFF[spec.branch]],
            )
            self.summary.revoked += 1

    def _ongoing(self, spec: Spec) -> None:
        staff = self.users[STAFF[spec.branch]]
        dossier = self._open(spec, days_ago=self.rng.randint(7, 120))
        self.summary.stages[spec.stage] += 1
        if spec.stage == OPEN:
            return
        if spec.stage == INADMISSIBLE:
            dossier_services.dossier_rule_admissibility(
                dossier=dossier,
                admissible=False,
                comment="Expérience justifiée inférieure à un an dans les activités du CQPI.",
                by=staff,
            )
            return
        if spec.stage == ADMISSIBLE:
            dossier_services.dossier_rule_admissibility(
                dossier=dossier,
                admissible=True,
                comment="Expérience en lien direct avec le CQPI.",
                by=staff,
            )
            return
        if spec.stage in (POSITIONING, WITHDRAWN):
            dossier_services.dossier_start_positioning(dossier=dossier, by=staff)
            evaluation_services.evaluation_create(
                dossier=dossier,
                kind=EvaluationKind.POSITIONING,
                external_evaluator=self.users[MAIN_EVALUATOR[spec.branch]],
                due_date=self.today + datetime.timedelta(days=14),
                by=staff,
            )
            if spec.stage == WITHDRAWN:
                dossier_services.dossier_withdraw(
                    dossier=dossier,
                    comment="Départ du salarié de l'entreprise avant la fin du parcours.",
                    by=staff,
                )
            return
        self._to_evaluation(dossier, spec)
        if spec.stage == EVALUATION:
            evaluation = evaluation_services.evaluation_create(
                dossier=dossier,
                kind=EvaluationKind.FINAL,
                external_evaluator=self.users[MAIN_EVALUATOR[spec.branch]],
                referent=self._referent(spec),
                due_date=self.today + datetime.timedelta(days=10),
                # An appointment to come: the candidate and the evaluators are convoked to it,
                # and the evaluator's "Mes évaluations à venir" lists it.
                appointment_at=timezone.make_aware(
                    datetime.datetime.combine(
                        self.today + datetime.timedelta(days=7), datetime.time(14, 0)
                    )
                ),
                appointment_place="Atelier de l'entreprise",
                by=staff,
            )
            capacities = self._capacities(dossier)
            half = capacities[: len(capacities) // 2]
            external = evaluation.sheets.get(role="external")
            self._score(external, half, {c.pk for c in half}, submit=False)
            return
        self._evaluate(dossier, spec, 0, self._acquired(dossier, AWARD))
        if spec.stage == SCHEDULED and spec.session:
            evaluation_services.jury_session_add_dossier(
                session=self.sessions[spec.session], dossier=dossier, by=staff
            )
