"""Roles and tenant scoping: what each user may see."""

import pytest
from django.core.exceptions import PermissionDenied

from branches.access import require_staff_member, roles_of, staff_of_its_branch
from branches.models import Branch, College, Company, Membership, Role
from branches.services import counter_next


def test_anonymous_users_have_no_role(cast):
    from django.contrib.auth.models import AnonymousUser

    roles = roles_of(AnonymousUser())
    assert not roles.is_authenticated
    assert not roles.member_branch_ids


def test_roles_are_computed_once_per_user_object(cast, django_assert_num_queries):
    roles_of(cast.staff_a)
    with django_assert_num_queries(0):
        roles_of(cast.staff_a)


def test_staff_see_their_branch_and_its_companies_only(cast):
    roles = roles_of(cast.staff_a)
    assert roles.staff_branch_ids == {cast.branch_a.pk}
    assert list(Branch.objects.visible_to(cast.staff_a)) == [cast.branch_a]
    assert list(Company.objects.visible_to(cast.staff_a)) == [cast.company_a]


def test_a_referent_sees_their_company(cast):
    assert list(Company.objects.visible_to(cast.referent_a)) == [cast.company_a]
    assert roles_of(cast.referent_a).referent_company_ids == {cast.company_a.pk}


def test_a_deactivated_membership_gives_nothing(cast):
    Membership.objects.filter(user=cast.staff_a, role=Role.STAFF).update(is_active=False)
    cast.staff_a.refresh_from_db()
    staff = type(cast.staff_a).objects.get(pk=cast.staff_a.pk)
    assert not roles_of(staff).is_staff_member
    assert not Company.objects.visible_to(staff).exists()


def test_national_roles_see_every_branch(cast):
    assert Branch.objects.visible_to(cast.admin).count() == 2
    assert Branch.objects.visible_to(cast.coc_observer).count() == 2
    assert not Company.objects.visible_to(cast.coc_observer).exists()


def test_an_evaluator_and_a_candidate_are_recognised(cast):
    assert roles_of(cast.evaluator).is_evaluator
    assert roles_of(cast.candidate_user).is_candidate
    assert not roles_of(cast.outsider).is_candidate


def test_the_staff_s_pages_open_to_staff_and_national_admins_only(cast):
    assert require_staff_member(cast.staff_a).staff_branch_ids == {cast.branch_a.pk}
    assert require_staff_member(cast.admin).is_national_admin
    for user in (cast.evaluator, cast.jury_employer, cast.referent_a, cast.coc_observer):
        with pytest.raises(PermissionDenied):
            require_staff_member(user)


def test_staff_of_its_branch_tells_who_runs_an_object_s_branch(cast):
    # Any object with a `branch_id` will do: here a company of each branch.
    runs = staff_of_its_branch(cast.staff_a)
    assert runs(cast.company_a)
    assert not runs(cast.company_b)
    assert staff_of_its_branch(cast.admin)(cast.company_b)
    assert not staff_of_its_branch(cast.jury_employer)(cast.company_a)


@pytest.mark.django_db
def test_counters_are_per_branch_kind_and_year(cast):
    assert counter_next(branch=cast.branch_a, kind="x", year=2026) == 1
    assert counter_next(branch=cast.branch_a, kind="x", year=2026) == 2
    assert counter_next(branch=cast.branch_a, kind="x", year=2027) == 1
    assert counter_next(branch=cast.branch_b, kind="x", year=2026) == 1
    assert counter_next(branch=cast.branch_a, kind="y", year=2026) == 1


def test_a_block_of_numbers_is_reserved_in_one_step(cast, django_assert_num_queries):
    counter_next(branch=cast.branch_a, kind="z", year=2026)
    with django_assert_num_queries(4):  # savepoint, lock, update, release
        first = counter_next(branch=cast.branch_a, kind="z", year=2026, count=500)
    assert first == 2
    assert counter_next(branch=cast.branch_a, kind="z", year=2026) == 502


def test_the_roles_query_compiled_once_reads_what_the_orm_query_reads(
    cast, django_assert_num_queries
):
    from branches.access import _role_rows, _role_rows_of

    Membership.objects.create(
        user=cast.candidate_user, branch=cast.branch_b, role=Role.JURY, college=College.EMPLOYERS
    )
    for user in (cast.staff_a, cast.referent_a, cast.evaluator, cast.candidate_user, cast.outsider):
        with django_assert_num_queries(1):
            rows = _role_rows_of(user.pk)
        assert sorted(rows, key=str) == sorted(_role_rows(user), key=str)
    assert ("jury", cast.branch_b.pk, None) in _role_rows_of(cast.candidate_user.pk)
    assert ("~candidate", None, None) in _role_rows_of(cast.candidate_user.pk)


def test_the_menu_key_tells_apart_every_set_of_roles_the_navigation_shows(cast):
    people = ("admin", "staff_a", "evaluator", "referent_a", "jury_employer", "candidate_user")
    keys = {roles_of(getattr(cast, who)).menu_key for who in (*people, "coc_observer")}
    assert len(keys) == 7
    assert roles_of(cast.staff_a).menu_key == roles_of(cast.staff_b).menu_key
