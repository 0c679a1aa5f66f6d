"""Emails of the evaluations room: an evaluator assigned, a grid submitted, a decision recorded,
a jury member convoked (with its calendar invitation, updates and cancellation) and reminded."""

from __future__ import annotations

import datetime
from typing import Any

from django.conf import settings
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from branches.models import Membership, Role
from core.mail import send_templated

from . import calendar
from .models import (
    Decision,
    Evaluation,
    EvaluationSheet,
    JuryMember,
    JurySession,
    appointment_uid,
    candidate_appointment_uid,
    invitation_uid,
)


def absolute(path: str) -> str:
    return settings.SITE_URL.rstrip("/") + path


def candidate_address(candidate: Any) -> str:
    """The account's address when the candidate has one (where they log in), else the file's."""
    if candidate.user_id and candidate.user.email:
        return str(candidate.user.email)
    return str(candidate.email or "")


def evaluator_assigned(*, sheet_id: int) -> int:
    sheet = EvaluationSheet.objects.select_related(
        "evaluator",
        "evaluation__dossier__candidate",
        "evaluation__dossier__branch",
        "evaluation__dossier__version__referentiel",
    ).get(pk=sheet_id)
    dossier = sheet.evaluation.dossier
    link = absolute(reverse("evaluations:sheet", args=[sheet.pk]))
    # Emails are French whatever language the request that triggered them was in.
    with translation.override(settings.LANGUAGE_CODE):
        attachments = []
        if sheet.evaluation.appointment_at is not None:
            attachments.append(
                _appointment_ics(
                    sheet.evaluation, sheet.pk, sheet.evaluator, calendar.REQUEST, link
                )
            )
        return send_templated(
            to=[sheet.evaluator.email],
            subject=_("Nouvelle évaluation à réaliser — dossier %(ref)s")
            % {"ref": dossier.reference},
            template="evaluator_assigned",
            context={
                "sheet": sheet,
                "evaluation": sheet.evaluation,
                "dossier": dossier,
                "person": sheet.evaluator,
                "link": link,
            },
            attachments=attachments,
        )


def _appointment_ics(
    evaluation: Any, sheet_id: int, person: Any, method: str, link: str
) -> tuple[str, bytes, str]:
    content = calendar.appointment_invitation(
        evaluation=evaluation,
        uid=appointment_uid(sheet_id, person.pk),
        # Requests carry the appointment's SEQUENCE; a grid handed on cancels the person
        # replaced's event one further than anything they were sent.
        sequence=evaluation.appointment_sequence + (1 if method == calendar.CANCEL else 0),
        method=method,
        attendee=person,
        link=link,
    )
    return ("rendez-vous.ics", content, f"text/calendar; method={method}; charset=utf-8")


def appointment_cancelled(*, sheet_id: int, user_id: int) -> int:
    """The person a grid was taken from: their evaluation appointment is cancelled."""
    from django.contrib.auth import get_user_model

    sheet = EvaluationSheet.objects.select_related(
        "evaluation__dossier__branch", "evaluation__dossier__candidate"
    ).get(pk=sheet_id)
    evaluation = sheet.evaluation
    if evaluation.appointment_at is None:
        return 0
    person = get_user_model().objects.get(pk=user_id)
    link = absolute(reverse("evaluations:sheet", args=[sheet.pk]))
    with translation.override(settings.LANGUAGE_CODE):
        return send_templated(
            to=[person.email],
            subject=_("Rendez-vous d'évaluation annulé — dossier %(ref)s")
            % {"ref": evaluation.dossier.reference},
            template="appointment_cancelled",
            context={"evaluation": evaluation, "dossier": evaluation.dossier, "person": person},
            attachments=[_appointment_ics(evaluation, sheet.pk, person, calendar.CANCEL, link)],
        )


