"""The branch's members page: staff, jury members and référents given a role or relieved of
it through audited services; the référent's company grant follows."""

from __future__ import annotations

import datetime
from typing import Any

import pytest
from django.core import mail
from django.urls import reverse
from django.utils import timezone

from accounts.models import User
from audit.models import AuditEvent
from branches.access import roles_of
from branches.models import College, Company, Membership, Role
from evaluations import services as evaluation_services
from evaluations.models import (
    JuryMember,
    JurySession,
    JurySessionUserObjectPermission,
    SessionStatus,
)
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def page(branch: Any) -> str:
    return reverse("administration:branch_members", args=[branch.pk])


def add_url(branch: Any) -> str:
    return reverse("administration:member_add", args=[branch.pk])


def remove_url(membership: Membership) -> str:
    return reverse("administration:member_remove", args=[membership.branch_id, membership.pk])


def member_data(**overrides: Any) -> dict[str, Any]:
    data = {
        "member-email": "nouveau.jure@example.test",
        "member-first_name": "Paul",
        "member-last_name": "Paritaire",
        "member-role": Role.JURY,
        "member-college": College.EMPLOYEES,
        "member-company": "",
    }
    data.update(overrides)
    return data


def test_anonymous_visitors_are_sent_to_login(client: Any, cast: Any) -> None:
    response = client.get(page(cast.branch_a))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("accounts:login"))


def test_staff_of_another_branch_find_nothing_and_change_nothing(client: Any, cast: Any) -> None:
    client.force_login(cast.staff_b)
    jury = Membership.objects.get(user=cast.jury_employer)

    assert client.get(page(cast.branch_a)).status_code == 404
    assert client.post(add_url(cast.branch_a), member_data()).status_code == 404
    assert client.post(remove_url(jury), {"reason": "Intrusion"}).status_code == 404
    assert Membership.objects.get(pk=jury.pk).is_active
    assert not User.objects.filter(email="nouveau.jure@example.test").exists()


@pytest.mark.parametrize("person", ["jury_employer", "referent_a", "evaluator", "candidate_user"])
def test_other_roles_are_refused(client: Any, cast: Any, person: str) -> None:
    client.force_login(getattr(cast, person))

    assert client.get(page(cast.branch_a)).status_code in (403, 404)
    assert client.post(add_url(cast.branch_a), member_data()).status_code in (403, 404)
    assert not User.objects.filter(email="nouveau.jure@example.test").exists()


def test_a_revoked_staff_membership_closes_the_page(client: Any, cast: Any) -> None:
    Membership.objects.filter(user=cast.staff_a).update(is_active=False)
    client.force_login(cast.staff_a)

    assert client.get(page(cast.branch_a)).status_code in (403, 404)


def test_the_page_lists_the_branch_people_with_few_queries(
    client: Any, cast: Any, django_assert_max_num_queries: Any
) -> None:
    client.force_login(cast.staff_a)

    with django_assert_max_num_queries(15):
        content = client.get(page(cast.branch_a)).content.decode()

    for person in (cast.jury_employer, cast.jury_employee, cast.referent_a):
        assert person.email in content
    assert cast.staff_b.email not in content


def test_a_new_jury_member_is_invited_and_the_trail_says_so(
    client: Any, cast: Any, django_capture_on_commit_callbacks: Any
) -> None:
    client.force_login(cast.staff_a)

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(add_url(cast.branch_a), member_data())

    assert response.status_code == 302
    user = User.objects.get(email="nouveau.jure@example.test")
    membership = Membership.objects.get(user=user)
    assert (membership.branch, membership.role, membership.college) == (
        cast.branch_a,
        Role.JURY,
        College.EMPLOYEES,
    )
    assert [m.to for m in mail.outbox] == [["nouveau.jure@example.test"]]
    event = AuditEvent.objects.get(action="membership.added")
    assert event.actor == cast.staff_a and event.details["role"] == Role.JURY


def test_a_referent_appointed_here_gets_their_company_grant(client: Any, cast: Any) -> None:
    person = UserFactory.create(email="ref.deux@example.test")
    client.force_login(cast.staff_a)

    client.post(
        add_url(cast.branch_a),
        member_data(
            **{
                "member-email": person.email,
                "member-role": Role.REFERENT,
                "member-college": "",
                "member-company": cast.company_a.pk,
            }
        ),
    )

    assert Membership.objects.filter(user=person, role=Role.REFERENT, is_active=True).exists()
    assert list(Company.objects.visible_to(person)) == [cast.company_a]
    assert AuditEvent.objects.filter(action="company.referent_appoint").exists()


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"member-college": ""}, "Choisissez le collège"),
        ({"member-role": Role.REFERENT, "member-college": ""}, "Choisissez l&#x27;entreprise"),
        ({"member-first_name": ""}, "donnez le prénom et le nom"),
        ({"member-email": "jury.employeur@example.test"}, "déjà ce rôle"),
    ],
)
def test_a_refused_role_says_why_and_keeps_the_input(
    client: Any, cast: Any, overrides: dict[str, Any], message: str
) -> None:
    client.force_login(cast.staff_a)
    before = Membership.objects.count()

    response = client.post(add_url(cast.branch_a), member_data(**overrides))

    assert response.status_code == 200
    content = response.content.decode()
    assert message in content
    assert 'value="Paritaire"' in content
    assert Membership.objects.count() == before


