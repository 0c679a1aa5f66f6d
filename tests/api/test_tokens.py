"""Machine tokens: created by their owner and shown once, listed, revoked; stored hashed."""

from __future__ import annotations

import base64
from typing import Any

import pytest
from knox.models import AuthToken
from rest_framework.test import APIClient

pytestmark = pytest.mark.django_db


def test_a_signed_in_user_creates_a_token_shown_once(cast: Any) -> None:
    client = APIClient()
    client.force_authenticate(cast.staff_a)
    response = client.post("/api/v1/auth/tokens/", {"expiry_days": 30})
    assert response.status_code == 201
    token = response.json()["token"]
    stored = AuthToken.objects.get(user=cast.staff_a)
    assert token not in (stored.digest, stored.token_key)
    listing = client.get("/api/v1/auth/tokens/").json()
    assert listing == [
        {"id": stored.token_key, "created": listing[0]["created"], "expiry": listing[0]["expiry"]}
    ]
    machine = APIClient(headers={"Authorization": f"Token {token}"})
    assert machine.get("/api/v1/dossiers/").status_code == 200


def test_a_token_is_obtained_with_the_password(cast: Any) -> None:
    credentials = base64.b64encode(b"staff.a@example.test:secret-password-123").decode()
    client = APIClient(headers={"Authorization": f"Basic {credentials}"})
    response = client.post("/api/v1/auth/tokens/", {})
    assert response.status_code == 201
    assert response.json()["token"]


def test_a_wrong_password_gets_no_token(cast: Any) -> None:
    credentials = base64.b64encode(b"staff.a@example.test:wrong").decode()
    client = APIClient(headers={"Authorization": f"Basic {credentials}"})
    assert client.post("/api/v1/auth/tokens/", {}).status_code == 401
    assert not AuthToken.objects.exists()


def test_a_revoked_token_no_longer_works(cast: Any, api_as: Any) -> None:
    _instance, token = AuthToken.objects.create(cast.staff_a)
    client = APIClient(headers={"Authorization": f"Token {token}"})
    key = client.get("/api/v1/auth/tokens/").json()[0]["id"]
    assert client.delete(f"/api/v1/auth/tokens/{key}/").status_code == 204
    assert client.get("/api/v1/dossiers/").status_code == 401


def test_nobody_revokes_another_users_token(cast: Any, api_as: Any) -> None:
    instance, _token = AuthToken.objects.create(cast.staff_a)
    response = api_as(cast.staff_b).delete(f"/api/v1/auth/tokens/{instance.token_key}/")
    assert response.status_code == 404
    assert AuthToken.objects.filter(pk=instance.pk).exists()


def test_session_writes_need_the_csrf_token(cast: Any) -> None:
    client = APIClient(enforce_csrf_checks=True)
    client.force_login(cast.staff_a)
    response = client.post("/api/v1/auth/tokens/", {})
    assert response.status_code == 403
    assert "CSRF" in response.json()["error"]["message"]
