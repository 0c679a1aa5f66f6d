"""load_demo_data: every role, every stage, through the real services; once; never in production."""

from __future__ import annotations

import base64
from collections.abc import Iterator
from io import StringIO
from typing import Any

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.password_validation import validate_password
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import transaction
from django.test import override_settings
from django.urls import reverse
from django.utils import timezone
from django_otp.oath import totp

from branches.models import (
    Branch,
    College,
    Company,
    ConflictOfInterest,
    EvaluatorHabilitation,
    Membership,
    Role,
)
from branches.validators import siret_is_valid
from candidates.models import AccessRoute, Candidate, Dossier, DossierStatus
from certifications.models import Certificate, CertificateKind, CertificateStatus
from evaluations import selectors
from evaluations.models import (
    CapacityResult,
    Decision,
    EvaluationSheet,
    JurySession,
    SessionStatus,
    SheetStatus,
)
from sampledata.demo import (
    DEMO_ACCOUNTS,
    DEMO_PASSWORD,
    DEMO_TOTP_ACCOUNT,
    DEMO_TOTP_SECRET,
    refusal_reason,
)

pytestmark = pytest.mark.django_db


def load() -> str:
    out = StringIO()
    call_command("load_demo_data", stdout=out)
    return out.getvalue()


@pytest.fixture(scope="module")
def demo(django_db_setup: Any, django_db_blocker: Any) -> Iterator[str]:
    """The demo is built once for the module, in a transaction rolled back at its end; each test
    runs in a savepoint inside it (building it takes a few seconds)."""
    with django_db_blocker.unblock(), transaction.atomic():
        yield load()
        transaction.set_rollback(True)


def test_it_leaves_dossiers_at_every_stage(demo: str) -> None:
    statuses = set(Dossier.objects.values_list("status", flat=True))
    assert statuses == set(DossierStatus.values)


def test_vae_dossiers_are_found_admissible_and_inadmissible(demo: str) -> None:
    vae = Dossier.objects.filter(access_route=AccessRoute.VAE)
    assert vae.filter(status=DossierStatus.ADMISSIBLE).exists()
    assert vae.filter(status=DossierStatus.INADMISSIBLE).exists()


def test_one_certificate_is_revoked_and_partial_validations_have_their_attestation(
    demo: str,
) -> None:
    revoked = Certificate.objects.filter(status=CertificateStatus.REVOKED)
    assert revoked.count() == 1
    assert revoked.get().events.filter(action="revoked").exists()
    for dossier in Dossier.objects.filter(status=DossierStatus.PARTIALLY_AWARDED):
        assert dossier.certificates.get().kind == CertificateKind.PARTIAL
    for dossier in Dossier.objects.filter(status=DossierStatus.AWARDED):
        assert dossier.certificates.get().kind == CertificateKind.CERTIFICATE
    assert not Certificate.objects.filter(dossier__status=DossierStatus.REFUSED).exists()


def test_demo_branches_pass_the_compliance_gate_and_their_documents_name_the_certifier(
    demo: str,
) -> None:
    from certifications.compliance import branch_problems

    for code in ("metallurgie", "commerce-distribution"):
        branch = Branch.objects.get(code=code)
        assert branch_problems(branch) == []
        assert branch.signatory_name and branch.signatory_name != "Signataire à désigner"
    certificates = Certificate.objects.select_related("branch")
    assert certificates.exists()
    for certificate in certificates:
        assert certificate.snapshot["certifier"] == certificate.branch.certifier_name
        assert certificate.snapshot["signatory"]["image"].startswith("data:image/png;base64,")
        assert certificate.snapshot["registration"] is not None


def test_each_demo_branch_declares_its_awards_in_a_valid_flux(demo: str) -> None:
    from declarations import flux as cdc
    from declarations import selectors as declaration_selectors
    from declarations import services as declaration_services

    assert Candidate.objects.filter(birth_country_code="131", birth_insee_code="99131").exists()
    assert Candidate.objects.filter(sex="").exists()  # one left "à compléter" for the staff
    declared = 0
    for code, staff in (
        ("metallurgie", "cpne.metallurgie@demo.cqpi.fr"),
        ("commerce-distribution", "cpne.commerce@demo.cqpi.fr"),
    ):
        branch = Branch.objects.get(code=code)
        assert declaration_selectors.branch_problems(branch) == []
        ready = [i for i in declaration_selectors.candidacies(branch) if not i.blocked]
        assert ready, code
        record = declaration_services.flux_create(
            branch=branch, by=get_user_model().objects.get(email=staff)
        )
        with record.file.open("rb") as handle:
            assert cdc.errors(handle.read()) == []
        assert record.entries.count() == len(ready)
        declared += len(ready)
    assert declared >= 10


