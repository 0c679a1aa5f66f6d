"""Restore a backup made by `backup`: checksums first, then the media files and the database."""

from __future__ import annotations

import shutil
import sys
import tempfile
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from cqpi.backup import BackupError, open_archive, restore_apply, restore_plan


class Command(BaseCommand):
    help = (
        "Restore a backup archive into this installation's database and media folder. Every "
        "checksum is verified before anything is touched; a database that holds tables, or "
        "media files with other content, are replaced only with --force."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "archive", help="The .tar made by `backup`, or - to read it from stdin."
        )
        parser.add_argument(
            "--force",
            action="store_true",
            help="Replace a database that is not empty and overwrite media files that differ.",
        )
        parser.add_argument(
            "--dry-run",
            action="store_true",
            help="Verify the archive and the targets, say what would be done, change nothing.",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            if options["archive"] == "-":
                # Checksums are verified before anything is touched: that needs the whole
                # archive at hand, so stdin is spooled to a temporary file first.
                with tempfile.NamedTemporaryFile(prefix="cqpi-restore-", suffix=".tar") as copy:
                    shutil.copyfileobj(sys.stdin.buffer, copy)
                    copy.flush()
                    self._restore(Path(copy.name), **options)
            else:
                self._restore(Path(options["archive"]), **options)
        except BackupError as exc:
            raise CommandError(str(exc)) from exc

    def _restore(self, path: Path, *, force: bool, dry_run: bool, **options: Any) -> None:
        with open_archive(path) as tar:
            plan = restore_plan(tar=tar, force=force)
            manifest = plan.manifest
            self.stdout.write(
                f"Backup of {manifest['created_at']} (cqpi {manifest['app_version']}, "
                f"{manifest['database']['vendor']}): checksums of "
                f"{len(manifest['files'])} files verified."
            )
            if plan.database_tables:
                self.stdout.write(
                    self.style.WARNING(
                        f"--force: the {plan.database_tables} tables of the database are replaced."
                    )
                )
            for name in plan.media_overwritten:
                self.stdout.write(self.style.WARNING(f"--force: overwriting media file {name}"))
            if dry_run:
                self.stdout.write("Dry run: nothing was changed.")
                return
            counts = restore_apply(tar=tar, plan=plan, log=self.stdout.write)
        summary = ", ".join(f"{key} {value}" for key, value in sorted(counts.items()))
        self.stdout.write(self.style.SUCCESS(f"Restored: {summary}."))
        if plan.unapplied_migrations:
            self.stdout.write(
                self.style.WARNING(
                    f"The backup predates {len(plan.unapplied_migrations)} migrations of this "
                    f"version: run `manage.py migrate` before starting the services."
                )
            )
