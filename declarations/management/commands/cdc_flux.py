"""Produce a branch's declaration flux for the Caisse des Dépôts from the command line."""

from __future__ import annotations

import shutil
from typing import Any

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError, CommandParser

from branches.models import Branch
from core.errors import DomainError
from declarations import services


class Command(BaseCommand):
    help = (
        "Produce the XML flux (cpf-accrochage 1.1.2) of a branch's awards not yet declared, "
        "checked against the schema, recorded as if made from the staff page."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--branch", required=True, help="the branch's code")
        parser.add_argument(
            "--by", required=True, help="email of the CPNE staff member or administrator"
        )
        parser.add_argument("--output", help="also copy the file here")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            branch = Branch.objects.get(code=options["branch"])
        except Branch.DoesNotExist:
            raise CommandError(f"no branch with code {options['branch']!r}") from None
        user = get_user_model().objects.filter(email__iexact=options["by"]).first()
        if user is None:
            raise CommandError(f"no account {options['by']!r}")
        try:
            record = services.flux_create(branch=branch, by=user)
        except services.FluxBlocked as refusal:
            for item in refusal.candidacies:
                self.stderr.write(f"{item.certificate.number}: {' '.join(item.reasons)}")
            raise CommandError(refusal.message) from None
        except DomainError as refusal:
            raise CommandError(refusal.message) from None
        if options.get("output"):
            with record.file.open("rb") as source, open(options["output"], "wb") as target:
                shutil.copyfileobj(source, target)
        self.stdout.write(
            f"{record.reference}: {record.entries.count()} award(s), {record.file.name}"
        )
