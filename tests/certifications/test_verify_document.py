"""The public "Vérifier un document" page: a PDF uploaded by anyone is authentic, altered,
revoked or unknown, and an unknown one is told nothing more."""

from __future__ import annotations

import hashlib
import html
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse

from certifications.rendering import render_pdf
from certifications.services import certificate_revoke, certificate_store_pdf
from certifications.verification import Verdict, document_verify
from evaluations.minutes import minutes_store_pdf
from tests.certifications.pdfs import stored_pdf
from tests.certifications.test_sealing import minutes_pdf, one_byte_changed
from tests.evaluations.test_minutes import closed_session
from tests.workflow import award

URL = reverse("certifications:verify_document")


@pytest.fixture(autouse=True)
def media_root(settings: Any, tmp_path: Any) -> Any:
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


@pytest.fixture
def issued(cast: Any) -> tuple[Any, bytes]:
    decision = award(cast)
    certificate = certificate_store_pdf(certificate_id=decision.certificates.get().pk)
    return certificate, stored_pdf(certificate)


def upload(client: Client, data: bytes, name: str = "certificat.pdf") -> Any:
    return client.post(URL, {"document": SimpleUploadedFile(name, data, "application/pdf")})


UNSEALED_HTML = (
    '<html lang="fr"><head><title>Faux</title></head><body><p>Certificat</p></body></html>'
)


def test_anyone_gets_the_form_and_the_verification_page_links_to_it(client, db):
    response = client.get(URL)
    assert response.status_code == 200
    assert b'enctype="multipart/form-data"' in response.content
    assert b"csrfmiddlewaretoken" in response.content
    assert response["X-Robots-Tag"] == "noindex, nofollow"
    not_found = client.get(reverse("certifications:verify", args=["inconnu-0000"]))
    assert URL.encode() in not_found.content


def test_an_issued_certificate_is_authentic_and_unaltered(client, issued):
    certificate, data = issued
    response = upload(client, data)
    assert response.status_code == 200
    page = response.content.decode()
    assert "Document authentique et non modifié" in page
    assert "cachet électronique est valide" in page
    assert certificate.number in page and certificate.holder_name in page


def test_a_signed_in_user_may_check_a_document_too(client, cast, issued):
    client.force_login(cast.outsider)
    assert "Document authentique" in upload(client, issued[1]).content.decode()


def test_one_changed_byte_says_altered_and_names_nothing(client, issued):
    certificate, data = issued
    page = upload(client, one_byte_changed(data)).content.decode()
    assert "Document modifié" in page
    assert certificate.number not in page and certificate.holder_name not in page


def test_bytes_appended_after_the_seal_say_altered(client, issued):
    _certificate, data = issued
    page = upload(client, data + b"\n% ajout\n").content.decode()
    assert "Document modifié" in page


def test_a_revoked_certificate_says_revoked(client, cast, issued):
    certificate, data = issued
    certificate_revoke(certificate=certificate, reason="Fraude constatée", by=cast.staff_a)
    page = html.unescape(upload(client, data).content.decode())
    assert "n'est plus valable" in page and "révoqué" in page
    assert "Fraude" not in page  # the reason is the holder's, not a verifier's


def test_sealed_minutes_are_recognised(client, cast):
    session = closed_session(cast)
    minutes_store_pdf(session_id=session.pk)
    page = upload(client, minutes_pdf(session), name="pv.pdf").content.decode()
    assert "Document authentique et non modifié" in page
    assert "Procès-verbal du jury paritaire" in page


def test_an_unknown_document_is_told_nothing(client, issued):
    certificate, _data = issued
    first = upload(client, render_pdf(UNSEALED_HTML))
    second = upload(client, render_pdf(UNSEALED_HTML.replace("Faux", "Autre")))
    assert first.status_code == second.status_code == 200
    page = html.unescape(first.content.decode())
    assert "Ce document n'est pas reconnu" in page
    assert certificate.number not in page and "Faux" not in page
    verdict = page.split('role="status"')[1].split("</p>")[0]
    assert (
        verdict == html.unescape(second.content.decode()).split('role="status"')[1].split("</p>")[0]
    )


