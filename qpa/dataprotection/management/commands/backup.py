from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import DEFAULT_DB_ALIAS

from qpa.dataprotection.backups import BackupError, backup


class Command(BaseCommand):
    help = (
        "Writes a consistent backup of the database to DEST with the database's own tools "
        "(SQLite's backup API; pg_dump --format=custom). Exits 0 once written and checked."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("destination", metavar="DEST", type=Path)
        parser.add_argument("--database", default=DEFAULT_DB_ALIAS)

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            written = backup(options["destination"], using=options["database"])
        except BackupError as error:
            raise CommandError(str(error)) from error
        self.stdout.write(f"Backup written: {written} ({written.stat().st_size} bytes).")
