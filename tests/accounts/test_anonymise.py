"""Anonymising an account: no identity, no way in, the row kept for what points at it."""

from __future__ import annotations

from typing import Any

import pytest
from django_otp.plugins.otp_totp.models import TOTPDevice
from knox.models import AuthToken

from accounts.models import UserSession
from accounts.services import user_anonymise, user_is_anonymised

pytestmark = pytest.mark.django_db


def test_an_anonymised_account_names_nobody_and_opens_nothing(client: Any, cast: Any) -> None:
    user = cast.candidate_user
    client.force_login(user)
    client.get("/")
    TOTPDevice.objects.create(user=user, name="téléphone", confirmed=True)
    AuthToken.objects.create(user)
    assert UserSession.objects.filter(user=user).exists()
    assert user_anonymise(user=user) is True
    user.refresh_from_db()
    assert user.email == f"anonyme-{user.pk}@anonyme.invalid" and user_is_anonymised(user)
    assert (user.first_name, user.last_name, user.is_active) == ("", "", False)
    assert not user.has_usable_password()
    assert not TOTPDevice.objects.filter(user=user).exists()
    assert not AuthToken.objects.filter(user=user).exists()
    assert not UserSession.objects.filter(user=user).exists()
    assert client.get("/espace/").status_code == 302  # the session is gone
    assert user_anonymise(user=user) is False
