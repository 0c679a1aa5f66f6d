"""Every issued certificate and attestation gets a signed OB 3.0 credential in its render task."""

from __future__ import annotations

import socket
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from certifications.models import Certificate
from certifications.services import certificate_reissue, certificate_revoke, certificate_store_pdf
from credentials import keys
from credentials.issuing import schema_errors
from credentials.models import IssuerKey
from credentials.services import (
    decode_list,
    did_document,
    is_revoked,
    issuer_key_rotate,
    public_keys_export,
    status_list_credential,
)
from credentials.verification import (
    Verdict,
    keys_from_did_documents,
    keys_from_export,
    verify_credential,
    verify_qr,
)
from tests.certifications.test_views import partial_decision
from tests.workflow import award


@pytest.fixture(autouse=True)
def media_root(settings: Any, tmp_path: Any) -> Any:
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


def rendered(decision: Any) -> Certificate:
    certificate = Certificate.objects.get(decision=decision)
    return certificate_store_pdf(certificate_id=certificate.pk)


def branch_keys(branch: Any) -> dict[str, Any]:
    return keys_from_did_documents([did_document(branch=branch)])


def status_of(certificate: Certificate):  # type: ignore[no-untyped-def]
    """Revocation as a verifier reads it: from the branch's signed, published status list."""

    def lookup(code: str, number: int, position: int) -> bool | None:
        branch = certificate.branch
        if code != branch.code:
            return None
        signed = status_list_credential(branch=branch, number=number)
        assert verify_credential(signed, keys=branch_keys(branch)).verdict == Verdict.VALID
        return is_revoked(decode_list(signed["credentialSubject"]["encodedList"]), position)

    return lookup


def test_a_certificate_gets_a_signed_credential_that_passes_the_schema(cast):
    certificate = rendered(award(cast))
    credential = certificate.credential
    assert credential["type"] == ["VerifiableCredential", "OpenBadgeCredential"]
    assert schema_errors(credential) == []
    assert credential["issuer"]["id"] == keys.did_web("alpha")
    assert credential["credentialSubject"]["achievement"]["name"] == cast.referentiel.title
    assert credential["validFrom"].startswith(certificate.issued_on.isoformat())
    assert "validUntil" not in credential
    outcome = verify_credential(credential, keys=branch_keys(cast.branch_a))
    assert outcome.verdict == Verdict.VALID


def test_the_subject_is_a_salted_hash_of_the_email_and_the_name(cast):
    certificate = rendered(award(cast))
    identifiers = certificate.credential["credentialSubject"]["identifier"]
    email = [i for i in identifiers if i["identityType"] == "emailAddress"]
    assert email and email[0]["hashed"] is True and email[0]["identityHash"].startswith("sha256$")
    assert cast.candidate.email.lower() not in str(certificate.credential)
    assert {"identityType": "name", "identityHash": certificate.holder_name}.items() <= next(
        i for i in identifiers if i["identityType"] == "name"
    ).items()


def test_a_partial_attestation_carries_valid_until_and_only_what_was_validated(cast):
    certificate = rendered(partial_decision(cast))
    credential = certificate.credential
    assert schema_errors(credential) == []
    assert certificate.valid_until is not None
    assert credential["validUntil"].startswith(certificate.valid_until.isoformat())
    names = [d["name"] for d in credential["credentialSubject"]["achievement"]["resultDescription"]]
    assert names and all("B2" not in name for name in names)
    assert verify_credential(credential, keys=branch_keys(cast.branch_a)).verdict == Verdict.VALID


def test_signing_is_part_of_the_idempotent_task(cast):
    certificate = rendered(award(cast))
    again = certificate_store_pdf(certificate_id=certificate.pk)
    assert again.credential == certificate.credential
    assert IssuerKey.objects.filter(branch=cast.branch_a).count() == 1


def test_signing_reads_the_branch_with_the_locked_row_and_the_key_once(cast):
    rendered(award(cast))  # the branch's key exists from now on
    second = Certificate.objects.get(decision=award(cast))
    with CaptureQueriesContext(connection) as queries:
        certificate_store_pdf(certificate_id=second.pk)
    statements = [query["sql"] for query in queries.captured_queries]
    locked = [sql for sql in statements if "FOR UPDATE" in sql]
    assert len(locked) == 1 and '"branches_branch"' in locked[0]
    assert 'FOR UPDATE OF "certifications_certificate"' in locked[0]
    assert not [sql for sql in statements if sql.startswith('SELECT "branches_branch"')]
    assert len([sql for sql in statements if '"credentials_issuerkey"' in sql]) == 1


def test_the_qr_code_holds_the_url_and_a_jws_that_verifies_offline(cast):
    certificate = rendered(award(cast))
    exported = public_keys_export()
    assert certificate.qr_text.startswith(certificate.verification_url + "#jws=")
    outcome = verify_qr(certificate.qr_text, keys=keys_from_export(exported))
    assert outcome.verdict == Verdict.VALID
    assert outcome.claims["num"] == certificate.number
    assert outcome.claims["sub"] == certificate.holder_name


