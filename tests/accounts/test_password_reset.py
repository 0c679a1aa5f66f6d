"""Password reset by email: one generic answer, a link from SITE_URL that expires and serves once."""

import datetime
import re
from typing import Any

import pytest
from django.conf import settings
from django.contrib.auth.tokens import PasswordResetTokenGenerator
from django.core import mail
from django.urls import reverse

from audit.models import AuditEvent

pytestmark = pytest.mark.django_db


def without_csrf(content: bytes) -> bytes:
    """The page without its per-response CSRF token (the footer's language form has one)."""
    return re.sub(rb'name="csrfmiddlewaretoken" value="[^"]*"', b"", content)


RESET = reverse("accounts:password_reset")
NEW_PASSWORD = "Un-nouveau-mot-de-passe-42"


@pytest.fixture
def request_link(client: Any, django_capture_on_commit_callbacks: Any) -> Any:
    """Ask for a link as the page does; the email task runs when the request commits."""

    def request(email: str, **extra: Any) -> str:
        with django_capture_on_commit_callbacks(execute=True):
            response = client.post(RESET, {"email": email}, **extra)
        assert response.status_code == 302
        assert response["Location"] == reverse("accounts:password_reset_done")
        return response["Location"]

    return request


def link_in(message: Any) -> str:
    match = re.search(r"https?://\S+", message.body)
    assert match, message.body
    return match.group(0)


def test_the_reset_page_asks_for_an_email(client: Any) -> None:
    response = client.get(RESET)

    assert response.status_code == 200
    assert "Mot de passe oublié" in response.content.decode()


def test_the_whole_reset_flow_sets_a_new_password(
    client: Any, cast: Any, request_link: Any
) -> None:
    request_link("staff.a@example.test")
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


def test_a_reset_link_serves_only_once(client: Any, cast: Any, request_link: Any) -> None:
    request_link("staff.a@example.test")
    path = link_in(mail.outbox[0]).removeprefix(settings.SITE_URL)
    page = client.get(path, follow=True)
    client.post(
        page.redirect_chain[-1][0], {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD}
    )

    again = client.get(path, follow=True)

    assert again.context["validlink"] is False
    assert "Ce lien n'est plus valable" in again.content.decode()


