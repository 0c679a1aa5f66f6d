"""Checking an uploaded PDF against the documents this deployment issued ("Vérifier un document").

A document is authentic and unaltered when its bytes are exactly those issued (their SHA-256
is stored with each certificate, attestation and procès-verbal) and it carries a valid seal of
this deployment. A document that carries our seal but whose bytes were not issued, or whose
seal no longer verifies, was altered. Anything else is unknown, and the answer says nothing more.
"""

from __future__ import annotations

import enum
import hashlib
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.utils import translation
from django.utils.translation import gettext as _

from core.uploads import PDF, inspect_upload

from .models import Certificate, CertificateStatus
from .sealing import IssuedDocument, issued_document_finders, seal_check


class Verdict(enum.StrEnum):
    AUTHENTIC = "authentic"
    ALTERED = "altered"
    REVOKED = "revoked"
    UNKNOWN = "unknown"


@dataclass(frozen=True)
class DocumentVerdict:
    verdict: Verdict
    # Only for a document found among those issued (authentic or revoked): the uploader holds it.
    document: IssuedDocument | None = None
    # Issued before documents were sealed: its bytes are ours, but it carries no seal.
    unsealed: bool = False


def find_certificate(sha256: str) -> IssuedDocument | None:
    """The certificate or attestation whose stored (sealed) PDF has this SHA-256."""
    certificate = (
        Certificate.objects.filter(pdf_sha256=sha256)
        .only("number", "kind", "issued_on", "holder_name", "snapshot", "status")
        .order_by()
        .first()
    )
    if certificate is None:
        return None
    with translation.override("fr"):
        return IssuedDocument(
            kind=str(certificate.get_kind_display()),
            number=certificate.number,
            issued_on=certificate.issued_on,
            holder=certificate.holder_name,
            title=str((certificate.snapshot.get("cqpi") or {}).get("title", "")),
            revoked=certificate.status == CertificateStatus.REVOKED,
            replaced=certificate.status == CertificateStatus.SUPERSEDED,
        )


def find_issued(sha256: str) -> IssuedDocument | None:
    for finder in (find_certificate, *issued_document_finders()):
        document = finder(sha256)
        if document is not None:
            return document
    return None


def document_check(*, uploaded: Any) -> DocumentVerdict:
    """The verdict on an uploaded file: refused (UploadRejected) unless it is a PDF by its
    content and within VERIFY_UPLOAD_MAX_BYTES; nothing is stored."""
    inspect_upload(uploaded, allowed={PDF: "pdf"}, max_bytes=settings.VERIFY_UPLOAD_MAX_BYTES)
    uploaded.seek(0)
    return document_verify(data=uploaded.read())


def document_verify(*, data: bytes) -> DocumentVerdict:
    """The verdict on an uploaded PDF's bytes (already checked to be a PDF within bounds)."""
    document = find_issued(hashlib.sha256(data).hexdigest())
    seal = seal_check(data)
    if document is None:
        # Our seal on bytes we never issued: someone changed a document we sealed.
        return DocumentVerdict(Verdict.ALTERED if seal.present else Verdict.UNKNOWN)
    if seal.present and not seal.valid:
        return DocumentVerdict(Verdict.ALTERED)
    unsealed = not seal.present
    if document.revoked or document.replaced:
        return DocumentVerdict(Verdict.REVOKED, document=document, unsealed=unsealed)
    return DocumentVerdict(Verdict.AUTHENTIC, document=document, unsealed=unsealed)


def verdict_message(verdict: Verdict) -> str:
    return {
        Verdict.AUTHENTIC: _("Document authentique et non modifié."),
        Verdict.ALTERED: _(
            "Document modifié : il porte le cachet de cette plateforme mais son contenu "
            "n'est plus celui qui a été délivré."
        ),
        Verdict.REVOKED: _("Ce document a été délivré mais il n'est plus valable."),
        Verdict.UNKNOWN: _("Ce document n'est pas reconnu."),
    }[verdict]