def test_the_qr_payload_fails_with_another_branchs_key(cast):
    certificate = rendered(award(cast))
    # branch B has its own key: a verifier that knows only it cannot accept branch A's code
    issuer_key_rotate(branch=cast.branch_b, by=None)
    outcome = verify_qr(certificate.qr_text, keys=branch_keys(cast.branch_b))
    assert outcome.verdict != Verdict.VALID


def test_a_changed_field_makes_the_credential_altered(cast):
    credential = rendered(award(cast)).credential
    credential["credentialSubject"]["achievement"]["name"] = "Autre CQPI"
    assert verify_credential(credential, keys=branch_keys(cast.branch_a)).verdict == Verdict.ALTERED


def test_revocation_sets_the_bit_and_the_verifier_says_revoked(cast):
    certificate = rendered(award(cast))
    lookup = status_of(certificate)
    keymap = branch_keys(cast.branch_a)
    assert verify_credential(certificate.credential, keys=keymap, status=lookup).verdict == "valid"
    certificate_revoke(certificate=certificate, reason="Fraude", by=cast.staff_a)
    entry = certificate.credential["credentialStatus"]
    signed = status_list_credential(branch=cast.branch_a, number=0)
    assert verify_credential(signed, keys=keymap).verdict == Verdict.VALID
    assert is_revoked(
        decode_list(signed["credentialSubject"]["encodedList"]), int(entry["statusListIndex"])
    )
    outcome = verify_credential(certificate.credential, keys=keymap, status=lookup)
    assert outcome.verdict == Verdict.REVOKED


def test_a_reissue_gets_a_new_credential_and_the_old_one_is_revoked(cast):
    certificate = rendered(award(cast))
    replacement = certificate_reissue(
        certificate=certificate,
        by=cast.staff_a,
        reason="Nom mal orthographié",
        holder_last_name="Durant",
    )
    replacement = certificate_store_pdf(certificate_id=replacement.pk)
    assert replacement.credential["id"] != certificate.credential["id"]
    assert replacement.credential_status_index != certificate.credential_status_index
    keymap = branch_keys(cast.branch_a)
    assert (
        verify_credential(
            certificate.credential, keys=keymap, status=status_of(certificate)
        ).verdict
        == "revoked"
    )
    assert (
        verify_credential(
            replacement.credential, keys=keymap, status=status_of(replacement)
        ).verdict
        == "valid"
    )


def test_rotation_keeps_old_credentials_valid(cast):
    old = rendered(award(cast))
    issuer_key_rotate(branch=cast.branch_a, by=None)
    document = did_document(branch=cast.branch_a)
    assert len(document["verificationMethod"]) == 2
    keymap = branch_keys(cast.branch_a)
    assert verify_credential(old.credential, keys=keymap).verdict == Verdict.VALID
    assert verify_qr(old.qr_text, keys=keymap).verdict == Verdict.VALID
    new = rendered(award(cast, candidate=cast.other_candidate))
    assert (
        new.credential["proof"][0]["verificationMethod"]
        != old.credential["proof"][0]["verificationMethod"]
    )
    assert verify_credential(new.credential, keys=keymap).verdict == Verdict.VALID


def test_private_keys_are_stored_encrypted(cast):
    rendered(award(cast))
    key = IssuerKey.objects.get(branch=cast.branch_a)
    private = keys.decrypt_private_key(
        key.encrypted_private_key, public_key_multibase=key.public_key_multibase
    )
    raw = private.private_bytes_raw()
    assert raw not in bytes(key.encrypted_private_key)


def test_the_render_task_makes_no_network_request_while_signing(cast, monkeypatch):
    decision = award(cast)

    def refuse(*args: Any, **kwargs: Any) -> None:
        raise AssertionError("network access while signing")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket, "getaddrinfo", refuse)
    certificate = rendered(decision)
    assert certificate.credential["proof"][0]["proofValue"]


def test_a_revoked_certificates_qr_code_says_revoked_where_the_list_is_known(cast):
    certificate = rendered(award(cast))
    keymap = branch_keys(cast.branch_a)
    assert (
        verify_qr(certificate.qr_text, keys=keymap, status=status_of(certificate)).verdict
        == "valid"
    )
    certificate_revoke(certificate=certificate, reason="Fraude", by=cast.staff_a)
    outcome = verify_qr(certificate.qr_text, keys=keymap, status=status_of(certificate))
    assert outcome.verdict == Verdict.REVOKED


def test_the_printed_qr_code_scans_to_a_payload_that_verifies_offline(cast):
    """What a phone reads off the PDF itself: the image embedded in the sealed document."""
    import io

    import pypdf
    import zxingcpp

    certificate = rendered(award(cast))
    with certificate.pdf.open("rb") as handle:
        page = pypdf.PdfReader(io.BytesIO(handle.read())).pages[0]
    found = [zxingcpp.read_barcode(image.image) for image in page.images]
    texts = [barcode.text for barcode in found if barcode is not None]
    assert texts == [certificate.qr_text]
    outcome = verify_qr(texts[0], keys=keys_from_export(public_keys_export()))
    assert outcome.verdict == Verdict.VALID
    assert outcome.claims["num"] == certificate.number
