"""Link historic records imported before persons existed to national persons, by the import's rule."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandParser
from django.utils.translation import gettext as _

from historic import services


class Command(BaseCommand):
    help = (
        "Rattache à une personne nationale chaque certificat antérieur à la plateforme qui "
        "n'en a pas encore (importé avant les personnes), lot par lot, avec la règle de "
        "l'import : une personne par identité dans le lot, une personne existante seulement "
        "si elle est déjà liée à la même branche."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--dry-run",
            action="store_true",
            help="Compte les certificats et personnes concernés, sans rien enregistrer.",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        linked, created = services.historic_persons_backfill(dry_run=options["dry_run"])
        message = _("%(records)d certificat(s) rattaché(s), %(persons)d personne(s) créée(s).") % {
            "records": linked,
            "persons": created,
        }
        if options["dry_run"]:
            message = _("Simulation : %(message)s") % {"message": message}
        self.stdout.write(message)
