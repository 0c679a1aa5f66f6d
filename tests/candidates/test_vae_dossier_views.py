"""The candidate's dossier of evidence in their space: pages, autosave, submit, permissions."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from candidates import services
from candidates.models import (
    AccessRoute,
    EvidenceDossier,
    EvidenceDossierStatus,
    EvidenceFile,
    EvidenceStatement,
)
from certifications.models import Capacity
from tests.workflow import open_dossier

pytestmark = pytest.mark.django_db

PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << >>\n%%EOF\n"
EXE = b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff" + b"\x00" * 64


@pytest.fixture(autouse=True)
def media(settings: Any, tmp_path: Path) -> Path:
    settings.MEDIA_ROOT = tmp_path
    return tmp_path


@pytest.fixture
def dossier(cast: Any) -> Any:
    return open_dossier(cast, route=AccessRoute.VAE)


def capacities(dossier: Any) -> list[Capacity]:
    return list(Capacity.objects.filter(bloc__version_id=dossier.version_id).order_by("pk"))


def page(dossier: Any) -> str:
    return reverse("space:evidence_dossier", args=[dossier.pk])


def autosave(client: Any, dossier: Any, capacity: Any, text: str) -> Any:
    return client.post(
        reverse("space:evidence_dossier_autosave", args=[dossier.pk]),
        {"capacity": capacity.pk, "text": text},
    )


def submit(client: Any, dossier: Any, data: dict[str, Any]) -> Any:
    return client.post(
        reverse("space:evidence_dossier_submit", args=[dossier.pk]), data, follow=True
    )


# --- The page --------------------------------------------------------------------------------


def test_the_candidate_sees_every_capacity_by_bloc_with_a_textarea_and_the_quota(
    client: Any, cast: Any, dossier: Any, django_assert_max_num_queries: Any
) -> None:
    client.force_login(cast.candidate_user)

    with django_assert_max_num_queries(20):
        response = client.get(page(dossier))

    body = response.content.decode()
    assert response.status_code == 200
    for capacity in capacities(dossier):
        assert f'name="c{capacity.pk}"' in body
        assert capacity.title in body
    assert "Pièces déposées : 0 sur 20" in body
    assert reverse("space:evidence_dossier_autosave", args=[dossier.pk]) in body


def test_the_dossier_page_links_to_it_for_a_vae_dossier_only(
    client: Any, cast: Any, dossier: Any
) -> None:
    client.force_login(cast.candidate_user)
    other = open_dossier(cast, route=AccessRoute.CONTINUING)

    assert (
        page(dossier)
        in client.get(reverse("space:dossier_detail", args=[dossier.pk])).content.decode()
    )
    assert (
        page(other)
        not in client.get(reverse("space:dossier_detail", args=[other.pk])).content.decode()
    )
    assert client.get(page(other)).status_code == 404


def test_the_form_saves_drafts_and_keeps_them(client: Any, cast: Any, dossier: Any) -> None:
    first, second = capacities(dossier)[:2]
    client.force_login(cast.candidate_user)

    response = client.post(page(dossier), {f"c{first.pk}": "Ligne 1\r\nLigne 2"}, follow=True)

    assert "Brouillon enregistré" in response.content.decode()
    assert EvidenceStatement.objects.get().text == "Ligne 1\nLigne 2"
    client.post(page(dossier), {f"c{first.pk}": "Ligne 1\nLigne 2", f"c{second.pk}": ""})
    # Unchanged and empty descriptions write nothing.
    assert EvidenceStatement.objects.count() == 1
    assert "Ligne 1\nLigne 2</textarea>" in client.get(page(dossier)).content.decode()


def test_autosave_keeps_a_draft_and_answers_json(client: Any, cast: Any, dossier: Any) -> None:
    capacity = capacities(dossier)[0]
    client.force_login(cast.candidate_user)

    response = autosave(client, dossier, capacity, "Je prépare les commandes.")

    assert response.status_code == 200
    assert "saved_at" in response.json()
    assert EvidenceStatement.objects.get(capacity=capacity).text == "Je prépare les commandes."
    assert EvidenceDossier.objects.get().status == EvidenceDossierStatus.DRAFT


def test_autosave_refuses_an_unknown_capacity_and_a_format_character(
    client: Any, cast: Any, dossier: Any
) -> None:
    client.force_login(cast.candidate_user)
    foreign = reverse("space:evidence_dossier_autosave", args=[dossier.pk])

    assert client.post(foreign, {"capacity": "999999", "text": "x"}).status_code == 400
    refused = autosave(client, dossier, capacities(dossier)[0], "a\u202eb")
    assert refused.status_code == 400
    assert "U+202E" in refused.json()["error"]["message"]
    assert not EvidenceStatement.objects.exists()


def test_submission_needs_the_confirmation(client: Any, cast: Any, dossier: Any) -> None:
    capacity = capacities(dossier)[0]
    client.force_login(cast.candidate_user)

    response = submit(client, dossier, {f"c{capacity.pk}": "Décrit"})

    assert "Cochez la case de confirmation" in response.content.decode()
    assert EvidenceDossier.objects.get().status == EvidenceDossierStatus.DRAFT
    assert EvidenceStatement.objects.get().text == "Décrit"


def test_submission_locks_the_page_and_shows_the_text_escaped(
    client: Any, cast: Any, dossier: Any
) -> None:
    capacity = capacities(dossier)[0]
    client.force_login(cast.candidate_user)

    response = submit(
        client, dossier, {f"c{capacity.pk}": "<script>alert(1)</script>\nLigne 2", "confirm": "1"}
    )

    body = response.content.decode()
    assert EvidenceDossier.objects.get().status == EvidenceDossierStatus.SUBMITTED
    assert "<textarea" not in body
    assert "<script>alert(1)</script>" not in body
    assert "&lt;script&gt;alert(1)&lt;/script&gt;<br>Ligne 2" in body
    assert "Joindre une pièce" not in body
    # The doors stay shut after submission.
    refused = autosave(client, dossier, capacity, "Changé")
    assert refused.status_code == 400
    assert refused.json()["error"]["code"] == "evidence_dossier_submitted"
    client.post(page(dossier), {f"c{capacity.pk}": "Changé"})
    assert EvidenceStatement.objects.get().text.startswith("<script>")


def test_a_return_shows_the_comment_and_unlocks_the_page(
    client: Any, cast: Any, dossier: Any
) -> None:
    capacity = capacities(dossier)[0]
    services.evidence_statement_save(
        dossier=dossier, capacity=capacity, text="Décrit", by=cast.candidate_user
    )
    services.evidence_dossier_submit(dossier=dossier, by=cast.candidate_user)
    services.evidence_dossier_return(
        dossier=dossier, comment="Ajoutez une attestation <b>employeur</b>.", by=cast.staff_a
    )
    client.force_login(cast.candidate_user)

    body = client.get(page(dossier)).content.decode()

    assert "Ajoutez une attestation &lt;b&gt;employeur&lt;/b&gt;." in body
    assert f'name="c{capacity.pk}"' in body
    assert autosave(client, dossier, capacity, "Complété").status_code == 200


def test_a_file_is_attached_to_a_capacity_from_the_page(
    client: Any, cast: Any, dossier: Any
) -> None:
    capacity = capacities(dossier)[0]
    client.force_login(cast.candidate_user)

    response = client.post(
        reverse("candidates:evidence_upload", args=[dossier.pk]),
        {
            "file": SimpleUploadedFile("attestation.pdf", PDF),
            "capacity": capacity.pk,
            "back": "evidence_dossier",
        },
    )

    assert response["Location"] == page(dossier)
    assert EvidenceFile.objects.get().capacity == capacity
    body = client.get(page(dossier)).content.decode()
    assert "attestation.pdf" in body
    assert "Pièces déposées : 1 sur 20" in body


def test_a_hostile_file_from_the_page_is_refused_with_its_reason(
    client: Any, cast: Any, dossier: Any
) -> None:
    client.force_login(cast.candidate_user)

    response = client.post(
        reverse("candidates:evidence_upload", args=[dossier.pk]),
        {
            "file": SimpleUploadedFile("preuve.pdf", EXE),
            "capacity": capacities(dossier)[0].pk,
            "back": "evidence_dossier",
        },
        follow=True,
    )

    assert "Type de fichier non accepté" in response.content.decode()
    assert not EvidenceFile.objects.exists()


def test_the_upload_form_goes_once_the_quota_is_reached(
    client: Any, cast: Any, dossier: Any, settings: Any
) -> None:
    settings.CANDIDATE_EVIDENCE_MAX_FILES = 1
    client.force_login(cast.candidate_user)
    client.post(
        reverse("candidates:evidence_upload", args=[dossier.pk]),
        {"file": SimpleUploadedFile("a.pdf", PDF), "back": "evidence_dossier"},
    )

    body = client.get(page(dossier)).content.decode()

    assert "Pièces déposées : 1 sur 1" in body
    assert "Joindre une pièce" not in body


# --- Permissions -----------------------------------------------------------------------------


@pytest.mark.parametrize("view", ["page", "autosave", "submit"])
def test_anonymous_is_sent_to_login(client: Any, dossier: Any, view: str) -> None:
    url = {
        "page": page(dossier),
        "autosave": reverse("space:evidence_dossier_autosave", args=[dossier.pk]),
        "submit": reverse("space:evidence_dossier_submit", args=[dossier.pk]),
    }[view]

    response = client.post(url) if view != "page" else client.get(url)

    assert response.status_code == 302
    assert "/connexion" in response["Location"] or "login" in response["Location"]


@pytest.mark.parametrize(
    ("who", "status"),
    [
        ("other_candidate_user", 404),
        ("staff_a", 403),
        ("staff_b", 403),
        ("evaluator", 403),
        ("jury_employer", 403),
        ("admin", 403),
    ],
)
def test_nobody_else_reaches_the_candidates_dossier_of_evidence(
    client: Any, cast: Any, dossier: Any, who: str, status: int
) -> None:
    capacity = capacities(dossier)[0]
    client.force_login(getattr(cast, who))

    assert client.get(page(dossier)).status_code == status
    assert client.post(page(dossier), {f"c{capacity.pk}": "x"}).status_code == status
    assert autosave(client, dossier, capacity, "x").status_code == status
    assert (
        client.post(
            reverse("space:evidence_dossier_submit", args=[dossier.pk]),
            {f"c{capacity.pk}": "x", "confirm": "1"},
        ).status_code
        == status
    )
    assert not EvidenceStatement.objects.exists()
    assert not EvidenceDossier.objects.exists()
