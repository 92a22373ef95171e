from __future__ import annotations

from datetime import date
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone

from qpa.dataprotection.retention import PurgeReport, purge


class Command(BaseCommand):
    help = (
        "Deletes closed cases past retention with their audits and sampling records, "
        "keeps those under legal hold, and records the purge in the event log. "
        "The event log itself is never purged."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        mode = parser.add_mutually_exclusive_group(required=True)
        mode.add_argument(
            "--dry-run", action="store_true", help="Show what is due; change nothing."
        )
        mode.add_argument("--apply", action="store_true", help="Delete what is due.")
        parser.add_argument(
            "--on",
            metavar="YYYY-MM-DD",
            type=date.fromisoformat,
            help="With --dry-run: what will be due on that day.",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if options["on"] and options["apply"]:
            raise CommandError("--on works with --dry-run only: nothing is purged early.")
        today = options["on"] or timezone.localdate()
        report = purge(today=today, apply=options["apply"])
        self._summary(report)

    def _summary(self, report: PurgeReport) -> None:
        verb = "Purged" if report.applied else "Would purge"
        purged = report.purged_child_ids
        self.stdout.write(f"Retention on {report.today.isoformat()}:")
        self.stdout.write(f"  {verb} {len(purged)} closed case(s) past retention.")
        for retention in report.due:
            child = retention.case.child_id
            if child in report.blocked:
                continue
            self.stdout.write(f"    {child}: kept until {retention.keep_until} ({retention.rule})")
        self.stdout.write(f"  Kept under legal hold: {len(report.held)}.")
        for retention in report.held:
            self.stdout.write(f"    {retention.case.child_id}: {retention.case.legal_hold_reason}")
        for child, reason in report.blocked.items():
            self.stdout.write(f"  Not purged, {child}: {reason}.")
        if report.applied:
            for label, count in sorted(report.deleted.items()):
                self.stdout.write(f"  Deleted {count} {label}.")
            self.stdout.write("  The purge is recorded in the event log (retention.purged).")
