"""Import a CQPI référentiel (new CQPI or new version) from its JSON file."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils.translation import gettext as _

from certifications.referentiel_import import ReferentielImportError, import_file
from core.errors import DomainError


class Command(BaseCommand):
    help = (
        "Importe un référentiel de CQPI au format JSON (docs/referentiel-format.md) : crée le "
        "CQPI ou lui ajoute une nouvelle version, tout ou rien."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", help="Fichier JSON du référentiel.")
        parser.add_argument(
            "--dry-run",
            action="store_true",
            help="Valide et montre ce qui serait fait, sans rien enregistrer.",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        dry_run = options["dry_run"]
        try:
            result = import_file(options["file"], dry_run=dry_run)
        except ReferentielImportError as exc:
            for error in exc.errors:
                self.stderr.write(error)
            raise CommandError(
                _("Import refusé : %(count)d erreur(s) ; rien n'a été enregistré.")
                % {"count": len(exc.errors)}
            ) from exc
        except DomainError as exc:
            raise CommandError(
                _("Import refusé : %(message)s Rien n'a été enregistré.") % {"message": exc.message}
            ) from exc
        if dry_run:
            self.stdout.write(_("Simulation : rien n'a été enregistré."))
        for line in result.lines:
            self.stdout.write(line)
        for warning in result.warnings:
            self.stdout.write(
                self.style.WARNING(_("Attention : %(warning)s") % {"warning": warning})
            )
        if not dry_run:
            self.stdout.write(self.style.SUCCESS(_("Import terminé.")))
