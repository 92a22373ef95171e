"""`qpa report`: the report's figures for scripts, its briefing, and the aggregates' rebuild.

qpa report --from 2026-01 --to 2026-03 [--tool NAME] [--service-area NAME]
           [--team NAME] [--cycle ID] [--unsuppressed] [--intervals]
           [--compare-from 2025-10 --compare-to 2025-12] [--teams] [--assurance]
           [--format json|csv] [--output FILE]
qpa report --from 2026-01 --to 2026-03 --format docx|pdf --output FILE [filters]
           [--unsuppressed] [--title TEXT] [--briefing-for TEXT] [--lead-officer TEXT]
qpa report rebuild-aggregates

A command has no reader whose remit could be checked, so every figure is suppressed like
everyone's by default (qpa.reports.disclosure), in JSON, CSV and the Word and PDF
briefings alike. `--unsuppressed` is for the performance team's own use inside the
service; each use is written to the event log
(docs/decisions/0108-small-number-suppression.md).
"""

from __future__ import annotations

import argparse
import dataclasses
import json
from datetime import date
from pathlib import Path
from typing import Any

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser

from qpa.core.events import event_record
from qpa.reports import disclosure
from qpa.reports.briefing import BriefingHeading
from qpa.reports.briefing_pdf import briefing_pdf
from qpa.reports.briefing_word import briefing_docx
from qpa.reports.document import report_document
from qpa.reports.exports import summary_csv
from qpa.reports.report import ReportParams, build_report
from qpa.reports.services import report_aggregates_rebuild
from qpa.reports.summary import parse_month

BRIEFINGS = {"docx": briefing_docx, "pdf": briefing_pdf}


def _month(text: str) -> date:
    try:
        return parse_month(text)
    except ValidationError as error:
        raise argparse.ArgumentTypeError(error.messages[0]) from None


class Command(BaseCommand):
    help = (
        "Print a report's figures (JSON or CSV), write its briefing (Word or PDF), or"
        " rebuild the report aggregates."
    )

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
        parser.add_argument(
            "--compare-from", type=_month, help="JSON and CSV: a period to compare with, from."
        )
        parser.add_argument("--compare-to", type=_month, help="... and to (2025-12).")
        parser.add_argument(
            "--teams", action="store_true", help="JSON and CSV: add the teams side by side."
        )
        parser.add_argument(
            "--assurance",
            action="store_true",
            help="JSON and CSV: add the re-audit, agreement and audit-quality figures.",
        )
        parser.add_argument("--format", choices=["json", "csv", "docx", "pdf"], default="json")
        parser.add_argument(
            "--output", type=Path, help="Write to this file (needed for docx and pdf)."
        )
        parser.add_argument("--title", help="The briefing's title.")
        parser.add_argument("--briefing-for", help="Whom the briefing is for.")
        parser.add_argument("--lead-officer", help="The briefing's lead officer.")

    def handle(self, *args: Any, **options: Any) -> None:
        if options["action"] == "rebuild-aggregates":
            months = report_aggregates_rebuild()
            self.stdout.write(f"Counted {months} month(s) of audits, tool by tool.")
            return
        if options["period_from"] is None or options["period_to"] is None:
            raise CommandError("Give the period: --from YYYY-MM --to YYYY-MM.")
        form = options["format"]
        if form in BRIEFINGS and options["output"] is None:
            raise CommandError(f"A {form} briefing is a file: give --output FILE.")
        if (options["compare_from"] is None) != (options["compare_to"] is None):
            raise CommandError("Give both --compare-from and --compare-to.")
        try:
            body = self._briefing(options) if form in BRIEFINGS else self._figures(options)
        except ValidationError as error:
            raise CommandError(" ".join(error.messages)) from None
        if options["unsuppressed"]:
            event_record(
                action="report.exported",
                data={"format": form, "channel": "cli", "unsuppressed": True},
            )
        if options["output"] is not None:
            path: Path = options["output"]
            if isinstance(body, bytes):
                path.write_bytes(body)
            else:
                path.write_text(body, encoding="utf-8")
            self.stderr.write(f"Wrote {path}.")
        elif isinstance(body, str):
            self.stdout.write(body, ending="" if form == "csv" else "\n")

    def _figures(self, options: dict[str, Any]) -> str:
        compare = options["compare_from"], options["compare_to"]
        document = report_document(
            reader=disclosure.THE_SERVER,
            period_from=options["period_from"],
            period_to=options["period_to"],
            tool=options["tool"],
            service_area=options["service_area"],
            team=options["team"],
            cycle=options["cycle"],
            intervals=options["intervals"],
            unsuppressed=options["unsuppressed"],
            compare=None if compare[0] is None else compare,
            teams=options["teams"],
            assurance=options["assurance"],
        )
        if options["format"] == "csv":
            return summary_csv(document)
        return json.dumps(document, indent=2, ensure_ascii=False)

    def _briefing(self, options: dict[str, Any]) -> bytes:
        """The Word or PDF briefing of the report page, suppressed unless asked."""
        params = ReportParams.build(
            period_from=options["period_from"],
            period_to=options["period_to"],
            tool=options["tool"],
            service_area=options["service_area"],
            team=options["team"],
            cycle=options["cycle"],
        )
        if options["unsuppressed"]:
            params = dataclasses.replace(params, suppress=False, process_in_full=True)
        heading = BriefingHeading(
            **{
                name: options[option]
                for name, option in (
                    ("title", "title"),
                    ("briefing_for", "briefing_for"),
                    ("lead_officer", "lead_officer"),
                )
                if options[option]
            }
        )
        return BRIEFINGS[options["format"]](build_report(params), heading)
