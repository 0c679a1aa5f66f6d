"""The grid's autosave endpoint and what the page gives the script to work with."""

from __future__ import annotations

from typing import Any

import pytest
from django.urls import reverse

from certifications.models import Capacity
from evaluations.models import CapacityOutcome, CapacityResult, EvaluationSheet, SheetStatus
from tests.evaluations.test_views import (
    assert_redirects_to_login,
    assigned,
    first_capacity,
    sheet_data,
)
from tests.workflow import score_all

pytestmark = pytest.mark.django_db


def autosave_url(sheet: EvaluationSheet) -> str:
    return reverse("evaluations:sheet_autosave", args=[sheet.pk])


def half_filled(sheet: EvaluationSheet) -> dict[str, Any]:
    """The first capacity assessed, the others still 'non évalué'."""
    first = first_capacity(sheet.evaluation.dossier)
    data = sheet_data(sheet, outcome=CapacityOutcome.NOT_ASSESSED, comment="")
    data[f"c{first.pk}_outcome"] = CapacityOutcome.ACQUIRED
    data[f"c{first.pk}_comment"] = "Observé au quai"
    return data


def test_autosave_sends_anonymous_visitors_to_login(client: Any, cast: Any) -> None:
    sheet = assigned(cast).sheets.get()

    assert_redirects_to_login(client.post(autosave_url(sheet), sheet_data(sheet)))


@pytest.mark.parametrize("who", ["staff_a", "staff_b", "referent_a", "candidate_user", "admin"])
def test_autosave_is_not_found_for_anyone_but_the_sheet_evaluator(
    client: Any, cast: Any, who: str
) -> None:
    sheet = assigned(cast).sheets.get()
    client.force_login(getattr(cast, who))

    assert client.post(autosave_url(sheet), sheet_data(sheet)).status_code == 404
    assert not CapacityResult.objects.filter(sheet=sheet).exists()


def test_autosave_does_not_answer_a_get(client: Any, cast: Any) -> None:
    sheet = assigned(cast).sheets.get()
    client.force_login(cast.evaluator)

    assert client.get(autosave_url(sheet)).status_code == 405


def test_autosave_saves_and_answers_the_new_version_and_what_is_left(
    client: Any, cast: Any
) -> None:
    sheet = assigned(cast).sheets.get()
    client.force_login(cast.evaluator)

    response = client.post(autosave_url(sheet), half_filled(sheet))

    assert response.status_code == 200
    body = response.json()
    total = Capacity.objects.filter(bloc__version_id=sheet.evaluation.dossier.version_id).count()
    assert body["version"] == 1
    assert body["left"] == total - 1
    assert body["saved_at"]
    result = CapacityResult.objects.get(sheet=sheet, outcome=CapacityOutcome.ACQUIRED)
    assert result.comment == "Observé au quai"


def test_a_second_tab_with_the_old_version_gets_a_conflict_and_overwrites_nothing(
    client: Any, cast: Any
) -> None:
    sheet = assigned(cast).sheets.get()
    client.force_login(cast.evaluator)
    client.post(autosave_url(sheet), half_filled(sheet))  # first tab, version 0 -> 1

    response = client.post(
        autosave_url(sheet),
        sheet_data(sheet, version=0, outcome=CapacityOutcome.NOT_ACQUIRED, comment="Autre onglet"),
    )

    assert response.status_code == 409
    error = response.json()["error"]
    assert error["code"] == "stale_sheet"
    assert "modifiée ailleurs" in error["message"]
    sheet.refresh_from_db()
    assert sheet.version == 1
    assert not CapacityResult.objects.filter(
        sheet=sheet, outcome=CapacityOutcome.NOT_ACQUIRED
    ).exists()


def test_autosave_after_the_grid_was_submitted_is_a_conflict(client: Any, cast: Any) -> None:
    sheet = assigned(cast).sheets.get()
    score_all(sheet, by=cast.evaluator)
    sheet.refresh_from_db()
    client.force_login(cast.evaluator)

    response = client.post(autosave_url(sheet), sheet_data(sheet))

    assert response.status_code == 409
    assert "n'est plus modifiable" in response.json()["error"]["message"]
    sheet.refresh_from_db()
    assert sheet.status == SheetStatus.SUBMITTED


