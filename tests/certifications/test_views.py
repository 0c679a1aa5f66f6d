"""The public verification page and the certificate download."""

from __future__ import annotations

import datetime
import io

import pytest
from django.conf import settings
from django.shortcuts import resolve_url
from django.urls import reverse
from django.utils import translation
from django.utils.formats import date_format
from pypdf import PdfReader

from certifications.models import Capacity, Certificate, CertificateStatus, RenderStatus
from certifications.services import certificate_revoke, certificate_store_pdf
from evaluations.models import Outcome
from sampledata.jury import jury_decides
from tests.factories import CandidateFactory
from tests.workflow import award, open_session, ready_for_jury


@pytest.fixture(autouse=True)
def _media_in_tmp(settings, tmp_path):  # type: ignore[no-untyped-def]
    settings.MEDIA_ROOT = tmp_path / "media"


def certificate_of(decision) -> Certificate:  # type: ignore[no-untyped-def]
    return Certificate.objects.get(decision=decision)


def partial_decision(cast):  # type: ignore[no-untyped-def]
    """A 'validation partielle': the jury keeps the first bloc and sets the second aside."""
    dossier = ready_for_jury(cast)
    session = open_session(cast, [dossier])
    capacities = list(Capacity.objects.filter(bloc__version=cast.version))
    kept = {c.pk for c in capacities if c.bloc.code == "B1"}
    return jury_decides(
        session=session,
        dossier=dossier,
        outcome=Outcome.PARTIAL,
        validated_capacity_ids=kept,
        override_reasons={c.pk: "Observation insuffisante" for c in capacities if c.pk not in kept},
        reasons="Le bloc 2 reste à consolider.",
        by=cast.jury_employer,
    )


class TestVerify:
    def test_a_valid_certificate_says_valid_with_its_snapshot(self, client, cast):
        certificate = certificate_of(award(cast))
        response = client.get(
            reverse("certifications:verify", args=[certificate.verification_code])
        )
        assert response.status_code == 200
        body = response.content.decode()
        assert "Document valide" in body
        assert "Agent logistique" in body
        assert "Léa DURAND" in body
        assert "Branche Alpha" in body
        assert certificate.number in body
        assert "Certificat" in body

    def test_the_page_asks_search_engines_not_to_index_it(self, client, cast):
        certificate = certificate_of(award(cast))
        response = client.get(certificate.get_absolute_url())
        assert "noindex" in response["X-Robots-Tag"]

    def test_it_needs_no_login(self, client, cast):
        certificate = certificate_of(award(cast))
        response = client.get(certificate.get_absolute_url())
        assert response.status_code == 200
        assert "Document valide" in response.content.decode()

    def test_it_reads_the_snapshot_not_the_live_candidate(self, client, cast):
        certificate = certificate_of(award(cast))
        cast.candidate.last_name = "Renommée"
        cast.candidate.save()
        body = client.get(certificate.get_absolute_url()).content.decode()
        assert "Léa DURAND" in body
        assert "Renommée" not in body

    def test_a_revoked_certificate_says_revoked_with_its_date_but_not_the_reason(
        self, client, cast
    ):
        certificate = certificate_of(award(cast))
        certificate_revoke(
            certificate=certificate, reason="Fraude signalée par M. Martin", by=cast.staff_a
        )
        body = client.get(certificate.get_absolute_url()).content.decode()
        assert "Document révoqué le" in body
        assert "Document valide" not in body
        assert "Fraude" not in body

    def test_a_superseded_certificate_says_it_was_replaced(self, client, cast):
        certificate = certificate_of(award(cast))
        Certificate.objects.filter(pk=certificate.pk).update(status=CertificateStatus.SUPERSEDED)
        body = client.get(certificate.get_absolute_url()).content.decode()
        assert "Document remplacé" in body
        assert "Document valide" not in body

    def test_a_partial_attestation_shows_its_validity(self, client, cast):
        certificate = certificate_of(partial_decision(cast))
        assert certificate.valid_until is not None
        body = client.get(certificate.get_absolute_url()).content.decode()
        assert "Attestation de validation partielle" in body
        with translation.override("fr"):
            until = date_format(certificate.valid_until, "j F Y")
        assert f"jusqu'au {until}" in body

    def test_a_partial_attestation_past_its_validity_says_expired(self, client, cast):
        certificate = certificate_of(partial_decision(cast))
        Certificate.objects.filter(pk=certificate.pk).update(valid_until=datetime.date(2020, 1, 31))
        body = client.get(certificate.get_absolute_url()).content.decode()
        assert "Validité expirée" in body
        assert "Document valide" not in body

    def test_an_unknown_code_is_a_404_that_reveals_nothing(self, client, cast):
        certificate = certificate_of(award(cast))
        response = client.get(reverse("certifications:verify", args=["inconnu-0000"]))
        assert response.status_code == 404
        body = response.content.decode()
        assert "Document introuvable" in body
        for secret in ("Durand", "Agent logistique", certificate.number, "inconnu-0000"):
            assert secret not in body
        assert "noindex" in response["X-Robots-Tag"]

    def test_a_prefix_of_a_real_code_is_unknown(self, client, cast):
        certificate = certificate_of(award(cast))
        prefix = certificate.verification_code[:-1]
        response = client.get(reverse("certifications:verify", args=[prefix]))
        assert response.status_code == 404
        assert "Durand" not in response.content.decode()

    def test_a_code_in_another_case_is_unknown(self, client, cast):
        certificate = certificate_of(award(cast))
        code = certificate.verification_code
        swapped = code.swapcase()
        assert swapped != code
        response = client.get(reverse("certifications:verify", args=[swapped]))
        assert response.status_code == 404


