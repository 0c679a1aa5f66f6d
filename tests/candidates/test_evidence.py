"""Evidence files: what is refused (and leaves nothing behind), where files go, who adds and reads them."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import pytest
from django.core.exceptions import PermissionDenied
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from audit.models import AuditEvent
from candidates import services as dossier_services
from candidates.evidence import evidence_add
from candidates.models import EvidenceFile
from certifications.models import Capacity
from core.errors import DomainError
from core.uploads import UploadRejected
from evaluations import services as evaluation_services
from evaluations.models import EvaluationKind
from tests.workflow import open_dossier, ready_for_jury, score_all

pytestmark = pytest.mark.django_db

PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << >>\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00\x00\x00\rIHDR" + b"\x00" * 64
EXE = b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff" + b"\x00" * 64
HTML = b"<!doctype html><html><body><script>alert(document.cookie)</script></body></html>"
SVG = b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>'
ZIP = b"PK\x03\x04\x14\x00\x00\x00\x08\x00" + b"\x00" * 64


@pytest.fixture(autouse=True)
def media(settings: Any, tmp_path: Path) -> Path:
    settings.MEDIA_ROOT = tmp_path
    return tmp_path


def upload(name: str, content: bytes) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, content, content_type="application/pdf")


def stored_files(media: Path) -> list[Path]:
    # the branches' signature images (tests/conftest.py) are not evidence
    return [
        p for p in media.rglob("*") if p.is_file() and p.relative_to(media).parts[0] != "signatures"
    ]


def evaluation_dossier(cast: Any) -> Any:
    """A dossier in evaluation with a draft grid of the cast's evaluator."""
    dossier = open_dossier(cast)
    dossier_services.dossier_start_positioning(dossier=dossier, by=cast.staff_a)
    dossier_services.dossier_start_evaluation(dossier=dossier, by=cast.staff_a)
    evaluation_services.evaluation_create(
        dossier=dossier,
        kind=EvaluationKind.FINAL,
        external_evaluator=cast.evaluator,
        by=cast.staff_a,
    )
    dossier.refresh_from_db()
    return dossier


def capacity_of(dossier: Any) -> Capacity:
    capacity = Capacity.objects.filter(bloc__version_id=dossier.version_id).first()
    assert capacity is not None
    return capacity


# --- The rejection set: each refused with a clear message, nothing stored ---------------


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("bulletin.pdf", EXE, "Type de fichier non accepté"),
        ("page.pdf", HTML, "Type de fichier non accepté"),
        ("image.svg", SVG, "Type de fichier non accepté"),
        ("archive.pdf", ZIP, "Type de fichier non accepté"),
        ("vide.pdf", b"", "Le fichier est vide"),
        ("..\\..\\settings.pdf", PDF, "Nom de fichier invalide"),
    ],
    ids=["exe-renamed-pdf", "html-script", "svg-script", "zip-archive", "empty", "traversal"],
)
def test_a_dangerous_or_empty_file_is_refused_and_nothing_is_stored(
    cast: Any, media: Path, name: str, content: bytes, message: str
) -> None:
    dossier = open_dossier(cast)

    with pytest.raises(UploadRejected) as refused:
        evidence_add(dossier=dossier, uploaded=upload(name, content), by=cast.staff_a)

    assert message in refused.value.message
    assert not EvidenceFile.objects.exists()
    assert stored_files(media) == []


def test_an_oversized_file_is_refused_and_nothing_is_stored(
    cast: Any, media: Path, settings: Any
) -> None:
    settings.EVIDENCE_MAX_BYTES = 1000
    dossier = open_dossier(cast)

    with pytest.raises(UploadRejected) as refused:
        evidence_add(dossier=dossier, uploaded=upload("gros.pdf", PDF * 40), by=cast.staff_a)

    assert "taille maximale" in refused.value.message
    assert not EvidenceFile.objects.exists()
    assert stored_files(media) == []


def test_a_posix_traversal_name_given_raw_to_the_service_is_refused(cast: Any, media: Path) -> None:
    raw = io.BytesIO(PDF)
    raw.name = "../../../etc/cron.d/evil.pdf"
    raw.size = len(PDF)  # type: ignore[attr-defined]

    with pytest.raises(UploadRejected):
        evidence_add(dossier=open_dossier(cast), uploaded=raw, by=cast.staff_a)

    assert stored_files(media) == []


