"""The erasure pages, each tried four ways: anonymous, another branch, a wrong role, the right role."""

from __future__ import annotations

from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from candidates import services as dossier_services
from privacy import services
from privacy.models import ErasureRequest, ErasureStatus
from tests import workflow

pytestmark = pytest.mark.django_db

LOGIN = reverse("accounts:login")
OWN = reverse("privacy:own_erasure")
LIST = reverse("privacy:request_list")


@pytest.fixture
def pending(cast: Any) -> ErasureRequest:
    dossier = workflow.open_dossier(cast, candidate=cast.other_candidate)
    dossier_services.dossier_withdraw(dossier=dossier, by=cast.staff_a, comment="Départ")
    return services.erasure_request_create(
        candidate=cast.other_candidate, by=cast.other_candidate_user, message="Merci."
    )


def _detail(request: ErasureRequest, name: str = "request_detail") -> str:
    return reverse(f"privacy:{name}", args=[request.pk])


def test_the_candidates_page_four_ways(client: Any, cast: Any) -> None:
    assert client.get(OWN)["Location"].startswith(LOGIN)
    for person in ("staff_a", "evaluator", "coc_observer", "outsider"):
        client.force_login(getattr(cast, person))
        assert client.get(OWN).status_code == 403, person
        assert client.post(OWN).status_code == 403, person
    assert not ErasureRequest.objects.exists()
    client.force_login(cast.candidate_user)
    page = client.get(OWN)
    assert page.status_code == 200
    assert "Demander l'effacement de mes données" in page.content.decode()


def test_a_candidate_asks_from_their_space_and_sees_the_answer(client: Any, cast: Any) -> None:
    client.force_login(cast.candidate_user)
    assert (
        reverse("privacy:own_erasure")
        in client.get(reverse("space:personal_data")).content.decode()
    )
    response = client.post(OWN, {"message": "Je quitte le secteur."})
    assert response.status_code == 302 and response["Location"] == OWN
    request = ErasureRequest.objects.get()
    assert (request.candidate, request.message) == (cast.candidate, "Je quitte le secteur.")
    page = client.get(OWN).content.decode()
    assert "En attente" in page and "Demander l&#x27;effacement de mes données</button>" not in page
    services.erasure_refuse(request=request, by=cast.staff_a, answer="Dossier en cours.")
    assert "Dossier en cours." in client.get(OWN).content.decode()


def test_the_list_four_ways(client: Any, cast: Any, pending: ErasureRequest) -> None:
    assert client.get(LIST)["Location"].startswith(LOGIN)
    for person in ("evaluator", "jury_employer", "candidate_user", "coc_observer"):
        client.force_login(getattr(cast, person))
        assert client.get(LIST).status_code == 403, person
    client.force_login(cast.staff_b)
    page = client.get(LIST)
    assert page.status_code == 200 and "Petit" not in page.content.decode()
    client.force_login(cast.staff_a)
    page = client.get(LIST)
    assert page.status_code == 200 and "Marc PETIT" in page.content.decode()
    assert _detail(pending) in page.content.decode()
    assert "Marc PETIT" not in client.get(LIST, {"status": "refused"}).content.decode()


def test_the_list_costs_the_same_for_many_requests(
    client: Any, cast: Any, pending: ErasureRequest
) -> None:
    client.force_login(cast.staff_a)
    client.get(LIST)

    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            page = client.get(LIST)
        assert page.status_code == 200
        return len(captured)

    one = queries()
    services.erasure_request_create(candidate=cast.candidate, by=cast.candidate_user)
    assert queries() == one


def test_the_detail_four_ways(client: Any, cast: Any, pending: ErasureRequest) -> None:
    url = _detail(pending)
    assert client.get(url)["Location"].startswith(LOGIN)
    client.force_login(cast.staff_b)
    assert client.get(url).status_code == 404
    for person in ("evaluator", "jury_employer", "candidate_user", "coc_observer"):
        client.force_login(getattr(cast, person))
        assert client.get(url).status_code == 404, person
    # The requester sees it (their own), but it is not theirs to answer.
    client.force_login(cast.other_candidate_user)
    assert client.get(url).status_code == 403
    client.force_login(cast.staff_a)
    page = client.get(url)
    assert page.status_code == 200 and "Merci." in page.content.decode()


@pytest.mark.parametrize("action", ["request_approve", "request_refuse"])
def test_the_answers_four_ways(
    client: Any, cast: Any, pending: ErasureRequest, action: str
) -> None:
    url = _detail(pending, action)
    data = {"approve-answer": "", "refuse-answer": "Conservation légale."}
    assert client.post(url, data)["Location"].startswith(LOGIN)
    client.force_login(cast.staff_b)
    assert client.post(url, data).status_code == 404
    for person in ("evaluator", "coc_observer", "other_candidate_user"):
        client.force_login(getattr(cast, person))
        assert client.post(url, data).status_code in (403, 404), person
    pending.refresh_from_db()
    assert pending.status == ErasureStatus.PENDING
    client.force_login(cast.staff_a)
    assert client.get(url).status_code == 405
    response = client.post(url, data)
    assert response.status_code == 302 and response["Location"] == _detail(pending)
    pending.refresh_from_db()
    expected = ErasureStatus.DONE if action == "request_approve" else ErasureStatus.REFUSED
    assert pending.status == expected


def test_a_refusal_without_reason_is_shown_on_the_form(
    client: Any, cast: Any, pending: ErasureRequest
) -> None:
    client.force_login(cast.staff_a)
    page = client.post(_detail(pending, "request_refuse"), {"refuse-answer": ""})
    assert page.status_code == 200 and "Ce champ est obligatoire" in page.content.decode()


def test_a_blocked_approval_says_why(client: Any, cast: Any) -> None:
    workflow.open_dossier(cast)
    request = services.erasure_request_create(candidate=cast.candidate, by=cast.candidate_user)
    client.force_login(cast.staff_a)
    page = client.post(_detail(request, "request_approve"), {"approve-answer": ""})
    assert page.status_code == 200
    assert "Un dossier de ce candidat est en cours" in page.content.decode()
    request.refresh_from_db()
    assert request.status == ErasureStatus.PENDING