def test_an_invalid_mark_is_refused_with_its_field_and_saves_nothing(
    client: Any, cast: Any
) -> None:
    sheet = assigned(cast).sheets.get()
    indicator = first_capacity(sheet.evaluation.dossier).indicators.all()[0]
    client.force_login(cast.evaluator)

    response = client.post(
        autosave_url(sheet), sheet_data(sheet, overrides={f"i{indicator.pk}": 99})
    )

    assert response.status_code == 400
    error = response.json()["error"]
    assert error["code"] == "invalid"
    assert f"i{indicator.pk}" in error["fields"]
    sheet.refresh_from_db()
    assert sheet.version == 0


def test_the_editable_grid_loads_the_script_and_tells_it_where_to_save(
    client: Any, cast: Any
) -> None:
    sheet = assigned(cast).sheets.get()
    client.force_login(cast.evaluator)

    content = client.get(reverse("evaluations:sheet", args=[sheet.pk])).content.decode()

    assert 'src="/static/js/grid.js"' in content
    assert f'data-autosave-url="{autosave_url(sheet)}"' in content
    assert 'aria-live="polite"' in content
    assert 'role="alert"' in content
    assert "Recharger la grille" in content
    assert "<script>" not in content  # no inline script (CSP)


def test_a_submitted_grid_is_read_only_without_the_script(client: Any, cast: Any) -> None:
    sheet = assigned(cast).sheets.get()
    score_all(sheet, by=cast.evaluator)
    client.force_login(cast.evaluator)

    content = client.get(reverse("evaluations:sheet", args=[sheet.pk])).content.decode()

    assert "grid.js" not in content
    assert '<form method="post" class="form grid-form"' not in content
    assert "n'est plus modifiable" in content


def test_each_result_is_a_fieldset_named_by_its_capacity(client: Any, cast: Any) -> None:
    sheet = assigned(cast).sheets.get()
    capacity = first_capacity(sheet.evaluation.dossier)
    client.force_login(cast.evaluator)

    content = client.get(reverse("evaluations:sheet", args=[sheet.pk])).content.decode()

    assert '<fieldset class="outcome">' in content
    assert f'<span class="visually-hidden"> — {capacity.code}</span></legend>' in content


def test_my_sheets_list_grids_of_every_branch_that_habilitated_me(client: Any, cast: Any) -> None:
    from candidates import services as dossier_services
    from evaluations import services
    from evaluations.models import EvaluationKind
    from tests.factories import CandidateFactory

    ours = assigned(cast).sheets.get()
    candidate_b: Any = CandidateFactory.create(branch=cast.branch_b)
    dossier_b = dossier_services.dossier_open(
        candidate=candidate_b,
        version=cast.version,
        company=cast.company_b,
        access_route="continuing",
        first_certification=True,
        by=cast.staff_b,
    )
    dossier_services.dossier_start_positioning(dossier=dossier_b, by=cast.staff_b)
    dossier_services.dossier_start_evaluation(dossier=dossier_b, by=cast.staff_b)
    theirs = services.evaluation_create(
        dossier=dossier_b,
        kind=EvaluationKind.FINAL,
        external_evaluator=cast.evaluator,
        by=cast.staff_b,
    ).sheets.get()
    client.force_login(cast.evaluator)

    sheets = list(client.get(reverse("evaluations:sheet_list")).context["sheets"])

    assert {s.pk for s in sheets} == {ours.pk, theirs.pk}


# --- Evidence attached to a capacity ----------------------------------------------------

PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << >>\n%%EOF\n"


@pytest.fixture
def _media_in_tmp(settings: Any, tmp_path: Any) -> None:
    settings.MEDIA_ROOT = tmp_path / "media"


def attach(client: Any, sheet: EvaluationSheet, capacity: Any, name: str = "quai.pdf") -> Any:
    from django.core.files.uploadedfile import SimpleUploadedFile

    return client.post(
        reverse("candidates:evidence_upload", args=[sheet.evaluation.dossier_id]),
        {
            "file": SimpleUploadedFile(name, PDF, content_type="application/pdf"),
            "capacity": capacity.pk,
        },
    )