def test_a_refused_upload_through_the_page_says_why_and_stores_nothing(
    client: Any, cast: Any, media: Path
) -> None:
    dossier = open_dossier(cast)
    client.force_login(cast.staff_a)

    response = client.post(
        reverse("candidates:evidence_upload", args=[dossier.pk]),
        {"file": upload("bulletin.pdf", EXE)},
        follow=True,
    )

    assert "Type de fichier non accepté" in response.content.decode()
    assert not EvidenceFile.objects.exists()
    assert stored_files(media) == []


# --- Accepted files ------------------------------------------------------------------


def test_an_accepted_file_is_stored_under_a_generated_name_with_its_sniffed_type(
    cast: Any, media: Path
) -> None:
    dossier = open_dossier(cast)

    evidence = evidence_add(
        dossier=dossier, uploaded=upload("photo du poste.pdf", PNG), by=cast.staff_a
    )

    assert evidence.content_type == "image/png"
    assert evidence.original_name == "photo du poste.pdf"
    assert "photo" not in evidence.file.name
    assert evidence.file.name.startswith(f"evidence/{dossier.pk}/")
    (path,) = stored_files(media)
    assert path.read_bytes() == PNG


def test_the_download_is_an_attachment_with_the_stored_type_and_nosniff(
    client: Any, cast: Any
) -> None:
    evidence = evidence_add(
        dossier=open_dossier(cast), uploaded=upload("photo.pdf", PNG), by=cast.staff_a
    )
    client.force_login(cast.staff_a)

    response = client.get(reverse("candidates:evidence_download", args=[evidence.pk]))

    assert response.status_code == 200
    assert response["Content-Type"] == "image/png"
    assert response["Content-Disposition"].startswith("attachment")
    assert response["X-Content-Type-Options"] == "nosniff"
    assert b"".join(response.streaming_content) == PNG
    assert AuditEvent.objects.filter(
        action="evidence.download", actor=cast.staff_a, object_id=str(evidence.pk)
    ).exists()


# --- Download permissions -------------------------------------------------------------


@pytest.fixture
def evidence(cast: Any) -> EvidenceFile:
    return evidence_add(
        dossier=evaluation_dossier(cast), uploaded=upload("cv.pdf", PDF), by=cast.staff_a
    )


def download(client: Any, evidence: EvidenceFile) -> Any:
    return client.get(reverse("candidates:evidence_download", args=[evidence.pk]))


def test_anonymous_users_are_sent_to_log_in_for_a_download(client: Any, evidence: Any) -> None:
    response = download(client, evidence)

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("accounts:login"))


def test_another_branchs_staff_get_a_404_for_a_download(
    client: Any, cast: Any, evidence: Any
) -> None:
    client.force_login(cast.staff_b)

    assert download(client, evidence).status_code == 404


def test_another_candidate_gets_a_404_for_a_download(client: Any, cast: Any, evidence: Any) -> None:
    client.force_login(cast.other_candidate_user)

    assert download(client, evidence).status_code == 404


@pytest.mark.parametrize("who", ["staff_a", "candidate_user", "evaluator", "admin"])
def test_those_who_see_the_dossier_download_its_evidence(
    client: Any, cast: Any, evidence: Any, who: str
) -> None:
    client.force_login(getattr(cast, who))

    assert download(client, evidence).status_code == 200


# --- Who adds evidence, and until when -----------------------------------------------


def post_file(client: Any, dossier: Any, **extra: Any) -> Any:
    return client.post(
        reverse("candidates:evidence_upload", args=[dossier.pk]),
        {"file": upload("piece.pdf", PDF), **extra},
    )


def test_anonymous_users_are_sent_to_log_in_for_an_upload(client: Any, cast: Any) -> None:
    response = post_file(client, open_dossier(cast))

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("accounts:login"))
    assert not EvidenceFile.objects.exists()


def test_another_branchs_staff_get_a_404_for_an_upload(client: Any, cast: Any) -> None:
    client.force_login(cast.staff_b)

    assert post_file(client, open_dossier(cast)).status_code == 404
    assert not EvidenceFile.objects.exists()


