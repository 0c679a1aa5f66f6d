"""Who may see what: the one place that computes a user's roles for tenant scoping.

Every tenant-owned model's `QuerySet.visible_to(user)` reads `roles_of(user)`;
views, forms, the API and tasks acting for a user get their querysets through those
methods, never by filtering on their own.
"""

from __future__ import annotations

import datetime
import functools
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from django.core.exceptions import PermissionDenied
from django.db import connection
from django.db.models import BigIntegerField, CharField, QuerySet, Value
from django.db.models.functions import Cast
from django.utils import timezone

from .models import Membership, Role

_CACHE_ATTR = "_cqpi_roles"


@dataclass(frozen=True)
class Roles:
    user_id: int | None
    is_national_admin: bool = False
    is_coc_observer: bool = False
    staff_branch_ids: frozenset[int] = field(default_factory=frozenset)
    jury_branch_ids: frozenset[int] = field(default_factory=frozenset)
    referent_company_ids: frozenset[int] = field(default_factory=frozenset)
    referent_branch_ids: frozenset[int] = field(default_factory=frozenset)
    is_evaluator: bool = False
    is_candidate: bool = False

    @property
    def is_authenticated(self) -> bool:
        return self.user_id is not None

    @property
    def is_staff_member(self) -> bool:
        return bool(self.staff_branch_ids)

    @property
    def is_jury_member(self) -> bool:
        return bool(self.jury_branch_ids)

    @property
    def is_referent(self) -> bool:
        return bool(self.referent_company_ids)

    @property
    def sees_all_branches(self) -> bool:
        return self.is_national_admin or self.is_coc_observer

    @property
    def member_branch_ids(self) -> frozenset[int]:
        return self.staff_branch_ids | self.jury_branch_ids | self.referent_branch_ids

    @property
    def menu_key(self) -> str:
        """What the navigation shows depends on, and nothing else: the key under which the
        layout keeps it rendered (templates/base.html)."""
        flags = (
            self.is_staff_member,
            self.is_national_admin,
            self.is_jury_member,
            self.is_evaluator,
            self.is_referent,
            self.is_candidate,
            self.sees_all_branches,
        )
        return "".join("1" if flag else "0" for flag in flags)

    def is_staff_of(self, branch_id: int | None) -> bool:
        return self.is_national_admin or branch_id in self.staff_branch_ids


ANONYMOUS = Roles(user_id=None)


def roles_of(user: Any) -> Roles:
    """The user's roles, computed once per user object (so once per request)."""
    if user is None or not getattr(user, "is_authenticated", False) or not user.is_active:
        return ANONYMOUS
    cached = getattr(user, _CACHE_ATTR, None)
    if cached is not None:
        return cached
    staff: set[int] = set()
    jury: set[int] = set()
    referent_companies: set[int] = set()
    referent_branches: set[int] = set()
    is_evaluator = is_candidate = False
    for role, branch_id, company_id in _role_rows_of(user.pk):
        if role == Role.STAFF:
            staff.add(branch_id)
        elif role == Role.JURY:
            jury.add(branch_id)
        elif role == Role.REFERENT and company_id is not None:
            referent_companies.add(company_id)
            referent_branches.add(branch_id)
        elif role == _EVALUATOR:
            is_evaluator = True
        elif role == _CANDIDATE:
            is_candidate = True
    roles = Roles(
        user_id=user.pk,
        is_national_admin=user.is_superuser,
        is_coc_observer=getattr(user, "is_coc_observer", False),
        staff_branch_ids=frozenset(staff),
        jury_branch_ids=frozenset(jury),
        referent_company_ids=frozenset(referent_companies),
        referent_branch_ids=frozenset(referent_branches),
        is_evaluator=is_evaluator,
        is_candidate=is_candidate,
    )
    setattr(user, _CACHE_ATTR, roles)
    return roles


# Markers of the two yes/no roles among the membership rows; never a Role value.
_EVALUATOR = "~evaluator"
_CANDIDATE = "~candidate"


# Stands for the user's id in the roles query compiled once (`_role_rows_sql`): ids are positive.
_SOME_USER = -1


def _role_rows_of(user_id: int) -> list[tuple[Any, ...]]:
    """`_role_rows` for this user, run from its SQL compiled once per process: building and
    compiling the ORM's three-part UNION cost four times its round trip, on every page."""
    sql, params = _role_rows_sql(connection.vendor)
    with connection.cursor() as cursor:
        cursor.execute(sql, [user_id if param == _SOME_USER else param for param in params])
        return cursor.fetchall()


@functools.cache
def _role_rows_sql(vendor: str) -> tuple[str, tuple[Any, ...]]:
    """The SQL and parameters of `_role_rows`, for the database `vendor` (the key only)."""
    user_model = Membership._meta.get_field("user").related_model
    assert isinstance(user_model, type)
    query = _role_rows(user_model(pk=_SOME_USER)).query
    sql, params = query.sql_with_params()
    assert params.count(_SOME_USER) == 3, "the user's id is the query's only varying part"
    return sql, params


def _role_rows(user: Any) -> QuerySet[Any]:
    """The user's active memberships, plus one marker row if they hold any habilitation and
    one if they have a candidate profile: every role in one query (UNION ALL), as it is read
    on every request."""
    no_id = Cast(Value(None), output_field=BigIntegerField())  # typed, for PostgreSQL's UNION

    def marker(related_name: str, role: str) -> QuerySet[Any]:
        relation = user._meta.get_field(related_name)  # candidates is a room above: no import
        return (
            relation.related_model._default_manager.filter(**{relation.field.name: user})
            .order_by()
            .values_list(Value(role, output_field=CharField()), no_id, no_id)
            .distinct()
        )

    memberships = (
        Membership.objects.filter(user=user, is_active=True)
        .order_by()
        .values_list("role", "branch_id", "company_id")
    )
    return memberships.union(
        marker("habilitations", _EVALUATOR), marker("candidate_profiles", _CANDIDATE), all=True
    )


def forget_roles(user: Any) -> None:
    """Drop the cached roles after a membership change on this very user object."""
    if hasattr(user, _CACHE_ATTR):
        delattr(user, _CACHE_ATTR)


def habilitation_is_current(valid_from: datetime.date, valid_until: datetime.date) -> bool:
    today = timezone.localdate()
    return valid_from <= today <= valid_until


def require_branch_staff(user: Any, branch_id: int | None) -> None:
    """Raise PermissionDenied unless the user runs this branch (CPNE staff) or is national admin."""
    if not roles_of(user).is_staff_of(branch_id):
        raise PermissionDenied


def require_staff_member(user: Any) -> Roles:
    """The user's roles; PermissionDenied unless they run some branch (CPNE staff) or are
    national admin: the door of the staff's pages, before any object is looked at."""
    roles = roles_of(user)
    if not (roles.is_staff_member or roles.is_national_admin):
        raise PermissionDenied
    return roles


def staff_of_its_branch(user: Any) -> Callable[[Any], bool]:
    """Whether `user` runs the branch of a tenant-owned object (one with `branch_id`): the
    `allowed` test of the access helpers built on `core.portal.get_object_for`."""
    roles = roles_of(user)
    return lambda obj: roles.is_staff_of(obj.branch_id)
