"""The person's own account page: their open sessions, ending one, their two-factor status."""

from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from accounts.models import UserSession

pytestmark = pytest.mark.django_db

ACCOUNT = reverse("accounts:account")
DOSSIERS = reverse("candidates:dossier_list")


def end_url(record: UserSession) -> str:
    return reverse("accounts:session_end", args=[record.pk])


def two_sessions(user: Any) -> tuple[Client, Client]:
    here, there = Client(HTTP_USER_AGENT="Ici"), Client(HTTP_USER_AGENT="Là-bas")
    here.force_login(user)
    there.force_login(user)
    return here, there


def test_anonymous_is_sent_to_login(client: Any) -> None:
    response = client.get(ACCOUNT)

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("accounts:login"))


def test_the_page_lists_my_sessions_and_nobody_elses(cast: Any) -> None:
    here, _there = two_sessions(cast.staff_a)
    Client().force_login(cast.staff_b)

    response = here.get(ACCOUNT)

    assert response.status_code == 200
    assert {s.user for s in response.context["sessions"]} == {cast.staff_a}
    assert len(response.context["sessions"]) == 2


def test_ending_my_other_session_logs_it_out(cast: Any) -> None:
    here, there = two_sessions(cast.staff_a)
    other = UserSession.objects.exclude(session_key=here.session.session_key).get(user=cast.staff_a)

    response = here.post(end_url(other))

    assert response["Location"] == ACCOUNT
    assert there.get(DOSSIERS)["Location"].startswith(reverse("accounts:login"))
    assert here.get(DOSSIERS).status_code == 200


def test_someone_elses_session_is_a_404_and_stays_open(client: Any, cast: Any) -> None:
    victim = Client()
    victim.force_login(cast.staff_b)
    record = UserSession.objects.get(user=cast.staff_b)
    client.force_login(cast.staff_a)

    assert client.post(end_url(record)).status_code == 404
    assert victim.get(DOSSIERS).status_code == 200


def test_the_current_session_is_not_ended_from_here(client: Any, cast: Any) -> None:
    client.force_login(cast.staff_a)
    record = UserSession.objects.get(user=cast.staff_a)

    client.post(end_url(record))

    assert client.get(DOSSIERS).status_code == 200


def test_ending_a_session_needs_a_post(client: Any, cast: Any) -> None:
    client.force_login(cast.staff_a)

    assert client.get(end_url(UserSession.objects.get(user=cast.staff_a))).status_code == 405


def test_staff_are_offered_two_factor_and_candidates_are_not(cast: Any) -> None:
    staff, candidate = Client(), Client()
    staff.force_login(cast.staff_a)
    candidate.force_login(cast.candidate_user)
    setup = reverse("accounts:two_factor_setup")

    assert setup in staff.get(ACCOUNT).content.decode()
    assert setup not in candidate.get(ACCOUNT).content.decode()