def test_a_referent_not_scoring_a_dossier_of_their_company_does_not_see_it(
    client: Any, cast: Any
) -> None:
    client.force_login(cast.referent_a)

    assert post_file(client, open_dossier(cast)).status_code == 404
    assert not EvidenceFile.objects.exists()


def test_staff_add_evidence_and_go_back_to_the_dossier(client: Any, cast: Any) -> None:
    dossier = open_dossier(cast)
    client.force_login(cast.staff_a)

    response = post_file(client, dossier)

    assert response["Location"] == reverse("candidates:dossier_detail", args=[dossier.pk])
    assert EvidenceFile.objects.get().uploaded_by == cast.staff_a


def test_the_candidate_adds_evidence_while_the_dossier_is_early(client: Any, cast: Any) -> None:
    dossier = evaluation_dossier(cast)
    client.force_login(cast.candidate_user)

    response = post_file(client, dossier)

    assert response["Location"] == reverse("space:dossier_detail", args=[dossier.pk])
    assert EvidenceFile.objects.get().uploaded_by == cast.candidate_user


def test_the_candidate_may_not_add_evidence_once_the_evaluation_is_done(cast: Any) -> None:
    dossier = ready_for_jury(cast)

    with pytest.raises(DomainError) as refused:
        evidence_add(dossier=dossier, uploaded=upload("x.pdf", PDF), by=cast.candidate_user)

    assert "ne pouvez plus déposer" in refused.value.message
    assert not EvidenceFile.objects.exists()


def test_another_candidate_may_not_add_evidence(cast: Any) -> None:
    with pytest.raises(PermissionDenied):
        evidence_add(
            dossier=open_dossier(cast),
            uploaded=upload("x.pdf", PDF),
            by=cast.other_candidate_user,
        )


def test_the_evaluator_attaches_evidence_to_a_capacity_of_a_draft_grid(
    client: Any, cast: Any
) -> None:
    dossier = evaluation_dossier(cast)
    capacity = capacity_of(dossier)
    client.force_login(cast.evaluator)

    response = post_file(client, dossier, capacity=capacity.pk)

    sheet = dossier.evaluations.get().sheets.get()
    assert response["Location"] == reverse("evaluations:sheet", args=[sheet.pk])
    assert EvidenceFile.objects.get().capacity == capacity


def test_the_evaluator_must_name_the_capacity(cast: Any) -> None:
    with pytest.raises(DomainError):
        evidence_add(
            dossier=evaluation_dossier(cast), uploaded=upload("x.pdf", PDF), by=cast.evaluator
        )


def test_a_capacity_of_another_referentiel_is_an_invalid_choice(client: Any, cast: Any) -> None:
    from tests.factories import build_referentiel

    _other, version = build_referentiel(branches=[cast.branch_a], title="Autre CQPI")
    foreign = Capacity.objects.filter(bloc__version=version).first()
    assert foreign is not None
    dossier = evaluation_dossier(cast)
    client.force_login(cast.evaluator)

    post_file(client, dossier, capacity=foreign.pk)

    assert not EvidenceFile.objects.exists()


def test_the_evaluator_may_not_add_evidence_once_the_grid_is_submitted(cast: Any) -> None:
    dossier = evaluation_dossier(cast)
    score_all(dossier.evaluations.get().sheets.get(), by=cast.evaluator)

    with pytest.raises(DomainError):
        evidence_add(
            dossier=dossier,
            uploaded=upload("x.pdf", PDF),
            by=cast.evaluator,
            capacity=capacity_of(dossier),
        )


def test_the_evidence_list_shows_on_the_staff_and_candidate_pages(client: Any, cast: Any) -> None:
    dossier = evaluation_dossier(cast)
    evidence_add(dossier=dossier, uploaded=upload("attestation.pdf", PDF), by=cast.staff_a)

    client.force_login(cast.staff_a)
    staff_page = client.get(reverse("candidates:dossier_detail", args=[dossier.pk]))
    client.force_login(cast.candidate_user)
    space_page = client.get(reverse("space:dossier_detail", args=[dossier.pk]))

    assert "attestation.pdf" in staff_page.content.decode()
    assert "attestation.pdf" in space_page.content.decode()
    assert 'enctype="multipart/form-data"' in space_page.content.decode()
