"""Statutory timescales: working days in England, and the flags a case's dates raise.

Working days are Monday to Friday less England's bank holidays, which come from the
`holidays` package (subdivision England: Christmas, Boxing Day, the observed days when
they fall at a weekend, Easter, the May and August bank holidays, and the one-off days a
government proclaims). Decision 0113.

A timescale counts the working days *after* the day it starts from, as Working Together
to Safeguard Children does: a conference on the 15th working day after the strategy
discussion is in time, on the 16th it is late.

Every function here is pure: the dates in, a number or a flag out. `qpa.cases.facts`
reads a case into these arguments.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from functools import lru_cache

import holidays

# Working Together to Safeguard Children (2023): an assessment concludes within 45
# working days; an initial child protection conference is held within 15 working days
# of the strategy discussion that started the section 47 enquiry.
ASSESSMENT_WORKING_DAYS = 45
ICPC_WORKING_DAYS = 15
# A child protection plan lasting more than two years asks whether the plan is working.
PLAN_YEARS = 2
# Three or more placements in a year is the national measure of placement instability.
PLACEMENTS_IN_A_YEAR = 3

# Topics: what a fact or a flag bears on. `qpa.cases.facts.DOMAIN_TOPICS` maps a
# domain's name to the topics it shows.
FRONT_DOOR = "front_door"
ASSESSMENT = "assessment"
ENQUIRY = "enquiry"
PROTECTION = "protection"
DECISIONS = "decisions"
PLANNING = "planning"
CHILD = "child"
CARE = "care"
LEAVING_CARE = "leaving_care"
CLOSURE = "closure"
TOPICS = frozenset(
    {
        FRONT_DOOR,
        ASSESSMENT,
        ENQUIRY,
        PROTECTION,
        DECISIONS,
        PLANNING,
        CHILD,
        CARE,
        LEAVING_CARE,
        CLOSURE,
    }
)


@lru_cache(maxsize=64)
def _bank_holidays(year: int) -> frozenset[date]:
    return frozenset(holidays.country_holidays("GB", subdiv="ENG", years=year))


def is_bank_holiday(day: date) -> bool:
    return day in _bank_holidays(day.year)


def is_working_day(day: date) -> bool:
    return day.weekday() < 5 and not is_bank_holiday(day)


def working_days_between(start: date, end: date) -> int:
    """The working days after `start` up to and including `end`; negative when `end` is
    before `start` (a date entered wrongly), zero on the same day."""
    if end < start:
        return -working_days_between(end, start)
    days = 0
    day = start
    # Whole weeks at once: five weekdays each, less the bank holidays among them.
    weeks = (end - start).days // 7
    if weeks:
        last = start + timedelta(weeks=weeks)
        days += 5 * weeks - sum(
            1
            for year in range(start.year, last.year + 1)
            for holiday in _bank_holidays(year)
            if start < holiday <= last and holiday.weekday() < 5
        )
        day = last
    while day < end:
        day += timedelta(days=1)
        days += is_working_day(day)
    return days


def add_working_days(start: date, count: int) -> date:
    """The day `count` working days after `start` (count >= 0)."""
    if count < 0:
        raise ValueError("Count forwards: the number of working days must not be negative.")
    day = start
    while count:
        day += timedelta(days=1)
        if is_working_day(day):
            count -= 1
    return day


def add_years(day: date, years: int) -> date:
    """The same day `years` later; 29 February becomes 28 February in a common year."""
    try:
        return day.replace(year=day.year + years)
    except ValueError:
        return day.replace(year=day.year + years, day=28)


def long_date(day: date) -> str:
    """3 December 2026."""
    return f"{day.day} {day:%B %Y}"


@dataclass(frozen=True)
class Flag:
    """A timescale missed or a pattern worth a look: what, the detail, what it bears on."""

    key: str
    title: str
    detail: str
    topics: frozenset[str]


def _plural(count: int, word: str) -> str:
    return f"{count} {word}{'' if count == 1 else 's'}"


def assessment_flag(started: date | None, authorised: date | None, *, today: date) -> Flag | None:
    """An assessment authorised more than 45 working days after it started, or still not
    authorised more than 45 working days on."""
    if started is None:
        return None
    topics = frozenset({ASSESSMENT, FRONT_DOOR, DECISIONS})
    if authorised is not None:
        days = working_days_between(started, authorised)
        if days <= ASSESSMENT_WORKING_DAYS:
            return None
        return Flag(
            "assessment_late",
            f"Assessment took more than {ASSESSMENT_WORKING_DAYS} working days",
            f"Started {long_date(started)}, authorised {long_date(authorised)}: "
            f"{_plural(days, 'working day')}.",
            topics,
        )
    days = working_days_between(started, today)
    if days <= ASSESSMENT_WORKING_DAYS:
        return None
    return Flag(
        "assessment_open",
        f"Assessment open more than {ASSESSMENT_WORKING_DAYS} working days",
        f"Started {long_date(started)} and not authorised: {_plural(days, 'working day')} so far.",
        topics,
    )


def conference_flag(
    strategy: date | None,
    conference: date | None,
    unnecessary: bool | None,
    *,
    today: date,
) -> Flag | None:
    """An initial child protection conference more than 15 working days after the
    strategy discussion, or none recorded by then when one was needed."""
    if strategy is None or unnecessary is True:
        return None
    topics = frozenset({ENQUIRY, DECISIONS})
    if conference is not None:
        days = working_days_between(strategy, conference)
        if days <= ICPC_WORKING_DAYS:
            return None
        return Flag(
            "conference_late",
            f"Initial conference more than {ICPC_WORKING_DAYS} working days after the "
            "strategy discussion",
            f"Strategy discussion {long_date(strategy)}, conference {long_date(conference)}: "
            f"{_plural(days, 'working day')}.",
            topics,
        )
    days = working_days_between(strategy, today)
    if unnecessary is False and days > ICPC_WORKING_DAYS:
        return Flag(
            "conference_missing",
            "No initial conference recorded",
            f"A conference was needed after the strategy discussion of {long_date(strategy)}; "
            f"none is recorded {_plural(days, 'working day')} later.",
            topics,
        )
    return None


def plan_length_flag(started: date | None, ended: date | None, *, today: date) -> Flag | None:
    """A child protection plan that has lasted more than two years."""
    if started is None:
        return None
    end = ended or today
    if end <= add_years(started, PLAN_YEARS):
        return None
    months = (end.year - started.year) * 12 + end.month - started.month - (end.day < started.day)
    years, months = divmod(months, 12)
    length = _plural(years, "year") + (f" {_plural(months, 'month')}" if months else "")
    return Flag(
        "plan_over_two_years",
        f"Child protection plan over {PLAN_YEARS} years",
        f"The plan started {long_date(started)}: {length}"
        + (f" when it ended {long_date(ended)}." if ended else " so far."),
        frozenset({PROTECTION, PLANNING}),
    )


def repeat_plan_flag(previous_plans: int | None) -> Flag | None:
    """A second or subsequent child protection plan."""
    if previous_plans is None or previous_plans < 1:
        return None
    return Flag(
        "repeat_plan",
        "Second or subsequent child protection plan",
        f"{_plural(previous_plans, 'previous plan')} recorded.",
        frozenset({PROTECTION, PLANNING}),
    )


def placements_flag(placements: int | None) -> Flag | None:
    """Three or more placements in the last 12 months."""
    if placements is None or placements < PLACEMENTS_IN_A_YEAR:
        return None
    return Flag(
        "placement_moves",
        f"{PLACEMENTS_IN_A_YEAR} or more placements in a year",
        f"{_plural(placements, 'placement')} in the last 12 months.",
        frozenset({CARE, PLANNING}),
    )


# Annex A List 9 codes (the SSDA903 care leaver codes, with or without their prefix).
_NOT_IN_TOUCH = frozenset({"no", "n", "not in touch", "refu", "refused", "refuses contact"})
_UNSUITABLE = frozenset({"2", "unsuitable", "not suitable", "no"})


def care_leaver_flags(in_touch: str | None, suitability: str | None) -> list[Flag]:
    """A care leaver the council is not in touch with, or in unsuitable accommodation."""
    topics = frozenset({LEAVING_CARE, PLANNING})
    flags = []
    if in_touch and in_touch.strip().casefold() in _NOT_IN_TOUCH:
        flags.append(
            Flag(
                "leaver_not_in_touch",
                "Care leaver not in touch",
                f"Annex A records “{in_touch.strip()}” for whether the council is in touch.",
                topics,
            )
        )
    if suitability and suitability.strip().casefold() in _UNSUITABLE:
        flags.append(
            Flag(
                "leaver_unsuitable_accommodation",
                "Care leaver in unsuitable accommodation",
                f"Annex A records the accommodation as “{suitability.strip()}”.",
                topics,
            )
        )
    return flags
