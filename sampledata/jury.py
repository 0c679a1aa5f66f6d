"""A unanimous jury, for sample data, benchmarks and tests: the proposal is put, then every
member present votes for it in the app, through the same services a real sitting uses."""

from __future__ import annotations

from typing import Any

from candidates.models import Dossier
from evaluations import services as evaluation_services
from evaluations.models import Decision, JurySession, VoteChoice


def jury_decides(
    *,
    session: JurySession,
    dossier: Dossier,
    outcome: str,
    by: Any,
    validated_capacity_ids: set[int] | None = None,
    override_reasons: dict[int, str] | None = None,
    reasons: str = "",
) -> Decision:
    """`by` (the chair, or branch staff as secretary) puts the proposal; each member present
    votes for; the adopted proposal's decision is returned."""
    proposal = evaluation_services.proposal_put(
        session=session,
        dossier=dossier,
        outcome=outcome,
        by=by,
        validated_capacity_ids=validated_capacity_ids,
        override_reasons=override_reasons,
        reasons=reasons,
    )
    for member in session.members.filter(present=True).select_related("user").order_by("pk"):
        evaluation_services.vote_cast(proposal=proposal, choice=VoteChoice.FOR, by=member.user)
    return Decision.objects.get(proposal=proposal)
