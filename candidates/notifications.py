"""Emails of the candidates room: reminders to a branch's staff of dossiers waiting on them, and
to a candidate of their dossier of evidence not submitted."""

from __future__ import annotations

from django.conf import settings
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext as _

from branches.models import Branch, Membership, Role
from core.mail import send_templated

from .models import Dossier


def _absolute(path: str) -> str:
    return settings.SITE_URL.rstrip("/") + path


def staff_reminder(*, branch_id: int, dossier_ids: list[int]) -> int:
    """The branch's staff: the dossiers (still waiting) listed with their links."""
    branch = Branch.objects.get(pk=branch_id)
    dossiers = list(
        Dossier.objects.filter(branch=branch, pk__in=dossier_ids)
        .select_related("version__referentiel")
        .order_by("status_changed_at", "pk")
    )
    if not dossiers:
        return 0
    staff = Membership.objects.filter(
        branch=branch, role=Role.STAFF, is_active=True, user__is_active=True
    ).values_list("user__email", flat=True)
    with translation.override(settings.LANGUAGE_CODE):
        return send_templated(
            to=list(staff),
            subject=_("Dossiers en attente de la CPNE — %(branch)s") % {"branch": branch.name},
            template="staff_reminder",
            context={
                "branch": branch,
                "days": branch.reminder_delay_days,
                "dossiers": [
                    (dossier, _absolute(reverse("candidates:dossier_detail", args=[dossier.pk])))
                    for dossier in dossiers
                ],
            },
        )


def evidence_reminder(*, dossier_id: int) -> int:
    """The candidate: their dossier of evidence waits for them (with staff's comment if
    returned). Nothing once it is submitted."""
    dossier = Dossier.objects.select_related(
        "candidate__user", "branch", "version__referentiel"
    ).get(pk=dossier_id)
    evidence = getattr(dossier, "evidence_dossier", None)
    if evidence is not None and evidence.status == "submitted":
        return 0
    candidate = dossier.candidate
    address = (candidate.user.email if candidate.user is not None else "") or candidate.email
    with translation.override(settings.LANGUAGE_CODE):
        return send_templated(
            to=[address],
            subject=_("Votre dossier de preuves n'est pas encore transmis — dossier %(ref)s")
            % {"ref": dossier.reference},
            template="evidence_reminder",
            context={
                "dossier": dossier,
                "candidate": candidate,
                "evidence": evidence,
                "link": _absolute(reverse("space:evidence_dossier", args=[dossier.pk])),
            },
        )
