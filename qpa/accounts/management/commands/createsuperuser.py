"""`qpa createsuperuser` is refused: in QPA a person's role, not Django's superuser flag,
says what they may do, and a superuser with the default role would be a practitioner
whom every administration page refuses. `qpa create-administrator` makes the first
administrator instead (docs/decisions/0122-people-and-first-passwords.md)."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser


class Command(BaseCommand):
    help = "Refused in QPA: use `qpa create-administrator`."

    def add_arguments(self, parser: CommandParser) -> None:
        # Take whatever Django's own command takes, so the refusal is what people see.
        parser.add_argument("args", nargs="*")
        parser.add_argument("--username")
        parser.add_argument("--email")
        parser.add_argument("--database")
        parser.add_argument("--noinput", "--no-input", action="store_true")

    def handle(self, *args: Any, **options: Any) -> None:
        raise CommandError(
            "QPA does not use superusers: what a person may do comes from their role. "
            "Create the first administrator with: qpa create-administrator --username NAME "
            '--name "FULL NAME" --email ADDRESS (the password is asked for, or read from '
            "QPA_ADMIN_PASSWORD)."
        )
