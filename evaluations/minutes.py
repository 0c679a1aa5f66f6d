"""The procès-verbal of a closed jury session: rendered once to PDF and stored with the session."""

from __future__ import annotations

import hashlib
import json
import logging
from dataclasses import dataclass, field
from typing import Any

from django.core.files.base import ContentFile
from django.db import transaction
from django.template.loader import render_to_string
from django.utils import timezone, translation
from django.utils.formats import time_format
from django.utils.translation import gettext as _

from branches.models import College
from certifications.rendering import french_date, is_valid_pdf, render_pdf
from certifications.sealing import IssuedDocument, seal_pdf

from .models import (
    AgendaItem,
    Decision,
    JurySession,
    MemberRole,
    Outcome,
    Proposal,
    ProposalStatus,
    SessionStatus,
)

logger = logging.getLogger(__name__)


@dataclass
class _Member:
    name: str
    role: str
    role_label: str


@dataclass
class _College:
    label: str
    present: list[_Member] = field(default_factory=list)
    absent: list[_Member] = field(default_factory=list)
    excused: list[_Member] = field(default_factory=list)


def _person(user: Any) -> str:
    return user.get_full_name().strip() or user.email


def minutes_context(session: JurySession) -> dict[str, Any]:
    """Everything the procès-verbal states, read once the session is closed (it no longer
    changes): the composition per collège (present, absent, excused), chair and vice-chair as
    actually convoked, the quorum and majority rules, each decision with its tally, and the
    signatures put on it so far."""
    colleges = {value: _College(label=str(label)) for value, label in College.choices}
    chair = vice_chair = None
    members = session.members.select_related("user").order_by(
        "college", "user__last_name", "user__first_name", "pk"
    )
    present_count = 0
    for seat in members:
        member = _Member(_person(seat.user), seat.role, seat.get_role_display())
        college = colleges[seat.college]
        if seat.present:
            college.present.append(member)
            present_count += 1
        elif seat.excused:
            college.excused.append(member)
        else:
            college.absent.append(member)
        if seat.role == MemberRole.CHAIR:
            chair = member
        elif seat.role == MemberRole.VICE_CHAIR:
            vice_chair = member

    position = dict(
        AgendaItem.objects.filter(session=session).values_list("dossier_id", "position")
    )
    decisions = list(
        Decision.objects.filter(session=session)
        .select_related("dossier__candidate", "dossier__version__referentiel", "proposal")
        .prefetch_related("capacities__capacity", "certificates")
    )
    decisions.sort(key=lambda d: (position.get(d.dossier_id, 10**6), d.decided_at, d.pk))
    rejected: dict[int, int] = {}
    for dossier_id in Proposal.objects.filter(
        session=session, status=ProposalStatus.REJECTED
    ).values_list("dossier_id", flat=True):
        rejected[dossier_id] = rejected.get(dossier_id, 0) + 1
    rows = []
    for decision in decisions:
        words = sorted(decision.capacities.all(), key=lambda w: (w.capacity.code, w.pk))
        candidate = decision.dossier.candidate
        proposal = decision.proposal
        rows.append(
            {
                "reference": decision.dossier.reference,
                "candidate": candidate.full_name,
                "cqpi": decision.dossier.version.referentiel.title,
                "version": decision.dossier.version.number,
                "outcome": decision.get_outcome_display(),
                "outcome_code": decision.outcome,
                "validated": sum(1 for w in words if w.validated),
                "total": len(words),
                "validated_capacities": [
                    f"{w.capacity.code} {w.capacity.title}" for w in words if w.validated
                ]
                if decision.outcome == Outcome.PARTIAL
                else [],
                "overrides": [
                    {
                        "capacity": f"{w.capacity.code} {w.capacity.title}",
                        "validated": w.validated,
                        "reason": w.reason,
                    }
                    for w in words
                    if w.overridden
                ],
                "reasons": decision.reasons,
                "tally": {
                    "for": proposal.votes_for,
                    "against": proposal.votes_against,
                    "abstain": proposal.votes_abstain,
                    "present": proposal.members_present,
                    "casting_vote": proposal.casting_vote,
                }
                if proposal
                else None,
                "rejected_proposals": rejected.get(decision.dossier_id, 0),
                "certificates": sorted(c.number for c in decision.certificates.all()),
            }
        )
    totals = {
        "examined": len(rows),
        "award": sum(1 for r in rows if r["outcome_code"] == Outcome.AWARD),
        "partial": sum(1 for r in rows if r["outcome_code"] == Outcome.PARTIAL),
        "refusal": sum(1 for r in rows if r["outcome_code"] == Outcome.REFUSAL),
    }
    held = timezone.localtime(session.held_on)
    branch = session.branch
    with translation.override("fr"):
        held_time = time_format(held.time(), "G \\h i")
        quorum_rule = str(branch.get_quorum_rule_display())
        majority_rule = str(branch.get_majority_rule_display())
    employers = len(colleges[College.EMPLOYERS].present)
    employees = len(colleges[College.EMPLOYEES].present)
    signatures = [
        {
            "role": signature.role,
            "name": _person(signature.member.user),
            "signed_at": timezone.localtime(signature.signed_at).strftime("%d/%m/%Y %H:%M"),
            "sha256": signature.content_sha256,
            "second_factor": signature.second_factor,
        }
        for signature in session.minutes_signatures.select_related("member__user")
    ]
    return {
        "session": session,
        "number": minutes_number(session),
        "branch": branch,
        "certifier": branch.certifier_name,
        "held_date": french_date(held.date()),
        "held_time": held_time,
        "closed_date": french_date(timezone.localtime(session.closed_at).date())
        if session.closed_at
        else "",
        "colleges": list(colleges.values()),
        "chair": chair,
        "vice_chair": vice_chair,
        "quorum": {
            "present": present_count,
            "convoked": sum(
                len(c.present) + len(c.absent) + len(c.excused) for c in colleges.values()
            ),
            "employers": employers,
            "employees": employees,
            "rule": quorum_rule,
            "majority": majority_rule,
            "casting_vote": branch.chair_casting_vote,
        },
        "rows": rows,
        "totals": totals,
        "signatures": signatures,
        "signers": _signers(chair, vice_chair, {s["role"]: s for s in signatures}),
    }


