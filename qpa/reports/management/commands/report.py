"""`qpa report`: the report's figures for scripts, and the aggregates' rebuild.

qpa report --from 2026-01 --to 2026-03 [--tool NAME] [--service-area NAME]
           [--team NAME] [--cycle ID] [--unsuppressed] [--format json|csv]
qpa report rebuild-aggregates

A command has no reader whose remit could be checked, so its figures are suppressed like
everyone's by default (qpa.reports.disclosure). `--unsuppressed` is for the performance
team's own use inside the service; each use is written to the event log
(docs/decisions/0108-small-number-suppression.md).
"""

from __future__ import annotations

import argparse
import json
from datetime import date
from typing import Any

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser

from qpa.core.events import event_record
from qpa.reports.exports import summary_csv
from qpa.reports.services import report_aggregates_rebuild
from qpa.reports.summary import parse_month, report_summary


def _month(text: str) -> date:
    try:
        return parse_month(text)
    except ValidationError as error:
        raise argparse.ArgumentTypeError(error.messages[0]) from None


class Command(BaseCommand):
    help = "Print a report's figures (JSON or CSV), or rebuild the report aggregates."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "action",
            nargs="?",
            default="summary",
            choices=["summary", "rebuild-aggregates"],
            help="summary (the default) or rebuild-aggregates.",
        )
        parser.add_argument("--from", dest="period_from", type=_month, help="First month, 2026-01.")
        parser.add_argument("--to", dest="period_to", type=_month, help="Last month, 2026-03.")
        parser.add_argument("--tool", help="The audit tool's name (default: Quality of Practice).")
        parser.add_argument("--service-area", help="A service area's name.")
        parser.add_argument("--team", help="A team's name.")
        parser.add_argument("--cycle", help="An audit cycle's id.")
        parser.add_argument(
            "--suppress",
            action="store_true",
            help="Suppress small numbers: the default, kept for old scripts.",
        )
        parser.add_argument(
            "--unsuppressed",
            action="store_true",
            help=(
                "Show numbers from 1 to 4 in full: for the performance team's own use inside"
                " the service, never for a copy shared outside it. Recorded in the event log."
            ),
        )
        parser.add_argument("--intervals", action="store_true", help="Add 95%% Wilson intervals.")
        parser.add_argument("--format", choices=["json", "csv"], default="json")

    def handle(self, *args: Any, **options: Any) -> None:
        if options["action"] == "rebuild-aggregates":
            months = report_aggregates_rebuild()
            self.stdout.write(f"Counted {months} month(s) of audits, tool by tool.")
            return
        if options["period_from"] is None or options["period_to"] is None:
            raise CommandError("Give the period: --from YYYY-MM --to YYYY-MM.")
        try:
            summary = report_summary(
                period_from=options["period_from"],
                period_to=options["period_to"],
                tool=options["tool"],
                service_area=options["service_area"],
                team=options["team"],
                cycle=options["cycle"],
                suppress=not options["unsuppressed"],
                intervals=options["intervals"],
            )
        except ValidationError as error:
            raise CommandError(" ".join(error.messages)) from None
        if options["unsuppressed"]:
            event_record(
                action="report.exported",
                data={"format": options["format"], "channel": "cli", "unsuppressed": True},
            )
        if options["format"] == "csv":
            self.stdout.write(summary_csv(summary), ending="")
        else:
            self.stdout.write(json.dumps(summary, indent=2, ensure_ascii=False))
