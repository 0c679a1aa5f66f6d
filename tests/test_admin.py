"""The Django admin: every registered model answers, and what was certified is never deleted."""

from __future__ import annotations

from collections.abc import Iterator
from io import StringIO
from typing import Any

import pytest
from django.apps import apps
from django.contrib import admin
from django.contrib.auth import get_user_model
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.db import models, transaction
from django.test import RequestFactory
from django.urls import reverse

from branches.models import Branch
from candidates.models import (
    Dossier,
    DossierHistory,
    EvidenceDossier,
    EvidenceFile,
    EvidenceStatement,
)
from certifications.models import (
    Bloc,
    Certificate,
    CertificateEvent,
    CertificateStatus,
    ReferentielVersion,
    VersionStatus,
)
from credentials.models import IssuerKey, StatusList
from declarations.models import DeclarationEntry, DeclarationFlux
from evaluations.models import CalendarFeed, Decision, MinutesSignature, Proposal, Vote
from sampledata.demo import MARKER_EMAIL

pytestmark = pytest.mark.django_db

REGISTRY = sorted(admin.site._registry.items(), key=lambda item: item[0]._meta.label)
PROJECT_APPS = (
    "accounts",
    "audit",
    "branches",
    "certifications",
    "credentials",
    "candidates",
    "evaluations",
    "figures",
    "declarations",
)
# Third-party admins (lockouts, tokens, OTP devices) hold no demo rows to open.
PROJECT_REGISTRY = [item for item in REGISTRY if item[0]._meta.app_label in PROJECT_APPS]
NEVER_DELETED = [
    Certificate,
    Decision,
    DossierHistory,
    CertificateEvent,
    Dossier,
    Proposal,
    Vote,
    MinutesSignature,
]


def label(model: type[models.Model]) -> str:
    return model._meta.label


def url(model: type[models.Model], view: str, *args: Any) -> str:
    return reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_{view}", args=args)


@pytest.fixture(scope="module")
def demo(django_db_setup: Any, django_db_blocker: Any) -> Iterator[None]:
    """Built once for the module (so every change page has an object to show), rolled back at
    its end; each test runs in a savepoint inside it."""
    with django_db_blocker.unblock(), transaction.atomic():
        call_command("load_demo_data", stdout=StringIO())
        yield
        transaction.set_rollback(True)


@pytest.fixture
def superuser(demo: None) -> Any:
    return get_user_model().objects.get(email=MARKER_EMAIL)


@pytest.fixture
def admin_client(client: Any, superuser: Any) -> Any:
    client.force_login(superuser)
    return client


def admin_request(user: Any) -> Any:
    request = RequestFactory().get("/admin/")
    request.user = user
    return request


@pytest.mark.parametrize(("model", "model_admin"), REGISTRY, ids=[label(m) for m, _ in REGISTRY])
def test_every_changelist_answers_and_searches(
    admin_client: Any, model: Any, model_admin: Any
) -> None:
    assert admin_client.get(url(model, "changelist")).status_code == 200
    if model_admin.search_fields:
        assert admin_client.get(url(model, "changelist"), {"q": "demo"}).status_code == 200


@pytest.mark.parametrize(("model", "model_admin"), REGISTRY, ids=[label(m) for m, _ in REGISTRY])
def test_every_add_page_answers_unless_the_services_own_the_creation(
    admin_client: Any, superuser: Any, model: Any, model_admin: Any
) -> None:
    expected = 200 if model_admin.has_add_permission(admin_request(superuser)) else 403
    assert admin_client.get(url(model, "add")).status_code == expected


def an_object(model: Any, user: Any) -> Any:
    """A row to show: the demo's, or for evidence (uploaded by people, not by the demo) one made
    here."""
    if model is EvidenceFile and not EvidenceFile.objects.exists():
        return EvidenceFile.objects.create(
            dossier=Dossier.objects.order_by("pk")[0],
            file=SimpleUploadedFile("preuve.pdf", b"%PDF-1.4 demo"),
            original_name="preuve.pdf",
            content_type="application/pdf",
            size=13,
            uploaded_by=user,
        )
    if model in (EvidenceDossier, EvidenceStatement) and not EvidenceStatement.objects.exists():
        # Written by candidates in their space, not by the demo: one made here.
        from certifications.models import Capacity

        dossier = Dossier.objects.order_by("pk")[0]
        EvidenceStatement.objects.create(
            evidence_dossier=EvidenceDossier.objects.create(dossier=dossier),
            capacity=Capacity.objects.filter(bloc__version_id=dossier.version_id)[0],
            text="Mes activités",
        )
    if model in (DeclarationFlux, DeclarationEntry) and not DeclarationFlux.objects.exists():
        # The demo leaves its declarations for the staff to make: one made here.
        from declarations.services import flux_create

        branch = Branch.objects.get(code="metallurgie")
        flux_create(branch=branch, by=user)
    if model is CalendarFeed and not CalendarFeed.objects.exists():
        # Made by an evaluator on their page, not by the demo: one made here.
        from evaluations.models import EvaluationSheet
        from evaluations.services import calendar_feed_regenerate

        calendar_feed_regenerate(by=EvaluationSheet.objects.order_by("pk")[0].evaluator)
    if model in (IssuerKey, StatusList) and not IssuerKey.objects.exists():
        # Made when the worker signs a document, which the demo leaves to the worker: made here.
        from credentials.services import status_list_credential

        status_list_credential(branch=Branch.objects.get(code="metallurgie"), number=0)
    return model._default_manager.order_by("pk").first()


