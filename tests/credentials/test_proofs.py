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


# --- The W3C vc-di-eddsa test vector (eddsa-rdfc-2022, "Alumni Credential") --------------

W3C = VENDOR_DIR / "test-vectors" / "w3c-eddsa-rdfc-2022"
W3C_EXAMPLES = "https://www.w3.org/ns/credentials/examples/v2"


def w3c_loader(url: str, options: dict[str, Any] | None = None) -> dict[str, Any]:
    """The vendored contexts plus the W3C's example vocabulary, for this vector only: not
    tagged static, so that pyld's process-wide cache never serves it to the application."""
    if url == W3C_EXAMPLES:
        document = json.loads((W3C / "credentials-examples-v2.jsonld").read_text("utf-8"))
        return {"contextUrl": None, "documentUrl": url, "document": document}
    from credentials.jsonld import vendored_loader

    return vendored_loader(url, options)


def w3c_key() -> Ed25519PrivateKey:
    secret = json.loads((W3C / "keyPair.json").read_text("utf-8"))["privateKeyMultibase"]
    decoded = proofs.base58btc_decode(secret[1:])
    assert decoded[:2] == b"\x80\x26"  # multicodec ed25519-priv
    return Ed25519PrivateKey.from_private_bytes(decoded[2:])


def test_the_w3c_vector_is_reproduced_byte_for_byte():
    unsigned = json.loads((W3C / "unsigned.json").read_text("utf-8"))
    published = json.loads((W3C / "signedDataInt.json").read_text("utf-8"))
    canonical = canonize(unsigned, loader=w3c_loader)
    assert canonical == (W3C / "canonDocDataInt.txt").read_text("utf-8")
    assert hashlib.sha256(canonical.encode()).hexdigest() == (
        (W3C / "docHashDataInt.txt").read_text("utf-8").strip()
    )
    options = {k: v for k, v in published["proof"].items() if k != "proofValue"}
    signed = proofs.sign(
        unsigned,
        private_key=w3c_key(),
        verification_method=options["verificationMethod"],
        created=options["created"],
        loader=w3c_loader,
    )
    assert signed["proof"]["proofValue"] == published["proof"]["proofValue"]
    signature = proofs.base58btc_decode(signed["proof"]["proofValue"][1:]).hex()
    assert signature == (W3C / "sigHexDataInt.txt").read_text("utf-8").strip()
    keypair = json.loads((W3C / "keyPair.json").read_text("utf-8"))
    assert proofs.public_key_multibase(w3c_key().public_key()) == keypair["publicKeyMultibase"]
    proofs.verify(published, public_key=w3c_key().public_key(), loader=w3c_loader)


def test_the_application_loader_refuses_the_w3c_example_context():
    unsigned = json.loads((W3C / "unsigned.json").read_text("utf-8"))
    with pytest.raises(ContextNotVendored):
        canonize(unsigned)
