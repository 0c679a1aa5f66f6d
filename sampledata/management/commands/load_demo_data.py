"""Load the demo: accounts for every role and dossiers at every stage (never in production)."""

from __future__ import annotations

from collections import Counter
from typing import Any

from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from candidates.models import Dossier, DossierStatus
from core.errors import DomainError
from sampledata.demo import (
    DEMO_ACCOUNTS,
    DEMO_DOMAIN,
    DEMO_PASSWORD,
    DEMO_TOTP_ACCOUNT,
    DEMO_TOTP_SECRET,
    build_demo,
    refusal_reason,
)
from sampledata.history import FIRST_YEAR, LAST_YEAR, build_demo_claim, build_history


class Command(BaseCommand):
    help = (
        "Charge les données de démonstration (comptes de chaque rôle, entreprises, dossiers à "
        "chaque étape) au travers des vrais services. Refusée en production ; sans effet si la "
        "démonstration est déjà chargée."
    )

    def handle(self, *args: Any, **options: Any) -> None:
        reason = refusal_reason()
        if reason is not None:
            raise CommandError(
                _(
                    "Données de démonstration refusées : ces réglages servent un site réel "
                    "(réglages de production ou DEBUG désactivé). Les comptes de démonstration "
                    "ont un mot de passe public."
                )
            )
        try:
            summary = build_demo()
        except DomainError as exc:
            raise CommandError(
                _("Données de démonstration non chargées (rien n'a été enregistré) : %(message)s")
                % {"message": exc.message}
            ) from exc
        if not summary.created:
            self.stdout.write(_("Les données de démonstration sont déjà chargées : rien à faire."))
        else:
            counts = Counter(Dossier.objects.values_list("status", flat=True))
            stages = ", ".join(
                f"{DossierStatus(status).label} : {counts[status]}"
                for status in DossierStatus.values
                if counts[status]
            )
            self.stdout.write(
                self.style.SUCCESS(
                    _(
                        "Démonstration chargée : %(dossiers)d dossiers (%(stages)s), "
                        "%(certificates)d certificats ou attestations dont %(revoked)d révoqué, "
                        "%(sessions)d sessions de jury."
                    )
                    % {
                        "dossiers": sum(counts.values()),
                        "stages": stages,
                        "certificates": summary.certificates,
                        "revoked": summary.revoked,
                        "sessions": summary.sessions,
                    }
                )
            )
        history = build_history()
        if history.created:
            self.stdout.write(
                self.style.SUCCESS(
                    _(
                        "Historique chargé : %(awards)d certificats et %(partials)d attestations "
                        "délivrés avant la plateforme, de %(first)d à %(last)d (%(seconds).1f s)."
                    )
                    % {
                        "awards": history.awards,
                        "partials": history.partials,
                        "first": FIRST_YEAR,
                        "last": LAST_YEAR,
                        "seconds": history.seconds,
                    }
                )
            )
        if build_demo_claim():
            self.stdout.write(
                self.style.SUCCESS(
                    _(
                        "Un certificat papier du candidat certifié, revendiqué par lui, figure "
                        "dans ses acquis."
                    )
                )
            )
        self.stdout.write(
            _("Comptes de démonstration (mot de passe commun : %(password)s) :")
            % {"password": DEMO_PASSWORD}
        )
        width = max(len(account["email"]) for account in DEMO_ACCOUNTS)
        for account in DEMO_ACCOUNTS:
            self.stdout.write(f"  {account['email']:<{width}}  {account['role']}")
        self.stdout.write(
            _(
                "%(email)s demande aussi un code à six chiffres : ajoutez dans une application "
                "d'authentification la clé %(secret)s (TOTP, base32)."
            )
            % {"email": f"{DEMO_TOTP_ACCOUNT}@{DEMO_DOMAIN}", "secret": DEMO_TOTP_SECRET}
        )
