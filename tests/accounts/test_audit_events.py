"""The account events that reach the audit trail, beyond logins, failures and lockouts."""

import re
import time
from typing import Any

import pytest
from django.conf import settings
from django.core import mail
from django.test import Client
from django.urls import reverse
from django_otp.plugins.otp_totp.models import TOTPDevice

from accounts.services import LAST_SEEN
from audit.models import AuditEvent
from candidates.services import candidate_invite
from tests.factories import CandidateFactory

pytestmark = pytest.mark.django_db


def events(action: str) -> Any:
    return AuditEvent.objects.filter(action=action)


def test_an_idle_expiry_is_recorded_with_its_reason(client: Any, cast: Any) -> None:
    client.force_login(cast.staff_a)
    session = client.session
    session[LAST_SEEN] = int(time.time()) - 31 * 60
    session.save()

    client.get(reverse("candidates:dossier_list"))

    event = events("auth.session_expired").get()
    assert event.actor == cast.staff_a
    assert event.details == {"reason": "idle"}


def test_a_wrong_second_factor_is_recorded(client: Any, cast: Any) -> None:
    TOTPDevice.objects.create(user=cast.staff_a, name="phone", confirmed=True)
    client.post(
        reverse("accounts:login"),
        {"username": "staff.a@example.test", "password": "secret-password-123"},
    )

    client.post(reverse("accounts:two_factor_verify"), {"token": "000000"})

    assert events("auth.two_factor_failed").get().actor == cast.staff_a


def test_a_deactivation_is_recorded_with_the_sessions_it_ended(cast: Any) -> None:
    Client().force_login(cast.staff_a)
    Client().force_login(cast.staff_a)

    cast.staff_a.is_active = False
    cast.staff_a.save()

    event = events("auth.user_deactivated").get()
    assert event.object_id == str(cast.staff_a.pk)
    assert event.details == {"sessions_ended": 2}


def test_an_invitation_and_its_activation_are_recorded(
    client: Any, cast: Any, django_capture_on_commit_callbacks: Any
) -> None:
    candidate: Any = CandidateFactory.create(branch=cast.branch_a, email="ines@example.test")
    with django_capture_on_commit_callbacks(execute=True):
        candidate_invite(candidate=candidate, by=cast.staff_a)
    link = re.search(r"https?://\S+", str(mail.outbox[0].body))
    assert link
    password = "Mon-espace-candidat-2026"

    client.post(
        link.group(0).removeprefix(settings.SITE_URL),
        {"new_password1": password, "new_password2": password},
    )

    invite = events("candidate.invite").get()
    assert (invite.actor, invite.branch_id) == (cast.staff_a, cast.branch_a.pk)
    assert events("auth.account_activated").get().actor.email == "ines@example.test"


def test_a_reset_request_records_the_address_but_never_a_token(client: Any, cast: Any) -> None:
    client.post(reverse("accounts:password_reset"), {"email": "staff.a@example.test"})

    event = events("auth.password_reset_requested").get()
    assert event.details == {"username": "staff.a@example.test"}
