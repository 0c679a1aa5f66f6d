"""Suspending and lifting a habilitation from the branch's evaluators page: who may, what the
page then shows, and the grids the suspended evaluator still holds."""

from __future__ import annotations

from typing import Any

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from accounts import services as accounts_services
from audit.models import AuditEvent
from branches.models import EvaluatorHabilitation, Membership
from candidates import services as dossier_services
from evaluations import services as evaluation_services
from evaluations.models import EvaluationKind
from tests.factories import CandidateFactory, UserFactory, habilitate
from tests.workflow import open_dossier

pytestmark = pytest.mark.django_db


def page(branch: Any) -> str:
    return reverse("administration:branch_evaluators", args=[branch.pk])


def habilitation_of(cast: Any) -> EvaluatorHabilitation:
    return EvaluatorHabilitation.objects.get(evaluator=cast.evaluator, branch=cast.branch_a)


def suspend_url(habilitation: EvaluatorHabilitation) -> str:
    return reverse(
        "administration:habilitation_suspend", args=[habilitation.branch_id, habilitation.pk]
    )


def lift_url(habilitation: EvaluatorHabilitation) -> str:
    return reverse(
        "administration:habilitation_lift", args=[habilitation.branch_id, habilitation.pk]
    )


def suspended(cast: Any) -> EvaluatorHabilitation:
    return accounts_services.habilitation_suspend(
        habilitation=habilitation_of(cast), by=cast.staff_a, reason="Enquête en cours"
    )


def assigned_to_evaluator(cast: Any, candidate: Any = None) -> Any:
    dossier = open_dossier(cast, candidate=candidate)
    dossier_services.dossier_start_positioning(dossier=dossier, by=cast.staff_a)
    dossier_services.dossier_start_evaluation(dossier=dossier, by=cast.staff_a)
    evaluation = evaluation_services.evaluation_create(
        dossier=dossier,
        kind=EvaluationKind.FINAL,
        external_evaluator=cast.evaluator,
        by=cast.staff_a,
    )
    return evaluation.sheets.get()


def test_anonymous_visitors_are_sent_to_login(client: Any, cast: Any) -> None:
    habilitation = habilitation_of(cast)
    for url in (suspend_url(habilitation), lift_url(habilitation)):
        response = client.post(url, {"reason": "X"})
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("accounts:login"))
    assert not habilitation_of(cast).is_suspended


def test_the_actions_take_no_get(client: Any, cast: Any) -> None:
    client.force_login(cast.staff_a)

    assert client.get(suspend_url(habilitation_of(cast))).status_code == 405
    assert client.get(lift_url(habilitation_of(cast))).status_code == 405


def test_a_post_without_the_csrf_token_is_refused(cast: Any) -> None:
    client = Client(enforce_csrf_checks=True)
    client.force_login(cast.staff_a)

    assert client.post(suspend_url(habilitation_of(cast)), {"reason": "X"}).status_code == 403
    assert not habilitation_of(cast).is_suspended


def test_staff_of_another_branch_find_nothing_and_change_nothing(client: Any, cast: Any) -> None:
    client.force_login(cast.staff_b)

    assert client.post(suspend_url(habilitation_of(cast)), {"reason": "X"}).status_code == 404
    suspended(cast)
    assert client.post(lift_url(habilitation_of(cast)), {}).status_code == 404
    assert habilitation_of(cast).is_suspended


def test_a_habilitation_of_another_branch_is_not_found_through_this_one(
    client: Any, cast: Any
) -> None:
    other = EvaluatorHabilitation.objects.get(evaluator=cast.evaluator, branch=cast.branch_b)
    client.force_login(cast.staff_a)
    url = reverse("administration:habilitation_suspend", args=[cast.branch_a.pk, other.pk])

    assert client.post(url, {"reason": "X"}).status_code == 404
    other.refresh_from_db()
    assert not other.is_suspended


@pytest.mark.parametrize("person", ["evaluator", "jury_employer", "referent_a", "candidate_user"])
def test_other_roles_are_refused(client: Any, cast: Any, person: str) -> None:
    client.force_login(getattr(cast, person))

    assert client.post(suspend_url(habilitation_of(cast)), {"reason": "X"}).status_code in (
        403,
        404,
    )
    assert not habilitation_of(cast).is_suspended


