"""Writes of the administration room: a person given a role in a branch, or relieved of it.

Each composes the services of the rooms that own the rows (accounts for accounts, staff and
jury roles; evaluations for a référent, whose grants it writes and revokes) in one
transaction, so a refusal by any of them leaves nothing behind.
"""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.utils.translation import gettext as _

from accounts import services as accounts_services
from branches.models import Branch, Company, Membership, Role
from core.errors import DomainError
from evaluations import selectors as evaluations_selectors
from evaluations import services as evaluations_services


@transaction.atomic
def member_add(
    *,
    branch: Branch,
    by: Any,
    email: str,
    first_name: str,
    last_name: str,
    role: str,
    college: str = "",
    company: Company | None = None,
) -> Membership:
    """Give the person at `email` a role in the branch; a person without an account gets one,
    inactive, and an invitation once this commits."""
    user, invited = accounts_services.person_for_email(
        email=email, first_name=first_name, last_name=last_name
    )
    if role == Role.REFERENT:
        if company is None:
            raise DomainError(_("Choisissez l'entreprise du référent."), code="company_required")
        membership = evaluations_services.referent_appoint(company=company, user=user, by=by)
    else:
        membership = accounts_services.membership_add(
            branch=branch, by=by, user=user, role=role, college=college
        )
    if invited:
        accounts_services.invitation_send(
            user=user, full_name=user.get_full_name(), branch_name=branch.name
        )
    return membership


@transaction.atomic
def member_remove(*, membership: Membership, by: Any, reason: str) -> Membership:
    """End a role: a référent through `referent_remove` (their grants go), staff and jury through
    `membership_deactivate`. A jury member's convocations to the branch's sessions still
    planned are released with it (seat and grant, `jury_member_release`), and the trail says how
    many; a seat in a session open or closed stays, as the record of who sat."""
    if membership.role == Role.REFERENT:
        assert membership.company is not None  # a référent's role names their company
        return evaluations_services.referent_remove(
            company=membership.company, user=membership.user, by=by, reason=reason
        )
    released = None
    if membership.role == Role.JURY:
        # Released first: a refusal of the withdrawal below rolls the releases back with it.
        seats = list(
            evaluations_selectors.planned_seats(
                user=membership.user, branch_id=membership.branch_id
            )
        )
        for seat in seats:
            evaluations_services.jury_member_release(member=seat, by=by)
        released = len(seats)
    return accounts_services.membership_deactivate(
        membership=membership, by=by, reason=reason, released_convocations=released
    )
