"""The electronic seal of issued documents: a PAdES signature applied by the worker, checked on upload.

Certificates, attestations and procès-verbaux leave the renderer as PDF/A-3b and are sealed
here before they are stored. The key and certificate come from the deployment's PKCS#12 file
(settings.SEAL_PKCS12_PATH), the roots a seal must chain to from settings.SEAL_TRUST_ROOTS;
without them (development, tests) a self-signed chain is made once under
settings.SEAL_DEV_DIR, which proves nothing to anyone else (not a qualified seal).

Nothing here touches the network: no timestamp server, no OCSP or CRL fetch.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import datetime
import fcntl
import functools
import io
import logging
import os
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from django.conf import settings

logger = logging.getLogger(__name__)

# The signature field every sealed document carries (one per document).
SEAL_FIELD = "CachetCQPI"

DEV_PKCS12 = "seal.p12"
DEV_PASSPHRASE = "passphrase"  # noqa: S105 - the name of the file that holds it
DEV_TRUST_ROOTS = "root.pem"


class SealError(RuntimeError):
    """The document could not be sealed (key missing or unreadable, seal not verifiable):
    the render fails and is retried, an unsealed document is never stored."""


@dataclass(frozen=True)
class SealFiles:
    pkcs12: Path
    passphrase: str
    trust_roots: Path


# --- The development chain -------------------------------------------------------


def _generate_dev_chain(directory: Path) -> None:
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.hazmat.primitives.serialization import pkcs12
    from cryptography.x509.oid import NameOID

    now = datetime.datetime.now(datetime.UTC)
    # Each development chain is named apart, so that no two machines' seals look alike.
    tag = secrets.token_hex(4)

    def name(common_name: str) -> x509.Name:
        return x509.Name(
            [
                x509.NameAttribute(NameOID.COUNTRY_NAME, "FR"),
                x509.NameAttribute(NameOID.ORGANIZATION_NAME, "CQPI (développement)"),
                x509.NameAttribute(NameOID.COMMON_NAME, common_name),
            ]
        )

    def usage(**granted: bool) -> x509.KeyUsage:
        flags = dict.fromkeys(
            (
                "digital_signature",
                "content_commitment",
                "key_encipherment",
                "data_encipherment",
                "key_agreement",
                "key_cert_sign",
                "crl_sign",
                "encipher_only",
                "decipher_only",
            ),
            False,
        )
        return x509.KeyUsage(**{**flags, **granted})

    root_key = ec.generate_private_key(ec.SECP256R1())
    root_name = name(f"Racine de développement CQPI {tag} - NON QUALIFIÉE")
    root = (
        x509.CertificateBuilder()
        .subject_name(root_name)
        .issuer_name(root_name)
        .public_key(root_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(days=1))
        .not_valid_after(now + datetime.timedelta(days=365 * 30))
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(usage(key_cert_sign=True, crl_sign=True), critical=True)
        .add_extension(
            x509.SubjectKeyIdentifier.from_public_key(root_key.public_key()), critical=False
        )
        .sign(root_key, hashes.SHA256())
    )
    seal_key = ec.generate_private_key(ec.SECP256R1())
    seal = (
        x509.CertificateBuilder()
        .subject_name(name(f"Cachet de développement CQPI {tag} - NON QUALIFIÉ"))
        .issuer_name(root_name)
        .public_key(seal_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(days=1))
        .not_valid_after(now + datetime.timedelta(days=365 * 20))
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(usage(digital_signature=True, content_commitment=True), critical=True)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(root_key.public_key()),
            critical=False,
        )
        .sign(root_key, hashes.SHA256())
    )
    passphrase = secrets.token_urlsafe(24)
    bundle = pkcs12.serialize_key_and_certificates(
        b"cqpi-seal",
        seal_key,
        seal,
        [root],
        serialization.BestAvailableEncryption(passphrase.encode()),
    )
    # Each file is written beside its final name then renamed: a reader never sees half of one.
    for file_name, content in (
        (DEV_PASSPHRASE, passphrase.encode()),
        (DEV_PKCS12, bundle),
        (DEV_TRUST_ROOTS, root.public_bytes(serialization.Encoding.PEM)),
    ):
        partial = directory / f".{file_name}.tmp"
        partial.write_bytes(content)
        partial.chmod(0o600)
        os.replace(partial, directory / file_name)


def dev_chain(directory: Path | None = None) -> SealFiles:
    """The development seal's files, generated the first time they are asked for.

    A lock file keeps two processes (web, worker, test workers) from making two different
    chains side by side; the files are never replaced once made.
    """
    directory = Path(directory or settings.SEAL_DEV_DIR)
    directory.mkdir(parents=True, exist_ok=True)
    with open(directory / ".lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not all(
            (directory / f).is_file() for f in (DEV_PKCS12, DEV_PASSPHRASE, DEV_TRUST_ROOTS)
        ):
            _generate_dev_chain(directory)
            logger.warning(
                "made a development seal under %s: it is NOT a qualified seal", directory
            )
    return SealFiles(
        pkcs12=directory / DEV_PKCS12,
        passphrase=(directory / DEV_PASSPHRASE).read_text(encoding="utf-8").strip(),
        trust_roots=directory / DEV_TRUST_ROOTS,
    )


def configured_files() -> SealFiles:
    """The deployment's seal, or the development chain when none is configured."""
    if settings.SEAL_PKCS12_PATH:
        if not settings.SEAL_TRUST_ROOTS:
            raise SealError("SEAL_TRUST_ROOTS is required with SEAL_PKCS12_PATH")
        return SealFiles(
            pkcs12=Path(settings.SEAL_PKCS12_PATH),
            passphrase=settings.SEAL_PKCS12_PASSPHRASE,
            trust_roots=Path(settings.SEAL_TRUST_ROOTS),
        )
    return dev_chain()


