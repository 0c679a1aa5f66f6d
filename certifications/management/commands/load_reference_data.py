"""Load the reference data: the 22 branches of the charter and the 9 CQPI (idempotent)."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils.translation import gettext as _

from core.errors import DomainError


class Command(BaseCommand):
    help = (
        "Charge les 22 branches signataires de la charte et les 9 CQPI (contenu illustratif). "
        "Peut être relancée : ne crée que ce qui manque."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--dry-run",
            action="store_true",
            help="Montre ce qui serait créé, sans rien enregistrer.",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        from certifications.data.loader import load_reference_data
        from certifications.referentiel_import import ReferentielImportError

        dry_run = options["dry_run"]
        try:
            lines = load_reference_data(dry_run=dry_run)
        except ReferentielImportError as exc:
            for error in exc.errors:
                self.stderr.write(error)
            raise CommandError(
                _("Données de référence refusées ; rien n'a été enregistré.")
            ) from exc
        except DomainError as exc:
            raise CommandError(exc.message) from exc
        if dry_run:
            self.stdout.write(_("Simulation : rien n'a été enregistré."))
        for line in lines:
            self.stdout.write(line)
        if not lines:
            self.stdout.write(_("Les données de référence sont déjà à jour : rien à faire."))
        elif not dry_run:
            self.stdout.write(self.style.SUCCESS(_("Données de référence chargées.")))
