"""An oversized request body is refused before anything reads it."""

from __future__ import annotations

import io
import json
from typing import Any

from django.http import HttpResponse
from django.test import RequestFactory

from core.middleware import RequestBodyLimitMiddleware


class Unreadable(io.BytesIO):
    def read(self, *args: Any) -> bytes:
        raise AssertionError("the body was read")


def answer(path: str, length: int, settings: Any) -> HttpResponse:
    settings.REQUEST_BODY_MAX_BYTES = 11 * 1024 * 1024
    request = RequestFactory().post(path, data=b"", content_type="application/octet-stream")
    request.META["CONTENT_LENGTH"] = str(length)
    request.META["wsgi.input"] = Unreadable()
    return RequestBodyLimitMiddleware(lambda r: HttpResponse("passed"))(request)


def test_a_60_mib_body_is_refused_unread_with_a_french_page(settings: Any):
    response = answer("/dossiers/1/pieces/", 60 * 1024 * 1024, settings)
    assert response.status_code == 413
    assert "trop volumineuse" in response.content.decode()
    assert "11,0" in response.content.decode() or "11.0" in response.content.decode()
    assert response["Connection"] == "close"


def test_the_api_answers_its_error_shape(settings: Any):
    response = answer("/api/v1/dossiers/", 60 * 1024 * 1024, settings)
    assert response.status_code == 413
    assert json.loads(response.content)["error"]["code"] == "request_too_large"


def test_a_body_within_the_limit_goes_through(settings: Any):
    assert answer("/dossiers/1/pieces/", 11 * 1024 * 1024, settings).content == b"passed"


def test_the_whole_stack_refuses_it_too(client: Any, settings: Any, db: Any):
    settings.REQUEST_BODY_MAX_BYTES = 1024
    response = client.post("/comptes/connexion/", {"username": "x" * 4000, "password": "y"})
    assert response.status_code == 413
