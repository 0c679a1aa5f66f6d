"""factory_boy factories for the whole domain, and builders of ready-made référentiels."""

from __future__ import annotations

import datetime
import re
from typing import Any

import factory
from django.core.files.base import ContentFile
from django.core.files.storage import Storage, default_storage
from django.utils import timezone
from guardian.shortcuts import assign_perm

from accounts.models import User
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
from candidates.models import AccessRoute, Candidate, Dossier, DossierStatus, Person
from certifications.models import (
    Adoption,
    Bloc,
    Capacity,
    Indicator,
    Referentiel,
    ReferentielStatus,
    ReferentielVersion,
    Registration,
    RegistrationKind,
    VersionStatus,
)


def valid_siret(seed: int) -> str:
    """A SIRET with a correct Luhn key, different for each seed."""
    base = f"{(seed * 7919) % 10**13:013d}"
    for key in range(10):
        candidate = base + str(key)
        if luhn_valid(candidate):
            return candidate
    raise AssertionError("unreachable")


class UserFactory(factory.django.DjangoModelFactory[User]):
    class Meta:
        model = User
        django_get_or_create = ("email",)

    email = factory.Sequence(lambda n: f"user{n}@example.test")
    first_name = factory.Faker("first_name", locale="fr_FR")
    last_name = factory.Faker("last_name", locale="fr_FR")
    password = factory.django.Password("secret-password-123")


def signature_png(color: str = "navy") -> bytes:
    """A small PNG standing for a signatory's signature."""
    import io

    from PIL import Image

    buffer = io.BytesIO()
    Image.new("RGB", (120, 40), color).save(buffer, format="PNG")
    return buffer.getvalue()


TEST_SIGNATURE_NAME = "signatures/test-signature.png"


def ensure_test_signature(storage: Storage | None = None) -> str:
    """Put the test branches' signature image into a media storage (folder or bucket), once."""
    storage = storage or default_storage
    if not storage.exists(TEST_SIGNATURE_NAME):
        stored = storage.save(TEST_SIGNATURE_NAME, ContentFile(signature_png()))
        assert stored == TEST_SIGNATURE_NAME, stored
    return TEST_SIGNATURE_NAME


class BranchFactory(factory.django.DjangoModelFactory[Branch]):
    class Meta:
        model = Branch
        django_get_or_create = ("code",)

    code = factory.Sequence(lambda n: f"branche{n}")
    prefix = factory.LazyAttribute(lambda o: re.sub("[^A-Z0-9]", "", o.code.upper())[-8:])
    name = factory.Sequence(lambda n: f"Branche {n}")
    place_of_issue = "Paris"
    certifier_name = factory.LazyAttribute(lambda o: f"CPNE de la branche {o.name}")
    signatory_name = "Claire Martin"
    signatory_title = "Présidente de la CPNE"
    # The compliance gate refuses to issue without a signature image: every test branch
    # shares one file, written into each media folder a test sets (see tests/conftest.py).
    signatory_image = factory.LazyFunction(lambda: ensure_test_signature())


class CompanyFactory(factory.django.DjangoModelFactory[Company]):
    class Meta:
        model = Company

    branch = factory.SubFactory(BranchFactory)
    name = factory.Sequence(lambda n: f"Entreprise {n}")
    siret = factory.Sequence(lambda n: valid_siret(n + 1))
    city = "Lyon"


class MembershipFactory(factory.django.DjangoModelFactory[Membership]):
    class Meta:
        model = Membership

    user = factory.SubFactory(UserFactory)
    branch = factory.SubFactory(BranchFactory)
    role = Role.STAFF


class ReferentielFactory(factory.django.DjangoModelFactory[Referentiel]):
    class Meta:
        model = Referentiel

    code = factory.Sequence(lambda n: f"cqpi-{n}")
    title = factory.Sequence(lambda n: f"CQPI numéro {n}")
    level = "3"
    eqf_level = "3"
    nsf_codes = "250"
    status = ReferentielStatus.VALIDATED
    validated_on = datetime.date(2020, 1, 1)


