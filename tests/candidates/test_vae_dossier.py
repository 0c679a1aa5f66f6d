"""The VAE candidate's dossier of evidence: descriptions per capacity, files, submit, return."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from django.core.exceptions import PermissionDenied
from django.core.files.uploadedfile import SimpleUploadedFile

from audit.models import AuditEvent
from candidates import services
from candidates.evidence import candidate_quota, evidence_add
from candidates.models import (
    AccessRoute,
    EvidenceDossier,
    EvidenceDossierStatus,
    EvidenceFile,
    EvidenceStatement,
)
from certifications.models import Capacity
from core.errors import DomainError, InvalidTransition
from core.uploads import UploadRejected
from tests.workflow import open_dossier, ready_for_jury

pytestmark = pytest.mark.django_db

PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << >>\n%%EOF\n"
EXE = b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff" + b"\x00" * 64
HTML = b"<!doctype html><html><body><script>alert(document.cookie)</script></body></html>"


@pytest.fixture(autouse=True)
def media(settings: Any, tmp_path: Path) -> Path:
    settings.MEDIA_ROOT = tmp_path
    return tmp_path


def upload(name: str, content: bytes) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, content, content_type="application/pdf")


def vae_dossier(cast: Any, candidate: Any = None) -> Any:
    return open_dossier(cast, candidate=candidate, route=AccessRoute.VAE)


def capacities(dossier: Any) -> list[Capacity]:
    return list(Capacity.objects.filter(bloc__version_id=dossier.version_id).order_by("pk"))


def write(cast: Any, dossier: Any, text: str = "J'organise les tournées.") -> Any:
    return services.evidence_statement_save(
        dossier=dossier, capacity=capacities(dossier)[0], text=text, by=cast.candidate_user
    )


# --- Writing ----------------------------------------------------------------------------


def test_the_candidate_writes_a_capacity_and_the_draft_is_kept(cast: Any) -> None:
    dossier = vae_dossier(cast)
    first, second = capacities(dossier)[:2]

    services.evidence_statement_save(
        dossier=dossier, capacity=first, text="Ligne 1\r\nLigne 2", by=cast.candidate_user
    )
    services.evidence_statement_save(
        dossier=dossier, capacity=second, text="Autre", by=cast.candidate_user
    )
    services.evidence_statement_save(
        dossier=dossier, capacity=first, text="Ligne 1\nLigne 2 revue", by=cast.candidate_user
    )

    evidence_dossier = EvidenceDossier.objects.get(dossier=dossier)
    assert evidence_dossier.status == EvidenceDossierStatus.DRAFT
    texts = dict(evidence_dossier.statements.values_list("capacity_id", "text"))
    assert texts == {first.pk: "Ligne 1\nLigne 2 revue", second.pk: "Autre"}


def test_a_description_with_a_format_character_is_refused(cast: Any) -> None:
    dossier = vae_dossier(cast)

    with pytest.raises(DomainError) as refused:
        write(cast, dossier, "Chef d'\u202eéquipe")

    assert "U+202E" in refused.value.message
    assert not EvidenceStatement.objects.exists()


def test_a_description_too_long_is_refused(cast: Any) -> None:
    with pytest.raises(DomainError):
        write(cast, vae_dossier(cast), "x" * 10001)
    assert not EvidenceStatement.objects.exists()


def test_a_capacity_of_another_version_is_refused(cast: Any) -> None:
    from tests.factories import build_referentiel

    _referentiel, other_version = build_referentiel(branches=[cast.branch_a], title="Autre")
    foreign = Capacity.objects.filter(bloc__version=other_version).first()
    dossier = vae_dossier(cast)

    with pytest.raises(DomainError):
        services.evidence_statement_save(
            dossier=dossier, capacity=foreign, text="x", by=cast.candidate_user
        )
    assert not EvidenceStatement.objects.exists()


@pytest.mark.parametrize("who", ["other_candidate_user", "staff_a", "staff_b", "evaluator"])
def test_nobody_but_the_candidate_writes_their_dossier_of_evidence(cast: Any, who: str) -> None:
    dossier = vae_dossier(cast)

    with pytest.raises(PermissionDenied):
        services.evidence_statement_save(
            dossier=dossier, capacity=capacities(dossier)[0], text="x", by=getattr(cast, who)
        )
    with pytest.raises(PermissionDenied):
        services.evidence_dossier_submit(dossier=dossier, by=getattr(cast, who))
    assert not EvidenceStatement.objects.exists()


def test_a_dossier_on_another_route_has_no_dossier_of_evidence(cast: Any) -> None:
    dossier = open_dossier(cast, route=AccessRoute.CONTINUING)

    with pytest.raises(PermissionDenied):
        write(cast, dossier)


def test_the_dossier_of_evidence_closes_with_the_evaluation(cast: Any) -> None:
    dossier = ready_for_jury(cast)
    dossier.access_route = AccessRoute.VAE
    dossier.save(update_fields=["access_route"])

    with pytest.raises(DomainError) as refused:
        write(cast, dossier)

    assert refused.value.code == "evidence_closed"


# --- Submitting and returning ----------------------------------------------------------------


def test_an_empty_dossier_of_evidence_cannot_be_submitted(cast: Any) -> None:
    dossier = vae_dossier(cast)
    write(cast, dossier, "")

    with pytest.raises(DomainError) as refused:
        services.evidence_dossier_submit(dossier=dossier, by=cast.candidate_user)

    assert refused.value.code == "evidence_dossier_empty"


def test_submission_locks_the_descriptions_and_the_files(cast: Any) -> None:
    dossier = vae_dossier(cast)
    write(cast, dossier)

    submitted = services.evidence_dossier_submit(dossier=dossier, by=cast.candidate_user)

    assert submitted.status == EvidenceDossierStatus.SUBMITTED
    assert submitted.submitted_at is not None
    assert AuditEvent.objects.filter(action="evidence_dossier.submit", actor=cast.candidate_user)
    with pytest.raises(DomainError) as refused:
        write(cast, dossier, "Changé")
    assert refused.value.code == "evidence_dossier_submitted"
    with pytest.raises(DomainError):
        services.evidence_dossier_submit(dossier=dossier, by=cast.candidate_user)
    with pytest.raises(DomainError) as upload_refused:
        evidence_add(dossier=dossier, uploaded=upload("x.pdf", PDF), by=cast.candidate_user)
    assert upload_refused.value.code == "evidence_dossier_submitted"
    assert EvidenceStatement.objects.get().text == "J'organise les tournées."
    # Staff still add documents of their own.
    evidence_add(dossier=dossier, uploaded=upload("x.pdf", PDF), by=cast.staff_a)


def test_staff_return_it_with_a_comment_and_the_candidate_writes_again(cast: Any) -> None:
    dossier = vae_dossier(cast)
    write(cast, dossier)
    services.evidence_dossier_submit(dossier=dossier, by=cast.candidate_user)

    returned = services.evidence_dossier_return(
        dossier=dossier, comment="  Précisez la capacité 1.\r\nMerci.  ", by=cast.staff_a
    )

    assert returned.status == EvidenceDossierStatus.RETURNED
    assert returned.return_comment == "Précisez la capacité 1.\nMerci."
    assert AuditEvent.objects.filter(action="evidence_dossier.return", actor=cast.staff_a)
    write(cast, dossier, "Précisé")
    evidence_add(dossier=dossier, uploaded=upload("x.pdf", PDF), by=cast.candidate_user)
    again = services.evidence_dossier_submit(dossier=dossier, by=cast.candidate_user)
    assert again.status == EvidenceDossierStatus.SUBMITTED


def test_a_return_needs_a_comment_and_a_submitted_dossier(cast: Any) -> None:
    dossier = vae_dossier(cast)
    write(cast, dossier)

    with pytest.raises(InvalidTransition):
        services.evidence_dossier_return(dossier=dossier, comment="x", by=cast.staff_a)
    services.evidence_dossier_submit(dossier=dossier, by=cast.candidate_user)
    with pytest.raises(DomainError) as refused:
        services.evidence_dossier_return(dossier=dossier, comment="   ", by=cast.staff_a)
    assert refused.value.code == "comment_required"
    with pytest.raises(DomainError):
        services.evidence_dossier_return(dossier=dossier, comment="a\u200bb", by=cast.staff_a)


@pytest.mark.parametrize("who", ["staff_b", "candidate_user", "evaluator", "jury_employer"])
def test_only_the_branch_staff_return_a_dossier_of_evidence(cast: Any, who: str) -> None:
    dossier = vae_dossier(cast)
    write(cast, dossier)
    services.evidence_dossier_submit(dossier=dossier, by=cast.candidate_user)

    with pytest.raises(PermissionDenied):
        services.evidence_dossier_return(dossier=dossier, comment="x", by=getattr(cast, who))

    assert EvidenceDossier.objects.get().status == EvidenceDossierStatus.SUBMITTED


# --- Files and quota ------------------------------------------------------------------------


def test_the_candidate_attaches_a_file_to_a_capacity(cast: Any) -> None:
    dossier = vae_dossier(cast)
    capacity = capacities(dossier)[0]

    evidence = evidence_add(
        dossier=dossier,
        uploaded=upload("tournées.pdf", PDF),
        by=cast.candidate_user,
        capacity=capacity,
    )

    assert evidence.capacity == capacity
    assert candidate_quota(dossier).files == 1
    assert candidate_quota(dossier).bytes == len(PDF)


@pytest.mark.parametrize("content", [EXE, HTML, b""], ids=["exe", "html", "empty"])
def test_a_hostile_file_of_the_candidate_is_refused(cast: Any, media: Path, content: bytes) -> None:
    with pytest.raises(UploadRejected):
        evidence_add(
            dossier=vae_dossier(cast),
            uploaded=upload("preuve.pdf", content),
            by=cast.candidate_user,
        )
    assert not EvidenceFile.objects.exists()
    assert not [p for p in media.rglob("*") if p.is_file() and "evidence" in p.parts]


def test_the_quota_of_files_is_enforced(cast: Any, settings: Any, media: Path) -> None:
    settings.CANDIDATE_EVIDENCE_MAX_FILES = 2
    dossier = vae_dossier(cast)
    for _ in range(2):
        evidence_add(dossier=dossier, uploaded=upload("x.pdf", PDF), by=cast.candidate_user)
    # Staff files do not count against the candidate's quota.
    evidence_add(dossier=dossier, uploaded=upload("x.pdf", PDF), by=cast.staff_a)

    with pytest.raises(DomainError) as refused:
        evidence_add(dossier=dossier, uploaded=upload("x.pdf", PDF), by=cast.candidate_user)

    assert refused.value.code == "evidence_quota"
    assert EvidenceFile.objects.count() == 3
    assert len([p for p in media.rglob("*") if p.is_file() and "evidence" in p.parts]) == 3
    assert candidate_quota(dossier).full


def test_the_quota_of_bytes_is_enforced(cast: Any, settings: Any) -> None:
    settings.CANDIDATE_EVIDENCE_MAX_TOTAL_BYTES = len(PDF) + 10
    dossier = vae_dossier(cast)
    evidence_add(dossier=dossier, uploaded=upload("x.pdf", PDF), by=cast.candidate_user)

    with pytest.raises(DomainError) as refused:
        evidence_add(dossier=dossier, uploaded=upload("x.pdf", PDF), by=cast.candidate_user)

    assert refused.value.code == "evidence_quota"
    assert EvidenceFile.objects.count() == 1


def test_a_branch_opens_the_dossier_of_evidence_to_every_route(cast: Any) -> None:
    dossier = open_dossier(cast, route=AccessRoute.CONTINUING)
    assert not services.evidence_dossier_open_to(dossier)
    cast.branch_a.evidence_dossier_for_all_routes = True
    cast.branch_a.save(update_fields=["evidence_dossier_for_all_routes"])

    write(cast, dossier)
    services.evidence_dossier_submit(dossier=dossier, by=cast.candidate_user)

    assert services.evidence_dossier_open_to(dossier)
    assert EvidenceDossier.objects.get(dossier=dossier).status == EvidenceDossierStatus.SUBMITTED
