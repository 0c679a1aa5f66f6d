"""The audit trail's page: national administrators see all, CPNE staff their branch, others nothing."""

from __future__ import annotations

from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from audit.models import AuditEvent
from audit.services import audit_record
from tests import workflow

pytestmark = pytest.mark.django_db

URL = reverse("audit:list")


def plant(cast: Any) -> None:
    audit_record("dossier.open", actor=cast.staff_a, branch=cast.branch_a, details={"m": 1})
    audit_record("dossier.open", actor=cast.staff_b, branch=cast.branch_b, details={"m": 2})
    audit_record("auth.login_failed", details={"username": "intrus@example.test"})


def test_anonymous_users_are_sent_to_the_login_page(client: Any) -> None:
    response = client.get(URL)

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("accounts:login"))


def test_people_other_than_staff_and_administrators_are_refused(client: Any, cast: Any) -> None:
    for user in (cast.candidate_user, cast.evaluator, cast.jury_employer, cast.coc_observer):
        client.force_login(user)
        assert client.get(URL).status_code == 403


def test_staff_see_their_branchs_events_only(client: Any, cast: Any) -> None:
    plant(cast)
    client.force_login(cast.staff_a)

    response = client.get(URL)

    content = response.content.decode()
    assert response.status_code == 200
    assert "staff.a@example.test" in content
    assert "staff.b@example.test" not in content
    assert "intrus@example.test" not in content


def test_the_national_administrator_sees_the_whole_trail(client: Any, cast: Any) -> None:
    plant(cast)
    client.force_login(cast.admin)

    content = client.get(URL).content.decode()

    assert "staff.a@example.test" in content
    assert "staff.b@example.test" in content


def test_filters_by_action_and_actor(client: Any, cast: Any) -> None:
    plant(cast)
    audit_record("sheet.save", actor=cast.evaluator, branch=cast.branch_a)
    client.force_login(cast.admin)

    by_action = client.get(URL, {"action": "sheet.save"}).context["page"].object_list
    by_actor = client.get(URL, {"actor": "staff.b@"}).context["page"].object_list

    assert [e.action for e in by_action] == ["sheet.save"]
    assert [e.actor_label for e in by_actor] == ["staff.b@example.test"]


def test_a_date_range_ending_before_it_starts_is_an_error(client: Any, cast: Any) -> None:
    client.force_login(cast.admin)

    response = client.get(URL, {"since": "2026-05-02", "until": "2026-05-01"})

    assert response.context["filters"].errors["until"]


def test_the_page_costs_the_same_queries_for_few_or_many_events(client: Any, cast: Any) -> None:
    client.force_login(cast.admin)
    query = {"action": "dossier.open"}
    client.get(URL, query)
    for _ in range(3):
        audit_record("dossier.open", actor=cast.staff_a, branch=cast.branch_a)
    with CaptureQueriesContext(connection) as few:
        client.get(URL, query)
    for _ in range(30):
        audit_record("dossier.open", actor=cast.staff_b, branch=cast.branch_b)
    with CaptureQueriesContext(connection) as many:
        response = client.get(URL, query)

    assert len(response.context["page"].object_list) == 33
    assert len(many) == len(few)


def test_the_page_is_paginated(client: Any, cast: Any) -> None:
    AuditEvent.objects.bulk_create(
        AuditEvent(action="dossier.open", branch=cast.branch_a) for _ in range(60)
    )
    client.force_login(cast.admin)

    response = client.get(URL, {"action": "dossier.open", "page": 2})

    assert response.context["page"].number == 2
    assert len(response.context["page"].object_list) == 10


def test_a_state_change_is_shown_by_its_french_label_not_its_code(client: Any, cast: Any) -> None:
    dossier = workflow.ready_for_jury(cast)
    client.force_login(cast.staff_a)

    page = client.get(URL).content.decode()

    assert dossier.reference in page
    assert "→ Prêt pour le jury" in page
    assert "ready_for_jury" not in page


def follow(client: Any, body: str, rel: str) -> Any:
    import html
    import re

    found = re.search(rf'<a href="([^"]*)" rel="{rel}">', body)
    assert found, f"no {rel} link"
    return client.get(URL + html.unescape(found.group(1)))


def test_the_trail_pages_on_from_a_row_and_stops_counting_at_its_limit(
    client: Any, cast: Any, monkeypatch: Any
) -> None:
    from core.pagination import KeysetPaginator

    monkeypatch.setattr(KeysetPaginator, "count_limit", 60)
    for index in range(101):
        audit_record("dossier.open", actor=cast.staff_a, branch=cast.branch_a, details={"i": index})
    client.force_login(cast.staff_a)
    order = list(
        AuditEvent.objects.filter(branch=cast.branch_a).values_list("details__i", flat=True)
    )

    first = client.get(URL)
    second = follow(client, first.content.decode(), "next")
    third = follow(client, second.content.decode(), "next")

    assert "Plus de 60 événements" in first.content.decode()

    def shown(response: Any) -> list[Any]:
        return [event.details.get("i") for event in response.context["page"].object_list]

    assert order[:3] == [100, 99, 98]  # newest first
    assert shown(second) == order[50:100] and shown(third) == order[100:150]
    assert 'rel="next"' not in third.content.decode()
    assert shown(follow(client, third.content.decode(), "prev")) == order[50:100]
