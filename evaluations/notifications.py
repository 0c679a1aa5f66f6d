"""Emails of the evaluations room: an evaluator assigned, a grid submitted, a decision recorded."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext as _

from branches.models import Membership, Role

from .models import Decision, EvaluationSheet


def absolute(path: str) -> str:
    return settings.SITE_URL.rstrip("/") + path


def send_templated(*, to: list[str], subject: str, template: str, context: dict[str, Any]) -> int:
    """Send `emails/<template>.txt` with its `.html` alternative; nothing when nobody is to be told."""
    recipients = sorted({address for address in to if address})
    if not recipients:
        return 0
    context = {**context, "site_url": settings.SITE_URL}
    message = EmailMultiAlternatives(
        subject=subject,
        body=render_to_string(f"emails/{template}.txt", context),
        to=recipients,
    )
    message.attach_alternative(render_to_string(f"emails/{template}.html", context), "text/html")
    return message.send()


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
    # Emails are French whatever language the request that triggered them was in.
    with translation.override(settings.LANGUAGE_CODE):
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
                "link": absolute(reverse("evaluations:sheet", args=[sheet.pk])),
            },
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
                "link": absolute(reverse("space:dossier_detail", args=[dossier.pk])),
            },
        )