def _signers(
    chair: _Member | None, vice_chair: _Member | None, signed: dict[str, Any]
) -> list[dict[str, Any]]:
    """The signature blocks: the chair, and the vice-chair when one was convoked."""
    blocks = []
    with translation.override("fr"):
        for member, role, who in (
            (chair, MemberRole.CHAIR, _("Le président")),
            (vice_chair, MemberRole.VICE_CHAIR, _("Le vice-président")),
        ):
            if member is not None:
                blocks.append({"who": who, "name": member.name, "signed": signed.get(role)})
    return blocks


def minutes_facts(session: JurySession) -> dict[str, Any]:
    """What the chair and vice-chair sign: the procès-verbal's content as plain values,
    without the signatures themselves."""
    context = minutes_context(session)
    return {
        "number": context["number"],
        "certifier": context["certifier"],
        "held": f"{context['held_date']} {context['held_time']}",
        "place": session.place,
        "closed": context["closed_date"],
        "colleges": [
            {
                "label": c.label,
                "present": [(m.name, m.role) for m in c.present],
                "absent": [m.name for m in c.absent],
                "excused": [m.name for m in c.excused],
            }
            for c in context["colleges"]
        ],
        "quorum": context["quorum"],
        "decisions": context["rows"],
        "totals": context["totals"],
    }


def minutes_content_sha256(session: JurySession) -> str:
    """The SHA-256 of the procès-verbal's content (`minutes_facts` as canonical JSON): each
    signature records it, and both signatures must be on the same content."""
    facts = json.dumps(
        minutes_facts(session), sort_keys=True, ensure_ascii=False, separators=(",", ":")
    )
    return hashlib.sha256(facts.encode()).hexdigest()


def minutes_html(session: JurySession) -> str:
    with translation.override("fr"):
        return render_to_string("evaluations/minutes_pdf.html", minutes_context(session))


def minutes_file_name(session: JurySession) -> str:
    held = timezone.localdate(session.held_on)
    return f"minutes/{held.year}/{minutes_number(session)}.pdf"


def minutes_store_pdf(*, session_id: int) -> JurySession:
    """Render and store the procès-verbal of a closed session, once.

    The session row stays locked while rendering, so two deliveries of the task never
    render side by side; a second call finds the minutes stored and does nothing.
    """
    with transaction.atomic():
        session = (
            JurySession.objects.select_for_update(of=("self",))
            .select_related("branch")
            .get(pk=session_id)
        )
        if session.minutes:
            return session
        if session.status != SessionStatus.CLOSED or session.minutes_signed_at is None:
            logger.warning("jury session %s: minutes not signed yet, nothing rendered", session_id)
            return session
        data = render_pdf(minutes_html(session))
        if not is_valid_pdf(data):
            raise ValueError("the renderer produced no valid PDF")
        # Sealed before it is stored: a failed seal is a failed render, never an unsealed file.
        data = seal_pdf(data, reason=_seal_reason(session))
        name = minutes_file_name(session)
        storage = session.minutes.storage
        if storage.exists(name):
            # left by an attempt whose transaction did not commit: nothing refers to it
            storage.delete(name)
        session.minutes.name = storage.save(name, ContentFile(data))
        session.minutes_sha256 = hashlib.sha256(data).hexdigest()
        session.minutes_render_error = ""
        session.save(update_fields=["minutes", "minutes_sha256", "minutes_render_error"])
    return session


def _seal_reason(session: JurySession) -> str:
    with translation.override("fr"):
        return _("Cachet électronique de %(branch)s — procès-verbal n° %(number)s") % {
            "branch": session.branch.name,
            "number": minutes_number(session),
        }


def minutes_number(session: JurySession) -> str:
    """The procès-verbal's reference, as its file is named: PV-<branch>-<date>-<session>."""
    held = timezone.localdate(session.held_on)
    return f"PV-{session.branch.code}-{held.isoformat()}-{session.pk}"


@transaction.atomic
def minutes_mark_render_failed(*, session_id: int, error: str) -> None:
    """Keep why the procès-verbal could not be rendered or sealed, for the staff to see."""
    session = JurySession.objects.select_for_update().get(pk=session_id)
    if session.minutes:
        return
    session.minutes_render_error = error[:2000]
    session.save(update_fields=["minutes_render_error"])


def find_minutes(sha256: str) -> IssuedDocument | None:
    """The procès-verbal whose sealed bytes have this SHA-256 (for "Vérifier un document")."""
    session = (
        JurySession.objects.select_related("branch")
        .filter(minutes_sha256=sha256)
        .exclude(minutes="")
        .order_by()
        .first()
    )
    if session is None:
        return None
    with translation.override("fr"):
        return IssuedDocument(
            kind=str(_("Procès-verbal du jury paritaire")),
            number=minutes_number(session),
            issued_on=timezone.localdate(session.closed_at) if session.closed_at else None,
            holder=session.branch.name,
            title=str(
                _("Session du %(date)s, %(place)s")
                % {"date": french_date(timezone.localdate(session.held_on)), "place": session.place}
            ),
        )
