"""eddsa-rdfc-2022 proofs and compact JWS: the published test vector, tampering, no network."""

from __future__ import annotations

import hashlib
import json
import socket
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from credentials import proofs
from credentials.jsonld import VENDOR_DIR, ContextNotVendored, canonize

VECTOR = json.loads(
    (VENDOR_DIR / "test-vectors" / "obv3p0-eddsa-rdfc-2022.json").read_text(encoding="utf-8")
)


def vector_key() -> Ed25519PrivateKey:
    # The vector gives the 64-byte secret key (seed then public key): the seed is the key.
    return Ed25519PrivateKey.from_private_bytes(
        bytes.fromhex(VECTOR["keyPair"]["privateKeyHex"])[:32]
    )


def signed_vector() -> dict[str, Any]:
    return proofs.sign(
        VECTOR["credential"],
        private_key=vector_key(),
        verification_method=VECTOR["proofOptions"]["verificationMethod"],
        created=VECTOR["proofOptions"]["created"],
    )


def test_the_canonical_document_is_the_published_one_byte_for_byte():
    published = (VENDOR_DIR / "test-vectors" / "document-canon.txt").read_text(encoding="utf-8")
    canonical = canonize(VECTOR["credential"])
    assert canonical == published
    assert hashlib.sha256(canonical.encode()).hexdigest() == VECTOR["documentHashHex"]


def test_the_canonical_proof_options_are_the_published_ones_byte_for_byte():
    published = (VENDOR_DIR / "test-vectors" / "proof-canon.txt").read_text(encoding="utf-8")
    options = {**VECTOR["proofOptions"], "@context": VECTOR["credential"]["@context"]}
    assert canonize(options) == published
    assert hashlib.sha256(published.encode()).hexdigest() == VECTOR["proofHashHex"]


def test_the_key_pair_is_the_published_multikey():
    public = vector_key().public_key()
    assert proofs.public_key_multibase(public) == VECTOR["keyPair"]["publicKeyMultibase"]
    assert proofs.public_key_from_multibase(VECTOR["keyPair"]["publicKeyMultibase"]) == public


def test_the_proof_is_the_published_one_byte_for_byte():
    proof = signed_vector()["proof"]
    assert proofs.base58btc_decode(proof["proofValue"][1:]).hex() == VECTOR["signatureHex"]
    assert proof == {**VECTOR["proofOptions"], "proofValue": VECTOR["proofValue"]}


def test_the_published_credential_verifies():
    proofs.verify(signed_vector(), public_key=vector_key().public_key())


@pytest.mark.parametrize(
    "change",
    [
        lambda d: d.update(name="Leadership Badge"),
        lambda d: d["credentialSubject"]["achievement"].update(name="Teamwork!"),
        lambda d: d.update(validFrom="2011-01-01T00:00:00Z"),
        lambda d: d["proof"].update(created="2010-01-02T19:23:24Z"),
    ],
)
def test_a_changed_field_breaks_the_proof(change):
    document = signed_vector()
    change(document)
    with pytest.raises(proofs.ProofError):
        proofs.verify(document, public_key=vector_key().public_key())


def test_another_key_does_not_verify():
    with pytest.raises(proofs.ProofError):
        proofs.verify(signed_vector(), public_key=Ed25519PrivateKey.generate().public_key())


def test_a_context_that_is_not_vendored_is_refused_not_fetched():
    document = {
        **VECTOR["credential"],
        "@context": [*VECTOR["credential"]["@context"], "https://example.org/ctx"],
    }
    with pytest.raises(ContextNotVendored):
        canonize(document)


def test_signing_and_verifying_make_no_network_request(monkeypatch):
    def refuse(*args: Any, **kwargs: Any) -> None:
        raise AssertionError("network access while signing or verifying")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)
    monkeypatch.setattr(socket, "getaddrinfo", refuse)
    proofs.verify(signed_vector(), public_key=vector_key().public_key())
    token = proofs.jws_sign({"num": "1"}, private_key=vector_key(), kid="k")
    assert proofs.jws_verify(token, public_key=vector_key().public_key()) == {"num": "1"}


def test_a_jws_with_a_changed_payload_fails():
    key = vector_key()
    token = proofs.jws_sign({"num": "CQPI-1"}, private_key=key, kid="k")
    header, _payload, signature = token.split(".")
    forged = proofs.jws_sign({"num": "CQPI-2"}, private_key=Ed25519PrivateKey.generate(), kid="k")
    with pytest.raises(proofs.ProofError):
        proofs.jws_verify(
            f"{header}.{forged.split('.')[1]}.{signature}", public_key=key.public_key()
        )