def _outside_event_loop(call: Callable[[], Any]) -> Any:
    """Run pyHanko's synchronous API, which calls asyncio.run(): in a thread of its own when
    the caller's thread already runs an event loop (an async view, a browser test's driver)."""
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return call()
    with concurrent.futures.ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(call).result()


# --- The kit: signer and trust roots, loaded once per process -----------------------


@dataclass(frozen=True)
class SealKit:
    signer: Any  # pyhanko.sign.signers.SimpleSigner
    trust_roots: tuple[Any, ...]  # asn1crypto.x509.Certificate
    seal_subject: Any  # asn1crypto.x509.Name of the seal's own certificate
    # Room for the signature container in each document: its certificates plus the signature
    # and its attributes. Fixed once, so pyHanko does not sign a dummy document to estimate it.
    bytes_reserved: int


def _read_roots(path: Path) -> tuple[Any, ...]:
    from asn1crypto import pem
    from asn1crypto import x509 as asn1_x509

    data = path.read_bytes()
    if pem.detect(data):
        return tuple(asn1_x509.Certificate.load(der) for _, _, der in pem.unarmor(data, True))
    return (asn1_x509.Certificate.load(data),)


@functools.lru_cache(maxsize=4)
def _load_kit(files: SealFiles) -> SealKit:
    from pyhanko.sign import signers

    try:
        signer = signers.SimpleSigner.load_pkcs12(
            str(files.pkcs12), passphrase=files.passphrase.encode() or None
        )
        roots = _read_roots(files.trust_roots)
    except (OSError, ValueError) as exc:
        raise SealError(f"the seal's key or trust roots cannot be read: {exc}") from exc
    if signer is None or not roots:
        # load_pkcs12 logs and returns None on a wrong passphrase or a broken file.
        raise SealError("the seal's PKCS#12 file cannot be opened (file or passphrase)")
    certificates = [signer.signing_cert, *signer.cert_registry]
    reserved = sum(len(c.dump()) for c in certificates) + 4096
    kit = SealKit(
        signer=signer,
        trust_roots=roots,
        seal_subject=signer.signing_cert.subject,
        bytes_reserved=reserved + reserved % 2,  # pyHanko writes it as hex: an even count
    )
    _check_chain(kit)
    return kit


def _check_chain(kit: SealKit) -> None:
    """Refuse a seal whose certificate the configured roots do not vouch for (once per process):
    every document it sealed would read "altered" on upload."""
    from pyhanko.sign.general import SigningError
    from pyhanko_certvalidator import CertificateValidator
    from pyhanko_certvalidator.errors import PathBuildingError, PathValidationError

    context = _validation_context(kit, other_certs=list(kit.signer.cert_registry))
    validator = CertificateValidator(kit.signer.signing_cert, validation_context=context)
    try:
        _outside_event_loop(
            lambda: asyncio.run(validator.async_validate_usage({"digital_signature"}))
        )
    except (PathBuildingError, PathValidationError, SigningError, ValueError) as exc:
        raise SealError(f"the seal's certificate does not chain to the trust roots: {exc}") from exc


def seal_kit() -> SealKit:
    return _load_kit(configured_files())


