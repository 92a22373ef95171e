from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser

from qpa.cases.models import Case
from qpa.dataprotection.retention import case_legal_hold_set


class Command(BaseCommand):
    help = "Puts a case under legal hold, so `qpa purge` keeps it, or releases the hold."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("child_id", metavar="CHILD_ID")
        mode = parser.add_mutually_exclusive_group(required=True)
        mode.add_argument("--reason", help="Why the case must be kept (an inquiry, a claim).")
        mode.add_argument("--release", action="store_true")

    def handle(self, *args: Any, **options: Any) -> None:
        case = Case.objects.filter(child_id=options["child_id"]).first()
        if case is None:
            raise CommandError(f"No case has child ID {options['child_id']}.")
        hold = not options["release"]
        try:
            case_legal_hold_set(case=case, hold=hold, reason=options["reason"] or "")
        except ValidationError as error:
            raise CommandError("; ".join(error.messages)) from error
        state = f"under legal hold: {case.legal_hold_reason}" if hold else "released"
        self.stdout.write(f"Case {case.child_id} is {state}.")
