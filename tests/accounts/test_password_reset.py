"""Password reset by email: one generic answer, a link from SITE_URL that expires and serves once."""

import datetime
import re
from typing import Any

import pytest
from django.conf import settings
from django.contrib.auth.tokens import PasswordResetTokenGenerator
from django.core import mail
from django.urls import reverse

pytestmark = pytest.mark.django_db


def without_csrf(content: bytes) -> bytes:
    """The page without its per-response CSRF token (the footer's language form has one)."""
    return re.sub(rb'name="csrfmiddlewaretoken" value="[^"]*"', b"", content)


RESET = reverse("accounts:password_reset")
NEW_PASSWORD = "Un-nouveau-mot-de-passe-42"


def request_link(client: Any, email: str, **extra: Any) -> str:
    response = client.post(RESET, {"email": email}, **extra)
    assert response.status_code == 302
    assert response["Location"] == reverse("accounts:password_reset_done")
    return response["Location"]


def link_in(message: Any) -> str:
    match = re.search(r"https?://\S+", message.body)
    assert match, message.body
    return match.group(0)


def test_the_reset_page_asks_for_an_email(client: Any) -> None:
    response = client.get(RESET)

    assert response.status_code == 200
    assert "Mot de passe oublié" in response.content.decode()


def test_the_whole_reset_flow_sets_a_new_password(client: Any, cast: Any) -> None:
    request_link(client, "staff.a@example.test")
    assert len(mail.outbox) == 1
    assert mail.outbox[0].to == ["staff.a@example.test"]
    link = link_in(mail.outbox[0])
    assert link.startswith(settings.SITE_URL)

    form_page = client.get(link.removeprefix(settings.SITE_URL), follow=True)
    assert form_page.context["validlink"] is True
    done = client.post(
        form_page.redirect_chain[-1][0],
        {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD},
    )

    assert done["Location"] == reverse("accounts:password_reset_complete")
    cast.staff_a.refresh_from_db()
    assert cast.staff_a.check_password(NEW_PASSWORD)


def test_a_reset_link_serves_only_once(client: Any, cast: Any) -> None:
    request_link(client, "staff.a@example.test")
    path = link_in(mail.outbox[0]).removeprefix(settings.SITE_URL)
    page = client.get(path, follow=True)
    client.post(
        page.redirect_chain[-1][0], {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD}
    )

    again = client.get(path, follow=True)

    assert again.context["validlink"] is False
    assert "Ce lien n'est plus valable" in again.content.decode()


def test_an_unknown_email_gets_the_same_answer_and_no_mail(client: Any, cast: Any) -> None:
    known = client.post(RESET, {"email": "staff.a@example.test"}, follow=True)
    unknown = client.post(RESET, {"email": "nobody@example.test"}, follow=True)

    assert without_csrf(known.content) == without_csrf(unknown.content)
    assert len(mail.outbox) == 1


def test_the_link_ignores_the_host_header(client: Any, cast: Any) -> None:
    request_link(client, "staff.a@example.test", HTTP_HOST="attacker.example")

    assert link_in(mail.outbox[0]).startswith(settings.SITE_URL + "/")
    assert "attacker.example" not in mail.outbox[0].body


def test_a_weak_password_is_refused_by_the_validators(client: Any, cast: Any) -> None:
    request_link(client, "staff.a@example.test")
    page = client.get(link_in(mail.outbox[0]).removeprefix(settings.SITE_URL), follow=True)

    response = client.post(
        page.redirect_chain[-1][0], {"new_password1": "12345678", "new_password2": "12345678"}
    )

    assert response.status_code == 200
    assert response.context["form"].errors["new_password2"]
    cast.staff_a.refresh_from_db()
    assert cast.staff_a.check_password("secret-password-123")


def test_a_reset_link_expires_after_a_day(client: Any, cast: Any, monkeypatch: Any) -> None:
    request_link(client, "staff.a@example.test")
    path = link_in(mail.outbox[0]).removeprefix(settings.SITE_URL)
    later = datetime.datetime.now() + datetime.timedelta(
        seconds=settings.PASSWORD_RESET_TIMEOUT + 60
    )
    monkeypatch.setattr(PasswordResetTokenGenerator, "_now", lambda self: later)

    page = client.get(path, follow=True)

    assert page.context["validlink"] is False


def test_resetting_the_password_ends_other_sessions(client: Any, cast: Any) -> None:
    from django.test import Client

    elsewhere = Client()
    elsewhere.force_login(cast.staff_a)
    request_link(client, "staff.a@example.test")
    page = client.get(link_in(mail.outbox[0]).removeprefix(settings.SITE_URL), follow=True)
    client.post(
        page.redirect_chain[-1][0], {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD}
    )

    assert elsewhere.get(reverse("candidates:dossier_list")).status_code == 302
