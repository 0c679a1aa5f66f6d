"""Make (once) the development seal's self-signed chain under var/seal/; it is NOT qualified."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from certifications.sealing import dev_chain


class Command(BaseCommand):
    help = (
        "Crée une fois la chaîne de cachet de développement (racine et certificat auto-signés, "
        "non qualifiés) sous var/seal/ ; sans effet si elle existe ou si SEAL_PKCS12_PATH est défini."
    )

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument(
            "--dry-run", action="store_true", help="Dire ce qui serait fait, sans rien créer."
        )

    def handle(self, *args: Any, dry_run: bool = False, **options: Any) -> None:
        if settings.SEAL_PKCS12_PATH:
            raise CommandError(
                "SEAL_PKCS12_PATH is set: this deployment seals with its own key, "
                "no development chain is made."
            )
        directory = settings.SEAL_DEV_DIR
        if dry_run:
            exists = (directory / "seal.p12").is_file()
            self.stdout.write(f"{directory}: {'exists' if exists else 'would be created'}")
            return
        files = dev_chain(directory)
        self.stdout.write(
            f"Development seal (NOT qualified): {files.pkcs12}; trust root: {files.trust_roots}"
        )
