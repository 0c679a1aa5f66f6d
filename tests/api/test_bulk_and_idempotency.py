"""Bulk opening of dossiers (all or nothing) and Idempotency-Key replays."""

from __future__ import annotations

from typing import Any

import pytest

from candidates.models import Dossier
from core.models import IdempotencyRecord
from evaluations.models import Proposal
from tests import workflow
from tests.factories import CandidateFactory

pytestmark = pytest.mark.django_db


def _item(cast: Any, candidate: Any, **extra: Any) -> dict[str, Any]:
    return {
        "candidate": candidate.pk,
        "version": cast.version.pk,
        "company": cast.company_a.pk,
        "access_route": "continuing",
        **extra,
    }


def test_bulk_opens_every_dossier(cast: Any, api_as: Any) -> None:
    items = [_item(cast, CandidateFactory.create(branch=cast.branch_a)) for _ in range(5)]
    response = api_as(cast.staff_a).post("/api/v1/dossiers/bulk/", {"items": items})
    assert response.status_code == 201
    assert response.json()["created"] == 5
    assert Dossier.objects.count() == 5


def test_bulk_creates_nothing_when_one_item_is_refused(cast: Any, api_as: Any) -> None:
    items = [_item(cast, CandidateFactory.create(branch=cast.branch_a)) for _ in range(3)]
    items[1]["company"] = None
    items[2]["access_route"] = "unknown"
    items.append(_item(cast, cast.candidate, company=cast.company_a.pk, opened_on="2020-01-01"))
    response = api_as(cast.staff_a).post("/api/v1/dossiers/bulk/", {"items": items})
    assert response.status_code == 400
    fields = response.json()["error"]["fields"]["items"]
    assert set(fields) == {"2"}
    assert fields["2"]["access_route"][0]["code"] == "invalid_choice"
    assert Dossier.objects.count() == 0


def test_bulk_reports_domain_refusals_per_item_and_rolls_back(cast: Any, api_as: Any) -> None:
    items = [_item(cast, CandidateFactory.create(branch=cast.branch_a)) for _ in range(3)]
    items[1]["company"] = cast.company_b.pk  # foreign company: not in staff A's scope
    response = api_as(cast.staff_a).post("/api/v1/dossiers/bulk/", {"items": items})
    assert response.json()["error"]["fields"]["items"]["1"]["company"][0]["code"] == (
        "does_not_exist"
    )
    admin_items = [_item(cast, CandidateFactory.create(branch=cast.branch_a)) for _ in range(3)]
    admin_items[2]["company"] = cast.company_b.pk  # visible to the admin, but another branch
    response = api_as(cast.admin).post("/api/v1/dossiers/bulk/", {"items": admin_items})
    assert response.status_code == 400
    error = response.json()["error"]["fields"]["items"]["2"]["non_field_errors"][0]
    assert error["code"] == "company_branch"
    assert Dossier.objects.count() == 0


def test_bulk_refuses_more_than_a_thousand_items(cast: Any, api_as: Any) -> None:
    items = [_item(cast, cast.candidate)] * 1001
    response = api_as(cast.staff_a).post("/api/v1/dossiers/bulk/", {"items": items})
    assert response.status_code == 400
    items_errors = response.json()["error"]["fields"]["items"]
    assert items_errors["non_field_errors"][0]["code"] == "max_length"


def test_a_retried_bulk_with_the_same_key_acts_once(cast: Any, api_as: Any) -> None:
    client = api_as(cast.staff_a, **{"Idempotency-Key": "import-2026-01"})
    body = {"items": [_item(cast, CandidateFactory.create(branch=cast.branch_a)) for _ in range(2)]}
    first = client.post("/api/v1/dossiers/bulk/", body)
    second = client.post("/api/v1/dossiers/bulk/", body)
    assert first.status_code == second.status_code == 201
    assert second.json() == first.json()
    assert second["Idempotent-Replayed"] == "true"
    assert Dossier.objects.count() == 2


def test_the_same_key_with_another_body_is_422(cast: Any, api_as: Any) -> None:
    client = api_as(cast.staff_a, **{"Idempotency-Key": "k1"})
    client.post("/api/v1/dossiers/", _item(cast, cast.candidate))
    response = client.post("/api/v1/dossiers/", _item(cast, cast.other_candidate))
    assert response.status_code == 422
    assert response.json()["error"]["code"] == "idempotency_key_reused"
    assert Dossier.objects.count() == 1


def test_a_refused_request_leaves_its_key_free(cast: Any, api_as: Any) -> None:
    client = api_as(cast.staff_a, **{"Idempotency-Key": "k2"})
    refused = client.post(
        "/api/v1/dossiers/",
        _item(
            cast,
            cast.candidate,
            access_route="vae",
            version=cast.version.pk,
            company=cast.company_b.pk,
        ),
    )
    assert refused.status_code == 400
    assert not IdempotencyRecord.objects.exists()


def test_keys_belong_to_their_user(cast: Any, api_as: Any) -> None:
    body = _item(cast, cast.candidate)
    api_as(cast.staff_a, **{"Idempotency-Key": "shared"}).post("/api/v1/dossiers/", body)
    response = api_as(cast.admin, **{"Idempotency-Key": "shared"}).post("/api/v1/dossiers/", body)
    assert response.status_code == 201
    assert Dossier.objects.count() == 2


def test_a_double_submitted_proposal_has_exactly_one_effect(cast: Any, api_as: Any) -> None:
    dossier = workflow.ready_for_jury(cast)
    session = workflow.open_session(cast, [dossier])
    client = api_as(cast.jury_employer, **{"Idempotency-Key": "proposal-42"})
    body = {"session": session.pk, "dossier": dossier.pk, "outcome": "award"}
    first = client.post("/api/v1/proposals/", body)
    second = client.post("/api/v1/proposals/", body)
    assert first.status_code == second.status_code == 201
    assert first.json()["id"] == second.json()["id"]
    assert Proposal.objects.filter(dossier=dossier).count() == 1


def test_without_a_key_a_second_proposal_is_refused(cast: Any, api_as: Any) -> None:
    dossier = workflow.ready_for_jury(cast)
    session = workflow.open_session(cast, [dossier])
    client = api_as(cast.jury_employer)
    body = {"session": session.pk, "dossier": dossier.pk, "outcome": "award"}
    assert client.post("/api/v1/proposals/", body).status_code == 201
    second = client.post("/api/v1/proposals/", body)
    assert second.status_code == 400
    assert second.json()["error"]["code"] == "proposal_open"
