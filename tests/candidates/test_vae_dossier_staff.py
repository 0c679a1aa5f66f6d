"""The candidate's dossier of evidence as staff, evaluators and jury members read it."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from django.urls import reverse

from candidates import services
from candidates.models import AccessRoute, EvidenceDossier, EvidenceDossierStatus
from certifications.models import Capacity
from evaluations import services as evaluation_services
from evaluations.models import EvaluationKind
from tests.workflow import open_dossier, open_session, score_all

pytestmark = pytest.mark.django_db

TEXT = "Je conduis le chariot <em>en sécurité</em>.\nChaque jour."
ESCAPED = "Je conduis le chariot &lt;em&gt;en sécurité&lt;/em&gt;.<br>Chaque jour."


@pytest.fixture(autouse=True)
def media(settings: Any, tmp_path: Path) -> Path:
    settings.MEDIA_ROOT = tmp_path
    return tmp_path


def first_capacity(dossier: Any) -> Capacity:
    capacity = Capacity.objects.filter(bloc__version_id=dossier.version_id).order_by("pk").first()
    assert capacity is not None
    return capacity


def written(cast: Any, *, submit: bool = True) -> Any:
    dossier = open_dossier(cast, route=AccessRoute.VAE)
    services.evidence_statement_save(
        dossier=dossier, capacity=first_capacity(dossier), text=TEXT, by=cast.candidate_user
    )
    if submit:
        services.evidence_dossier_submit(dossier=dossier, by=cast.candidate_user)
    return dossier


def returned(client: Any, dossier: Any, comment: str = "Ajoutez une attestation.") -> Any:
    return client.post(
        reverse("candidates:evidence_dossier_return", args=[dossier.pk]),
        {"evidence-return-comment": comment},
        follow=True,
    )


def in_evaluation(cast: Any, dossier: Any) -> Any:
    services.dossier_rule_admissibility(dossier=dossier, admissible=True, by=cast.staff_a)
    services.dossier_start_evaluation(dossier=dossier, by=cast.staff_a)
    evaluation = evaluation_services.evaluation_create(
        dossier=dossier,
        kind=EvaluationKind.FINAL,
        external_evaluator=cast.evaluator,
        by=cast.staff_a,
    )
    return evaluation.sheets.get()


# --- Staff ---------------------------------------------------------------------------------


def test_staff_see_the_descriptions_escaped_and_return_the_dossier(client: Any, cast: Any) -> None:
    dossier = written(cast)
    client.force_login(cast.staff_a)
    page = client.get(reverse("candidates:dossier_detail", args=[dossier.pk])).content.decode()
    assert ESCAPED in page
    assert reverse("candidates:evidence_dossier_return", args=[dossier.pk]) in page

    response = returned(client, dossier)

    assert "Dossier de preuves renvoyé au candidat" in response.content.decode()
    evidence_dossier = EvidenceDossier.objects.get()
    assert evidence_dossier.status == EvidenceDossierStatus.RETURNED
    assert evidence_dossier.return_comment == "Ajoutez une attestation."
    client.force_login(cast.candidate_user)
    space = client.get(reverse("space:evidence_dossier", args=[dossier.pk])).content.decode()
    assert "Ajoutez une attestation." in space


def test_staff_see_a_draft_but_may_not_return_it(client: Any, cast: Any) -> None:
    dossier = written(cast, submit=False)
    client.force_login(cast.staff_a)

    page = client.get(reverse("candidates:dossier_detail", args=[dossier.pk])).content.decode()
    assert "Brouillon : le candidat ne l'a pas encore transmis." in page
    assert reverse("candidates:evidence_dossier_return", args=[dossier.pk]) not in page
    response = returned(client, dossier)

    assert "pas transmis" in response.content.decode()
    assert EvidenceDossier.objects.get().status == EvidenceDossierStatus.DRAFT


def test_a_return_without_comment_or_with_a_format_character_is_refused(
    client: Any, cast: Any
) -> None:
    dossier = written(cast)
    client.force_login(cast.staff_a)

    assert returned(client, dossier, "").status_code == 200
    assert returned(client, dossier, "a\u202eb").status_code == 200

    assert EvidenceDossier.objects.get().status == EvidenceDossierStatus.SUBMITTED


@pytest.mark.parametrize(
    ("who", "status"),
    [
        ("staff_b", 404),
        ("candidate_user", 403),
        ("other_candidate_user", 404),
        ("evaluator", 404),
        ("jury_employer", 404),
    ],
)
def test_only_the_branch_staff_return_it(client: Any, cast: Any, who: str, status: int) -> None:
    dossier = written(cast)
    client.force_login(getattr(cast, who))

    response = client.post(
        reverse("candidates:evidence_dossier_return", args=[dossier.pk]),
        {"evidence-return-comment": "x"},
    )

    assert response.status_code == status
    assert EvidenceDossier.objects.get().status == EvidenceDossierStatus.SUBMITTED


def test_anonymous_is_sent_to_login_for_a_return(client: Any, cast: Any) -> None:
    dossier = written(cast)

    response = client.post(
        reverse("candidates:evidence_dossier_return", args=[dossier.pk]),
        {"evidence-return-comment": "x"},
    )

    assert response.status_code == 302
    assert EvidenceDossier.objects.get().status == EvidenceDossierStatus.SUBMITTED


# --- Evaluators and jury members -------------------------------------------------------------


def test_the_evaluator_reads_the_description_beside_the_capacity(client: Any, cast: Any) -> None:
    sheet = in_evaluation(cast, written(cast))
    client.force_login(cast.evaluator)

    page = client.get(reverse("evaluations:sheet", args=[sheet.pk])).content.decode()

    assert "Ce que décrit le candidat" in page
    assert ESCAPED in page


def test_the_evaluator_does_not_read_a_draft_never_submitted(client: Any, cast: Any) -> None:
    sheet = in_evaluation(cast, written(cast, submit=False))
    client.force_login(cast.evaluator)

    page = client.get(reverse("evaluations:sheet", args=[sheet.pk])).content.decode()

    assert "Ce que décrit le candidat" not in page
    assert "chariot" not in page


def test_the_jury_reads_the_dossier_of_evidence_in_the_deliberation(client: Any, cast: Any) -> None:
    dossier = written(cast)
    score_all(in_evaluation(cast, dossier), by=cast.evaluator)
    dossier.refresh_from_db()
    session = open_session(cast, [dossier])
    client.force_login(cast.jury_employer)

    page = client.get(
        reverse("evaluations:decision_record", args=[session.pk, dossier.pk])
    ).content.decode()

    assert "Dossier de preuves du candidat" in page
    assert ESCAPED in page
    assert reverse("candidates:evidence_dossier_return", args=[dossier.pk]) not in page
