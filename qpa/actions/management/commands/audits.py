"""`qpa audits escalate`: run from cron, at least daily (hourly is fine).

Critical and safeguarding alerts nobody acknowledged on the day they were sent go to
the Assistant Director; unfinished actions past their due date go to the owner's
manager. Dedupe keys make each message go once however often it runs. It lives in the
actions app, which stands above audits, because it escalates both.
"""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from qpa.actions.services import actions_escalate_overdue
from qpa.audits.services import critical_alerts_escalate, safeguarding_alerts_escalate


class Command(BaseCommand):
    help = "Escalate unacknowledged critical audits and overdue follow-up actions."

    def add_arguments(self, parser: CommandParser) -> None:
        actions = parser.add_subparsers(dest="action", required=True, metavar="ACTION")
        actions.add_parser(
            "escalate",
            help="Escalate critical alerts not acknowledged the same day, and overdue actions.",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        critical = critical_alerts_escalate()
        safeguarding = safeguarding_alerts_escalate()
        overdue = actions_escalate_overdue()
        self.stdout.write(
            f"{critical} critical-audit escalations, {safeguarding} safeguarding escalations, "
            f"{overdue.reminders} overdue-action "
            f"reminders and {overdue.escalations} overdue-action escalations sent."
        )
        if overdue.without_manager:
            self.stderr.write(
                f"{overdue.without_manager} overdue actions have nobody to escalate to: "
                "give their owners a manager."
            )