def download_url(certificate: Certificate) -> str:
    return reverse("certifications:certificate_download", args=[certificate.pk])


@pytest.fixture
def rendered(cast) -> Certificate:  # type: ignore[no-untyped-def]
    certificate = certificate_of(award(cast))
    return certificate_store_pdf(certificate_id=certificate.pk)


class TestDownload:
    def test_anonymous_is_sent_to_log_in(self, client, rendered):
        response = client.get(download_url(rendered))
        assert response.status_code == 302
        assert response["Location"].startswith(resolve_url(settings.LOGIN_URL))

    def test_the_holder_gets_the_pdf_as_an_attachment(self, client, cast, rendered):
        client.force_login(cast.candidate_user)
        response = client.get(download_url(rendered))
        assert response.status_code == 200
        assert response["Content-Type"] == "application/pdf"
        assert response["Content-Disposition"].startswith("attachment")
        assert f'filename="{rendered.number}.pdf"' in response["Content-Disposition"]
        assert response["X-Content-Type-Options"] == "nosniff"
        data = b"".join(response.streaming_content)
        assert data.startswith(b"%PDF-")
        text = "".join(page.extract_text() for page in PdfReader(io.BytesIO(data)).pages)
        assert "Durand" in text.replace("DURAND", "Durand")

    def test_the_branch_staff_gets_the_pdf(self, client, cast, rendered):
        client.force_login(cast.staff_a)
        response = client.get(download_url(rendered))
        assert response.status_code == 200
        assert response["Content-Type"] == "application/pdf"

    def test_another_candidate_gets_a_404(self, client, cast, rendered):
        client.force_login(cast.other_candidate_user)
        assert client.get(download_url(rendered)).status_code == 404

    def test_staff_of_another_branch_gets_a_404(self, client, cast, rendered):
        client.force_login(cast.staff_b)
        assert client.get(download_url(rendered)).status_code == 404

    def test_a_jury_member_of_the_branch_gets_a_404(self, client, cast, rendered):
        client.force_login(cast.jury_employer)
        assert client.get(download_url(rendered)).status_code == 404

    def test_a_certificate_not_rendered_yet_is_a_409_saying_so(self, client, cast):
        certificate = certificate_of(award(cast))
        assert certificate.render_status == RenderStatus.PENDING
        client.force_login(cast.candidate_user)
        response = client.get(download_url(certificate))
        assert response.status_code == 409
        assert "en cours de génération" in response.content.decode()
        assert response["Retry-After"]

    def test_a_failed_render_is_a_409_saying_so(self, client, cast):
        certificate = certificate_of(award(cast))
        Certificate.objects.filter(pk=certificate.pk).update(render_status=RenderStatus.FAILED)
        client.force_login(cast.candidate_user)
        response = client.get(download_url(certificate))
        assert response.status_code == 409
        assert "pas encore pu être généré" in response.content.decode()

    def test_a_revoked_certificate_is_gone_for_its_holder(self, client, cast, rendered):
        certificate_revoke(certificate=rendered, reason="Erreur", by=cast.staff_a)
        client.force_login(cast.candidate_user)
        response = client.get(download_url(rendered))
        assert response.status_code == 410
        assert response.get("Content-Type", "").startswith("text/html")

    def test_a_revoked_certificate_stays_available_to_the_branch(self, client, cast, rendered):
        certificate_revoke(certificate=rendered, reason="Erreur", by=cast.staff_a)
        client.force_login(cast.staff_a)
        response = client.get(download_url(rendered))
        assert response.status_code == 200
        assert response["Content-Type"] == "application/pdf"

    def test_a_post_is_refused(self, client, cast, rendered):
        client.force_login(cast.candidate_user)
        assert client.post(download_url(rendered)).status_code == 405

    def test_an_unrelated_candidate_with_an_account_gets_a_404(self, client, cast, rendered):
        CandidateFactory.create(branch=cast.branch_b, user=cast.outsider)
        client.force_login(cast.outsider)
        assert client.get(download_url(rendered)).status_code == 404


def test_the_verification_page_is_throttled_with_its_api_twin(client, monkeypatch, db):
    """Codes are secrets: the page and the API share one count per address."""
    from django.core.cache import cache

    from core.api.throttles import VerifyThrottle

    cache.clear()
    monkeypatch.setattr(VerifyThrottle, "THROTTLE_RATES", {"verify": "3/minute"})
    page = reverse("certifications:verify", args=["inconnu-0000"])
    assert client.get("/api/v1/verify/inconnu-0000/").status_code == 404
    answers = [client.get(page).status_code for _ in range(3)]
    assert answers == [404, 404, 429]
    assert client.get("/api/v1/verify/inconnu-0000/").status_code == 429
