"""The branch's evaluators page: habilitations (granted, invited, ended) and conflicts of
interest, run by its CPNE staff through audited services."""

from __future__ import annotations

import datetime
from typing import Any

import pytest
from django.core import mail
from django.urls import reverse
from django.utils import timezone

from accounts.models import User
from audit.models import AuditEvent
from branches.models import ConflictOfInterest, EvaluatorHabilitation, Membership
from tests.factories import UserFactory, habilitate

pytestmark = pytest.mark.django_db

TODAY = timezone.localdate()


def page(branch: Any) -> str:
    return reverse("administration:branch_evaluators", args=[branch.pk])


def habilitate_url(branch: Any) -> str:
    return reverse("administration:habilitation_create", args=[branch.pk])


def conflict_url(branch: Any) -> str:
    return reverse("administration:conflict_declare", args=[branch.pk])


def habilitation_data(cast: Any, **overrides: Any) -> dict[str, Any]:
    data = {
        "habilitation-email": "nouvelle.evaluatrice@example.test",
        "habilitation-first_name": "Nina",
        "habilitation-last_name": "Vérifieau",
        "habilitation-referentiel": cast.referentiel.pk,
        "habilitation-valid_from": TODAY.isoformat(),
        "habilitation-valid_until": (TODAY + datetime.timedelta(days=730)).isoformat(),
    }
    data.update(overrides)
    return data


def conflict_data(cast: Any, **overrides: Any) -> dict[str, Any]:
    data = {
        "conflict-evaluator": cast.evaluator.pk,
        "conflict-company": cast.company_a.pk,
        "conflict-referentiel": cast.referentiel.pk,
        "conflict-reason": "A formé les salariés de l'entreprise",
    }
    data.update(overrides)
    return data


def test_anonymous_visitors_are_sent_to_login(client: Any, cast: Any) -> None:
    for url in (page(cast.branch_a), habilitate_url(cast.branch_a), conflict_url(cast.branch_a)):
        response = client.get(url) if url == page(cast.branch_a) else client.post(url, {})
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("accounts:login"))


def test_staff_of_another_branch_find_nothing_and_change_nothing(client: Any, cast: Any) -> None:
    client.force_login(cast.staff_b)

    assert client.get(page(cast.branch_a)).status_code == 404
    assert client.post(habilitate_url(cast.branch_a), habilitation_data(cast)).status_code == 404
    assert client.post(conflict_url(cast.branch_a), conflict_data(cast)).status_code == 404
    assert not User.objects.filter(email="nouvelle.evaluatrice@example.test").exists()
    assert not ConflictOfInterest.objects.exists()


@pytest.mark.parametrize("person", ["jury_employer", "referent_a", "evaluator", "candidate_user"])
def test_other_roles_are_refused(client: Any, cast: Any, person: str) -> None:
    client.force_login(getattr(cast, person))

    assert client.get(page(cast.branch_a)).status_code in (403, 404)
    assert client.post(conflict_url(cast.branch_a), conflict_data(cast)).status_code in (403, 404)
    assert not ConflictOfInterest.objects.exists()


def test_a_revoked_membership_closes_the_page(client: Any, cast: Any) -> None:
    Membership.objects.filter(user=cast.staff_a).update(is_active=False)
    client.force_login(cast.staff_a)

    assert client.get(page(cast.branch_a)).status_code in (403, 404)


def test_the_page_lists_the_branch_habilitations_with_few_queries(
    client: Any, cast: Any, django_assert_max_num_queries: Any
) -> None:
    for _ in range(5):
        habilitate(UserFactory.create(), branch=cast.branch_a, referentiel=cast.referentiel)
    client.force_login(cast.staff_a)

    with django_assert_max_num_queries(16):
        content = client.get(page(cast.branch_a)).content.decode()

    assert "Luateur" in content
    assert content.count("en cours") >= 6


def test_a_person_without_an_account_is_habilitated_and_invited(
    client: Any, cast: Any, django_capture_on_commit_callbacks: Any
) -> None:
    client.force_login(cast.staff_a)

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(habilitate_url(cast.branch_a), habilitation_data(cast))

    assert response.status_code == 302
    user = User.objects.get(email="nouvelle.evaluatrice@example.test")
    assert not user.is_active and not user.has_usable_password()
    habilitation = EvaluatorHabilitation.objects.get(evaluator=user)
    assert habilitation.branch == cast.branch_a
    assert [m.to for m in mail.outbox] == [["nouvelle.evaluatrice@example.test"]]
    event = AuditEvent.objects.get(action="habilitation.granted")
    assert event.actor == cast.staff_a and event.details["invited"] is True


