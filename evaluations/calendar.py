"""iCalendar invitations to jury sessions: a request, its updates and its cancellation (RFC 5546)."""

from __future__ import annotations

import datetime
from typing import Any

from django.conf import settings
from django.utils import timezone
from django.utils.translation import gettext as _
from icalendar import Calendar, Event, vCalAddress, vText

from .models import ConvocationAnswer, JurySession

# A session has a start and no end: calendars get a half-day slot.
SESSION_LENGTH = datetime.timedelta(hours=3)

REQUEST = "REQUEST"
CANCEL = "CANCEL"

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
    """One seat's invitation as an .ics file. Times are written in UTC (unambiguous, no
    VTIMEZONE needed); calendars show them in the reader's zone, Europe/Paris for the jury."""
    organizer = vCalAddress(f"mailto:{settings.DEFAULT_FROM_EMAIL}")
    organizer.params["cn"] = vText(session.branch.name)
    person = vCalAddress(f"mailto:{attendee.email}")
    person.params["cn"] = vText(attendee.get_full_name() or attendee.email)
    person.params["role"] = vText("REQ-PARTICIPANT")
    # Answers are given in the application, not by mail to the organizer.
    person.params["rsvp"] = vText("FALSE")
    person.params["partstat"] = vText(_PARTSTAT.get(ConvocationAnswer(answer), "NEEDS-ACTION"))

    start = session.held_on.astimezone(datetime.UTC)
    event = Event()
    event.add("uid", uid)
    event.add("sequence", sequence)
    event.add("dtstamp", timezone.now().astimezone(datetime.UTC))
    event.add("dtstart", start)
    event.add("dtend", start + SESSION_LENGTH)
    event.add("summary", _("Jury paritaire CQPI — %(branch)s") % {"branch": session.branch.name})
    event.add("location", session.place)
    if link:
        event.add("url", link)
        event.add("description", _("Répondre à la convocation : %(link)s") % {"link": link})
    event.add("organizer", organizer)
    event.add("attendee", person)
    event.add("status", "CANCELLED" if method == CANCEL else "CONFIRMED")

    calendar = Calendar()
    calendar.add("prodid", "-//CQPI//Convocations//FR")
    calendar.add("version", "2.0")
    calendar.add("method", method)
    calendar.add_component(event)
    return bytes(calendar.to_ical())
