"""Sessions: key rotated at login, idle and absolute limits, logout, deactivation ends them all."""

import time
from typing import Any

import pytest
from django.conf import settings
from django.contrib.sessions.models import Session
from django.core.exceptions import PermissionDenied
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from accounts import services
from accounts.models import UserSession
from accounts.services import IDLE_LIMIT, LAST_SEEN, LOGIN_AT

pytestmark = pytest.mark.django_db

LOGIN = reverse("accounts:login")
DOSSIERS = reverse("candidates:dossier_list")
SPACE = reverse("space:home")


def post_login(client: Any, email: str, **extra: Any) -> Any:
    return client.post(LOGIN, {"username": email, "password": "secret-password-123"}, **extra)


def age_session(client: Any, *, idle: int = 0, since_login: int = 0) -> None:
    session = client.session
    now = int(time.time())
    session[LAST_SEEN] = now - idle
    session[LOGIN_AT] = now - max(idle, since_login)
    session.save()


def test_login_gives_a_new_session_key(client: Any, cast: Any) -> None:
    session = client.session
    session["visited"] = True
    session.save()
    client.cookies[settings.SESSION_COOKIE_NAME] = session.session_key
    before = session.session_key

    post_login(client, "staff.a@example.test")

    after = client.cookies[settings.SESSION_COOKIE_NAME].value
    assert after != before
    assert not Session.objects.filter(session_key=before).exists()
    assert client.session["_auth_user_id"] == str(cast.staff_a.pk)


def test_login_records_the_session_with_a_truncated_address(client: Any, cast: Any) -> None:
    post_login(
        client, "staff.a@example.test", REMOTE_ADDR="203.0.113.77", HTTP_USER_AGENT="Firefox"
    )

    record = UserSession.objects.get(user=cast.staff_a)
    assert record.session_key == client.cookies[settings.SESSION_COOKIE_NAME].value
    assert record.ip_prefix == "203.0.113.0/24"
    assert record.user_agent == "Firefox"


def test_logout_ends_the_session_and_its_cookie_no_longer_works(client: Any, cast: Any) -> None:
    client.force_login(cast.staff_a)
    old_cookie = client.cookies[settings.SESSION_COOKIE_NAME].value

    client.post(reverse("accounts:logout"))
    replay = Client()
    replay.cookies[settings.SESSION_COOKIE_NAME] = old_cookie
    response = replay.get(DOSSIERS)

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("accounts:login"))
    assert not Session.objects.filter(session_key=old_cookie).exists()
    assert not UserSession.objects.filter(session_key=old_cookie).exists()


@pytest.mark.parametrize("who", ["staff_a", "jury_employer", "evaluator", "admin", "referent_a"])
def test_a_privileged_session_idle_for_30_minutes_expires(client: Any, cast: Any, who: str) -> None:
    client.force_login(getattr(cast, who))
    age_session(client, idle=31 * 60)

    response = client.get(DOSSIERS)

    assert response.status_code == 302
    assert response["Location"] == f"{LOGIN}?next={DOSSIERS.replace('/', '%2F')}"
    assert "_auth_user_id" not in client.session
    assert "Votre session a expiré" in client.get(response["Location"]).content.decode()


def test_a_staff_session_idle_for_29_minutes_goes_on(client: Any, cast: Any) -> None:
    client.force_login(cast.staff_a)
    age_session(client, idle=29 * 60)

    assert client.get(DOSSIERS).status_code == 200


def test_each_request_moves_the_last_seen_clock(client: Any, cast: Any) -> None:
    client.force_login(cast.staff_a)
    age_session(client, idle=20 * 60)

    client.get(DOSSIERS)

    assert client.session[LAST_SEEN] >= int(time.time()) - 5


def test_a_candidate_may_stay_idle_longer_than_staff(client: Any, cast: Any) -> None:
    client.force_login(cast.candidate_user)
    age_session(client, idle=90 * 60)

    assert client.get(SPACE).status_code == 200