def test_past_sessions_are_closed_and_scheduled_dossiers_wait_for_an_upcoming_one(
    demo: str,
) -> None:
    assert JurySession.objects.filter(status=SessionStatus.CLOSED).count() >= 1
    for dossier in Dossier.objects.filter(status=DossierStatus.SCHEDULED):
        session = dossier.agenda_items.get().session
        assert session.status == SessionStatus.PLANNED
        assert session.held_on > timezone.now()


def test_the_dossier_in_evaluation_has_a_half_filled_grid(demo: str) -> None:
    dossier = Dossier.objects.get(status=DossierStatus.EVALUATION)
    sheet = EvaluationSheet.objects.get(evaluation__dossier=dossier, role="external")
    filled = CapacityResult.objects.filter(sheet=sheet).count()
    total = dossier.version.blocs.values("capacities").count()
    assert sheet.status == SheetStatus.DRAFT
    assert 0 < filled < total


def test_a_jury_re_examined_a_capacity_where_the_binome_disagreed(demo: str) -> None:
    assert Decision.objects.filter(capacities__overridden=True).exists()


def test_national_figures_look_like_the_brochure(demo: str) -> None:
    decided = Dossier.objects.filter(
        status__in=[
            DossierStatus.AWARDED,
            DossierStatus.PARTIALLY_AWARDED,
            DossierStatus.REFUSED,
        ]
    )
    awarded = Dossier.objects.filter(status=DossierStatus.AWARDED)
    total = awarded.count()
    assert 25 <= decided.count() <= 40
    assert 0.25 <= awarded.filter(access_route=AccessRoute.VAE).count() / total <= 0.4
    assert (
        0.15 <= awarded.filter(access_route=AccessRoute.PROFESSIONALISATION).count() / total <= 0.3
    )
    assert 0.55 <= awarded.filter(first_certification=True).count() / total <= 0.75
    assert {d.branch.code for d in decided.select_related("branch")} == {
        "metallurgie",
        "commerce-distribution",
    }


def test_every_demo_account_logs_in_with_the_documented_password(demo: str, client: Any) -> None:
    validate_password(DEMO_PASSWORD)
    for account in DEMO_ACCOUNTS:
        assert account["password"] == DEMO_PASSWORD
        # Through the real login form: django-axes needs the request.
        response = client.post(
            reverse("accounts:login"),
            {"username": account["email"], "password": account["password"]},
        )
        assert response.status_code == 302, account
        assert client.session.get("_auth_user_id"), account
        client.logout()


def test_the_secured_demo_account_asks_for_the_code_of_the_printed_key(
    demo: str, client: Any
) -> None:
    email = f"{DEMO_TOTP_ACCOUNT}@demo.cqpi.fr"
    client.post(reverse("accounts:login"), {"username": email, "password": DEMO_PASSWORD})
    verify = reverse("accounts:two_factor_verify")
    assert client.get(reverse("home"))["Location"].startswith(verify)

    # What an authenticator app computes from the key the command printed.
    key = base64.b32decode(DEMO_TOTP_SECRET)
    code = f"{totp(key):06d}"
    response = client.post(verify, {"token": code})

    assert response.status_code == 302
    assert client.get(reverse("candidates:dossier_list")).status_code == 200
    assert f"{email} demande aussi un code" in demo and DEMO_TOTP_SECRET in demo


def test_every_role_has_a_demo_account(demo: str) -> None:
    users = get_user_model().objects.filter(email__endswith="@demo.cqpi.fr")
    assert users.filter(is_superuser=True).exists()
    assert users.filter(is_coc_observer=True).exists()
    for code in ("metallurgie", "commerce-distribution"):
        branch = Branch.objects.get(code=code)
        memberships = Membership.objects.filter(branch=branch, user__in=users)
        assert memberships.filter(role=Role.STAFF).exists()
        assert memberships.filter(role=Role.REFERENT, company__branch=branch).exists()
        for college in College.values:
            assert memberships.filter(role=Role.JURY, college=college).exists()
        assert EvaluatorHabilitation.objects.filter(branch=branch, evaluator__in=users).exists()
    assert ConflictOfInterest.objects.filter(evaluator__in=users).exists()
    assert Candidate.objects.filter(user__in=users).count() == 3


