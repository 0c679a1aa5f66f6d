"""Back up the database and the media files into one tar archive (see docs/RELIABILITY.md)."""

from __future__ import annotations

import shutil
import sys
import tempfile
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from cqpi.backup import BackupError, backup_create


class Command(BaseCommand):
    help = (
        "Write one tar archive holding a dump of the database (pg_dump, or SQLite's backup "
        "API), every media file and a manifest of checksums. Restore it with `restore`."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--output",
            default=str(settings.VAR_DIR / "backups"),
            help=(
                "A folder (the archive gets a dated name in it), a path ending in .tar, or - "
                "to write the archive to the standard output. Default: var/backups/."
            ),
        )

    def handle(self, *args: Any, **options: Any) -> None:
        to_stdout = options["output"] == "-"
        # Progress goes to stderr when the archive itself goes to stdout.
        out = self.stderr if to_stdout else self.stdout
        try:
            if to_stdout:
                with tempfile.TemporaryDirectory(prefix="cqpi-backup-out-") as scratch:
                    path, manifest = backup_create(output=Path(scratch), log=out.write)
                    with path.open("rb") as archive:
                        shutil.copyfileobj(archive, sys.stdout.buffer)
                    sys.stdout.buffer.flush()
            else:
                path, manifest = backup_create(output=Path(options["output"]), log=out.write)
        except BackupError as exc:
            raise CommandError(str(exc)) from exc
        counts = ", ".join(f"{key} {value}" for key, value in sorted(manifest["counts"].items()))
        for name in manifest["missing_media"]:
            out.write(self.style.WARNING(f"Named by the database but not in the media: {name}"))
        out.write(self.style.SUCCESS(f"Backup written: {'-' if to_stdout else path} ({counts})"))
