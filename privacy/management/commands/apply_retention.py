"""Apply the retention policy now: what the nightly beat task does, with a dry run."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from privacy.policy import RetentionPolicy
from privacy.services import retention_apply

LABELS = {
    "evidence_files": "evidence files deleted",
    "notes": "notes cleared",
    "candidates": "candidates anonymised",
    "accounts": "accounts anonymised",
    "audit_events": "audit events redacted",
    "login_records": "login records deleted (django-axes)",
}


class Command(BaseCommand):
    help = "Delete or anonymise the personal data past its retention (docs/rgpd.md)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--dry-run", action="store_true", help="Count what would be done, change nothing."
        )

    def handle(self, *args: Any, dry_run: bool = False, **options: Any) -> None:
        policy = RetentionPolicy.from_settings()
        self.stdout.write(
            f"Policy: evidence {policy.evidence_months} months, closed dossiers "
            f"{policy.closed_dossier_years} years, inactive accounts "
            f"{policy.inactive_account_years} years, audit details "
            f"{policy.audit_details_years} years."
        )
        report = retention_apply(dry_run=dry_run)
        prefix = "Would be done (dry run)" if dry_run else "Done"
        self.stdout.write(f"{prefix}:")
        for key, label in LABELS.items():
            self.stdout.write(f"  {report[key]} {label}")