def sheet_submitted(*, sheet_id: int) -> int:
    sheet = EvaluationSheet.objects.select_related(
        "evaluator",
        "evaluation__dossier__candidate",
        "evaluation__dossier__branch",
        "evaluation__dossier__version__referentiel",
    ).get(pk=sheet_id)
    dossier = sheet.evaluation.dossier
    staff = Membership.objects.filter(
        branch_id=dossier.branch_id, role=Role.STAFF, is_active=True, user__is_active=True
    ).values_list("user__email", flat=True)
    with translation.override(settings.LANGUAGE_CODE):
        return send_templated(
            to=list(staff),
            subject=_("Grille d'évaluation transmise — dossier %(ref)s")
            % {"ref": dossier.reference},
            template="sheet_submitted",
            context={
                "sheet": sheet,
                "evaluation": sheet.evaluation,
                "dossier": dossier,
                "link": absolute(reverse("candidates:dossier_detail", args=[dossier.pk])),
            },
        )


def decision_recorded(*, decision_id: int) -> int:
    decision = Decision.objects.select_related(
        "dossier__candidate__user", "dossier__version__referentiel", "dossier__branch"
    ).get(pk=decision_id)
    dossier = decision.dossier
    with translation.override(settings.LANGUAGE_CODE):
        return send_templated(
            to=[candidate_address(dossier.candidate)],
            subject=_("Le jury a rendu sa décision sur votre dossier %(ref)s")
            % {"ref": dossier.reference},
            template="decision_recorded",
            context={
                "decision": decision,
                "dossier": dossier,
                "candidate": dossier.candidate,
                "space_open": dossier.candidate.space_open,
                "link": absolute(reverse("space:dossier_detail", args=[dossier.pk])),
            },
        )


# --- Jury convocations -------------------------------------------------------------

CONVOCATION_KINDS = ("invite", "update", "cancel", "reminder")


def _convocation_subject(kind: str, session: JurySession, days: int = 0) -> str:
    date = timezone.localtime(session.held_on).strftime("%d/%m/%Y")
    if kind == "cancel":
        return _("Convocation retirée — jury du %(date)s") % {"date": date}
    if kind == "update":
        return _("Convocation modifiée — jury du %(date)s") % {"date": date}
    if kind == "reminder":
        return _("Rappel : jury du %(date)s") % {"date": date}
    return _("Convocation au jury du %(date)s") % {"date": date}


def _send_convocation(
    *,
    kind: str,
    session: JurySession,
    person: Any,
    uid: str,
    sequence: int,
    answer: str,
    days: int = 0,
) -> int:
    link = absolute(reverse("evaluations:session_detail", args=[session.pk]))
    with translation.override(settings.LANGUAGE_CODE):
        subject = _convocation_subject(kind, session, days)
        attachments = []
        if kind != "reminder":
            method = calendar.CANCEL if kind == "cancel" else calendar.REQUEST
            invitation = calendar.session_invitation(
                session=session,
                uid=uid,
                sequence=sequence,
                method=method,
                attendee=person,
                answer=answer,
                link=link,
            )
            attachments.append(
                (
                    "convocation.ics",
                    invitation,
                    f"text/calendar; method={method}; charset=utf-8",
                )
            )
        return send_templated(
            to=[person.email],
            subject=subject,
            template="jury_convocation",
            context={
                "kind": kind,
                "subject": subject,
                "session": session,
                "person": person,
                "answer": answer,
                "days": days,
                "link": link,
                "has_invitation": bool(attachments),
            },
            attachments=attachments,
        )


def jury_convocation(*, member_id: int, kind: str, days: int = 0) -> int:
    """A seat's invitation ("invite"), its update after the session moved ("update"), or a
    reminder before the session ("reminder", `days` before). Nothing if the seat is gone."""
    member = (
        JuryMember.objects.select_related("user", "session__branch").filter(pk=member_id).first()
    )
    if member is None:
        return 0
    return _send_convocation(
        kind=kind,
        session=member.session,
        person=member.user,
        uid=member.invitation_uid,
        sequence=member.invitation_sequence,
        answer=member.answer,
        days=days,
    )


def jury_convocation_cancelled(
    *, member_id: int, session_id: int, user_id: int, sequence: int
) -> int:
    """The cancellation of a released seat's invitation: the seat is gone, its ids remain."""
    from django.contrib.auth import get_user_model

    session = JurySession.objects.select_related("branch").get(pk=session_id)
    person = get_user_model().objects.get(pk=user_id)
    return _send_convocation(
        kind="cancel",
        session=session,
        person=person,
        uid=invitation_uid(member_id),
        sequence=sequence,
        answer="pending",
    )


