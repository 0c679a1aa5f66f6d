"""The fixed cast every test module draws on: two branches and a person for each role."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from django.conf import settings
from django.core.cache import cache
from django.core.files.storage import FileSystemStorage, storages
from django.core.signals import setting_changed
from django.utils import translation

from branches.models import Branch, College, Company, Membership, Role
from certifications.models import Referentiel, ReferentielVersion
from evaluations.services import referent_appoint
from tests.factories import (
    BranchFactory,
    CandidateFactory,
    CompanyFactory,
    UserFactory,
    build_referentiel,
    ensure_test_signature,
    habilitate,
)


def _signature_follows_media_root(*, setting: str, value: Any, **kwargs: Any) -> None:
    # Tests move MEDIA_ROOT to folders of their own, or the media to a bucket, often after
    # the cast's branches exist: their shared signature image must be found there too, or
    # the compliance gate refuses. The storage is built here from the new value: Django's
    # receiver that resets default_storage may run after this one.
    if not value:
        return
    if setting == "STORAGES":
        ensure_test_signature(storages.create_storage(value["default"]))
    elif setting == "MEDIA_ROOT" and settings.STORAGES["default"]["BACKEND"].endswith(
        "FileSystemStorage"
    ):
        ensure_test_signature(FileSystemStorage(location=value))


setting_changed.connect(_signature_follows_media_root, dispatch_uid="tests.signature")


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    # Long files first, each file's tests in their own order: `make test` hands whole files
    # to two processes in this order, and a long file handed out last would leave one process
    # working alone at the end. Longest are the files with a test allowed more than the
    # suite's time limit (the isolation matrix), then those holding slow tests (servers,
    # workers, browsers).
    default = float(items[0].config.getini("timeout") or 0) if items else 0.0
    rank: dict[Any, int] = {}
    for item in items:
        limit = item.get_closest_marker("timeout")
        if limit and limit.args and float(limit.args[0]) > default:
            rank[item.path] = 0
        elif item.get_closest_marker("slow"):
            rank.setdefault(item.path, 1)
    items.sort(key=lambda item: rank.get(item.path, 2))


@pytest.fixture(autouse=True)
def _reset_language() -> Iterator[None]:
    # LocaleMiddleware activates the request's language in the test's thread and leaves
    # it there: after a request in English, later tests' messages would be in English.
    yield
    translation.deactivate()


@pytest.fixture(autouse=True, scope="session")
def _seal_chain() -> None:
    # The development seal (certifications/sealing.py) made once per run, under the test
    # settings' SEAL_DEV_DIR, before any document is rendered and sealed.
    from certifications.sealing import dev_chain

    dev_chain()


@pytest.fixture(scope="session")
def s3_endpoint() -> Iterator[str]:
    """The local S3 server (moto in server mode), started on first use, stopped at the end."""
    from tests.s3 import moto_server

    with moto_server() as endpoint:
        yield endpoint


@pytest.fixture
def s3_bucket(s3_endpoint: str, settings: Any, monkeypatch: pytest.MonkeyPatch) -> str:
    """A fresh bucket, made the media storage of this test and of the processes it starts."""
    from cqpi.settings.base import media_storage
    from tests.s3 import create_bucket, environment

    bucket = create_bucket(s3_endpoint)
    for name, value in environment(s3_endpoint, bucket).items():
        monkeypatch.setenv(name, value)
    settings.STORAGES = {**settings.STORAGES, "default": media_storage(bucket)}
    return bucket


@pytest.fixture(autouse=True)
def _media_on_s3(request: pytest.FixtureRequest) -> None:
    # Tests marked `s3` run with their media in a bucket of the local S3 server.
    if request.node.get_closest_marker("s3"):
        request.getfixturevalue("s3_bucket")


@pytest.fixture(autouse=True)
def _fresh_cache() -> None:
    # Each process keeps its cache across tests: rate-limit counts (one client address for
    # every test), cached figures and sessions would leak from one test into the next.
    cache.clear()


@dataclass
class Cast:
    branch_a: Branch
    branch_b: Branch
    company_a: Company
    company_b: Company
    referentiel: Referentiel
    version: ReferentielVersion
    admin: Any
    staff_a: Any
    staff_b: Any
    evaluator: Any
    referent_a: Any
    jury_employer: Any
    jury_employee: Any
    candidate_user: Any
    other_candidate_user: Any
    coc_observer: Any
    outsider: Any
    candidate: Any
    other_candidate: Any


@pytest.fixture
def cast(db: Any) -> Cast:
    branch_a = BranchFactory.create(code="alpha", name="Branche Alpha")
    branch_b = BranchFactory.create(code="beta", name="Branche Bêta")
    company_a = CompanyFactory.create(branch=branch_a, name="Alpha Industries")
    company_b = CompanyFactory.create(branch=branch_b, name="Bêta Services")
    referentiel, version = build_referentiel(
        branches=[branch_a, branch_b], title="Agent logistique"
    )

    def member(email: str, branch: Branch, role: str, **extra: Any) -> Any:
        user = UserFactory.create(email=email)
        Membership.objects.create(user=user, branch=branch, role=role, **extra)
        return user

    evaluator = UserFactory.create(
        email="evaluateur@example.test", first_name="Éva", last_name="Luateur"
    )
    habilitate(evaluator, branch=branch_a, referentiel=referentiel)
    habilitate(evaluator, branch=branch_b, referentiel=referentiel)
    # The candidates' accounts carry their names: a Faker name could collide with the
    # other candidate's, and tests check that one never sees the other's.
    candidate_user = UserFactory.create(
        email="candidat@example.test", first_name="Léa", last_name="Durand"
    )
    other_candidate_user = UserFactory.create(
        email="autre.candidat@example.test", first_name="Marc", last_name="Petit"
    )
    candidate = CandidateFactory.create(
        branch=branch_a, user=candidate_user, last_name="Durand", first_name="Léa"
    )
    other_candidate = CandidateFactory.create(
        branch=branch_a, user=other_candidate_user, last_name="Petit", first_name="Marc"
    )
    admin = UserFactory.create(email="admin@example.test", is_superuser=True, is_staff=True)
    # Through the service, which grants the company: the référent's scope.
    referent = UserFactory.create(email="referent.a@example.test")
    referent_appoint(company=company_a, user=referent, by=admin)
    return Cast(
        branch_a=branch_a,
        branch_b=branch_b,
        company_a=company_a,
        company_b=company_b,
        referentiel=referentiel,
        version=version,
        admin=admin,
        staff_a=member("staff.a@example.test", branch_a, Role.STAFF),
        staff_b=member("staff.b@example.test", branch_b, Role.STAFF),
        evaluator=evaluator,
        referent_a=referent,
        jury_employer=member(
            "jury.employeur@example.test", branch_a, Role.JURY, college=College.EMPLOYERS
        ),
        jury_employee=member(
            "jury.salarie@example.test", branch_a, Role.JURY, college=College.EMPLOYEES
        ),
        candidate_user=candidate_user,
        other_candidate_user=other_candidate_user,
        coc_observer=UserFactory.create(email="coc@example.test", is_coc_observer=True),
        outsider=UserFactory.create(email="personne@example.test"),
        candidate=candidate,
        other_candidate=other_candidate,
    )
