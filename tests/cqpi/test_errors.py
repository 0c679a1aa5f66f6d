"""Error pages: the portal shows a page of its own, the API its JSON error shape, and a
server error says nothing of the internals — even with the database unreachable."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client, RequestFactory

from cqpi.errors import server_error

pytestmark = pytest.mark.django_db


@pytest.fixture
def failing(settings: Any) -> Client:
    settings.ROOT_URLCONF = "tests.cqpi.error_urls"
    return Client(raise_request_exception=False)


def test_a_server_error_in_the_portal_is_a_french_page_without_internals(failing: Client) -> None:
    response = failing.get("/boom/")

    body = response.content.decode()
    assert response.status_code == 500
    assert response["Content-Type"].startswith("text/html")
    assert "Service momentanément indisponible" in body
    assert "OperationalError" not in body and "5432" not in body and "Traceback" not in body


def test_a_server_error_in_the_api_is_its_json_error(failing: Client) -> None:
    response = failing.get("/api/v1/boom/")

    assert response.status_code == 500
    assert response["Content-Type"] == "application/json"
    error = response.json()["error"]
    assert error["code"] == "server_error"
    assert "5432" not in error["message"] and "OperationalError" not in error["message"]


def test_the_server_error_page_needs_no_database(django_assert_max_num_queries: Any) -> None:
    request = RequestFactory().get("/dossiers/")
    with django_assert_max_num_queries(0):
        response = server_error(request)
    assert response.status_code == 500
    assert "Réessayez dans quelques instants" in response.content.decode()


def test_the_server_error_speaks_english_when_asked(failing: Client) -> None:
    response = failing.get("/boom/", HTTP_ACCEPT_LANGUAGE="en")
    assert "Service temporarily unavailable" in response.content.decode()


def test_an_unknown_portal_page_is_a_french_page(client: Client) -> None:
    response = client.get("/nulle-part/")

    assert response.status_code == 404
    assert "Page introuvable" in response.content.decode()


def test_an_unknown_api_address_is_a_json_404(client: Client) -> None:
    response = client.get("/api/v1/nulle-part/")

    assert response.status_code == 404
    assert response["Content-Type"] == "application/json"
    assert response.json()["error"]["code"] == "not_found"
