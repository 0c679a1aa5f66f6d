"""Write every branch's public keys (their DID documents) to a file for offline verifiers."""

from __future__ import annotations

import json
from typing import Any

from django.core.management.base import BaseCommand

from credentials.services import public_keys_export


class Command(BaseCommand):
    help = (
        "Export the public keys of every branch (current and retired) as JSON, for "
        "`verify_credential --keys` on a machine without network."
    )

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--output", "-o", help="file to write (default: standard output)")

    def handle(self, *args: Any, **options: Any) -> None:
        text = json.dumps(public_keys_export(), ensure_ascii=False, indent=2) + "\n"
        if options["output"]:
            with open(options["output"], "w", encoding="utf-8") as handle:
                handle.write(text)
            self.stdout.write(f"public keys written to {options['output']}")
        else:
            self.stdout.write(text, ending="")