def test_a_withdrawn_staff_role_closes_the_actions(client: Any, cast: Any) -> None:
    Membership.objects.filter(user=cast.staff_a).update(is_active=False)
    client.force_login(cast.staff_a)

    assert client.post(suspend_url(habilitation_of(cast)), {"reason": "X"}).status_code in (
        403,
        404,
    )
    assert not habilitation_of(cast).is_suspended


def test_staff_suspend_and_the_page_shows_the_state_and_reason(client: Any, cast: Any) -> None:
    client.force_login(cast.staff_a)

    response = client.post(suspend_url(habilitation_of(cast)), {"reason": "Plainte reçue"})

    assert response.status_code == 302 and response["Location"] == page(cast.branch_a)
    assert habilitation_of(cast).suspension_reason == "Plainte reçue"
    assert AuditEvent.objects.get(action="habilitation.suspended").actor == cast.staff_a
    content = client.get(page(cast.branch_a)).content.decode()
    assert "suspendue" in content and "Plainte reçue" in content
    assert "Lever la suspension" in content
    assert "L&#x27;habilitation est suspendue" in content


def test_a_suspension_without_a_reason_is_refused_with_a_message(client: Any, cast: Any) -> None:
    client.force_login(cast.staff_a)

    response = client.post(suspend_url(habilitation_of(cast)), {"reason": " "}, follow=True)

    assert "Donnez le motif de la suspension." in response.content.decode()
    assert not habilitation_of(cast).is_suspended
    assert not AuditEvent.objects.filter(action="habilitation.suspended").exists()


def test_a_second_suspension_is_refused_with_the_services_message(client: Any, cast: Any) -> None:
    suspended(cast)
    client.force_login(cast.staff_a)

    response = client.post(suspend_url(habilitation_of(cast)), {"reason": "Encore"}, follow=True)

    assert "déjà suspendue" in response.content.decode()
    assert habilitation_of(cast).suspension_reason == "Enquête en cours"


def test_staff_lift_a_suspension_with_or_without_a_reason(client: Any, cast: Any) -> None:
    suspended(cast)
    client.force_login(cast.staff_a)

    response = client.post(lift_url(habilitation_of(cast)), {"reason": ""})

    assert response.status_code == 302
    assert not habilitation_of(cast).is_suspended
    event = AuditEvent.objects.get(action="habilitation.suspension_lifted")
    assert event.details["before"]["reason"] == "Enquête en cours"
    assert "Suspendre" in client.get(page(cast.branch_a)).content.decode()


def test_the_page_lists_the_grids_a_suspended_evaluator_still_holds(
    client: Any, cast: Any, django_assert_num_queries: Any
) -> None:
    held = [assigned_to_evaluator(cast)]
    suspended(cast)
    client.force_login(cast.staff_a)
    with CaptureQueriesContext(connection) as one:
        client.get(page(cast.branch_a))

    # Lifted, given a second grid, suspended again.
    accounts_services.habilitation_lift_suspension(
        habilitation=habilitation_of(cast), by=cast.staff_a
    )
    held.append(
        assigned_to_evaluator(cast, candidate=CandidateFactory.create(branch=cast.branch_a))
    )
    suspended(cast)
    for _ in range(3):  # other suspended evaluators, holding nothing
        person = UserFactory.create()
        accounts_services.habilitation_suspend(
            habilitation=habilitate(person, branch=cast.branch_a, referentiel=cast.referentiel),
            by=cast.staff_a,
            reason="Vérification",
        )
    with django_assert_num_queries(len(one)):
        content = client.get(page(cast.branch_a)).content.decode()

    assert "tient encore 2 grilles en cours" in content
    for sheet in held:
        assert sheet.evaluation.dossier.reference in content
        assert reverse("evaluations:sheet_reassign", args=[sheet.pk]) in content


def test_an_evaluator_holding_grids_but_not_suspended_is_not_listed(client: Any, cast: Any) -> None:
    sheet = assigned_to_evaluator(cast)
    client.force_login(cast.staff_a)

    content = client.get(page(cast.branch_a)).content.decode()

    assert reverse("evaluations:sheet_reassign", args=[sheet.pk]) not in content
