"""The candidate's personal data page and JSON download: everything about them, nothing of others."""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.conf import settings
from django.shortcuts import resolve_url
from django.urls import reverse

from candidates.models import DossierHistory
from certifications.models import Certificate
from tests.workflow import award, open_dossier

PAGE = reverse("space:personal_data")
DOWNLOAD = reverse("space:personal_data_download")


@pytest.fixture(autouse=True)
def _media_in_tmp(settings: Any, tmp_path: Any) -> None:
    settings.MEDIA_ROOT = tmp_path / "media"


def download(client: Any) -> dict[str, Any]:
    response = client.get(DOWNLOAD)
    assert response.status_code == 200
    return json.loads(response.content)


@pytest.mark.parametrize("url", [PAGE, DOWNLOAD])
def test_anonymous_visitors_are_sent_to_log_in(client: Any, cast: Any, url: str) -> None:
    response = client.get(url)

    assert response.status_code == 302
    assert response["Location"].startswith(resolve_url(settings.LOGIN_URL))


@pytest.mark.parametrize("url", [PAGE, DOWNLOAD])
@pytest.mark.parametrize("who", ["staff_a", "staff_b", "evaluator", "jury_employer", "outsider"])
def test_people_who_are_not_candidates_are_refused(
    client: Any, cast: Any, url: str, who: str
) -> None:
    client.force_login(getattr(cast, who))

    assert client.get(url).status_code == 403


def test_the_download_is_a_json_attachment(client: Any, cast: Any) -> None:
    client.force_login(cast.candidate_user)

    response = client.get(DOWNLOAD)

    assert response["Content-Type"].startswith("application/json")
    assert response["Content-Disposition"].startswith('attachment; filename="mes-donnees-cqpi-')
    assert response["Cache-Control"] == "no-store"


def test_the_download_holds_identity_account_dossier_decision_and_certificate(
    client: Any, cast: Any
) -> None:
    decision = award(cast)
    certificate = Certificate.objects.get(decision=decision)
    client.force_login(cast.candidate_user)

    data = download(client)

    assert data["account"]["email"] == cast.candidate_user.email
    assert "last_login" in data["account"]
    [identity] = data["candidates"]
    assert (identity["last_name"], identity["first_name"]) == ("Durand", "Léa")
    assert identity["birth_date"] == cast.candidate.birth_date.isoformat()
    [dossier] = identity["dossiers"]
    assert dossier["reference"] == decision.dossier.reference
    assert dossier["status"] == "Certifié"
    assert [step["to"] for step in dossier["history"]][-1] == "Certifié"
    assert dossier["decisions"][0]["outcome"] == "Délivrance totale"
    assert all(line["validated"] for line in dossier["decisions"][0]["capacities"])
    assert dossier["certificates"][0]["number"] == certificate.number
    assert dossier["certificates"][0]["verification_url"] == certificate.verification_url
    [evaluation] = dossier["evaluations"]
    assert {r["outcome"] for r in evaluation["sheets"][0]["results"]} == {"Acquis"}


def test_nothing_of_another_candidate_is_ever_included(client: Any, cast: Any) -> None:
    theirs = open_dossier(cast, candidate=cast.other_candidate)
    ours = open_dossier(cast)
    client.force_login(cast.candidate_user)

    body = client.get(DOWNLOAD).content.decode()
    page = client.get(PAGE).content.decode()

    assert ours.reference in body and ours.reference in page
    for text in (theirs.reference, "Petit", cast.other_candidate_user.email):
        assert text not in body
        assert text not in page


def test_staff_comments_in_the_history_are_left_out(client: Any, cast: Any) -> None:
    dossier = open_dossier(cast)
    DossierHistory.objects.filter(dossier=dossier).update(comment="Note interne confidentielle")
    client.force_login(cast.candidate_user)

    assert "Note interne confidentielle" not in client.get(DOWNLOAD).content.decode()
    assert "Note interne confidentielle" not in client.get(PAGE).content.decode()


def test_the_page_shows_what_is_held_and_offers_the_download(client: Any, cast: Any) -> None:
    dossier = open_dossier(cast)
    client.force_login(cast.candidate_user)

    response = client.get(PAGE)

    content = response.content.decode()
    assert response.status_code == 200
    assert "Mes données personnelles" in content
    assert f'href="{DOWNLOAD}"' in content
    assert "Télécharger mes données (JSON)" in content
    assert dossier.reference in content
    assert cast.candidate.birth_place in content


def test_a_candidate_with_no_dossier_gets_their_identity_and_account(
    client: Any, cast: Any
) -> None:
    client.force_login(cast.candidate_user)

    data = download(client)

    assert data["candidates"][0]["dossiers"] == []
    assert data["account"]["email"] == cast.candidate_user.email


def test_the_space_links_to_the_personal_data_page(client: Any, cast: Any) -> None:
    client.force_login(cast.candidate_user)

    assert f'href="{PAGE}"' in client.get(reverse("space:home")).content.decode()


def test_the_download_costs_the_same_queries_for_one_and_for_four_dossiers(
    client: Any, cast: Any
) -> None:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    award(cast)
    client.force_login(cast.candidate_user)
    with CaptureQueriesContext(connection) as one:
        data = download(client)
    assert len(data["candidates"][0]["dossiers"]) == 1
    for _ in range(3):
        award(cast)

    with CaptureQueriesContext(connection) as four:
        data = download(client)

    assert len(data["candidates"][0]["dossiers"]) == 4
    assert len(four) == len(one)


def test_the_download_holds_the_dossier_of_evidence(client: Any, cast: Any) -> None:
    from candidates import services
    from candidates.models import AccessRoute
    from certifications.models import Capacity

    dossier = open_dossier(cast, route=AccessRoute.VAE)
    capacity = Capacity.objects.filter(bloc__version_id=dossier.version_id).order_by("pk")[0]
    services.evidence_statement_save(
        dossier=dossier, capacity=capacity, text="Mes tournées", by=cast.candidate_user
    )
    services.evidence_dossier_submit(dossier=dossier, by=cast.candidate_user)
    client.force_login(cast.candidate_user)

    [held] = download(client)["candidates"][0]["dossiers"]

    assert held["dossier_of_evidence"]["status"] == "Transmis"
    assert held["dossier_of_evidence"]["descriptions"] == [
        {"capacity": capacity.code, "text": "Mes tournées"}
    ]