def test_an_existing_account_is_habilitated_without_an_invitation(
    client: Any, cast: Any, django_capture_on_commit_callbacks: Any
) -> None:
    person = UserFactory.create(email="deja.la@example.test")
    client.force_login(cast.staff_a)

    with django_capture_on_commit_callbacks(execute=True):
        client.post(
            habilitate_url(cast.branch_a),
            habilitation_data(
                cast,
                **{
                    "habilitation-email": "Deja.La@example.test",
                    "habilitation-first_name": "",
                    "habilitation-last_name": "",
                },
            ),
        )

    assert EvaluatorHabilitation.objects.filter(evaluator=person, branch=cast.branch_a).exists()
    assert mail.outbox == []


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"habilitation-first_name": ""}, "donnez le prénom et le nom"),
        (
            {"habilitation-valid_until": (TODAY - datetime.timedelta(days=1)).isoformat()},
            "précède son début",
        ),
        ({"habilitation-email": "evaluateur@example.test"}, "déjà habilitée"),
        ({"habilitation-email": "pas-une-adresse"}, "adresse e-mail valide"),
    ],
)
def test_a_refused_habilitation_says_why_and_keeps_the_input(
    client: Any, cast: Any, overrides: dict[str, str], message: str
) -> None:
    client.force_login(cast.staff_a)
    before = EvaluatorHabilitation.objects.count()

    response = client.post(habilitate_url(cast.branch_a), habilitation_data(cast, **overrides))

    assert response.status_code == 200
    content = response.content.decode()
    assert message in content
    assert 'value="Vérifieau"' in content
    assert EvaluatorHabilitation.objects.count() == before
    assert not AuditEvent.objects.filter(action="habilitation.granted").exists()


def test_ending_a_habilitation_stops_the_evaluator_being_offered(client: Any, cast: Any) -> None:
    habilitation = EvaluatorHabilitation.objects.get(evaluator=cast.evaluator, branch=cast.branch_a)
    client.force_login(cast.staff_a)
    url = reverse("administration:habilitation_end", args=[cast.branch_a.pk, habilitation.pk])

    client.post(url, {"reason": "Suspendu dans l'attente d'une formation"})

    habilitation.refresh_from_db()
    assert habilitation.valid_until == TODAY - datetime.timedelta(days=1)
    event = AuditEvent.objects.get(action="habilitation.ended")
    assert event.details["reason"] == "Suspendu dans l'attente d'une formation"
    # The other branch's habilitation of the same person is untouched.
    other = EvaluatorHabilitation.objects.get(evaluator=cast.evaluator, branch=cast.branch_b)
    assert other.valid_until > TODAY


def test_ending_needs_a_reason_and_another_branch_cannot_end_it(client: Any, cast: Any) -> None:
    habilitation = EvaluatorHabilitation.objects.get(evaluator=cast.evaluator, branch=cast.branch_a)
    url = reverse("administration:habilitation_end", args=[cast.branch_a.pk, habilitation.pk])
    client.force_login(cast.staff_a)
    client.post(url, {"reason": ""})
    client.force_login(cast.staff_b)
    assert client.post(url, {"reason": "Intrusion"}).status_code == 404

    habilitation.refresh_from_db()
    assert habilitation.valid_until > TODAY
    assert not AuditEvent.objects.filter(action="habilitation.ended").exists()


def test_a_declared_conflict_is_recorded_and_listed(client: Any, cast: Any) -> None:
    client.force_login(cast.staff_a)

    response = client.post(conflict_url(cast.branch_a), conflict_data(cast))

    assert response.status_code == 302
    conflict = ConflictOfInterest.objects.get()
    assert conflict.evaluator == cast.evaluator and conflict.company == cast.company_a
    assert AuditEvent.objects.get(action="conflict.declared").actor == cast.staff_a
    assert "A formé les salariés" in client.get(page(cast.branch_a)).content.decode()


def test_a_company_of_another_branch_is_an_invalid_choice(client: Any, cast: Any) -> None:
    client.force_login(cast.staff_a)

    response = client.post(
        conflict_url(cast.branch_a), conflict_data(cast, **{"conflict-company": cast.company_b.pk})
    )

    assert response.status_code == 200
    assert not ConflictOfInterest.objects.exists()


def test_a_conflict_declared_twice_is_refused(client: Any, cast: Any) -> None:
    client.force_login(cast.staff_a)
    client.post(conflict_url(cast.branch_a), conflict_data(cast))

    response = client.post(conflict_url(cast.branch_a), conflict_data(cast))

    assert "déjà déclaré" in response.content.decode()
    assert ConflictOfInterest.objects.count() == 1


@pytest.mark.parametrize("model", ["evaluatorhabilitation", "conflictofinterest"])
def test_the_admin_shows_habilitations_and_conflicts_but_writes_none(
    client: Any, cast: Any, model: str
) -> None:
    """One door: these rows are written on the branch's page, whose services audit them."""
    client.force_login(cast.admin)

    assert client.get(reverse(f"admin:branches_{model}_changelist")).status_code == 200
    assert client.get(reverse(f"admin:branches_{model}_add")).status_code == 403
    assert client.post(reverse(f"admin:branches_{model}_add"), {}).status_code == 403
