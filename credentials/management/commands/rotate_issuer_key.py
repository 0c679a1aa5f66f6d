"""Give a branch a new signing key; the old one stays published so what it signed stays valid."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError

from branches.models import Branch
from credentials.models import IssuerKey
from credentials.services import issuer_key_rotate


class Command(BaseCommand):
    help = "Rotate a branch's credential-signing key (the retired key stays in its DID document)."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("branch", help="the branch's code")
        parser.add_argument("--dry-run", action="store_true", help="say what would change")

    def handle(self, *args: Any, **options: Any) -> None:
        branch = Branch.objects.filter(code=options["branch"]).first()
        if branch is None:
            raise CommandError(f"no branch with code {options['branch']!r}")
        current = IssuerKey.objects.current().filter(branch=branch).first()
        if options["dry_run"]:
            self.stdout.write(
                f"would retire {current.public_key_multibase if current else '(no key yet)'} "
                f"and make a new key for {branch.code}"
            )
            return
        new = issuer_key_rotate(branch=branch, by=None)
        self.stdout.write(f"{branch.code}: new key {new.public_key_multibase}")
