"""iCalendar invitations to jury sessions and evaluation appointments: a request, its updates
and its cancellation (RFC 5546)."""

from __future__ import annotations

import datetime
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.utils import timezone
from django.utils.translation import gettext as _
from icalendar import Calendar, Event, vCalAddress, vText

from .models import ConvocationAnswer, Evaluation, JurySession, appointment_uid

# A session and an appointment have a start and no end: calendars get a slot this long.
SESSION_LENGTH = datetime.timedelta(hours=3)
APPOINTMENT_LENGTH = datetime.timedelta(hours=2)

REQUEST = "REQUEST"
CANCEL = "CANCEL"
PUBLISH = "PUBLISH"

_PARTSTAT = {
    ConvocationAnswer.PENDING: "NEEDS-ACTION",
    ConvocationAnswer.ACCEPTED: "ACCEPTED",
    ConvocationAnswer.DECLINED: "DECLINED",
}


def session_invitation(
    *,
    session: JurySession,
    uid: str,
    sequence: int,
    method: str,
    attendee: Any,
    answer: str = ConvocationAnswer.PENDING,
    link: str = "",
) -> bytes:
    """One seat's invitation to a jury session."""
    return invitation(
        uid=uid,
        sequence=sequence,
        method=method,
        start=session.held_on,
        length=SESSION_LENGTH,
        summary=_("Jury paritaire CQPI — %(branch)s") % {"branch": session.branch.name},
        location=session.place,
        organizer=session.branch.name,
        attendee=attendee,
        partstat=_PARTSTAT.get(ConvocationAnswer(answer), "NEEDS-ACTION"),
        link=link,
        description=_("Répondre à la convocation : %(link)s") % {"link": link} if link else "",
    )


@dataclass(frozen=True)
class Attendee:
    """Someone invited without an account of their own in view (a candidate's file address)."""

    email: str
    name: str

    def get_full_name(self) -> str:
        return self.name


def appointment_invitation(
    *,
    evaluation: Evaluation,
    uid: str,
    sequence: int,
    method: str,
    attendee: Any,
    link: str,
    answer: str = ConvocationAnswer.PENDING,
    description: str = "",
) -> bytes:
    """An invitation to an evaluation appointment (place or video link): an evaluator's, with
    their grid's address, or the candidate's, with their space's."""
    dossier = evaluation.dossier
    assert evaluation.appointment_at is not None
    where = evaluation.appointment_place or evaluation.appointment_link
    return invitation(
        uid=uid,
        sequence=sequence,
        method=method,
        start=evaluation.appointment_at,
        length=APPOINTMENT_LENGTH,
        summary=_("Évaluation CQPI — dossier %(ref)s") % {"ref": dossier.reference},
        location=where,
        organizer=dossier.branch.name,
        attendee=attendee,
        partstat=_PARTSTAT.get(ConvocationAnswer(answer), "NEEDS-ACTION"),
        link=evaluation.appointment_link or link,
        description=description or _("Votre grille d'évaluation : %(link)s") % {"link": link},
    )


def invitation(
    *,
    uid: str,
    sequence: int,
    method: str,
    start: datetime.datetime,
    length: datetime.timedelta,
    summary: str,
    location: str,
    organizer: str,
    attendee: Any,
    partstat: str,
    link: str = "",
    description: str = "",
) -> bytes:
    """One event for one attendee as an .ics file. Times are written in UTC (unambiguous, no
    VTIMEZONE needed); calendars show them in the reader's zone, Europe/Paris here."""
    by = vCalAddress(f"mailto:{settings.DEFAULT_FROM_EMAIL}")
    by.params["cn"] = vText(organizer)
    person = vCalAddress(f"mailto:{attendee.email}")
    person.params["cn"] = vText(attendee.get_full_name() or attendee.email)
    person.params["role"] = vText("REQ-PARTICIPANT")
    # Answers are given in the application, not by mail to the organizer.
    person.params["rsvp"] = vText("FALSE")
    person.params["partstat"] = vText(partstat)

    event = _event(
        uid=uid,
        sequence=sequence,
        start=start,
        length=length,
        summary=summary,
        location=location,
        link=link,
        description=description,
    )
    event.add("organizer", by)
    event.add("attendee", person)
    event.add("status", "CANCELLED" if method == CANCEL else "CONFIRMED")
    return _calendar(method, [event])


def _event(
    *,
    uid: str,
    sequence: int,
    start: datetime.datetime,
    length: datetime.timedelta,
    summary: str,
    location: str,
    link: str = "",
    description: str = "",
) -> Event:
    start = start.astimezone(datetime.UTC)
    event = Event()
    event.add("uid", uid)
    event.add("sequence", sequence)
    event.add("dtstamp", timezone.now().astimezone(datetime.UTC))
    event.add("dtstart", start)
    event.add("dtend", start + length)
    event.add("summary", summary)
    event.add("location", location)
    if link:
        event.add("url", link)
    if description:
        event.add("description", description)
    return event


def _calendar(method: str, events: list[Event], *, name: str = "") -> bytes:
    calendar = Calendar()
    calendar.add("prodid", "-//CQPI//Convocations//FR")
    calendar.add("version", "2.0")
    calendar.add("method", method)
    if name:
        calendar.add("x-wr-calname", name)
    for event in events:
        calendar.add_component(event)
    return bytes(calendar.to_ical())


def assignments_feed(*, sheets: Iterable[Any], link_of: Any) -> bytes:
    """An evaluator's calendar feed (METHOD:PUBLISH): one event per grid of theirs with an
    appointment to come, under the UID of the invitation they were sent, so a calendar that
    has both shows one event. It names the dossier, the time and the place — what the grid
    already shows them — and neither the candidate nor the other half of the binôme."""
    events = []
    for sheet in sheets:
        evaluation = sheet.evaluation
        events.append(
            _event(
                uid=appointment_uid(sheet.pk, sheet.evaluator_id),
                sequence=evaluation.appointment_sequence,
                start=evaluation.appointment_at,
                length=APPOINTMENT_LENGTH,
                summary=_("Évaluation CQPI — dossier %(ref)s")
                % {"ref": evaluation.dossier.reference},
                location=evaluation.appointment_place or evaluation.appointment_link,
                link=link_of(sheet),
            )
        )
    return _calendar(PUBLISH, events, name=str(_("Mes évaluations CQPI")))