def build_referentiel(
    *,
    branches: list[Branch],
    blocs: int = 2,
    capacities_per_bloc: int = 2,
    indicators_per_capacity: int = 2,
    **fields: Any,
) -> tuple[Referentiel, ReferentielVersion]:
    """A validated CQPI adopted by `branches`, with one version in force and its content."""
    referentiel = ReferentielFactory.create(**fields)
    Registration.objects.create(
        referentiel=referentiel,
        kind=RegistrationKind.RNCP,
        code=f"RNCP{30000 + referentiel.pk}",
        decision_date=datetime.date(2022, 6, 1),
        # valid on the day the tests run, so the compliance gate lets certificates through
        valid_until=max(
            datetime.date(2027, 6, 1), timezone.localdate() + datetime.timedelta(days=365)
        ),
    )
    version = ReferentielVersion.objects.create(
        referentiel=referentiel,
        number=1,
        effective_from=datetime.date(2022, 6, 1),
        status=VersionStatus.IN_FORCE,
    )
    for b in range(1, blocs + 1):
        bloc = Bloc.objects.create(version=version, code=f"B{b}", title=f"Bloc {b}", order=b)
        for c in range(1, capacities_per_bloc + 1):
            capacity = Capacity.objects.create(
                bloc=bloc, code=f"C{b}.{c}", title=f"Capacité {b}.{c}", order=c
            )
            for i in range(1, indicators_per_capacity + 1):
                Indicator.objects.create(
                    capacity=capacity,
                    label=f"Indicateur {b}.{c}.{i}",
                    threshold=3,
                    max_mark=4,
                    order=i,
                )
    for branch in branches:
        Adoption.objects.create(
            referentiel=referentiel, branch=branch, accord_date=datetime.date(2021, 1, 1)
        )
    return referentiel, version


class PersonFactory(factory.django.DjangoModelFactory[Person]):
    class Meta:
        model = Person

    last_name = factory.Faker("last_name", locale="fr_FR")
    first_name = factory.Faker("first_name", locale="fr_FR")
    birth_date = factory.Sequence(lambda n: datetime.date(1980, 1, 1) + datetime.timedelta(days=n))
    birth_place = "Lille"


class CandidateFactory(factory.django.DjangoModelFactory[Candidate]):
    """A candidate with its own national person (as `candidate_create` registers one)."""

    class Meta:
        model = Candidate

    branch = factory.SubFactory(BranchFactory)
    last_name = factory.Faker("last_name", locale="fr_FR")
    first_name = factory.Faker("first_name", locale="fr_FR")
    birth_date = factory.Sequence(lambda n: datetime.date(1980, 1, 1) + datetime.timedelta(days=n))
    birth_place = "Lille"
    email = factory.LazyAttribute(lambda o: f"{o.first_name}.{o.last_name}@example.test".lower())
    person = factory.SubFactory(
        PersonFactory,
        last_name=factory.SelfAttribute("..last_name"),
        first_name=factory.SelfAttribute("..first_name"),
        birth_date=factory.SelfAttribute("..birth_date"),
        birth_place=factory.SelfAttribute("..birth_place"),
    )


class DossierFactory(factory.django.DjangoModelFactory[Dossier]):
    """A dossier row in any status, without history: for tests of reads and permissions."""

    class Meta:
        model = Dossier

    reference = factory.Sequence(lambda n: f"TEST-{n:06d}")
    candidate = factory.SubFactory(CandidateFactory)
    branch = factory.SelfAttribute("candidate.branch")
    company = None
    version = None  # required: pass one (see build_referentiel)
    access_route = AccessRoute.CONTINUING
    status = DossierStatus.OPEN
    opened_on = factory.LazyFunction(timezone.localdate)
    status_changed_at = factory.LazyFunction(timezone.now)


def habilitate(
    evaluator: User, *, branch: Branch, referentiel: Referentiel
) -> EvaluatorHabilitation:
    today = timezone.localdate()
    return EvaluatorHabilitation.objects.create(
        evaluator=evaluator,
        branch=branch,
        referentiel=referentiel,
        valid_from=today - datetime.timedelta(days=365),
        valid_until=today + datetime.timedelta(days=365),
    )


# The codename of the grant a service writes on each kind of object.
_GRANTS = {
    "evaluation": "score_evaluation",
    "jurysession": "sit_on_session",
    "company": "view_company",
}


def grant(user: User, obj: Any) -> None:
    """The per-object grant a service writes with `obj` (an evaluation, a jury session, a
    company), for rows a test builds without the services."""
    assign_perm(f"{obj._meta.app_label}.{_GRANTS[obj._meta.model_name]}", user, obj)


def declare_conflict(evaluator: User, *, company: Company, referentiel: Referentiel) -> None:
    ConflictOfInterest.objects.create(
        evaluator=evaluator, company=company, referentiel=referentiel, reason="Formateur"
    )


def complete_identity(candidate: Candidate, **overrides: Any) -> Candidate:
    """Fill the identity the CDC declaration needs (born in Lille, France), `overrides` last."""
    values: dict[str, Any] = {
        "sex": "F",
        "birth_insee_code": "59350",
        "birth_postal_code": "",
        "birth_country_code": "100",
        "birth_country_label": "France",
        **overrides,
    }
    Candidate.objects.filter(pk=candidate.pk).update(**values)
    candidate.refresh_from_db()
    return candidate


__all__ = [
    "BranchFactory",
    "CandidateFactory",
    "College",
    "CompanyFactory",
    "DossierFactory",
    "MembershipFactory",
    "PersonFactory",
    "ReferentielFactory",
    "UserFactory",
    "build_referentiel",
    "complete_identity",
    "declare_conflict",
    "grant",
    "habilitate",
    "signature_png",
    "valid_siret",
]
