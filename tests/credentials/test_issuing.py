"""The credential built from a snapshot, and the schema check that stands between it and issue."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from certifications.models import Certificate, RenderStatus
from certifications.services import certificate_store_pdf
from credentials import issuing
from tests.workflow import award


@pytest.fixture(autouse=True)
def media_root(settings: Any, tmp_path: Any) -> Any:
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


def signed_credential(cast: Any) -> dict[str, Any]:
    certificate = Certificate.objects.get(decision=award(cast))
    return certificate_store_pdf(certificate_id=certificate.pk).credential


def test_a_credential_missing_its_issuer_fails_the_schema_at_its_root(cast):
    credential = signed_credential(cast)
    del credential["issuer"]
    assert issuing.schema_errors(credential) == [': "issuer" is a required property']


def test_a_wrongly_typed_field_is_named_by_its_path(cast):
    credential = signed_credential(cast)
    broken = copy.deepcopy(credential)
    broken["credentialSubject"]["achievement"]["name"] = 12
    problems = issuing.schema_errors(broken)
    assert problems and all(p.startswith("credentialSubject/achievement/name: ") for p in problems)
    assert issuing.schema_errors(credential) == []


def test_a_credential_that_fails_the_schema_is_never_issued(cast, monkeypatch):
    """The render fails (the task records it and retries): no PDF, no credential, no QR."""
    certificate = Certificate.objects.get(decision=award(cast))
    build = issuing.build_credential

    def without_type(**kwargs: Any) -> dict[str, Any]:
        document = build(**kwargs)
        document["type"] = ["VerifiableCredential"]  # no OpenBadgeCredential
        return document

    monkeypatch.setattr(issuing, "build_credential", without_type)
    with pytest.raises(ValueError, match=r"fails the OB 3\.0 schema"):
        certificate_store_pdf(certificate_id=certificate.pk)
    certificate.refresh_from_db()
    assert certificate.render_status != RenderStatus.READY
    assert not certificate.pdf and certificate.credential in ({}, None) and not certificate.qr_jws


def test_the_schema_is_read_offline():
    """A reference outside the vendored file would be refused, not fetched."""
    import jsonschema_rs

    with pytest.raises(jsonschema_rs.ValidationError, match="Retrieval is disabled"):
        jsonschema_rs.validator_for({"$ref": "https://example.com/schema.json"}, offline=True)
    assert issuing._validator() is issuing._validator()
