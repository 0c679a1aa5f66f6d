"""Adoption and validation of CQPI, versions, and the certificate's life (revocation, retry)."""

from __future__ import annotations

import datetime

import pytest
from django.core.exceptions import PermissionDenied

from certifications import services
from certifications.models import (
    Bloc,
    Capacity,
    Certificate,
    CertificateStatus,
    ReferentielStatus,
    ReferentielVersion,
    RenderStatus,
    VersionStatus,
)
from core.errors import DomainError, InvalidTransition
from tests.factories import ReferentielFactory
from tests.workflow import award


class TestReferentielValidation:
    def draft(self, cast):  # type: ignore[no-untyped-def]
        referentiel = ReferentielFactory.create(status=ReferentielStatus.DRAFT, validated_on=None)
        version = ReferentielVersion.objects.create(
            referentiel=referentiel, number=1, effective_from=datetime.date(2024, 1, 1)
        )
        bloc = Bloc.objects.create(version=version, code="B1", title="Bloc")
        Capacity.objects.create(bloc=bloc, code="C1", title="Capacité")
        services.version_publish(version=version, by=cast.admin)
        return referentiel

    def test_a_cqpi_adopted_by_one_branch_cannot_be_validated(self, cast):
        referentiel = self.draft(cast)
        services.referentiel_adopt(
            referentiel=referentiel,
            branch=cast.branch_a,
            accord_date=datetime.date(2024, 2, 1),
            by=cast.staff_a,
        )
        with pytest.raises(DomainError) as info:
            services.referentiel_validate(referentiel=referentiel, by=cast.admin)
        assert info.value.code == "not_enough_adoptions"
        referentiel.refresh_from_db()
        assert referentiel.status == ReferentielStatus.DRAFT

    def test_two_adopting_branches_validate_it(self, cast):
        referentiel = self.draft(cast)
        for staff, branch in ((cast.staff_a, cast.branch_a), (cast.staff_b, cast.branch_b)):
            services.referentiel_adopt(
                referentiel=referentiel,
                branch=branch,
                accord_date=datetime.date(2024, 2, 1),
                by=staff,
            )
        services.referentiel_validate(referentiel=referentiel, by=cast.admin)
        assert referentiel.status == ReferentielStatus.VALIDATED

    def test_a_branch_adopts_only_for_itself_and_once(self, cast):
        referentiel = self.draft(cast)
        with pytest.raises(PermissionDenied):
            services.referentiel_adopt(
                referentiel=referentiel,
                branch=cast.branch_a,
                accord_date=datetime.date(2024, 2, 1),
                by=cast.staff_b,
            )
        services.referentiel_adopt(
            referentiel=referentiel,
            branch=cast.branch_a,
            accord_date=datetime.date(2024, 2, 1),
            by=cast.staff_a,
        )
        with pytest.raises(DomainError):
            services.referentiel_adopt(
                referentiel=referentiel,
                branch=cast.branch_a,
                accord_date=datetime.date(2024, 3, 1),
                by=cast.staff_a,
            )

    def test_only_a_national_administrator_validates(self, cast):
        referentiel = self.draft(cast)
        with pytest.raises(PermissionDenied):
            services.referentiel_validate(referentiel=referentiel, by=cast.staff_a)


class TestVersions:
    def test_publishing_a_new_version_retires_the_old_one_and_dossiers_keep_theirs(self, cast):
        from tests.workflow import open_dossier

        dossier = open_dossier(cast)
        new = ReferentielVersion.objects.create(
            referentiel=cast.referentiel, number=2, effective_from=datetime.date(2026, 1, 1)
        )
        bloc = Bloc.objects.create(version=new, code="B1", title="Nouveau bloc")
        Capacity.objects.create(bloc=bloc, code="C1", title="Nouvelle capacité")
        services.version_publish(version=new, by=cast.admin)
        cast.version.refresh_from_db()
        assert cast.version.status == VersionStatus.RETIRED
        assert new.status == VersionStatus.IN_FORCE
        dossier.refresh_from_db()
        assert dossier.version == cast.version

    def test_an_empty_version_cannot_be_published(self, cast):
        empty = ReferentielVersion.objects.create(
            referentiel=cast.referentiel, number=2, effective_from=datetime.date(2026, 1, 1)
        )
        with pytest.raises(DomainError):
            services.version_publish(version=empty, by=cast.admin)
        cast.version.refresh_from_db()
        assert cast.version.status == VersionStatus.IN_FORCE