@pytest.mark.parametrize(
    ("model", "model_admin"), PROJECT_REGISTRY, ids=[label(m) for m, _ in PROJECT_REGISTRY]
)
def test_every_change_page_of_a_demo_object_answers(
    admin_client: Any, superuser: Any, model: Any, model_admin: Any, settings: Any, tmp_path: Any
) -> None:
    settings.MEDIA_ROOT = tmp_path
    obj = an_object(model, superuser)
    assert obj is not None, f"the demo holds no {label(model)}"
    assert admin_client.get(url(model, "change", obj.pk)).status_code == 200


def test_every_model_of_the_project_is_registered() -> None:
    registered = {label(model) for model, _admin in REGISTRY}
    for app in PROJECT_APPS:
        for model in apps.get_app_config(app).get_models():
            if model.__name__.endswith("UserObjectPermission"):
                continue  # guardian's grant tables
            assert label(model) in registered, label(model)


@pytest.mark.parametrize("model", NEVER_DELETED, ids=label)
def test_what_was_certified_can_never_be_deleted(
    admin_client: Any, superuser: Any, model: Any
) -> None:
    model_admin = admin.site._registry[model]
    obj = model._default_manager.order_by("pk").first()
    request = admin_request(superuser)
    assert not model_admin.has_delete_permission(request, obj)
    assert "delete_selected" not in model_admin.get_actions(request)
    assert admin_client.get(url(model, "delete", obj.pk)).status_code == 403
    assert admin_client.post(url(model, "delete", obj.pk), {"post": "yes"}).status_code == 403
    assert model._default_manager.filter(pk=obj.pk).exists()


def test_a_certificate_number_and_snapshot_cannot_be_changed(
    admin_client: Any, superuser: Any
) -> None:
    certificate = Certificate.objects.order_by("pk").first()
    assert certificate is not None
    model_admin = admin.site._registry[Certificate]
    assert not model_admin.has_change_permission(admin_request(superuser), certificate)
    response = admin_client.post(
        url(Certificate, "change", certificate.pk), {"number": "FAUX-1", "snapshot": "{}"}
    )
    assert response.status_code == 403
    certificate.refresh_from_db()
    assert certificate.number != "FAUX-1"
    assert certificate.snapshot["number"] == certificate.number


def test_revoking_from_the_admin_needs_a_reason_and_goes_through_the_service(
    admin_client: Any, superuser: Any
) -> None:
    certificate = Certificate.objects.filter(status=CertificateStatus.VALID).order_by("pk").first()
    assert certificate is not None
    data = {"action": "revoke", "_selected_action": [certificate.pk], "index": 0}
    admin_client.post(url(Certificate, "changelist"), {**data, "reason": ""})
    certificate.refresh_from_db()
    assert certificate.status == CertificateStatus.VALID

    admin_client.post(url(Certificate, "changelist"), {**data, "reason": "Fraude avérée"})
    certificate.refresh_from_db()
    assert certificate.status == CertificateStatus.REVOKED
    assert certificate.revocation_reason == "Fraude avérée"
    assert certificate.events.filter(action="revoked", by=superuser).exists()


def test_the_content_of_a_version_in_force_is_read_only(superuser: Any) -> None:
    bloc = Bloc.objects.filter(version__status=VersionStatus.IN_FORCE).first()
    assert bloc is not None
    request = admin_request(superuser)
    model_admin = admin.site._registry[Bloc]
    assert not model_admin.has_change_permission(request, bloc)
    assert not model_admin.has_delete_permission(request, bloc)


def test_the_content_of_a_draft_version_is_editable(superuser: Any) -> None:
    in_force = ReferentielVersion.objects.in_force().order_by("pk").first()
    assert in_force is not None
    draft = ReferentielVersion.objects.create(
        referentiel=in_force.referentiel, number=99, effective_from=in_force.effective_from
    )
    bloc = Bloc.objects.create(version=draft, code="BC99", title="Bloc en préparation")
    request = admin_request(superuser)
    assert admin.site._registry[Bloc].has_change_permission(request, bloc)


def test_the_user_admin_creates_an_account_by_email(admin_client: Any) -> None:
    response = admin_client.post(
        url(get_user_model(), "add"),
        {
            "email": "nouvelle.personne@example.test",
            "first_name": "Nouvelle",
            "last_name": "Personne",
            "usable_password": "true",
            "password1": "Un-mot-de-passe-solide-42",
            "password2": "Un-mot-de-passe-solide-42",
        },
    )
    assert response.status_code == 302
    user = get_user_model().objects.get(email="nouvelle.personne@example.test")
    assert user.check_password("Un-mot-de-passe-solide-42")


def test_branch_staff_do_not_reach_the_admin(client: Any, demo: None) -> None:
    client.force_login(get_user_model().objects.get(email="cpne.metallurgie@demo.cqpi.fr"))
    response = client.get(reverse("admin:index"))
    assert response.status_code == 302
    assert "/admin/login/" in response["Location"]
