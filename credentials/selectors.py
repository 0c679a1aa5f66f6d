"""Reads of the credentials room: the published keys and the revocation bits, for verifying."""

from __future__ import annotations

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from . import keys, proofs
from .models import IssuerKey, StatusList


def known_keys() -> dict[str, Ed25519PublicKey]:
    """Every key any branch ever signed with (current and retired), by verification method."""
    return {
        keys.verification_method(code, multibase): proofs.public_key_from_multibase(multibase)
        for code, multibase in IssuerKey.objects.values_list("branch__code", "public_key_multibase")
    }


def revoked_here(code: str, number: int, position: int) -> bool | None:
    """Whether a position of one of our status lists is set; None for a list we do not have."""
    bits = (
        StatusList.objects.filter(branch__code=code, number=number)
        .values_list("bits", flat=True)
        .first()
    )
    if bits is None or not 0 <= position < len(bits) * 8:
        return None
    byte, bit = divmod(position, 8)
    return bool(bytes(bits)[byte] & (0x80 >> bit))
