"""Build the national load data set for benchmarks (PostgreSQL, COPY, reproducible by seed)."""

from __future__ import annotations

import time
from typing import Any

from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError, CommandParser

from branches.models import Branch


class Command(BaseCommand):
    help = "Generate a realistic national data set for benchmarks (PostgreSQL only)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--dossiers", type=int, default=100_000)
        parser.add_argument("--seed", type=int, default=1)

    def handle(self, *args: Any, **options: Any) -> None:
        from sampledata.loaddata import generate

        if options["dossiers"] < 22:
            raise CommandError("--dossiers must be at least 22 (one per branch).")
        started = time.monotonic()
        if Branch.objects.count() < 22:
            call_command("load_reference_data", stdout=self.stdout)
        try:
            counts = generate(
                dossiers=options["dossiers"], seed=options["seed"], stdout=self.stdout
            )
        except RuntimeError as exc:
            raise CommandError(str(exc)) from exc
        for label, count in sorted(counts.items()):
            self.stdout.write(f"  {label}: {count}")
        self.stdout.write(f"done in {time.monotonic() - started:.1f} s")
