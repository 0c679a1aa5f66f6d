"""The procès-verbal of a closed jury session: rendered once to PDF and stored with the session."""

from __future__ import annotations

import hashlib
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

from .models import AgendaItem, Decision, JurySession, MemberRole, Outcome, SessionStatus

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


def _person(user: Any) -> str:
    return user.get_full_name().strip() or user.email


def minutes_context(session: JurySession) -> dict[str, Any]:
    """Everything the procès-verbal states, read once the session is closed (it no longer changes)."""
    colleges = {value: _College(label=str(label)) for value, label in College.choices}
    chair = vice_chair = None
    members = session.members.select_related("user").order_by(
        "college", "user__last_name", "user__first_name", "pk"
    )
    for seat in members:
        member = _Member(_person(seat.user), seat.role, seat.get_role_display())
        college = colleges[seat.college]
        (college.present if seat.present else college.absent).append(member)
        if seat.role == MemberRole.CHAIR:
            chair = member
        elif seat.role == MemberRole.VICE_CHAIR:
            vice_chair = member

    position = dict(
        AgendaItem.objects.filter(session=session).values_list("dossier_id", "position")
    )
    decisions = list(
        Decision.objects.filter(session=session)
        .select_related("dossier__candidate", "dossier__version__referentiel")
        .prefetch_related("capacities__capacity", "certificates")
    )
    decisions.sort(key=lambda d: (position.get(d.dossier_id, 10**6), d.decided_at, d.pk))
    rows = []
    for decision in decisions:
        words = sorted(decision.capacities.all(), key=lambda w: (w.capacity.code, w.pk))
        candidate = decision.dossier.candidate
        rows.append(
            {
                "decision": decision,
                "reference": decision.dossier.reference,
                "candidate": f"{candidate.first_name} {candidate.last_name}",
                "cqpi": decision.dossier.version.referentiel.title,
                "version": decision.dossier.version.number,
                "outcome": decision.get_outcome_display(),
                "outcome_code": decision.outcome,
                "validated": sum(1 for w in words if w.validated),
                "total": len(words),
                "overrides": [w for w in words if w.overridden],
                "reasons": decision.reasons,
                "certificates": [c.number for c in decision.certificates.all()],
            }
        )
    totals = {
        "examined": len(rows),
        "award": sum(1 for r in rows if r["outcome_code"] == Outcome.AWARD),
        "partial": sum(1 for r in rows if r["outcome_code"] == Outcome.PARTIAL),
        "refusal": sum(1 for r in rows if r["outcome_code"] == Outcome.REFUSAL),
    }
    held = timezone.localtime(session.held_on)
    with translation.override("fr"):
        held_time = time_format(held.time(), "G \\h i")
    return {
        "session": session,
        "branch": session.branch,
        "certifier": session.branch.certifier_name,
        "held_date": french_date(held.date()),
        "held_time": held_time,
        "closed_date": french_date(timezone.localtime(session.closed_at).date())
        if session.closed_at
        else "",
        "colleges": list(colleges.values()),
        "chair": chair,
        "vice_chair": vice_chair,
        "rows": rows,
        "totals": totals,
    }


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
        if session.status != SessionStatus.CLOSED:
            logger.warning("jury session %s is not closed: no minutes yet", session_id)
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
