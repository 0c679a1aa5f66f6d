"""Machine tokens: created by their owner and shown once, listed, revoked; stored hashed."""

from __future__ import annotations

import base64
from typing import Any

import pytest
from django.urls import reverse
from django_otp.oath import totp
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice
from knox.models import AuthToken
from rest_framework.test import APIClient

from audit.models import AuditEvent

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


# --- The second factor on this door ------------------------------------------------------


def _basic(email: str) -> APIClient:
    credentials = base64.b64encode(f"{email}:secret-password-123".encode()).decode()
    return APIClient(headers={"Authorization": f"Basic {credentials}"})


def _code(device: TOTPDevice) -> str:
    return f"{totp(device.bin_key, step=device.step, t0=device.t0, digits=device.digits):06d}"


def test_a_password_alone_gets_no_token_for_who_has_a_second_factor(cast: Any) -> None:
    TOTPDevice.objects.create(user=cast.staff_a, name="phone", confirmed=True)
    response = _basic(cast.staff_a.email).post("/api/v1/auth/tokens/", {})
    assert response.status_code == 403
    assert response.json()["error"]["code"] == "two_factor_required"
    assert "otp_token" in response.json()["error"]["message"]
    assert not AuthToken.objects.exists()


def test_a_wrong_code_gets_no_token_and_is_recorded(cast: Any) -> None:
    device = TOTPDevice.objects.create(user=cast.staff_a, name="phone", confirmed=True)
    wrong = f"{(int(_code(device)) + 1) % 1_000_000:06d}"
    response = _basic(cast.staff_a.email).post("/api/v1/auth/tokens/", {"otp_token": wrong})
    assert response.status_code == 403
    assert response.json()["error"]["code"] == "two_factor_invalid"
    assert not AuthToken.objects.exists()
    assert AuditEvent.objects.filter(action="auth.two_factor_failed", actor=cast.staff_a).exists()


def test_the_password_and_the_current_code_get_a_token(cast: Any) -> None:
    device = TOTPDevice.objects.create(user=cast.staff_a, name="phone", confirmed=True)
    response = _basic(cast.staff_a.email).post("/api/v1/auth/tokens/", {"otp_token": _code(device)})
    assert response.status_code == 201
    token = response.json()["token"]
    machine = APIClient(headers={"Authorization": f"Token {token}"})
    assert machine.get("/api/v1/dossiers/").status_code == 200
    created = AuditEvent.objects.get(action="api.token_created")
    assert created.actor == cast.staff_a
    assert created.details["via"] == "password"


def test_a_backup_code_serves_once(cast: Any) -> None:
    TOTPDevice.objects.create(user=cast.staff_a, name="phone", confirmed=True)
    backup = StaticDevice.objects.create(user=cast.staff_a, name="backup", confirmed=True)
    StaticToken.objects.create(device=backup, token="abcd1234")
    client = _basic(cast.staff_a.email)
    assert client.post("/api/v1/auth/tokens/", {"otp_token": "abcd1234"}).status_code == 201
    assert client.post("/api/v1/auth/tokens/", {"otp_token": "abcd1234"}).status_code == 403
    assert AuthToken.objects.filter(user=cast.staff_a).count() == 1


def test_a_branch_that_requires_a_second_factor_refuses_a_password_token(cast: Any) -> None:
    cast.branch_a.require_two_factor = True
    cast.branch_a.save()
    response = _basic(cast.staff_a.email).post("/api/v1/auth/tokens/", {})
    assert response.status_code == 403
    assert response.json()["error"]["code"] == "two_factor_setup_required"
    assert not AuthToken.objects.exists()


def test_a_session_that_has_not_given_its_second_factor_mints_no_token(
    cast: Any, client: Any
) -> None:
    TOTPDevice.objects.create(user=cast.staff_a, name="phone", confirmed=True)
    response = client.post(
        reverse("accounts:login"),
        {"username": cast.staff_a.email, "password": "secret-password-123"},
    )
    assert response.status_code == 302
    response = client.post("/api/v1/auth/tokens/", {}, content_type="application/json")
    assert response.status_code == 403
    assert not AuthToken.objects.exists()
