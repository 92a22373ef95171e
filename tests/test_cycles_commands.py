"""`qpa cycle create|draw|allocate|remind`, as cron runs them."""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import date, timedelta
from io import StringIO

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.utils import timezone

from qpa.cycles.models import Allocation, Cycle, CycleKind, CycleStatus
from qpa.notifications.models import Notification
from tests.support.worlds import World, build_world

pytestmark = pytest.mark.django_db

CREATE = [
    "cycle",
    "create",
    "--month",
    "2026-12",
    "--plan",
    "monthly",
    "--tool",
    "quality-of-practice",
    "--auditors-from-role",
    "auditor",
    "--capacity",
    "4",
]


@pytest.fixture
def world() -> World:
    return build_world()


def _run(*args: str) -> str:
    out = StringIO()
    call_command(*args, stdout=out, stderr=StringIO())
    return out.getvalue()


def test_the_monthly_routine_creates_draws_and_allocates(world: World) -> None:
    created = _run(*CREATE, "--due", "2027-01-15", "--as", "lena")
    cycle = Cycle.objects.get()
    assert "Created Quality of Practice, December 2026" in created
    assert cycle.kind == CycleKind.MONTHLY and cycle.due_date == date(2027, 1, 15)
    assert cycle.created_by == world.lead
    assert set(cycle.auditors.values_list("auditor__username", flat=True)) == {"amy", "bob", "cal"}

    drawn = _run("cycle", "draw", "--month", "December 2026", "--tool", "quality-of-practice")
    cycle.refresh_from_db()
    assert cycle.status == CycleStatus.DRAWN and cycle.seed in drawn
    assert "Child Protection: 3 drawn from a frame of 12" in drawn

    allocated = _run("cycle", "allocate", "--cycle", str(cycle.public_id))
    assert "Allocated 5 cases" in allocated
    assert Allocation.objects.count() == 5


def test_a_themed_cycle_from_the_command_line(world: World) -> None:
    _run(
        "cycle",
        "create",
        "--theme",
        "Disabled children",
        "--plan",
        "Monthly",
        "--tool",
        "quality-of-practice",
        "--auditor",
        "amy",
        "--filter",
        "has_disability=yes",
        "--filter",
        "service_areas=child-protection,children-in-care",
    )
    cycle = Cycle.objects.get()
    assert cycle.population_filter == {
        "has_disability": "yes",
        "service_areas": ["child-protection", "children-in-care"],
    }
    assert cycle.due_date == timezone.localdate() + timedelta(days=28)


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--plan", "Nope"], "There is no sampling plan 'Nope'"),
        (["--tool", "nope"], "There is no tool 'nope'"),
        (["--capacity", "0"], "--capacity must be at least 1"),
        (["--auditor", "petra"], "petra cannot audit"),
        (["--as", "ghost"], "There is no active user called ghost"),
        (["--filter", "age_from=3"], "--filter is for themed cycles"),
    ],
)
def test_bad_input_gives_a_clear_error(world: World, args: list[str], message: str) -> None:
    base = list(CREATE)
    for flag in ("--plan", "--tool", "--capacity"):
        if flag in args:
            index = base.index(flag)
            del base[index : index + 2]
    with pytest.raises(CommandError, match=message):
        _run(*base, *args)
    assert not Cycle.objects.exists()


def test_a_second_cycle_for_the_month_is_refused(world: World) -> None:
    _run(*CREATE)
    with pytest.raises(CommandError, match="already a Quality of Practice cycle for December"):
        _run(*CREATE)


def test_draw_and_allocate_refuse_unknown_or_wrong_state_cycles(world: World) -> None:
    with pytest.raises(CommandError, match="There is no cycle not-a-uuid"):
        _run("cycle", "draw", "--cycle", "not-a-uuid")
    with pytest.raises(CommandError, match="Name the cycle"):
        _run("cycle", "draw")
    with pytest.raises(CommandError, match="no quality-of-practice cycle for March 2027"):
        _run("cycle", "draw", "--month", "2027-03", "--tool", "quality-of-practice")
    _run(*CREATE)
    with pytest.raises(CommandError, match="Draw the sample before allocating"):
        _run("cycle", "allocate", "--month", "2026-12", "--tool", "quality-of-practice")
    _run("cycle", "draw", "--month", "2026-12", "--tool", "quality-of-practice")
    with pytest.raises(CommandError, match="already drawn and frozen"):
        _run("cycle", "draw", "--month", "2026-12", "--tool", "quality-of-practice")


def test_remind_sends_each_reminder_once(world: World) -> None:
    _run(*CREATE, "--due", "2027-01-15")
    _run("cycle", "draw", "--month", "2026-12", "--tool", "quality-of-practice")
    _run("cycle", "allocate", "--month", "2026-12", "--tool", "quality-of-practice")
    first = _run("cycle", "remind", "--today", "2027-01-10")
    again = _run("cycle", "remind", "--today", "2027-01-11")
    assert "5 reminders" in first and "0 reminders" in again
    overdue = _run("cycle", "remind", "--today", "2027-01-16")
    assert "5 escalations" in overdue
    assert Notification.objects.filter(kind="cycles.allocation_escalated").count() == 5


def test_the_qpa_command_exits_non_zero_on_bad_input() -> None:
    # Argument parsing fails before any database is touched.
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "config.settings.test"}
    qpa = os.path.join(os.path.dirname(sys.executable), "qpa")
    result = subprocess.run(  # noqa: S603 - our own console script, fixed arguments
        [qpa, "cycle", "create", "--month", "Smarch 2026", "--plan", "x", "--tool", "y"],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
        check=False,
    )
    assert result.returncode != 0
    assert "Enter a month and year" in result.stderr
