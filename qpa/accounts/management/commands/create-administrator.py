"""`qpa create-administrator`: the council's first administrator, on an empty database.

    qpa create-administrator --username ada --name "Ada Lovelace" --email ada@council.example

The password is asked for twice, hidden; for automation it comes from the environment
variable QPA_ADMIN_PASSWORD instead. Either way it must pass QPA's password rules. The
administrator then signs in and, under production settings, sets up an authenticator
app before anything else.
"""

from __future__ import annotations

import getpass
import os
import sys
from typing import Any

from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser

from qpa.accounts.models import Role, User
from qpa.accounts.services import user_create

PASSWORD_VARIABLE = "QPA_ADMIN_PASSWORD"  # noqa: S105 - the variable's name, not a password


def split_name(name: str) -> tuple[str, str]:
    """'Mary Ann Smith' → ('Mary Ann', 'Smith'): the last word is the last name."""
    words = name.split()
    if len(words) < 2:
        raise CommandError('Give the full name, first and last: --name "Ada Lovelace".')
    return " ".join(words[:-1]), words[-1]


class Command(BaseCommand):
    help = (
        "Create an administrator (the first one, on a new database). The password is "
        f"asked for twice, or read from {PASSWORD_VARIABLE}."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--username", required=True)
        parser.add_argument("--name", required=True, help='full name, e.g. "Ada Lovelace"')
        parser.add_argument("--email", required=True, help="work email address")

    def handle(self, *args: Any, **options: Any) -> None:
        first_name, last_name = split_name(options["name"])
        username, email = options["username"].strip(), options["email"].strip()
        if User.objects.filter(username__iexact=username).exists():
            raise CommandError(f"Someone already has the username {username}.")
        candidate = User(
            username=username,
            first_name=first_name,
            last_name=last_name,
            email=email,
            role=Role.ADMINISTRATOR,
        )
        password = self._password(candidate)
        try:
            user = user_create(
                acting_user=None,
                username=username,
                first_name=first_name,
                last_name=last_name,
                email=email,
                role=Role.ADMINISTRATOR,
                password=password,
            )
        except ValidationError as error:
            raise CommandError(" ".join(error.messages)) from error
        self.stdout.write(
            self.style.SUCCESS(
                f"{user} ({user.username}) is an administrator. Sign in to set up an "
                "authenticator app, then follow the first-day checklist on the home page."
            )
        )

    def _password(self, candidate: User) -> str:
        from_environment = os.environ.get(PASSWORD_VARIABLE)
        if from_environment is not None:
            self._check(from_environment, candidate)
            return from_environment
        if not sys.stdin.isatty():
            raise CommandError(
                f"No terminal to ask for the password on: set {PASSWORD_VARIABLE} instead."
            )
        while True:
            first = getpass.getpass("Password: ")
            second = getpass.getpass("Password (again): ")
            if first != second:
                self.stderr.write("The passwords do not match. Try again.")
                continue
            try:
                self._check(first, candidate)
            except CommandError as refused:
                self.stderr.write(str(refused))
                continue
            return first

    @staticmethod
    def _check(password: str, candidate: User) -> None:
        try:
            validate_password(password, candidate)
        except ValidationError as error:
            raise CommandError("This password is refused: " + " ".join(error.messages)) from error