def _validation_context(kit: SealKit, other_certs: list[Any] | None = None) -> Any:
    from pyhanko_certvalidator import ValidationContext

    # allow_fetching=False: no OCSP or CRL request leaves the machine; the default
    # soft-fail revocation mode accepts a certificate that names no revocation source.
    return ValidationContext(
        trust_roots=list(kit.trust_roots), other_certs=other_certs, allow_fetching=False
    )


# --- Sealing -----------------------------------------------------------------------


def seal_pdf(data: bytes, *, reason: str) -> bytes:
    """The document with the deployment's seal (PAdES baseline B-B, invisible) appended as an
    incremental update. The seal's certificate was checked against the trust roots when the
    kit was loaded; pyHanko signs the very bytes it writes, so each document is not
    validated again here (the tests validate every kind)."""
    from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
    from pyhanko.sign import fields, signers

    kit = seal_kit()
    metadata = signers.PdfSignatureMetadata(
        field_name=SEAL_FIELD,
        md_algorithm="sha256",
        subfilter=fields.SigSeedSubFilter.PADES,
        reason=reason,
    )
    try:
        writer = IncrementalPdfFileWriter(io.BytesIO(data), strict=False)
        output = _outside_event_loop(
            lambda: signers.sign_pdf(
                writer, metadata, signer=kit.signer, bytes_reserved=kit.bytes_reserved
            )
        )
    except Exception as exc:
        raise SealError(f"sealing failed: {type(exc).__name__}: {exc}") from exc
    sealed: bytes = output.getvalue()
    if not sealed.startswith(data) or b"/ByteRange" not in sealed[len(data) :]:
        raise SealError("sealing produced no signed revision")
    return sealed


# --- Checking a seal -----------------------------------------------------------------


@dataclass(frozen=True)
class SealCheck:
    present: bool  # a seal of this deployment (or one its roots vouch for) is in the file
    valid: bool  # intact, made by a trusted certificate, covering the whole file
    problem: str = ""


def seal_check(data: bytes) -> SealCheck:
    """Whether the bytes carry a valid seal of this deployment; never raises on bad input."""
    from pyhanko.pdf_utils.reader import PdfFileReader
    from pyhanko.sign.validation import validate_pdf_signature
    from pyhanko.sign.validation.status import SignatureCoverageLevel

    kit = seal_kit()
    try:
        signatures = PdfFileReader(io.BytesIO(data), strict=False).embedded_signatures
    except Exception as exc:  # any malformed upload: no seal can be read from it
        return SealCheck(present=False, valid=False, problem=f"unreadable: {type(exc).__name__}")
    present = False
    problem = "no seal"
    for signature in signatures:
        try:
            ours = signature.signer_cert.subject == kit.seal_subject
            status = _outside_event_loop(
                functools.partial(validate_pdf_signature, signature, _validation_context(kit))
            )
        except Exception as exc:
            problem = f"invalid: {type(exc).__name__}"
            present = present or _signed_by_us(signature, kit)
            continue
        present = present or ours or bool(status.trusted)
        if (
            status.intact
            and status.valid
            and status.trusted
            and status.coverage == SignatureCoverageLevel.ENTIRE_FILE
        ):
            return SealCheck(present=True, valid=True)
        problem = (
            f"intact={status.intact} valid={status.valid} trusted={status.trusted} "
            f"coverage={status.coverage}"
        )
    return SealCheck(present=present, valid=False, problem=problem)


def _signed_by_us(signature: Any, kit: SealKit) -> bool:
    try:
        return bool(signature.signer_cert.subject == kit.seal_subject)
    except Exception:
        return False


# --- The issued documents an upload may be ------------------------------------------


@dataclass(frozen=True)
class IssuedDocument:
    """What the uploader of a document learns once its bytes are found among those issued."""

    kind: str  # "Certificat …", "Attestation …", "Procès-verbal …"
    number: str
    issued_on: datetime.date | None
    holder: str  # the person it names, or the branch for a procès-verbal
    title: str
    revoked: bool = False
    replaced: bool = False


# Rooms above this one (evaluations: the procès-verbaux) register how to find their own
# documents by the SHA-256 of their bytes; certificates and attestations are found here.
IssuedDocumentFinder = Callable[[str], IssuedDocument | None]
_finders: list[IssuedDocumentFinder] = []


def register_issued_document_finder(finder: IssuedDocumentFinder) -> None:
    if finder not in _finders:
        _finders.append(finder)


def issued_document_finders() -> tuple[IssuedDocumentFinder, ...]:
    return tuple(_finders)
