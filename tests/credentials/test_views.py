"""Public did:web documents, status lists and "Vérifier une attestation numérique"; the API's
credential endpoint with the portal's permissions."""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.core.cache import cache
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from branches.models import Membership
from certifications.models import Certificate
from certifications.services import certificate_revoke, certificate_store_pdf
from credentials import keys
from credentials.services import decode_list, is_revoked
from credentials.verification import Verdict, keys_from_did_documents, verify_credential
from tests.api.conftest import token_client
from tests.workflow import award

VERIFY = reverse("credentials:verify")


@pytest.fixture(autouse=True)
def media_root(settings: Any, tmp_path: Any) -> Any:
    settings.MEDIA_ROOT = tmp_path / "media"
    cache.clear()  # the verification throttle
    return settings.MEDIA_ROOT


@pytest.fixture
def issued(cast: Any) -> Certificate:
    return certificate_store_pdf(certificate_id=award(cast).certificates.get().pk)


# --- did:web and status lists ----------------------------------------------------------


def test_the_did_document_lists_the_branchs_keys(client, issued):
    response = client.get(reverse("credentials:did_document", args=["alpha"]))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/did+json"
    document = response.json()
    assert document["id"] == keys.did_web("alpha")
    keymap = keys_from_did_documents([document])
    assert verify_credential(issued.credential, keys=keymap).verdict == Verdict.VALID


def test_an_unknown_branch_has_no_did_document(client, db):
    assert client.get(reverse("credentials:did_document", args=["nulle"])).status_code == 404


def test_the_status_list_is_public_signed_and_shows_a_revocation(client, cast, issued):
    url = reverse("credentials:status_list", args=["alpha", 0])
    index = int(issued.credential["credentialStatus"]["statusListIndex"])
    before = client.get(url).json()
    assert not is_revoked(decode_list(before["credentialSubject"]["encodedList"]), index)
    certificate_revoke(certificate=issued, reason="Fraude", by=cast.staff_a)
    after = client.get(url).json()
    assert is_revoked(decode_list(after["credentialSubject"]["encodedList"]), index)
    keymap = keys_from_did_documents(
        [client.get(reverse("credentials:did_document", args=["alpha"])).json()]
    )
    assert verify_credential(after, keys=keymap).verdict == Verdict.VALID


def test_a_status_list_that_does_not_exist_is_404(client, issued):
    assert client.get(reverse("credentials:status_list", args=["alpha", 7])).status_code == 404


def test_the_api_serves_the_status_list_and_the_did_document(client, issued):
    response = client.get(reverse("api:status_list", args=["alpha", 0]))
    assert response.status_code == 200
    assert response.json()["type"] == ["VerifiableCredential", "BitstringStatusListCredential"]
    assert client.get(reverse("api:issuer", args=["alpha"])).json()["id"] == keys.did_web("alpha")


# --- The public verification page ------------------------------------------------------


def test_anyone_gets_the_form(client, db):
    response = client.get(VERIFY)
    assert response.status_code == 200
    assert b"csrfmiddlewaretoken" in response.content
    assert response["X-Robots-Tag"] == "noindex, nofollow"


def test_a_pasted_credential_is_valid(client, issued):
    response = client.post(VERIFY, {"text": json.dumps(issued.credential)})
    assert response.status_code == 200
    assert response.context["outcome"].verdict == Verdict.VALID
    assert issued.holder_name in response.content.decode()


def test_an_uploaded_credential_is_valid(client, issued):
    upload = SimpleUploadedFile(
        "badge.json", json.dumps(issued.credential).encode(), "application/json"
    )
    response = client.post(VERIFY, {"file": upload})
    assert response.context["outcome"].verdict == Verdict.VALID


def test_a_changed_credential_is_altered_and_shows_nothing_of_it(client, issued):
    credential = dict(issued.credential)
    credential["name"] = "Certificat n° 999"
    response = client.post(VERIFY, {"text": json.dumps(credential)})
    assert response.context["outcome"].verdict == Verdict.ALTERED
    assert "999" not in response.content.decode().split("<form")[0].split("</h1>")[1]


