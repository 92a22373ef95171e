from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from qpa.cases.models import Case
from qpa.demo.council import DEMO_PASSWORD, SIGN_INS, DemoDataExists, build_demo


class Command(BaseCommand):
    help = "Builds a fictional council with cases, staff and a year of audits (demo only)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--if-empty",
            action="store_true",
            help="Do nothing (but print the sign-ins) when the database already holds cases.",
        )
        parser.add_argument("--seed", type=int, default=2026)

    def handle(self, *args: Any, **options: Any) -> None:
        # The demo's accounts share a published password: never on a real service.
        if not settings.QPA_DEMO_MODE:
            raise CommandError(
                "qpa demo-data runs only under the demo settings "
                "(DJANGO_SETTINGS_MODULE=config.settings.demo): nothing was created."
            )
        if options["if_empty"] and Case.objects.exists():
            self.stdout.write("The database already holds cases: demo data left as it is.")
        else:
            try:
                counts = build_demo(seed=options["seed"])
            except DemoDataExists as error:
                raise CommandError(str(error)) from error
            self.stdout.write(
                self.style.SUCCESS(
                    f"Demo council built: {counts['open_cases']} open cases, "
                    f"{counts['audits']} audits, {counts['users']} people, {counts['teams']} teams."
                )
            )
        self.stdout.write(f"\nDemo sign-ins (every password is {DEMO_PASSWORD}):")
        for sign_in in SIGN_INS:
            self.stdout.write(f"  {sign_in.username:<20} {sign_in.role}: {sign_in.about}")