def test_an_unknown_email_gets_the_same_answer_and_no_mail(
    client: Any, cast: Any, django_capture_on_commit_callbacks: Any
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        known = client.post(RESET, {"email": "staff.a@example.test"}, follow=True)
        unknown = client.post(RESET, {"email": "nobody@example.test"}, follow=True)

    assert without_csrf(known.content) == without_csrf(unknown.content)
    assert len(mail.outbox) == 1


def test_the_link_ignores_the_host_header(client: Any, cast: Any, request_link: Any) -> None:
    request_link("staff.a@example.test", HTTP_HOST="attacker.example")

    assert link_in(mail.outbox[0]).startswith(settings.SITE_URL + "/")
    assert "attacker.example" not in mail.outbox[0].body


def test_a_weak_password_is_refused_by_the_validators(
    client: Any, cast: Any, request_link: Any
) -> None:
    request_link("staff.a@example.test")
    page = client.get(link_in(mail.outbox[0]).removeprefix(settings.SITE_URL), follow=True)

    response = client.post(
        page.redirect_chain[-1][0], {"new_password1": "12345678", "new_password2": "12345678"}
    )

    assert response.status_code == 200
    # Said under the password itself, not under its confirmation.
    assert response.context["form"].errors["new_password1"]
    cast.staff_a.refresh_from_db()
    assert cast.staff_a.check_password("secret-password-123")


def test_a_reset_link_expires_after_a_day(
    client: Any, cast: Any, monkeypatch: Any, request_link: Any
) -> None:
    request_link("staff.a@example.test")
    path = link_in(mail.outbox[0]).removeprefix(settings.SITE_URL)
    later = datetime.datetime.now() + datetime.timedelta(
        seconds=settings.PASSWORD_RESET_TIMEOUT + 60
    )
    monkeypatch.setattr(PasswordResetTokenGenerator, "_now", lambda self: later)

    page = client.get(path, follow=True)

    assert page.context["validlink"] is False


def test_resetting_the_password_ends_other_sessions(
    client: Any, cast: Any, request_link: Any
) -> None:
    from django.test import Client

    elsewhere = Client()
    elsewhere.force_login(cast.staff_a)
    request_link("staff.a@example.test")
    page = client.get(link_in(mail.outbox[0]).removeprefix(settings.SITE_URL), follow=True)
    client.post(
        page.redirect_chain[-1][0], {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD}
    )

    assert elsewhere.get(reverse("candidates:dossier_list")).status_code == 302


# --- Limits, and the email sent by the worker ---------------------------------------------


def test_the_email_is_not_sent_inside_the_request(
    client: Any, cast: Any, django_capture_on_commit_callbacks: Any
) -> None:
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        client.post(RESET, {"email": "staff.a@example.test"})
    # The request ends with the email still to send: the task does it once committed.
    assert mail.outbox == []
    assert len(callbacks) == 1
    callbacks[0]()
    assert mail.outbox[0].to == ["staff.a@example.test"]


def test_requests_for_one_address_are_limited_and_the_answer_does_not_change(
    client: Any, cast: Any, request_link: Any, settings: Any
) -> None:
    settings.PASSWORD_RESET_RATE_PER_ADDRESS = "3/hour"
    answers = [request_link("Staff.A@example.test ") for _ in range(5)]

    assert len(set(answers)) == 1  # the same redirect every time
    assert len(mail.outbox) == 3
    limited = AuditEvent.objects.filter(action="auth.password_reset_limited")
    assert limited.count() == 2
    assert [e.details for e in limited] == [{"username": "staff.a@example.test"}] * 2


def test_requests_from_one_client_are_limited_across_addresses(
    client: Any, cast: Any, request_link: Any, settings: Any
) -> None:
    settings.PASSWORD_RESET_RATE_PER_ADDRESS = "10/hour"
    settings.PASSWORD_RESET_RATE_PER_CLIENT = "2/hour"
    for email in ["staff.a@example.test", "staff.b@example.test", "staff.a@example.test"]:
        request_link(email)
    assert [m.to for m in mail.outbox] == [["staff.a@example.test"], ["staff.b@example.test"]]
    # Another client still gets its link.
    request_link("staff.a@example.test", REMOTE_ADDR="203.0.113.9")
    assert len(mail.outbox) == 3


def test_a_mail_server_refusal_is_retried(cast: Any, monkeypatch: Any) -> None:
    import smtplib

    from accounts import tasks

    def refuse(*args: Any, **kwargs: Any) -> None:
        raise smtplib.SMTPServerDisconnected("down")

    monkeypatch.setattr("accounts.services.send_mail", refuse)
    retried: list[Any] = []

    def retry(**kwargs: Any) -> Exception:
        retried.append(kwargs)
        return RuntimeError("retry")

    monkeypatch.setattr(tasks.email_password_reset, "retry", retry)
    with pytest.raises(RuntimeError):
        tasks.email_password_reset.run(cast.staff_a.pk)
    assert isinstance(retried[0]["exc"], smtplib.SMTPServerDisconnected)


def test_an_account_deactivated_since_the_request_gets_no_email(cast: Any) -> None:
    from accounts.services import password_reset_send

    cast.staff_a.is_active = False
    cast.staff_a.save()
    password_reset_send(user_id=cast.staff_a.pk)
    assert mail.outbox == []


def test_resetting_the_password_keeps_the_second_factor(
    client: Any, cast: Any, request_link: Any
) -> None:
    """A reset proves the mailbox, not the phone: the next login still asks for the code."""
    from django_otp.plugins.otp_totp.models import TOTPDevice

    TOTPDevice.objects.create(user=cast.staff_a, name="phone", confirmed=True)
    request_link("staff.a@example.test")
    form_page = client.get(link_in(mail.outbox[0]).removeprefix(settings.SITE_URL), follow=True)
    client.post(
        form_page.redirect_chain[-1][0],
        {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD},
    )

    assert TOTPDevice.objects.filter(user=cast.staff_a, confirmed=True).exists()
    client.post(
        reverse("accounts:login"), {"username": "staff.a@example.test", "password": NEW_PASSWORD}
    )
    response = client.get(reverse("candidates:dossier_list"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("accounts:two_factor_verify"))
