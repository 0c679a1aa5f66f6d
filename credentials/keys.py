"""The secret that encrypts the branches' private keys, and the did:web names of the issuers.

In production the secret comes from CREDENTIALS_KEY_SECRET (or its _FILE), required by the
production settings; in development and tests one is made once under CREDENTIALS_DEV_DIR.
"""

from __future__ import annotations

import base64
import fcntl
import functools
import logging
import os
import secrets
from pathlib import Path
from urllib.parse import quote, urlsplit

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.serialization import Encoding, NoEncryption, PrivateFormat
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

logger = logging.getLogger(__name__)

DEV_SECRET = "key-secret"  # noqa: S105 - the name of the file that holds it


def _decode_secret(text: str) -> bytes:
    try:
        raw = base64.urlsafe_b64decode(text.strip() + "=" * (-len(text.strip()) % 4))
    except ValueError as exc:
        raise ImproperlyConfigured("CREDENTIALS_KEY_SECRET must be base64url") from exc
    if len(raw) != 32:
        raise ImproperlyConfigured("CREDENTIALS_KEY_SECRET must hold 32 bytes (base64url)")
    return raw


def new_secret() -> str:
    """A fresh secret, as CREDENTIALS_KEY_SECRET expects it."""
    return base64.urlsafe_b64encode(secrets.token_bytes(32)).decode().rstrip("=")


def _dev_secret(directory: Path) -> str:
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / DEV_SECRET
    with open(directory / ".lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not path.is_file():
            partial = directory / f".{DEV_SECRET}.tmp"
            partial.write_text(new_secret(), encoding="utf-8")
            partial.chmod(0o600)
            os.replace(partial, path)
            logger.warning("made a development credentials secret under %s", directory)
    return path.read_text(encoding="utf-8")


@functools.cache
def _secret(configured: str, dev_dir: str) -> bytes:
    return _decode_secret(configured or _dev_secret(Path(dev_dir)))


def secret() -> bytes:
    return _secret(settings.CREDENTIALS_KEY_SECRET, str(settings.CREDENTIALS_DEV_DIR))


def _aad(public_key_multibase: str) -> bytes:
    # Binds each ciphertext to its public key: a row's ciphertext copied to another row fails.
    return f"cqpi-issuer-key:{public_key_multibase}".encode()


def encrypt_private_key(key: Ed25519PrivateKey, *, public_key_multibase: str) -> bytes:
    raw = key.private_bytes(Encoding.Raw, PrivateFormat.Raw, NoEncryption())
    nonce = secrets.token_bytes(12)
    return nonce + AESGCM(secret()).encrypt(nonce, raw, _aad(public_key_multibase))


def decrypt_private_key(
    blob: bytes | memoryview, *, public_key_multibase: str
) -> Ed25519PrivateKey:
    blob = bytes(blob)
    raw = AESGCM(secret()).decrypt(blob[:12], blob[12:], _aad(public_key_multibase))
    return Ed25519PrivateKey.from_private_bytes(raw)


# --- Names -------------------------------------------------------------------------


def did_web(branch_code: str) -> str:
    """did:web:<host>:issuers:<branch>, resolved to <SITE_URL host>/issuers/<branch>/did.json."""
    host = urlsplit(settings.SITE_URL).netloc
    return f"did:web:{quote(host, safe='')}:issuers:{branch_code}"


def verification_method(branch_code: str, public_key_multibase: str) -> str:
    return f"{did_web(branch_code)}#{public_key_multibase}"


def did_document_url(branch_code: str) -> str:
    return f"{settings.SITE_URL}/issuers/{branch_code}/did.json"


def status_list_url(branch_code: str, number: int) -> str:
    return f"{settings.SITE_URL}/issuers/{branch_code}/status/{number}"
