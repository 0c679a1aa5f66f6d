"""The evaluator's upcoming evaluations and their private calendar feed: a token per person,
renewing it revokes the old address, the feed lists only their own appointments and names
nobody else, no login but an unguessable token, throttled like the other public doors."""

from __future__ import annotations

import datetime
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from django.core.cache import cache
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from icalendar import Calendar

from audit.models import AuditEvent
from candidates import services as dossier_services
from evaluations import services
from evaluations.models import CalendarFeed, EvaluationKind, SheetRole
from tests.factories import CandidateFactory, UserFactory, habilitate
from tests.workflow import open_dossier

PARIS = ZoneInfo("Europe/Paris")


def _in_evaluation(cast: Any, candidate: Any = None) -> Any:
    dossier = open_dossier(cast, candidate=candidate)
    dossier_services.dossier_start_positioning(dossier=dossier, by=cast.staff_a)
    dossier_services.dossier_start_evaluation(dossier=dossier, by=cast.staff_a)
    return dossier


@pytest.fixture
def soon() -> datetime.datetime:
    return (
        (timezone.now() + datetime.timedelta(days=10))
        .astimezone(PARIS)
        .replace(hour=14, minute=0, second=0, microsecond=0)
    )


@pytest.fixture
def evaluation(cast: Any, soon: datetime.datetime) -> Any:
    return services.evaluation_create(
        dossier=_in_evaluation(cast),
        kind=EvaluationKind.FINAL,
        external_evaluator=cast.evaluator,
        referent=cast.referent_a,
        appointment_at=soon,
        appointment_place="Atelier 3",
        by=cast.staff_a,
    )


def _feed_token(client: Client, user: Any) -> str:
    client.force_login(user)
    response = client.post(reverse("evaluations:calendar_feed_manage"), {"action": "regenerate"})
    assert response.status_code == 302
    page = client.get(reverse("evaluations:upcoming")).content.decode()
    start = page.index("/evaluations/agenda/") + len("/evaluations/agenda/")
    token = page[start : page.index(".ics", start)]
    # Shown once: the next visit no longer has it.
    assert token not in client.get(reverse("evaluations:upcoming")).content.decode()
    return token


def _feed(token: str) -> Any:
    return Client().get(reverse("evaluations:calendar_feed", args=[token]))


def test_the_evaluator_sees_their_upcoming_evaluations(
    client: Any, cast: Any, evaluation: Any, soon: datetime.datetime
) -> None:
    client.force_login(cast.evaluator)
    page = client.get(reverse("evaluations:upcoming")).content.decode()
    assert evaluation.dossier.reference in page and "Atelier 3" in page


def test_the_feed_lists_the_evaluators_own_appointments_in_paris_time(
    client: Any, cast: Any, evaluation: Any, soon: datetime.datetime
) -> None:
    # Another evaluation, of another evaluator: not in this feed.
    other = UserFactory.create(email="autre.eval@example.test")
    habilitate(other, branch=cast.branch_a, referentiel=cast.referentiel)
    services.evaluation_create(
        dossier=_in_evaluation(cast, CandidateFactory.create(branch=cast.branch_a)),
        kind=EvaluationKind.FINAL,
        external_evaluator=other,
        appointment_at=soon,
        appointment_place="Ailleurs",
        by=cast.staff_a,
    )
    token = _feed_token(client, cast.evaluator)
    assert len(token) >= 40
    assert CalendarFeed.objects.get(user=cast.evaluator).token_sha256 != token

    response = _feed(token)
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/calendar")
    calendar = Calendar.from_ical(response.content)
    assert str(calendar["method"]) == "PUBLISH"
    [event] = calendar.walk("VEVENT")
    sheet = evaluation.sheets.get(role=SheetRole.EXTERNAL)
    assert str(event["uid"]) == f"evaluation-sheet-{sheet.pk}-{cast.evaluator.pk}@cqpi"
    assert event.decoded("dtstart").astimezone(PARIS) == soon
    assert str(event["location"]) == "Atelier 3"
    body = response.content.decode()
    # Nobody else's data: not the candidate, not the other half of the binôme.
    for secret in (
        cast.candidate.last_name,
        cast.candidate_user.email,
        cast.referent_a.email,
        "Ailleurs",
    ):
        assert secret not in body


def test_renewing_the_address_revokes_the_old_one_and_revoking_closes_it(
    client: Any, cast: Any, evaluation: Any
) -> None:
    first = _feed_token(client, cast.evaluator)
    second = _feed_token(client, cast.evaluator)
    assert first != second
    assert _feed(first).status_code == 404
    assert _feed(second).status_code == 200
    client.post(reverse("evaluations:calendar_feed_manage"), {"action": "revoke"})
    assert _feed(second).status_code == 404
    assert not CalendarFeed.objects.filter(user=cast.evaluator).exists()
    assert AuditEvent.objects.filter(action="calendar_feed.revoke").exists()


def test_a_revoked_grant_leaves_the_grid_out_of_the_feed(
    client: Any, cast: Any, evaluation: Any
) -> None:
    token = _feed_token(client, cast.evaluator)
    newcomer = UserFactory.create(email="releve@example.test")
    habilitate(newcomer, branch=cast.branch_a, referentiel=cast.referentiel)
    services.evaluation_reassign(
        sheet=evaluation.sheets.get(role=SheetRole.EXTERNAL), evaluator=newcomer, by=cast.staff_a
    )
    calendar = Calendar.from_ical(_feed(token).content)
    assert calendar.walk("VEVENT") == []


def test_an_unknown_token_or_an_inactive_owner_is_a_404(
    client: Any, cast: Any, evaluation: Any
) -> None:
    assert _feed("x" * 43).status_code == 404
    token = _feed_token(client, cast.evaluator)
    type(cast.evaluator).objects.filter(pk=cast.evaluator.pk).update(is_active=False)
    assert _feed(token).status_code == 404


def test_the_feed_is_throttled_like_the_other_public_doors(
    cast: Any, client: Any, monkeypatch: Any
) -> None:
    from core.api.throttles import VerifyThrottle

    token = _feed_token(client, cast.evaluator)
    monkeypatch.setattr(VerifyThrottle, "THROTTLE_RATES", {"verify": "3/minute"})
    cache.clear()
    try:
        statuses = [_feed(token).status_code for _ in range(4)]
    finally:
        cache.clear()
    assert statuses == [200, 200, 200, 429]


@pytest.mark.parametrize("who", ["staff_a", "candidate_user", "jury_employer", "staff_b"])
def test_only_grid_holders_have_the_list_and_a_feed(client: Any, cast: Any, who: str) -> None:
    client.force_login(getattr(cast, who))
    assert client.get(reverse("evaluations:upcoming")).status_code == 403
    response = client.post(reverse("evaluations:calendar_feed_manage"), {"action": "regenerate"})
    assert response.status_code == 403
    assert not CalendarFeed.objects.exists()


def test_anonymous_is_sent_to_log_in_for_the_list_and_the_address(client: Any) -> None:
    for url in (reverse("evaluations:upcoming"), reverse("evaluations:calendar_feed_manage")):
        response = client.post(url) if url.endswith("agenda/") else client.get(url)
        assert response.status_code == 302 and "connexion" in response["Location"]
