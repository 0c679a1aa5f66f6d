"""Import certificates issued before the platform from a CSV or XLSX file, all or nothing."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils.translation import gettext as _

from branches.models import Branch
from core.errors import DomainError
from historic import imports, services


class Command(BaseCommand):
    help = (
        "Importe les certificats et attestations délivrés avant la plateforme depuis un fichier "
        "CSV ou XLSX (docs/import-historique.md), au nom d'un membre du personnel de la "
        "branche : tout ou rien, un événement d'audit par fichier."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", help="Fichier CSV ou XLSX.")
        parser.add_argument("--branch", required=True, help="Code de la branche.")
        parser.add_argument(
            "--by",
            required=True,
            help="Adresse e-mail de la personne qui importe (personnel CPNE de la branche "
            "ou administrateur national) : elle figure au journal d'audit.",
        )
        parser.add_argument(
            "--dry-run",
            action="store_true",
            help="Vérifie chaque ligne et montre le résultat, sans rien enregistrer.",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        branch = Branch.objects.filter(code=options["branch"]).first()
        if branch is None:
            raise CommandError(_("Branche inconnue : %(code)s") % {"code": options["branch"]})
        user = get_user_model().objects.filter(email__iexact=options["by"], is_active=True).first()
        if user is None:
            raise CommandError(_("Utilisateur inconnu : %(email)s") % {"email": options["by"]})
        path = Path(options["file"])
        try:
            data = path.read_bytes()
        except OSError as exc:
            raise CommandError(_("Fichier illisible : %(path)s") % {"path": path}) from exc
        uploaded = SimpleUploadedFile(path.name, data)
        try:
            preview = imports.build_preview(uploaded=uploaded, branch=branch, by=user)
        except PermissionDenied as exc:
            raise CommandError(
                _("%(email)s n'est ni personnel CPNE de la branche ni administrateur national.")
                % {"email": user.email}
            ) from exc
        if preview.file_error:
            raise CommandError(
                _("Import refusé : %(message)s Rien n'a été enregistré.")
                % {"message": preview.file_error}
            )
        for error in preview.errors:
            self.stderr.write(
                _("Ligne %(line)d (%(name)s) : %(reasons)s")
                % {
                    "line": error.line,
                    "name": error.name or "—",
                    "reasons": " ; ".join(error.reasons),
                }
            )
        if preview.errors:
            raise CommandError(
                _("Import refusé : %(count)d ligne(s) en erreur ; rien n'a été enregistré.")
                % {"count": len(preview.errors)}
            )
        if options["dry_run"]:
            self.stdout.write(
                _("Simulation : %(count)d ligne(s) valide(s), rien n'a été enregistré.")
                % {"count": len(preview.rows)}
            )
            return
        try:
            records = services.historic_import(
                branch=branch, rows=preview.rows, by=user, filename=path.name
            )
        except DomainError as exc:
            raise CommandError(
                _("Import refusé : %(message)s Rien n'a été enregistré.") % {"message": exc.message}
            ) from exc
        self.stdout.write(
            self.style.SUCCESS(
                _("%(count)d document(s) importé(s) dans la branche %(branch)s.")
                % {"count": len(records), "branch": branch.name}
            )
        )