def test_the_demo_people_see_their_objects_through_their_grants(demo: str) -> None:
    """Référents see their company, evaluators their grids, jury members their sessions: the
    demo writes the grants the scoping querysets read."""
    from evaluations.models import EvaluationSheet, JurySession
    from evaluations.selectors import sheets_of

    for membership in Membership.objects.filter(role=Role.REFERENT).select_related("user"):
        assert Company.objects.visible_to(membership.user).filter(referents=membership).exists()
    for sheet in EvaluationSheet.objects.select_related("evaluator"):
        assert sheets_of(user=sheet.evaluator).filter(pk=sheet.pk).exists()
    for session in JurySession.objects.prefetch_related("members__user"):
        for member in session.members.all():
            assert JurySession.objects.visible_to(member.user).filter(pk=session.pk).exists()


def test_an_evaluator_in_conflict_is_not_offered_for_that_company(demo: str) -> None:
    conflict = ConflictOfInterest.objects.get()
    dossier = Dossier.objects.filter(
        company=conflict.company, version__referentiel=conflict.referentiel
    ).first()
    assert dossier is not None
    assert conflict.evaluator not in selectors.eligible_evaluators(dossier=dossier)


def test_companies_have_valid_sirets(demo: str) -> None:
    companies = Company.objects.all()
    assert companies.count() >= 4
    assert all(siret_is_valid(company.siret) for company in companies)


def test_the_command_prints_the_demo_accounts(demo: str) -> None:
    assert "Demo-CQPI-2026!" in demo
    for account in DEMO_ACCOUNTS:
        assert account["email"] in demo


def test_a_second_run_does_nothing_and_duplicates_nothing(demo: str) -> None:
    models = (get_user_model(), Company, Candidate, Dossier, Certificate, JurySession, Decision)
    before = [model._default_manager.count() for model in models]
    output = load()
    assert [model._default_manager.count() for model in models] == before
    assert "déjà chargées" in output


@override_settings(SETTINGS_MODULE="cqpi.settings.production")
def test_it_is_refused_under_the_production_settings() -> None:
    before = get_user_model().objects.count(), Dossier.objects.count()
    with pytest.raises(CommandError, match="refusées"):
        load()
    assert (get_user_model().objects.count(), Dossier.objects.count()) == before


@override_settings(SETTINGS_MODULE="cqpi.settings.base", DEBUG=False)
def test_it_is_refused_wherever_debug_is_off_outside_the_tests() -> None:
    before = get_user_model().objects.count()
    with pytest.raises(CommandError):
        load()
    assert get_user_model().objects.count() == before


@override_settings(SETTINGS_MODULE="cqpi.settings.base", DEBUG=True)
def test_it_is_allowed_in_development() -> None:
    assert refusal_reason() is None


def test_demo_certificates_get_signed_credentials_through_the_render_task(
    demo: str, settings: Any, tmp_path: Any
) -> None:
    from certifications import tasks
    from credentials.issuing import schema_errors
    from credentials.selectors import known_keys, revoked_here
    from credentials.verification import Verdict, verify_credential, verify_qr

    settings.MEDIA_ROOT = tmp_path / "media"
    picked = [
        Certificate.objects.filter(status=CertificateStatus.REVOKED).get(),
        Certificate.objects.filter(kind=CertificateKind.PARTIAL).first(),
        Certificate.objects.filter(
            kind=CertificateKind.CERTIFICATE, status=CertificateStatus.VALID
        ).first(),
    ]
    for certificate in picked:
        assert certificate is not None
        tasks.render_certificate.apply(args=(certificate.pk,))
        certificate.refresh_from_db()
        assert schema_errors(certificate.credential) == []
        expected = Verdict.VALID if certificate.is_valid else Verdict.REVOKED
        outcome = verify_credential(certificate.credential, keys=known_keys(), status=revoked_here)
        assert outcome.verdict == expected
        assert (
            verify_qr(certificate.qr_text, keys=known_keys(), status=revoked_here).verdict
            == expected
        )


def test_the_certified_candidate_claimed_a_paper_certificate(demo: str, client: Any) -> None:
    from historic.models import HistoricCertificate
    from sampledata.demo import DEMO_DOMAIN

    record = HistoricCertificate.objects.get(claimed_at__isnull=False)
    assert record.claimed_by is not None
    assert record.claimed_by.email == f"candidat.certifie@{DEMO_DOMAIN}"
    assert record.branch.code == "metallurgie"
    client.force_login(record.claimed_by)
    page = client.get(reverse("space:ledger")).content.decode()
    assert record.number in page and "Délivré avant la plateforme" in page
