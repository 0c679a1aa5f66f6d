"""Writes of the credentials room: the branches' keys, signing, and their status lists.

Called by the certifications room (its render task signs, its revocation flips the bit)
and by the management commands; every function here runs in its caller's transaction or
its own, never reaches the network.
"""

from __future__ import annotations

import base64
import datetime
import gzip
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from django.db import IntegrityError, transaction
from django.utils import timezone

from audit.services import audit_record
from branches.models import Branch
from branches.services import counter_next

from . import keys, proofs
from .jsonld import CREDENTIALS_V2
from .models import STATUS_LIST_BITS, IssuerKey, StatusList


def _now_xsd() -> str:
    return timezone.now().astimezone(datetime.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _new_key(branch: Branch) -> IssuerKey:
    private_key = Ed25519PrivateKey.generate()
    multibase = proofs.public_key_multibase(private_key.public_key())
    return IssuerKey.objects.create(
        branch=branch,
        public_key_multibase=multibase,
        encrypted_private_key=keys.encrypt_private_key(private_key, public_key_multibase=multibase),
    )


def issuer_key_ensure(*, branch: Branch) -> IssuerKey:
    """The branch's current signing key, made the first time a credential needs one."""
    current = IssuerKey.objects.current().filter(branch=branch).first()
    if current is not None:
        return current
    try:
        with transaction.atomic():
            return _new_key(branch)
    except IntegrityError:  # made concurrently (one current key per branch)
        return IssuerKey.objects.current().get(branch=branch)


@transaction.atomic
def issuer_key_rotate(*, branch: Branch, by: Any | None) -> IssuerKey:
    """Retire the branch's current key (still published in its DID document, so what it
    signed stays valid) and make a new one that signs from now on."""
    Branch.objects.select_for_update().get(pk=branch.pk)
    old = list(IssuerKey.objects.current().select_for_update().filter(branch=branch))
    for key in old:
        key.retired_at = timezone.now()
        key.save(update_fields=["retired_at"])
    new = _new_key(branch)
    audit_record(
        "credentials.key_rotate",
        obj=new,
        branch=branch.pk,
        actor=by,
        details={"new": new.public_key_multibase, "retired": [k.public_key_multibase for k in old]},
    )
    return new


def signing_key(*, branch: Branch) -> tuple[Ed25519PrivateKey, str]:
    """The branch's current private key and its verification method id."""
    key = issuer_key_ensure(branch=branch)
    private = keys.decrypt_private_key(
        key.encrypted_private_key, public_key_multibase=key.public_key_multibase
    )
    return private, keys.verification_method(branch.code, key.public_key_multibase)


def _sign(private: Ed25519PrivateKey, method: str, document: dict[str, Any]) -> dict[str, Any]:
    signed = proofs.sign(
        document, private_key=private, verification_method=method, created=_now_xsd()
    )
    # The OB 3.0 schema wants `proof` as an array (VC 2.0 allows either form).
    signed["proof"] = [signed["proof"]]
    return signed


def credential_sign(*, branch: Branch, document: dict[str, Any]) -> dict[str, Any]:
    private, method = signing_key(branch=branch)
    return _sign(private, method, document)


def certificate_sign(
    *, branch: Branch, document: dict[str, Any], claims: dict[str, Any]
) -> tuple[dict[str, Any], str]:
    """A certificate's signed credential and its QR code's compact JWS, with one key lookup.

    The JWS names no key (`kid`): its issuer (`iss`) has only a few, which the verifier tries
    in turn. Every character saved makes the printed code less dense."""
    private, method = signing_key(branch=branch)
    jws = proofs.jws_sign(claims, private_key=private)
    return _sign(private, method, document), jws


# --- Status lists ------------------------------------------------------------------


def status_index_allocate(*, branch: Branch) -> int:
    """A new, never reused position in the branch's status lists (in the caller's transaction)."""
    return counter_next(branch=branch, kind="status_index", year=0) - 1


def _locked_list(branch: Branch, number: int) -> StatusList:
    try:
        with transaction.atomic():
            StatusList.objects.get_or_create(
                branch=branch, number=number, defaults={"bits": bytes(STATUS_LIST_BITS // 8)}
            )
    except IntegrityError:
        pass  # created concurrently
    return StatusList.objects.select_for_update().get(branch=branch, number=number)


def status_revoke(*, branch: Branch, index: int) -> None:
    """Set the revocation bit of `index`; must run inside the revocation's transaction."""
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("status_revoke must run inside the revocation's transaction")
    number, position = divmod(index, STATUS_LIST_BITS)
    status_list = _locked_list(branch, number)
    bits = bytearray(status_list.bits)
    byte, bit = divmod(position, 8)
    # Bit 0 is the most significant bit of the first byte (Bitstring Status List, 3.2).
    bits[byte] |= 0x80 >> bit
    status_list.bits = bytes(bits)
    status_list.version += 1
    status_list.save(update_fields=["bits", "version"])


def is_revoked(bits: bytes, position: int) -> bool:
    byte, bit = divmod(position, 8)
    return bool(bits[byte] & (0x80 >> bit))


def encode_list(bits: bytes | memoryview) -> str:
    # Multibase base64url ('u') of the GZIP-compressed bitstring; mtime 0 keeps it reproducible.
    compressed = gzip.compress(bytes(bits), mtime=0)
    return "u" + base64.urlsafe_b64encode(compressed).decode().rstrip("=")


def decode_list(encoded: str) -> bytes:
    if not encoded.startswith("u"):
        raise ValueError("encodedList must be multibase base64url")
    body = encoded[1:]
    return gzip.decompress(base64.urlsafe_b64decode(body + "=" * (-len(body) % 4)))


@transaction.atomic
def status_list_credential(*, branch: Branch, number: int) -> dict[str, Any]:
    """The signed BitstringStatusListCredential of one of the branch's lists, remade only
    when a bit changed since it was last signed."""
    status_list = _locked_list(branch, number)
    if status_list.signed and status_list.signed_version == status_list.version:
        return status_list.signed
    url = keys.status_list_url(branch.code, number)
    document = {
        "@context": [CREDENTIALS_V2],
        "id": url,
        "type": ["VerifiableCredential", "BitstringStatusListCredential"],
        "issuer": keys.did_web(branch.code),
        "validFrom": _now_xsd(),
        "credentialSubject": {
            "id": f"{url}#list",
            "type": "BitstringStatusList",
            "statusPurpose": "revocation",
            "encodedList": encode_list(status_list.bits),
        },
    }
    status_list.signed = credential_sign(branch=branch, document=document)
    status_list.signed_version = status_list.version
    status_list.save(update_fields=["signed", "signed_version"])
    return status_list.signed


# --- Publication -------------------------------------------------------------------


def did_document(*, branch: Branch) -> dict[str, Any]:
    """The branch's DID document: every key it ever had, current and retired."""
    did = keys.did_web(branch.code)
    methods = [
        {
            "id": f"{did}#{key.public_key_multibase}",
            "type": "Multikey",
            "controller": did,
            "publicKeyMultibase": key.public_key_multibase,
        }
        for key in IssuerKey.objects.filter(branch=branch).order_by("created_at", "pk")
    ]
    return {
        "@context": ["https://www.w3.org/ns/did/v1", "https://w3id.org/security/multikey/v1"],
        "id": did,
        "verificationMethod": methods,
        "assertionMethod": [m["id"] for m in methods],
    }


def public_keys_export() -> dict[str, Any]:
    """Every branch's public keys, for an offline verifier (`manage.py verify_credential`)."""
    return {
        "type": "CQPIPublicKeys",
        "exported": _now_xsd(),
        "issuers": [
            did_document(branch=branch)
            for branch in Branch.objects.filter(issuer_keys__isnull=False)
            .distinct()
            .order_by("code")
        ],
    }
