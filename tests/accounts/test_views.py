"""Logging in with an email and a password, and logging out by POST."""

from typing import Any

import pytest
from django.urls import reverse

pytestmark = pytest.mark.django_db


def test_the_login_page_asks_for_an_email_and_a_password(client: Any) -> None:
    response = client.get(reverse("accounts:login"))

    assert response.status_code == 200
    assert b'type="email"' in response.content
    assert b'type="password"' in response.content


def test_a_right_password_logs_in_and_sends_home(client: Any, cast: Any) -> None:
    response = client.post(
        reverse("accounts:login"),
        {"username": "staff.a@example.test", "password": "secret-password-123"},
    )

    assert response.status_code == 302
    assert response["Location"] == reverse("home")
    assert client.get(reverse("home")).status_code == 302  # on to the staff's space


def test_a_wrong_password_is_refused_and_the_email_is_kept(client: Any, cast: Any) -> None:
    response = client.post(
        reverse("accounts:login"),
        {"username": "staff.a@example.test", "password": "wrong"},
    )

    assert response.status_code == 200
    assert b'value="staff.a@example.test"' in response.content
    assert "_auth_user_id" not in client.session


def test_logout_needs_a_post(client: Any, cast: Any) -> None:
    client.force_login(cast.staff_a)

    assert client.get(reverse("accounts:logout")).status_code == 405
    response = client.post(reverse("accounts:logout"))

    assert response.status_code == 302
    assert response["Location"] == reverse("accounts:login")
    assert "_auth_user_id" not in client.session