def test_a_candidate_session_idle_for_over_two_hours_expires(client: Any, cast: Any) -> None:
    client.force_login(cast.candidate_user)
    age_session(client, idle=121 * 60)

    response = client.get(SPACE)

    assert response.status_code == 302
    assert response["Location"].startswith(LOGIN)


def test_an_active_session_ends_twelve_hours_after_login(client: Any, cast: Any) -> None:
    client.force_login(cast.candidate_user)
    age_session(client, idle=60, since_login=12 * 3600 + 1)

    response = client.get(SPACE)

    assert response.status_code == 302
    assert "_auth_user_id" not in client.session


def test_the_idle_limit_is_chosen_at_login_by_role(client: Any, cast: Any) -> None:
    staff, candidate = Client(), Client()
    staff.force_login(cast.staff_a)
    candidate.force_login(cast.candidate_user)

    assert staff.session[IDLE_LIMIT] == 30 * 60
    assert candidate.session[IDLE_LIMIT] == 120 * 60


def test_deactivating_a_user_ends_all_their_sessions(cast: Any) -> None:
    laptop, phone, other = Client(), Client(), Client()
    laptop.force_login(cast.staff_a)
    phone.force_login(cast.staff_a)
    other.force_login(cast.staff_b)
    keys = [c.cookies[settings.SESSION_COOKIE_NAME].value for c in (laptop, phone)]

    cast.staff_a.is_active = False
    cast.staff_a.save()

    assert not Session.objects.filter(session_key__in=keys).exists()
    assert laptop.get(DOSSIERS).status_code == 302
    assert phone.get(DOSSIERS).status_code == 302
    assert other.get(DOSSIERS).status_code == 200


def test_saving_an_active_user_keeps_their_sessions(client: Any, cast: Any) -> None:
    client.force_login(cast.staff_a)

    cast.staff_a.first_name = "Claire"
    cast.staff_a.save()

    assert client.get(DOSSIERS).status_code == 200


def test_the_national_admin_deactivates_a_user_through_the_service(client: Any, cast: Any) -> None:
    client.force_login(cast.staff_a)

    services.user_deactivate(user=cast.staff_a, by=cast.admin)

    cast.staff_a.refresh_from_db()
    assert cast.staff_a.is_active is False
    assert not UserSession.objects.filter(user=cast.staff_a).exists()
    assert client.get(DOSSIERS).status_code == 302


def test_only_the_national_admin_deactivates_users(cast: Any) -> None:
    with pytest.raises(PermissionDenied):
        services.user_deactivate(user=cast.staff_b, by=cast.staff_a)
    cast.staff_b.refresh_from_db()
    assert cast.staff_b.is_active is True


def test_the_admin_ends_a_session_without_ever_showing_its_key(cast: Any) -> None:
    victim, admin_client = Client(), Client()
    victim.force_login(cast.staff_a)
    admin_client.force_login(cast.admin)
    record = UserSession.objects.get(user=cast.staff_a)
    change = reverse("admin:accounts_usersession_change", args=[record.pk])
    delete = reverse("admin:accounts_usersession_delete", args=[record.pk])

    shown = admin_client.get(change).content.decode()
    admin_client.post(delete, {"post": "yes"})

    assert record.session_key not in shown
    assert not Session.objects.filter(session_key=record.session_key).exists()
    assert victim.get(DOSSIERS).status_code == 302


def test_a_logged_in_request_reads_its_session_from_redis_not_the_database(
    client: Any, cast: Any
) -> None:
    client.force_login(cast.staff_a)

    with CaptureQueriesContext(connection) as queries:
        assert client.get(DOSSIERS).status_code == 200

    assert settings.SESSION_ENGINE == "django.contrib.sessions.backends.cached_db"
    assert not [q["sql"] for q in queries if "django_session" in q["sql"]]
