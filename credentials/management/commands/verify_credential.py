"""Check a credential JSON file or a QR code's text offline, with exported public keys only."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from credentials.services import decode_list
from credentials.verification import (
    Verdict,
    keys_from_export,
    status_place,
    verify_credential,
    verify_text,
)


class Command(BaseCommand):
    help = (
        "Verify an Open Badges credential (JSON file) or the text of a printed QR code, "
        "offline: with the keys written by `export_credential_keys`, and optionally the "
        "status lists downloaded beforehand to tell a revoked credential. Exit status 0 "
        "when valid, 1 otherwise."
    )

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument(
            "document", help="a credential JSON file, a file holding the QR text, or - for stdin"
        )
        parser.add_argument("--keys", required=True, help="the exported public keys (JSON)")
        parser.add_argument(
            "--status-list",
            action="append",
            default=[],
            help="a downloaded BitstringStatusListCredential (repeatable)",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            keymap = keys_from_export(json.loads(Path(options["keys"]).read_text("utf-8")))
            source = options["document"]
            text = sys.stdin.read() if source == "-" else Path(source).read_text("utf-8")
            lists = [json.loads(Path(p).read_text("utf-8")) for p in options["status_list"]]
        except (OSError, ValueError) as exc:
            raise CommandError(str(exc)) from exc
        bits: dict[tuple[str, int], bytes] = {}
        for status_list in lists:
            place = status_place(str(status_list.get("id", "")))
            # A status list counts only if it is itself signed by a known key.
            if place and verify_credential(status_list, keys=keymap).verdict == Verdict.VALID:
                bits[place] = decode_list(status_list["credentialSubject"]["encodedList"])

        def lookup(code: str, number: int, position: int) -> bool | None:
            found = bits.get((code, number))
            if found is None or position >= len(found) * 8:
                return None
            return bool(found[position // 8] & (0x80 >> (position % 8)))

        outcome = verify_text(text, keys=keymap, status=lookup)
        self.stdout.write(f"{outcome.verdict.value}: {outcome.kind}")
        if outcome.reason:
            self.stdout.write(f"  {outcome.reason}")
        if outcome.kind == "qr" and outcome.verdict != Verdict.UNKNOWN:
            for key in ("num", "sub", "cqpi", "iat", "exp"):
                self.stdout.write(f"  {key}: {outcome.claims.get(key)}")
        if outcome.verdict == Verdict.VALID and outcome.kind == "credential" and not lists:
            self.stdout.write("  (revocation not checked: pass --status-list to check it)")
        if outcome.verdict != Verdict.VALID:
            raise CommandError(f"not valid: {outcome.verdict.value}", returncode=1)
