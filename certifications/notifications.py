"""Emails of the certifications room: the candidate's certificate is ready to download."""

from __future__ import annotations

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext as _

from .models import Certificate


def certificate_ready(*, certificate_id: int) -> int:
    """Tell the holder their document can be downloaded from their space; nothing without an address."""
    certificate = Certificate.objects.select_related(
        "dossier__candidate__user", "version__referentiel"
    ).get(pk=certificate_id)
    dossier = certificate.dossier
    candidate = dossier.candidate
    address = (candidate.user.email if candidate.user_id else "") or candidate.email
    if not address:
        return 0
    with translation.override(settings.LANGUAGE_CODE):
        context = {
            "certificate": certificate,
            "dossier": dossier,
            "candidate": candidate,
            # The link to the space only for a reader who can enter it (Candidate.space_open).
            "space_open": candidate.space_open,
            "site_url": settings.SITE_URL,
            "link": settings.SITE_URL.rstrip("/")
            + reverse("space:dossier_detail", args=[dossier.pk]),
            "verification_url": certificate.verification_url,
        }
        message = EmailMultiAlternatives(
            subject=_("Votre document CQPI est disponible — %(number)s")
            % {"number": certificate.number},
            body=render_to_string("emails/certificate_ready.txt", context),
            to=[address],
        )
        message.attach_alternative(
            render_to_string("emails/certificate_ready.html", context), "text/html"
        )
        return message.send()


def expiry_alert(*, certificate_id: int, months: int) -> int:
    """A partial validation lapses in `months` month(s): one email to the holder (to complete
    their CQPI in time), one to the staff of the branch (the dashboard lists it too)."""
    from branches.models import Membership, Role

    certificate = Certificate.objects.select_related(
        "dossier__candidate__user", "branch", "version__referentiel"
    ).get(pk=certificate_id)
    if certificate.status != "valid" or certificate.valid_until is None:
        return 0
    if not Certificate.objects.filter(pk=certificate.pk).not_completed().exists():
        return 0  # completed between the claim and the sending: nothing lapses any more
    candidate = certificate.dossier.candidate
    holder = (candidate.user.email if candidate.user_id else "") or candidate.email
    staff = sorted(
        {
            address
            for address in Membership.objects.filter(
                branch_id=certificate.branch_id,
                role=Role.STAFF,
                is_active=True,
                user__is_active=True,
            ).values_list("user__email", flat=True)
            if address
        }
    )
    sent = 0
    with translation.override(settings.LANGUAGE_CODE):
        subject = _("Votre validation partielle %(number)s arrive à échéance le %(date)s") % {
            "number": certificate.number,
            "date": certificate.valid_until.strftime("%d/%m/%Y"),
        }
        for audience, to, link in (
            (
                "holder",
                [holder] if holder else [],
                reverse("space:dossier_detail", args=[certificate.dossier_id]),
            ),
            ("staff", staff, reverse("candidates:dashboard")),
        ):
            if not to:
                continue
            context = {
                "audience": audience,
                "certificate": certificate,
                "candidate": candidate,
                "months": months,
                "site_url": settings.SITE_URL,
                "link": settings.SITE_URL.rstrip("/") + link,
            }
            message = EmailMultiAlternatives(
                subject=subject
                if audience == "holder"
                else _("Validation partielle %(number)s : échéance le %(date)s")
                % {
                    "number": certificate.number,
                    "date": certificate.valid_until.strftime("%d/%m/%Y"),
                },
                body=render_to_string("emails/expiry_alert.txt", context),
                to=to,
            )
            message.attach_alternative(
                render_to_string("emails/expiry_alert.html", context), "text/html"
            )
            sent += message.send()
    return sent
