"""Cursor pages, filters and ordering; a page's query count does not grow with its size."""

from __future__ import annotations

from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from candidates import services as dossier_services
from tests.factories import CandidateFactory

pytestmark = pytest.mark.django_db


def _open_many(cast: Any, n: int) -> None:
    for _ in range(n):
        dossier_services.dossier_open(
            candidate=CandidateFactory.create(branch=cast.branch_a),
            version=cast.version,
            company=cast.company_a,
            access_route="continuing",
            by=cast.staff_a,
        )


def test_dossiers_come_in_cursor_pages_newest_first(cast: Any, api_as: Any) -> None:
    _open_many(cast, 5)
    client = api_as(cast.staff_a)
    first = client.get("/api/v1/dossiers/", {"page_size": 3}).json()
    assert len(first["results"]) == 3
    second = client.get(first["next"]).json()
    ids = [d["id"] for d in first["results"] + second["results"]]
    assert ids == sorted(ids, reverse=True)
    assert len(set(ids)) == 5
    assert second["next"] is None


def test_dossiers_filter_by_status(cast: Any, api_as: Any) -> None:
    _open_many(cast, 2)
    client = api_as(cast.staff_a)
    assert client.get("/api/v1/dossiers/", {"status": "open"}).json()["results"]
    assert client.get("/api/v1/dossiers/", {"status": "awarded"}).json()["results"] == []
    assert client.get("/api/v1/dossiers/", {"status": "nonsense"}).status_code == 400


def test_a_dossier_pages_query_count_does_not_grow_with_its_size(
    cast: Any, api_as: Any, django_assert_num_queries: Any
) -> None:
    _open_many(cast, 100)
    client = api_as(cast.staff_a)
    with CaptureQueriesContext(connection) as queries:
        small = client.get("/api/v1/dossiers/", {"page_size": 10})
    assert len(small.json()["results"]) == 10
    with django_assert_num_queries(len(queries)):
        large = client.get("/api/v1/dossiers/", {"page_size": 100})
    assert len(large.json()["results"]) == 100


def test_a_certificate_pages_query_count_does_not_grow_with_its_size(
    cast: Any, api_as: Any
) -> None:
    from tests import workflow

    for _ in range(3):
        workflow.award(cast, candidate=CandidateFactory.create(branch=cast.branch_a))
    client = api_as(cast.staff_a)
    counts = []
    for size in (1, 3):
        with CaptureQueriesContext(connection) as queries:
            response = client.get("/api/v1/certificates/", {"page_size": size})
        assert len(response.json()["results"]) == size
        counts.append(len(queries))
    assert counts[0] == counts[1]


def test_other_lists_order_on_request(cast: Any, api_as: Any) -> None:
    client = api_as(cast.admin)
    names = [
        b["name"] for b in client.get("/api/v1/branches/", {"ordering": "-name"}).json()["results"]
    ]
    assert names == sorted(names, reverse=True)
