from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import DEFAULT_DB_ALIAS

from qpa.dataprotection.backups import BackupError, describe, restore


class Command(BaseCommand):
    help = (
        "Restores a backup made by `qpa backup` and verifies it (SQLite integrity check, "
        "event-log chain and triggers). Refuses a database that holds data unless --force. "
        "Exits 0 only when the restored database verifies."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("source", metavar="SOURCE", type=Path)
        parser.add_argument(
            "--into",
            metavar="TARGET",
            help="Restore here instead of the configured database, for a drill: a SQLite "
            "file, or the name of a PostgreSQL database on the same server.",
        )
        parser.add_argument(
            "--force", action="store_true", help="Replace a database that already holds data."
        )
        parser.add_argument("--database", default=DEFAULT_DB_ALIAS)

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            snapshot = restore(
                options["source"],
                into=options["into"],
                force=options["force"],
                using=options["database"],
            )
        except BackupError as error:
            raise CommandError(str(error)) from error
        self.stdout.write(f"Restored {options['source']} and verified it:")
        for line in describe(snapshot):
            self.stdout.write(f"  {line}")