@pytest.mark.usefixtures("_media_in_tmp")
def test_each_capacity_offers_its_own_upload_form_outside_the_grid_form(
    client: Any, cast: Any
) -> None:
    sheet = assigned(cast).sheets.get()
    capacity = first_capacity(sheet.evaluation.dossier)
    client.force_login(cast.evaluator)

    content = client.get(reverse("evaluations:sheet", args=[sheet.pk])).content.decode()

    upload = reverse("candidates:evidence_upload", args=[sheet.evaluation.dossier_id])
    assert f'<form id="piece-{capacity.pk}" method="post" enctype="multipart/form-data"' in content
    assert f'action="{upload}"' in content
    assert f'<input type="hidden" name="capacity" value="{capacity.pk}">' in content
    assert f'form="piece-{capacity.pk}"' in content
    # Forms do not nest: every evidence form comes after the grid's form has closed.
    assert content.index(f'<form id="piece-{capacity.pk}"') > content.index("</form>")


@pytest.mark.usefixtures("_media_in_tmp")
def test_a_file_attached_to_a_capacity_is_listed_in_that_capacity(client: Any, cast: Any) -> None:
    sheet = assigned(cast).sheets.get()
    capacities = list(
        Capacity.objects.filter(bloc__version=cast.version).order_by("bloc__order", "order")
    )
    client.force_login(cast.evaluator)

    response = attach(client, sheet, capacities[1], name="chariot.pdf")

    assert response["Location"] == reverse("evaluations:sheet", args=[sheet.pk])
    content = client.get(response["Location"]).content.decode()
    block = content[content.index(f'id="capacite-{capacities[1].pk}"') :]
    block = block[: block.index(f'id="capacite-{capacities[2].pk}"')]
    piece = sheet.evaluation.dossier.evidence.get()
    assert reverse("candidates:evidence_download", args=[piece.pk]) in block
    assert "chariot.pdf" in block
    first = content[content.index(f'id="capacite-{capacities[0].pk}"') :]
    assert "chariot.pdf" not in first[: first.index(f'id="capacite-{capacities[1].pk}"')]


@pytest.mark.usefixtures("_media_in_tmp")
def test_a_submitted_grid_lists_its_evidence_but_offers_no_upload(client: Any, cast: Any) -> None:
    sheet = assigned(cast).sheets.get()
    capacity = first_capacity(sheet.evaluation.dossier)
    client.force_login(cast.evaluator)
    attach(client, sheet, capacity)
    score_all(sheet, by=cast.evaluator)

    content = client.get(reverse("evaluations:sheet", args=[sheet.pk])).content.decode()

    assert "quai.pdf" in content
    assert 'type="file"' not in content
    assert f'id="piece-{capacity.pk}"' not in content


@pytest.mark.usefixtures("_media_in_tmp")
def test_the_grid_shows_no_file_of_another_dossier(client: Any, cast: Any) -> None:
    ours = assigned(cast).sheets.get()
    from tests.factories import CandidateFactory

    theirs_candidate: Any = CandidateFactory.create(branch=cast.branch_a, last_name="Autre")
    from evaluations import services
    from evaluations.models import EvaluationKind
    from tests.evaluations.test_views import in_evaluation

    theirs = services.evaluation_create(
        dossier=in_evaluation(cast, candidate=theirs_candidate),
        kind=EvaluationKind.FINAL,
        external_evaluator=cast.evaluator,
        by=cast.staff_a,
    ).sheets.get()
    client.force_login(cast.evaluator)
    attach(client, theirs, first_capacity(theirs.evaluation.dossier), name="secret.pdf")

    content = client.get(reverse("evaluations:sheet", args=[ours.pk])).content.decode()

    assert "secret.pdf" not in content


@pytest.mark.usefixtures("_media_in_tmp")
def test_the_dossier_files_of_no_capacity_are_listed_once_below_the_grid(
    client: Any, cast: Any
) -> None:
    from django.core.files.uploadedfile import SimpleUploadedFile

    sheet = assigned(cast).sheets.get()
    client.force_login(cast.staff_a)
    client.post(
        reverse("candidates:evidence_upload", args=[sheet.evaluation.dossier_id]),
        {"file": SimpleUploadedFile("livret.pdf", PDF, content_type="application/pdf")},
    )
    client.force_login(cast.evaluator)

    content = client.get(reverse("evaluations:sheet", args=[sheet.pk])).content.decode()

    assert content.count("livret.pdf") == 1
    assert content.index("Autres pièces du dossier") < content.index("livret.pdf")