def test_a_company_of_another_branch_is_never_used(client: Any, cast: Any) -> None:
    client.force_login(cast.staff_a)
    client.post(
        add_url(cast.branch_a),
        member_data(**{"member-role": Role.REFERENT, "member-company": cast.company_b.pk}),
    )

    assert not Membership.objects.filter(company=cast.company_b, role=Role.REFERENT).exists()


def test_removing_a_jury_member_ends_their_role_with_the_reason(client: Any, cast: Any) -> None:
    jury = Membership.objects.get(user=cast.jury_employer)
    assert roles_of(cast.jury_employer).is_jury_member
    client.force_login(cast.staff_a)

    client.post(remove_url(jury), {"reason": "Fin de mandat"})

    assert not Membership.objects.get(pk=jury.pk).is_active
    fresh = User.objects.get(pk=cast.jury_employer.pk)
    assert not roles_of(fresh).is_jury_member
    assert AuditEvent.objects.get(action="membership.deactivated").details["reason"] == (
        "Fin de mandat"
    )


def a_session(cast: Any, branch: Any, by: Any, *, days: int = 7) -> JurySession:
    return evaluation_services.jury_session_create(
        branch=branch,
        held_on=timezone.now() + datetime.timedelta(days=days),
        place="Lyon",
        by=by,
    )


def test_removing_a_jury_member_releases_their_planned_convocations_only(
    client: Any, cast: Any
) -> None:
    juror = cast.jury_employer
    Membership.objects.create(
        user=juror, branch=cast.branch_b, role=Role.JURY, college=College.EMPLOYERS
    )
    planned = [a_session(cast, cast.branch_a, cast.staff_a, days=d) for d in (7, 14)]
    opened = a_session(cast, cast.branch_a, cast.staff_a, days=0)
    elsewhere = a_session(cast, cast.branch_b, cast.staff_b)
    for session in [*planned, opened]:
        evaluation_services.jury_member_convoke(session=session, user=juror, by=cast.staff_a)
    evaluation_services.jury_member_convoke(session=elsewhere, user=juror, by=cast.staff_b)
    JurySession.objects.filter(pk=opened.pk).update(status=SessionStatus.OPEN)
    client.force_login(cast.staff_a)

    client.post(
        remove_url(Membership.objects.get(user=juror, branch=cast.branch_a)),
        {"reason": "Fin de mandat"},
    )

    # The seat of the open session is the record of who sat; branch B is not this page's.
    seats = set(JuryMember.objects.filter(user=juror).values_list("session_id", flat=True))
    assert seats == {opened.pk, elsewhere.pk}
    granted = set(
        JurySessionUserObjectPermission.objects.filter(user=juror).values_list(
            "content_object_id", flat=True
        )
    )
    assert granted == {opened.pk, elsewhere.pk}
    event = AuditEvent.objects.get(action="membership.deactivated")
    assert event.details["released_convocations"] == 2
    assert AuditEvent.objects.filter(action="session.release").count() == 2


def test_a_refused_withdrawal_releases_no_convocation(client: Any, cast: Any) -> None:
    session = a_session(cast, cast.branch_a, cast.staff_a)
    evaluation_services.jury_member_convoke(
        session=session, user=cast.jury_employer, by=cast.staff_a
    )
    jury = Membership.objects.get(user=cast.jury_employer)
    Membership.objects.filter(pk=jury.pk).update(is_active=False)
    client.force_login(cast.staff_a)

    response = client.post(remove_url(jury), {"reason": "Encore"}, follow=True)

    assert "déjà retiré" in response.content.decode()
    assert JuryMember.objects.filter(session=session, user=cast.jury_employer).exists()
    assert not AuditEvent.objects.filter(action="session.release").exists()


def test_removing_a_staff_member_releases_nothing(client: Any, cast: Any) -> None:
    colleague = UserFactory.create(email="collegue@example.test")
    membership = Membership.objects.create(user=colleague, branch=cast.branch_a, role=Role.STAFF)
    client.force_login(cast.staff_a)

    client.post(remove_url(membership), {"reason": "Départ"})

    assert not Membership.objects.get(pk=membership.pk).is_active
    assert "released_convocations" not in (
        AuditEvent.objects.get(action="membership.deactivated").details
    )


def test_removing_a_referent_revokes_their_company(client: Any, cast: Any) -> None:
    referent = Membership.objects.get(user=cast.referent_a, role=Role.REFERENT)
    client.force_login(cast.staff_a)

    client.post(remove_url(referent), {"reason": "A quitté l'entreprise"})

    assert not Membership.objects.get(pk=referent.pk).is_active
    assert not Company.objects.visible_to(User.objects.get(pk=cast.referent_a.pk)).exists()
    event = AuditEvent.objects.get(action="company.referent_remove")
    assert event.details["reason"] == "A quitté l'entreprise"


def test_staff_cannot_remove_their_own_staff_role(client: Any, cast: Any) -> None:
    own = Membership.objects.get(user=cast.staff_a)
    client.force_login(cast.staff_a)

    client.post(remove_url(own), {"reason": "Erreur"})

    assert Membership.objects.get(pk=own.pk).is_active


def test_the_admin_shows_roles_but_gives_none(client: Any, cast: Any) -> None:
    """One door: a role added in the admin would have written no grant and no trail."""
    client.force_login(cast.admin)

    assert client.get(reverse("admin:branches_membership_changelist")).status_code == 200
    assert client.get(reverse("admin:branches_membership_add")).status_code == 403
