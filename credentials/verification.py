"""Check a credential (JSON) or the printed QR code's signed text against known public keys.

The keys come either from the database (the public page) or from an exported file (the
offline command): both are a mapping from verification method id to public key. No network.
"""

from __future__ import annotations

import enum
import json
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import unquote, urlsplit

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from . import proofs
from .jsonld import ContextNotVendored
from .models import STATUS_LIST_BITS


class Verdict(enum.StrEnum):
    VALID = "valid"
    REVOKED = "revoked"
    ALTERED = "altered"
    UNKNOWN = "unknown"


@dataclass(frozen=True)
class Outcome:
    verdict: Verdict
    kind: str = ""  # "credential" or "qr"
    claims: dict[str, Any] = field(default_factory=dict)
    reason: str = ""


KeyMap = Mapping[str, Ed25519PublicKey]
# (branch code, list number, position) -> revoked?, or None when the list is not known here
StatusLookup = Callable[[str, int, int], bool | None]

_STATUS_URL = re.compile(r"/issuers/(?P<code>[-a-zA-Z0-9_]+)/status/(?P<number>[0-9]+)$")


def status_place(list_url: str) -> tuple[str, int] | None:
    """The branch code and list number of one of our status list URLs."""
    found = _STATUS_URL.search(urlsplit(list_url).path)
    return (found["code"], int(found["number"])) if found else None


def branch_code_of(did: str) -> str:
    """did:web:<host>:issuers:<code> -> <code> ("" for anything else)."""
    parts = did.split(":")
    if len(parts) == 5 and parts[:2] == ["did", "web"] and parts[3] == "issuers":
        return parts[4]
    return ""


def keys_from_did_documents(documents: list[dict[str, Any]]) -> dict[str, Ed25519PublicKey]:
    found: dict[str, Ed25519PublicKey] = {}
    for document in documents:
        for method in document.get("verificationMethod") or []:
            try:
                found[method["id"]] = proofs.public_key_from_multibase(method["publicKeyMultibase"])
            except (KeyError, TypeError, proofs.ProofError):
                continue
    return found


def keys_from_export(data: dict[str, Any]) -> dict[str, Ed25519PublicKey]:
    return keys_from_did_documents(list(data.get("issuers") or []))


def qr_token(text: str) -> str:
    """The JWS of a scanned QR code: the verification URL's `#jws=` fragment, or the bare JWS."""
    text = text.strip()
    if "#" in text and "://" in text:
        fragment = urlsplit(text).fragment
        for part in fragment.split("&"):
            if part.startswith("jws="):
                return unquote(part[4:])
    return text


def verify_qr(text: str, *, keys: KeyMap, status: StatusLookup | None = None) -> Outcome:
    try:
        _header, claims = proofs.jws_parts(qr_token(text))
    except proofs.ProofError as exc:
        return Outcome(Verdict.UNKNOWN, "qr", reason=str(exc))
    # The issuer's keys (current and retired) are tried in turn: a code that claims another
    # branch than the one whose key signed it finds no key that fits.
    issuer = str(claims.get("iss", ""))
    candidates = [key for method, key in keys.items() if method.startswith(f"{issuer}#")]
    if not candidates:
        return Outcome(Verdict.UNKNOWN, "qr", claims, "signed by an issuer not known here")
    for key in candidates:
        try:
            proofs.jws_verify(qr_token(text), public_key=key)
            break
        except proofs.ProofError:
            continue
    else:
        return Outcome(Verdict.ALTERED, "qr", claims, "no key of its issuer signed this content")
    index = claims.get("idx")
    if status is not None and isinstance(index, int) and index >= 0:
        number, position = divmod(index, STATUS_LIST_BITS)
        if status(branch_code_of(str(claims.get("iss", ""))), number, position):
            return Outcome(Verdict.REVOKED, "qr", claims, "revoked by its issuer")
    return Outcome(Verdict.VALID, "qr", claims)


def verify_credential(
    document: Any, *, keys: KeyMap, status: StatusLookup | None = None
) -> Outcome:
    if not isinstance(document, dict):
        return Outcome(Verdict.UNKNOWN, "credential", reason="not a JSON object")
    try:
        proof = proofs.proof_of(document)
    except proofs.ProofError as exc:
        return Outcome(Verdict.UNKNOWN, "credential", reason=str(exc))
    method = str(proof.get("verificationMethod", ""))
    key = keys.get(method)
    if key is None:
        return Outcome(Verdict.UNKNOWN, "credential", reason="signed by a key not known here")
    issuer = document.get("issuer")
    issuer_id = issuer.get("id") if isinstance(issuer, dict) else issuer
    if not method.startswith(f"{issuer_id}#"):
        return Outcome(Verdict.ALTERED, "credential", reason="the key is not the issuer's")
    try:
        proofs.verify(document, public_key=key)
    except (proofs.ProofError, ContextNotVendored) as exc:
        return Outcome(Verdict.ALTERED, "credential", reason=str(exc))
    except Exception as exc:  # a document pyld cannot even read was not made by us
        return Outcome(Verdict.ALTERED, "credential", reason=f"{type(exc).__name__}")
    entry = document.get("credentialStatus")
    if status is not None and isinstance(entry, dict):
        place = status_place(str(entry.get("statusListCredential", "")))
        try:
            revoked = status(*place, int(entry["statusListIndex"])) if place else None
        except (KeyError, ValueError, TypeError):
            revoked = None
        if revoked:
            return Outcome(Verdict.REVOKED, "credential", document, "revoked by its issuer")
    return Outcome(Verdict.VALID, "credential", document)


def verify_text(text: str, *, keys: KeyMap, status: StatusLookup | None = None) -> Outcome:
    """A pasted credential (JSON) or QR text, whichever it is."""
    stripped = text.strip()
    if stripped.startswith("{"):
        try:
            document = json.loads(stripped)
        except ValueError:
            return Outcome(Verdict.UNKNOWN, "credential", reason="not valid JSON")
        return verify_credential(document, keys=keys, status=status)
    return verify_qr(stripped, keys=keys, status=status)