class TestRevocation:
    def test_staff_revoke_with_a_reason(self, cast):
        certificate = award(cast).certificates.get()
        services.certificate_revoke(
            certificate=certificate, reason="Fraude avérée", by=cast.staff_a
        )
        certificate.refresh_from_db()
        assert certificate.status == CertificateStatus.REVOKED
        assert certificate.revocation_reason == "Fraude avérée"
        assert certificate.revoked_at is not None
        assert certificate.events.filter(action="revoked", by=cast.staff_a).exists()

    def test_revocation_needs_a_reason(self, cast):
        certificate = award(cast).certificates.get()
        with pytest.raises(DomainError):
            services.certificate_revoke(certificate=certificate, reason="  ", by=cast.staff_a)

    def test_a_revoked_certificate_cannot_be_revoked_again(self, cast):
        certificate = award(cast).certificates.get()
        services.certificate_revoke(certificate=certificate, reason="Erreur", by=cast.staff_a)
        with pytest.raises(InvalidTransition):
            services.certificate_revoke(certificate=certificate, reason="Encore", by=cast.staff_a)

    def test_staff_of_another_branch_cannot_revoke(self, cast):
        certificate = award(cast).certificates.get()
        with pytest.raises(PermissionDenied):
            services.certificate_revoke(certificate=certificate, reason="x", by=cast.staff_b)
        certificate.refresh_from_db()
        assert certificate.status == CertificateStatus.VALID


def test_a_failed_render_can_be_retried_by_staff(cast):
    certificate = award(cast).certificates.get()
    services.certificate_mark_render_failed(certificate_id=certificate.pk, error="boom")
    certificate.refresh_from_db()
    assert certificate.render_status == RenderStatus.FAILED
    services.certificate_retry_render(certificate=certificate, by=cast.staff_a)
    certificate.refresh_from_db()
    assert certificate.render_status == RenderStatus.PENDING
    with pytest.raises(InvalidTransition):
        services.certificate_retry_render(certificate=certificate, by=cast.staff_a)


def test_certificates_are_visible_to_their_holder_and_their_branch_only(cast):
    certificate = award(cast).certificates.get()
    assert list(Certificate.objects.visible_to(cast.candidate_user)) == [certificate]
    assert list(Certificate.objects.visible_to(cast.staff_a)) == [certificate]
    assert not Certificate.objects.visible_to(cast.other_candidate_user).exists()
    assert not Certificate.objects.visible_to(cast.staff_b).exists()
    assert not Certificate.objects.visible_to(cast.evaluator).exists()


@pytest.mark.parametrize(
    ("day", "months", "expected"),
    [
        (datetime.date(2026, 1, 31), 1, datetime.date(2026, 2, 28)),
        (datetime.date(2026, 11, 28), 24, datetime.date(2028, 11, 28)),
        (datetime.date(2028, 2, 29), 60, datetime.date(2033, 2, 28)),
    ],
)
def test_validity_periods_count_calendar_months(day, months, expected):
    assert services._add_months(day, months) == expected


def test_certificates_decisions_and_history_are_never_deleted(cast):
    from django.db.models.deletion import ProtectedError

    decision = award(cast)
    certificate = decision.certificates.get()
    for attempt in (
        certificate.delete,
        Certificate.objects.all().delete,
        decision.delete,
        type(decision).objects.all().delete,
        decision.dossier.history.all().delete,
        certificate.events.all().delete,
    ):
        with pytest.raises(ProtectedError):
            attempt()
    assert Certificate.objects.filter(pk=certificate.pk).exists()
    assert decision.dossier.history.count() == 6