# --- Evaluation appointments: the candidate's convocation, changes for everybody ---------------

APPOINTMENT_KINDS = ("invite", "update", "cancel", "reminder")


def _appointment_subject(kind: str, evaluation: Evaluation, when: Any) -> str:
    values = {
        "ref": evaluation.dossier.reference,
        "date": timezone.localtime(when).strftime("%d/%m/%Y") if when else "",
    }
    if kind == "cancel":
        return _("Rendez-vous d'évaluation annulé — dossier %(ref)s") % values
    if kind == "update":
        return _("Rendez-vous d'évaluation modifié — dossier %(ref)s") % values
    if kind == "reminder":
        return _("Rappel : rendez-vous d'évaluation du %(date)s") % values
    return _("Convocation à votre évaluation du %(date)s") % values


def appointment_convocation(
    *,
    evaluation_id: int,
    kind: str,
    sheet_id: int | None = None,
    days: int = 0,
    previous_at: str = "",
    previous_where: str = "",
) -> int:
    """The convocation to an evaluation appointment: the candidate's (no `sheet_id`), or the
    update or cancellation sent to an evaluator (`sheet_id`). `kind` is one of
    APPOINTMENT_KINDS; a cancellation names the time cancelled (`previous_at`, ISO), as the
    appointment itself is cleared by then. Reminders carry no invitation."""
    evaluation = Evaluation.objects.select_related(
        "dossier__candidate__user", "dossier__branch", "dossier__version__referentiel"
    ).get(pk=evaluation_id)
    dossier = evaluation.dossier
    when = evaluation.appointment_at
    if kind == "cancel" and previous_at:
        when = datetime.datetime.fromisoformat(previous_at)
    if when is None:
        return 0
    if sheet_id is None:
        candidate = dossier.candidate
        person: Any = calendar.Attendee(
            email=candidate_address(candidate),
            name=f"{candidate.first_name} {candidate.last_name}".strip(),
        )
        uid = candidate_appointment_uid(evaluation.pk)
        link = absolute(reverse("space:dossier_detail", args=[dossier.pk]))
        answer = evaluation.candidate_answer
        description = _("Confirmez votre présence dans votre espace : %(link)s") % {"link": link}
    else:
        sheet = EvaluationSheet.objects.select_related("evaluator").get(
            pk=sheet_id, evaluation=evaluation
        )
        person = sheet.evaluator
        uid = appointment_uid(sheet.pk, person.pk)
        link = absolute(reverse("evaluations:sheet", args=[sheet.pk]))
        answer = "pending"
        description = ""
    with translation.override(settings.LANGUAGE_CODE):
        subject = _appointment_subject(kind, evaluation, when)
        attachments = []
        if kind != "reminder":
            method = calendar.CANCEL if kind == "cancel" else calendar.REQUEST
            shown = evaluation
            if kind == "cancel":
                # The event cancelled is the one the person holds: its time, not the cleared one.
                shown = Evaluation(
                    pk=evaluation.pk,
                    dossier=dossier,
                    appointment_at=when,
                    appointment_place=previous_where,
                    appointment_sequence=evaluation.appointment_sequence,
                )
            content = calendar.appointment_invitation(
                evaluation=shown,
                uid=uid,
                sequence=evaluation.appointment_sequence,
                method=method,
                attendee=person,
                link=link,
                answer=answer,
                description=description,
            )
            attachments.append(
                ("rendez-vous.ics", content, f"text/calendar; method={method}; charset=utf-8")
            )
        return send_templated(
            to=[person.email],
            subject=subject,
            template="appointment_convocation",
            context={
                "kind": kind,
                "subject": subject,
                "evaluation": evaluation,
                "dossier": dossier,
                "person": person,
                "when": when,
                "where": previous_where
                if kind == "cancel"
                else evaluation.appointment_place or evaluation.appointment_link,
                "for_candidate": sheet_id is None,
                "answer": answer,
                "days": days,
                "link": link,
                "has_invitation": bool(attachments),
            },
            attachments=attachments,
        )
