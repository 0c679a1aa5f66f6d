"""Data Integrity proofs with the `eddsa-rdfc-2022` cryptosuite, and compact JWS (EdDSA).

Pure functions over dictionaries and Ed25519 keys: no database, no network. The steps follow
W3C "Data Integrity EdDSA Cryptosuites v1.0", section 3.3 (transformation: RDFC-1.0;
hashing: SHA-256 of the canonical proof options, then of the canonical document;
signature: Ed25519 over the two hashes concatenated; proof value: base58btc multibase).
"""

from __future__ import annotations

import base64
import copy
import hashlib
import json
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

from .jsonld import Loader, canonize, vendored_loader

CRYPTOSUITE = "eddsa-rdfc-2022"
# The multicodec prefix of an Ed25519 public key (0xed, varint-encoded), as Multikey uses it.
_ED25519_PUB_PREFIX = b"\xed\x01"
_B58 = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz"


class ProofError(ValueError):
    """The proof is missing, malformed, or does not verify."""


def base58btc_encode(data: bytes) -> str:
    number = int.from_bytes(data, "big")
    out = ""
    while number:
        number, rest = divmod(number, 58)
        out = _B58[rest] + out
    return "1" * (len(data) - len(data.lstrip(b"\0"))) + out


def base58btc_decode(text: str) -> bytes:
    number = 0
    for char in text:
        index = _B58.find(char)
        if index < 0:
            raise ProofError("not base58btc")
        number = number * 58 + index
    body = number.to_bytes((number.bit_length() + 7) // 8, "big")
    return b"\0" * (len(text) - len(text.lstrip("1"))) + body


def public_key_multibase(key: Ed25519PublicKey) -> str:
    """The Multikey `publicKeyMultibase` of an Ed25519 public key (z6Mk…)."""
    raw = key.public_bytes(Encoding.Raw, PublicFormat.Raw)
    return "z" + base58btc_encode(_ED25519_PUB_PREFIX + raw)


def public_key_from_multibase(value: str) -> Ed25519PublicKey:
    if not value.startswith("z"):
        raise ProofError("publicKeyMultibase must be base58btc (z…)")
    decoded = base58btc_decode(value[1:])
    if not decoded.startswith(_ED25519_PUB_PREFIX) or len(decoded) != 34:
        raise ProofError("not an Ed25519 Multikey")
    return Ed25519PublicKey.from_public_bytes(decoded[2:])


def _hash_data(
    document: dict[str, Any], options: dict[str, Any], loader: Loader = vendored_loader
) -> bytes:
    unsigned = {k: v for k, v in document.items() if k != "proof"}
    # The proof options are canonicalized under the document's own contexts (spec 3.3.1).
    configuration = {**options, "@context": document["@context"]}
    proof_hash = hashlib.sha256(canonize(configuration, loader=loader).encode()).digest()
    document_hash = hashlib.sha256(canonize(unsigned, loader=loader).encode()).digest()
    return proof_hash + document_hash


def sign(
    document: dict[str, Any],
    *,
    private_key: Ed25519PrivateKey,
    verification_method: str,
    created: str,
    loader: Loader = vendored_loader,
) -> dict[str, Any]:
    """A copy of `document` with a DataIntegrityProof (eddsa-rdfc-2022) appended."""
    options = {
        "type": "DataIntegrityProof",
        "created": created,
        "verificationMethod": verification_method,
        "cryptosuite": CRYPTOSUITE,
        "proofPurpose": "assertionMethod",
    }
    signature = private_key.sign(_hash_data(document, options, loader))
    signed = copy.deepcopy(document)
    signed["proof"] = {**options, "proofValue": "z" + base58btc_encode(signature)}
    return signed


def proof_of(document: dict[str, Any]) -> dict[str, Any]:
    proof = document.get("proof")
    if isinstance(proof, list) and len(proof) == 1:
        proof = proof[0]
    if not isinstance(proof, dict):
        raise ProofError("no single proof")
    if proof.get("type") != "DataIntegrityProof" or proof.get("cryptosuite") != CRYPTOSUITE:
        raise ProofError("not an eddsa-rdfc-2022 DataIntegrityProof")
    if proof.get("proofPurpose") != "assertionMethod":
        raise ProofError("proof purpose is not assertionMethod")
    return proof


def verify(
    document: dict[str, Any], *, public_key: Ed25519PublicKey, loader: Loader = vendored_loader
) -> None:
    """Raise `ProofError` unless the document's proof is this key's signature of its content."""
    proof = proof_of(document)
    value = proof.get("proofValue")
    if not isinstance(value, str) or not value.startswith("z"):
        raise ProofError("proofValue must be base58btc multibase")
    options = {k: v for k, v in proof.items() if k != "proofValue"}
    try:
        public_key.verify(base58btc_decode(value[1:]), _hash_data(document, options, loader))
    except InvalidSignature as exc:
        raise ProofError("the signature does not match the content") from exc


# --- Compact JWS (RFC 7515) with EdDSA (RFC 8037), for the printed QR code ------------


def _b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _b64url_decode(text: str) -> bytes:
    try:
        return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
    except (ValueError, TypeError) as exc:
        raise ProofError("not base64url") from exc


def jws_sign(
    payload: dict[str, Any], *, private_key: Ed25519PrivateKey, kid: str | None = None
) -> str:
    header = {"alg": "EdDSA", **({"kid": kid} if kid else {})}
    signing_input = ".".join(
        _b64url(json.dumps(part, separators=(",", ":"), ensure_ascii=False).encode())
        for part in (header, payload)
    )
    return f"{signing_input}.{_b64url(private_key.sign(signing_input.encode()))}"


def jws_parts(token: str) -> tuple[dict[str, Any], dict[str, Any]]:
    """The header and payload of a compact JWS, unverified (to find the key by `kid`)."""
    pieces = token.strip().split(".")
    if len(pieces) != 3:
        raise ProofError("not a compact JWS")
    try:
        header = json.loads(_b64url_decode(pieces[0]))
        payload = json.loads(_b64url_decode(pieces[1]))
    except ValueError as exc:
        raise ProofError("not a compact JWS") from exc
    if not isinstance(header, dict) or not isinstance(payload, dict):
        raise ProofError("not a compact JWS")
    if header.get("alg") != "EdDSA":
        raise ProofError("only EdDSA is accepted")
    return header, payload


def jws_verify(token: str, *, public_key: Ed25519PublicKey) -> dict[str, Any]:
    """The payload of a compact JWS signed by this key, or `ProofError`."""
    _header, payload = jws_parts(token)
    signing_input, _, signature = token.strip().rpartition(".")
    try:
        public_key.verify(_b64url_decode(signature), signing_input.encode())
    except InvalidSignature as exc:
        raise ProofError("the signature does not match the content") from exc
    return payload
