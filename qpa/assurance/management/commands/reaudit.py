"""`qpa reaudit draw|summary`: the quarterly re-audit, from cron.

    qpa reaudit draw --quarter 2026-Q4 --share 0.25 --capacity 4    # or --count 12
    qpa reaudit summary --quarter 2026-Q4

Without --quarter, both take the quarter that ended last. --capacity is the most
re-audits of the draw one person is given (default 4). The summary goes again whenever
its figures have changed since it last went, never twice with the same figures. Every
failure prints a reason and exits with a non-zero status.
"""

from __future__ import annotations

import argparse
from typing import Any

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone

from qpa.assurance import services


def _share(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a share like 0.25") from None
    if not 0 < value <= 1:
        raise argparse.ArgumentTypeError("a share is more than 0 and at most 1, like 0.25")
    return value


def _count(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
    if value < 1:
        raise argparse.ArgumentTypeError("the count is 1 or more")
    return value


class Command(BaseCommand):
    help = "Draw the quarterly re-audit sample, or send the directors its summary."

    def add_arguments(self, parser: CommandParser) -> None:
        actions = parser.add_subparsers(dest="action", required=True, metavar="ACTION")
        draw = actions.add_parser("draw", help="Draw a quarter's re-audit sample.")
        draw.add_argument("--quarter", help="For example 2026-Q4; default: the last ended.")
        size = draw.add_mutually_exclusive_group()
        size.add_argument("--count", type=_count, help="Cases in all, split across areas.")
        size.add_argument("--share", type=_share, help="Share of each area's pool (0.25).")
        draw.add_argument(
            "--capacity",
            type=_count,
            default=services.DEFAULT_REAUDIT_CAPACITY,
            help="The most re-audits one person is given (default "
            f"{services.DEFAULT_REAUDIT_CAPACITY}).",
        )
        summary = actions.add_parser("summary", help="Send the directors a quarter's summary.")
        summary.add_argument("--quarter", help="For example 2026-Q4; default: the last ended.")

    def handle(self, *args: Any, **options: Any) -> None:
        quarter = options.get("quarter") or services.previous_quarter(timezone.localdate())
        try:
            if options["action"] == "draw":
                count, share = options.get("count"), options.get("share")
                draw = services.reaudit_draw(
                    acting_user=None,
                    quarter=quarter,
                    count=count,
                    share=share if count is not None or share is not None else 0.25,
                    capacity=options["capacity"],
                )
                self.stdout.write(
                    f"Drew {draw.reaudits.count()} re-audits for {draw.quarter} "
                    f"(seed {draw.seed}, {draw.algorithm})."
                )
            else:
                sent = services.reaudit_summary_send(quarter=quarter)
                if sent:
                    self.stdout.write(f"Sent the {quarter} re-audit summary to {sent} directors.")
                else:
                    self.stdout.write(
                        f"The {quarter} re-audit summary went already with these figures."
                    )
        except ValidationError as error:
            raise CommandError(" ".join(error.messages)) from None