def test_a_document_issued_before_sealing_is_recognised_by_its_bytes(client, issued):
    certificate, _data = issued
    unsealed = render_pdf(UNSEALED_HTML)
    certificate.pdf_sha256 = hashlib.sha256(unsealed).hexdigest()
    certificate.save(update_fields=["pdf_sha256"])
    page = upload(client, unsealed).content.decode()
    assert "Document authentique" in page and "avant la mise en place du cachet" in page


@pytest.mark.parametrize(
    ("name", "content"),
    [
        ("certificat.pdf", b"\x89PNG\r\n\x1a\n" + b"\x00" * 200),
        ("certificat.pdf", b"<html><body>pas un PDF</body></html>"),
    ],
)
def test_a_file_that_is_not_a_pdf_is_refused_in_french(client, db, name, content):
    response = upload(client, content, name=name)
    assert response.status_code == 400
    assert "Type de fichier non accepté" in response.content.decode()


def test_an_oversized_file_is_refused_in_french(client, issued, settings):
    settings.VERIFY_UPLOAD_MAX_BYTES = 1000
    response = upload(client, issued[1])
    assert response.status_code == 400
    assert "dépasse la taille maximale" in response.content.decode()


def test_a_post_without_a_file_re_renders_the_form(client, db):
    response = client.post(URL, {})
    assert response.status_code == 400
    assert b"document" in response.content


def test_the_form_is_csrf_protected(db, issued):
    client = Client(enforce_csrf_checks=True)
    assert upload(client, issued[1]).status_code == 403


def test_the_page_is_throttled_with_the_verification_codes(client, monkeypatch, db):
    from core.api.throttles import VerifyThrottle

    monkeypatch.setattr(VerifyThrottle, "THROTTLE_RATES", {"verify": "3/minute"})
    code_page = reverse("certifications:verify", args=["inconnu-0000"])
    answers = [client.get(URL).status_code, client.get(code_page).status_code]
    answers += [client.post(URL, {}).status_code, client.get(URL).status_code]
    assert answers == [200, 404, 400, 429]


def test_the_verdict_costs_one_query_per_kind_of_document(issued, django_assert_num_queries):
    _certificate, data = issued
    with django_assert_num_queries(1):
        assert document_verify(data=data).verdict == Verdict.AUTHENTIC
    with django_assert_num_queries(2):  # certificates, then procès-verbaux
        assert document_verify(data=render_pdf(UNSEALED_HTML)).verdict == Verdict.UNKNOWN


# --- The API twin ---------------------------------------------------------------------------

API_URL = "/api/v1/verify/document/"


def api_upload(client: Client, data: bytes, name: str = "certificat.pdf") -> Any:
    return client.post(API_URL, {"document": SimpleUploadedFile(name, data, "application/pdf")})


def test_the_api_says_authentic_with_the_document(client, issued):
    certificate, data = issued
    response = api_upload(client, data)
    assert response.status_code == 200
    body = response.json()
    assert body["verdict"] == "authentic" and body["unsealed"] is False
    assert body["document"]["number"] == certificate.number
    assert response["Cache-Control"] == "no-store"


def test_the_api_says_altered_or_unknown_with_no_document(client, issued):
    altered = api_upload(client, one_byte_changed(issued[1])).json()
    assert altered["verdict"] == "altered" and altered["document"] is None
    unknown = api_upload(client, render_pdf(UNSEALED_HTML)).json()
    assert unknown == {
        "verdict": "unknown",
        "message": "Ce document n'est pas reconnu.",
        "unsealed": False,
        "document": None,
    }


def test_the_api_refuses_what_is_not_a_pdf_with_a_400(client, db):
    response = api_upload(client, b"<html>pas un PDF</html>")
    assert response.status_code == 400
    assert "Type de fichier non accepté" in response.content.decode()
    assert client.post(API_URL, {}).status_code == 400


def test_the_api_shares_the_page_s_throttle(client, monkeypatch, db):
    from core.api.throttles import VerifyThrottle

    monkeypatch.setattr(VerifyThrottle, "THROTTLE_RATES", {"verify": "2/minute"})
    assert client.get(URL).status_code == 200
    assert client.post(API_URL, {}).status_code == 400
    assert client.post(API_URL, {}).status_code == 429