def test_a_revoked_credential_and_its_qr_code_say_revoked(client, cast, issued):
    certificate_revoke(certificate=issued, reason="Fraude", by=cast.staff_a)
    for text in (json.dumps(issued.credential), issued.qr_text):
        response = client.post(VERIFY, {"text": text})
        assert response.context["outcome"].verdict == Verdict.REVOKED


def test_the_qr_text_is_valid(client, issued):
    response = client.post(VERIFY, {"text": issued.qr_text})
    assert response.context["outcome"].verdict == Verdict.VALID
    assert issued.number in response.content.decode()


@pytest.mark.parametrize("text", ["n'importe quoi", '{"a": 1}', "https://exemple.fr/#jws=a.b.c"])
def test_anything_else_is_unknown(client, db, text):
    response = client.post(VERIFY, {"text": text})
    assert response.context["outcome"].verdict == Verdict.UNKNOWN


def test_an_empty_form_is_400(client, db):
    assert client.post(VERIFY, {}).status_code == 400


# --- The API's credential endpoint -----------------------------------------------------


def credential_url(certificate: Certificate) -> str:
    return reverse("api:certificate-credential", args=[certificate.pk])


def test_the_holder_and_the_branch_staff_get_the_credential(cast, issued):
    for user in (cast.candidate_user, cast.staff_a, cast.admin):
        response = token_client(user).get(credential_url(issued))
        assert response.status_code == 200, user
        assert response.json() == issued.credential


def test_anonymous_is_refused(client, issued):
    assert client.get(credential_url(issued)).status_code in (401, 403)


@pytest.mark.parametrize("who", ["staff_b", "other_candidate_user", "evaluator", "outsider"])
def test_other_branch_and_other_roles_do_not_see_it(cast, issued, who):
    assert token_client(getattr(cast, who)).get(credential_url(issued)).status_code == 404


def test_a_revoked_membership_loses_it(cast, issued):
    Membership.objects.filter(user=cast.staff_a).update(is_active=False)
    assert token_client(cast.staff_a).get(credential_url(issued)).status_code == 404


def test_before_the_render_it_is_409(cast):
    certificate = award(cast).certificates.get()
    assert token_client(cast.candidate_user).get(credential_url(certificate)).status_code == 409


def test_a_revoked_credential_is_gone_for_the_holder_not_for_the_staff(cast, issued):
    certificate_revoke(certificate=issued, reason="Fraude", by=cast.staff_a)
    assert token_client(cast.candidate_user).get(credential_url(issued)).status_code == 410
    assert token_client(cast.staff_a).get(credential_url(issued)).status_code == 200


def test_the_openapi_schema_documents_the_endpoints(client, db):
    schema = client.get(reverse("api:schema"), HTTP_ACCEPT="application/json").content.decode()
    for path in ("/certificates/{id}/credential/", "/issuers/{code}/status-lists/{number}/"):
        assert path in schema


def test_the_document_verification_pages_link_to_it(client, issued):
    for url in (
        reverse("certifications:verify", args=[issued.verification_code]),
        reverse("certifications:verify_document"),
    ):
        assert VERIFY.encode() in client.get(url).content


def test_verifying_takes_the_same_queries_however_many_keys_there_are(client, cast, issued):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from credentials.services import issuer_key_rotate

    text = json.dumps(issued.credential)
    with CaptureQueriesContext(connection) as few:
        client.post(VERIFY, {"text": text})
    for _ in range(3):
        issuer_key_rotate(branch=cast.branch_a, by=None)
        issuer_key_rotate(branch=cast.branch_b, by=None)
    with CaptureQueriesContext(connection) as many:
        response = client.post(VERIFY, {"text": text})
    assert response.context["outcome"].verdict == Verdict.VALID
    assert len(many) == len(few) <= 3
