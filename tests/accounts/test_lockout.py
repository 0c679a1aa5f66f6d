"""Login lockout (django-axes) per account and per address, and a refusal that reveals nothing."""

import re
from typing import Any

import pytest
from django.urls import reverse

pytestmark = pytest.mark.django_db


def without_csrf(content: bytes) -> bytes:
    """The page without its per-response CSRF token (the footer's language form has one)."""
    return re.sub(rb'name="csrfmiddlewaretoken" value="[^"]*"', b"", content)


LOGIN = reverse("accounts:login")
PASSWORD = "secret-password-123"
GENERIC = "Adresse e-mail ou mot de passe incorrect."


def attempt(client: Any, email: str, password: str, ip: str = "203.0.113.7") -> Any:
    return client.post(LOGIN, {"username": email, "password": password}, REMOTE_ADDR=ip)


def test_five_failures_lock_the_account_even_for_the_right_password(client: Any, cast: Any) -> None:
    for n in range(5):
        attempt(client, "staff.a@example.test", "wrong", ip=f"198.51.100.{n + 1}")

    response = attempt(client, "staff.a@example.test", PASSWORD, ip="198.51.100.99")

    assert response.status_code == 429
    assert "Connexion temporairement bloquée" in response.content.decode()
    assert "_auth_user_id" not in client.session


def test_four_failures_do_not_lock_the_account(client: Any, cast: Any) -> None:
    for n in range(4):
        attempt(client, "staff.a@example.test", "wrong", ip=f"198.51.100.{n + 1}")

    response = attempt(client, "staff.a@example.test", PASSWORD, ip="198.51.100.99")

    assert response.status_code == 302


def test_the_account_counter_ignores_the_case_of_the_email(client: Any, cast: Any) -> None:
    for n, email in enumerate(
        ["STAFF.A@example.test", "Staff.A@Example.test"] * 2 + ["staff.a@example.test"]
    ):
        attempt(client, email, "wrong", ip=f"198.51.100.{n + 1}")

    assert attempt(client, "staff.a@example.test", PASSWORD, ip="198.51.100.99").status_code == 429


def test_an_address_failing_on_various_accounts_is_locked(client: Any, cast: Any) -> None:
    for n in range(5):
        attempt(client, f"someone{n}@example.test", "wrong", ip="203.0.113.50")

    locked = attempt(client, "staff.a@example.test", PASSWORD, ip="203.0.113.50")
    elsewhere = attempt(client, "staff.a@example.test", PASSWORD, ip="203.0.113.51")

    assert locked.status_code == 429
    assert elsewhere.status_code == 302


def test_a_success_resets_the_account_counter(client: Any, cast: Any) -> None:
    for n in range(4):
        attempt(client, "staff.a@example.test", "wrong", ip=f"198.51.100.{n + 1}")
    assert attempt(client, "staff.a@example.test", PASSWORD, ip="198.51.100.20").status_code == 302
    client.post(reverse("accounts:logout"))

    for n in range(4):
        attempt(client, "staff.a@example.test", "wrong", ip=f"198.51.100.{n + 30}")
    response = attempt(client, "staff.a@example.test", PASSWORD, ip="198.51.100.40")

    assert response.status_code == 302


def test_the_refusal_is_the_same_whether_the_account_exists_or_not(client: Any, cast: Any) -> None:
    known = attempt(client, "staff.a@example.test", "wrong", ip="198.51.100.1")
    unknown = attempt(client, "nobody@example.test", "wrong", ip="198.51.100.2")
    inactive_user = cast.outsider
    inactive_user.is_active = False
    inactive_user.save()
    inactive = attempt(client, inactive_user.email, PASSWORD, ip="198.51.100.3")

    messages = [r.context["form"].non_field_errors() for r in (known, unknown, inactive)]
    assert all(r.status_code == 200 for r in (known, unknown, inactive))
    assert messages[0] == messages[1] == messages[2]
    assert GENERIC in messages[0][0]


def test_an_unknown_account_is_locked_out_like_a_real_one(client: Any, cast: Any) -> None:
    for n in range(5):
        attempt(client, "nobody@example.test", "wrong", ip=f"198.51.100.{n + 1}")

    unknown = attempt(client, "nobody@example.test", "wrong", ip="198.51.100.99")
    for n in range(5):
        attempt(client, "staff.b@example.test", "wrong", ip=f"192.0.2.{n + 1}")
    known = attempt(client, "staff.b@example.test", "wrong", ip="192.0.2.99")

    assert unknown.status_code == known.status_code == 429
    assert without_csrf(unknown.content) == without_csrf(known.content)
