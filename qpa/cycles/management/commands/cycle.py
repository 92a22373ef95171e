"""`qpa cycle create|draw|allocate|remind`: the monthly routine, from cron.

    qpa cycle create --month 2026-12 --plan "Monthly" --tool quality-of-practice \\
        --auditors-from-role auditor --capacity 6 --due-in-days 28
    qpa cycle draw --month 2026-12 --tool quality-of-practice
    qpa cycle allocate --month 2026-12 --tool quality-of-practice
    qpa cycle remind

Every failure prints a reason and exits with a non-zero status.
"""

from __future__ import annotations

import argparse
from datetime import date, timedelta
from typing import Any

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone

from qpa.accounts.models import User
from qpa.core.forms import parse_month
from qpa.cycles import services
from qpa.cycles.models import Cycle, CycleKind, SamplingPlan
from qpa.cycles.population import FILTERS
from qpa.tools.models import AuditTool


def _month(text: str) -> date:
    try:
        return parse_month(text)
    except ValidationError as error:
        raise argparse.ArgumentTypeError(error.messages[0]) from None


def _day(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a date like 2026-12-31") from None


def _message(error: ValidationError) -> str:
    return " ".join(error.messages)


class Command(BaseCommand):
    help = "Create, draw and allocate audit cycles, and send due-date reminders."

    def add_arguments(self, parser: CommandParser) -> None:
        actions = parser.add_subparsers(dest="action", required=True, metavar="ACTION")

        create = actions.add_parser("create", help="Create a cycle.")
        what = create.add_mutually_exclusive_group(required=True)
        what.add_argument("--month", type=_month, help="The month, for example 2026-12.")
        what.add_argument("--theme", help="The theme of a themed cycle.")
        create.add_argument("--tool", required=True, help="The audit tool's slug.")
        create.add_argument(
            "--plan",
            help="The sampling plan's name. A themed cycle may have none: it then draws "
            "--size cases of its population, or every eligible case.",
        )
        create.add_argument(
            "--size", type=int, help="Themed cycles without a plan: how many cases to draw."
        )
        create.add_argument(
            "--auditors-from-role",
            action="append",
            default=[],
            choices=[r.value for r in services.AUDITOR_ROLES],
            help="Every active person with this role audits (repeatable).",
        )
        create.add_argument(
            "--auditor", action="append", default=[], help="A username (repeatable)."
        )
        create.add_argument(
            "--capacity", type=int, default=5, help="Cases each auditor can take (default 5)."
        )
        due = create.add_mutually_exclusive_group()
        due.add_argument("--due", type=_day, help="The due date, for example 2027-01-15.")
        due.add_argument(
            "--due-in-days", type=int, default=28, help="Due this many days from today."
        )
        create.add_argument(
            "--filter",
            action="append",
            default=[],
            metavar="KEY=VALUE",
            help=f"Themed population filter (repeatable); keys: {', '.join(FILTERS)}. "
            "Lists are comma-separated.",
        )
        create.add_argument("--as", dest="acting", help="Username recorded as the creator.")

        for name, text in (
            ("draw", "Draw the sample of a cycle."),
            ("allocate", "Allocate a drawn cycle's sample to its auditors."),
        ):
            sub = actions.add_parser(name, help=text)
            sub.add_argument("--cycle", help="The cycle's public ID.")
            sub.add_argument("--month", type=_month, help="The month of a monthly cycle.")
            sub.add_argument("--tool", help="The tool's slug, with --month.")
            sub.add_argument("--as", dest="acting", help="Username recorded as acting.")

        remind = actions.add_parser("remind", help="Send reminders and escalations (daily).")
        remind.add_argument("--today", type=_day, help="Pretend today is this date.")

    def handle(self, *args: Any, **options: Any) -> None:
        handler = getattr(self, f"_{options['action']}")
        try:
            handler(options)
        except ValidationError as error:
            raise CommandError(_message(error)) from error

    def _acting(self, options: dict[str, Any]) -> User | None:
        username = options.get("acting")
        if not username:
            return None
        person = User.objects.filter(username=username, is_active=True).first()
        if person is None:
            raise CommandError(f"There is no active user called {username}.")
        return person

    def _create(self, options: dict[str, Any]) -> None:
        tool = AuditTool.objects.filter(slug=options["tool"]).first()
        if tool is None:
            known = ", ".join(AuditTool.objects.values_list("slug", flat=True))
            raise CommandError(f"There is no tool {options['tool']!r}. Tools: {known}.")
        plan = None
        if options["plan"]:
            plan = SamplingPlan.objects.filter(name__iexact=options["plan"]).first()
            if plan is None:
                known = ", ".join(SamplingPlan.objects.values_list("name", flat=True)) or "none yet"
                raise CommandError(
                    f"There is no sampling plan {options['plan']!r}. Plans: {known}."
                )
        elif options["month"]:
            raise CommandError("A monthly cycle needs --plan.")
        if options["size"] is not None and plan is not None:
            raise CommandError("--size is for themed cycles without --plan.")
        if options["capacity"] < 1:
            raise CommandError("--capacity must be at least 1.")
        people = list(services.auditor_candidates().filter(role__in=options["auditors_from_role"]))
        for username in options["auditor"]:
            person = services.auditor_candidates().filter(username=username).first()
            if person is None:
                raise CommandError(
                    f"{username} cannot audit: there is no active Auditor or Head of Service "
                    "with that username."
                )
            people.append(person)
        if not people:
            raise CommandError("No auditors: use --auditors-from-role or --auditor.")
        population: dict[str, Any] = {}
        for item in options["filter"]:
            key, sep, value = item.partition("=")
            if not sep:
                raise CommandError(f"--filter {item!r} must look like KEY=VALUE.")
            population[key] = value.split(",") if key in ("service_areas", "teams") else value
        if population and options["month"]:
            raise CommandError("--filter is for themed cycles (--theme), not monthly ones.")
        today = timezone.localdate()
        due_date = options["due"] or today + timedelta(days=options["due_in_days"])
        cycle = services.cycle_create(
            acting_user=self._acting(options),
            kind=CycleKind.MONTHLY if options["month"] else CycleKind.THEMED,
            month=options["month"],
            theme=options["theme"] or "",
            tool=tool,
            plan=plan,
            sample_size=options["size"],
            auditors=dict.fromkeys(people, options["capacity"]),
            due_date=due_date,
            population_filter=population,
        )
        self.stdout.write(
            self.style.SUCCESS(
                f"Created {cycle.name} ({cycle.public_id}) with {len(set(people))} auditors, "
                f"due {due_date:%Y-%m-%d}."
            )
        )

    def _cycle(self, options: dict[str, Any]) -> Cycle:
        if options["cycle"]:
            try:
                return Cycle.objects.get(public_id=options["cycle"])
            except (Cycle.DoesNotExist, ValidationError):
                raise CommandError(f"There is no cycle {options['cycle']}.") from None
        if not (options["month"] and options["tool"]):
            raise CommandError("Name the cycle: --cycle ID, or --month and --tool.")
        cycle = Cycle.objects.filter(
            kind=CycleKind.MONTHLY, month=options["month"], tool__slug=options["tool"]
        ).first()
        if cycle is None:
            raise CommandError(f"There is no {options['tool']} cycle for {options['month']:%B %Y}.")
        return cycle

    def _draw(self, options: dict[str, Any]) -> None:
        cycle = services.sample_draw(acting_user=self._acting(options), cycle=self._cycle(options))
        for stratum in cycle.strata.select_related("service_area"):
            self.stdout.write(
                f"  {stratum.service_area.name}: {stratum.drawn} drawn from a frame of "
                f"{stratum.frame_size} (quota {stratum.quota})"
            )
        self.stdout.write(
            self.style.SUCCESS(f"Drew {cycle.name}: seed {cycle.seed}, {cycle.algorithm}.")
        )

    def _allocate(self, options: dict[str, Any]) -> None:
        cycle = self._cycle(options)
        created = services.allocation_create(acting_user=self._acting(options), cycle=cycle)
        self.stdout.write(self.style.SUCCESS(f"Allocated {len(created)} cases of {cycle.name}."))

    def _remind(self, options: dict[str, Any]) -> None:
        counts = services.allocation_reminders_send(today=options["today"])
        self.stdout.write(
            f"{counts.completed} allocations completed, {counts.reminders} reminders, "
            f"{counts.escalations} escalations sent."
        )
        if counts.overdue_without_manager:
            self.stderr.write(
                f"{counts.overdue_without_manager} overdue auditors have no manager to escalate to."
            )
