"""The case beside the audit: working days in England (bank holidays included), the
statutory timescale flags, and the facts read from a case — on constructed cases."""

from __future__ import annotations

from dataclasses import asdict
from datetime import date, timedelta

import pytest

from qpa.cases.facts import DOMAIN_TOPICS, case_facts, domain_topics
from qpa.cases.models import Case
from qpa.cases.timescales import (
    TOPICS,
    add_working_days,
    add_years,
    assessment_flag,
    care_leaver_flags,
    conference_flag,
    is_working_day,
    placements_flag,
    plan_length_flag,
    repeat_plan_flag,
    working_days_between,
)

# England's bank holidays written out by hand from GOV.UK, the oracle for the library.
BANK_HOLIDAYS_2026_27 = {
    date(2026, 1, 1),
    date(2026, 4, 3),
    date(2026, 4, 6),
    date(2026, 5, 4),
    date(2026, 5, 25),
    date(2026, 8, 31),
    date(2026, 12, 25),
    date(2026, 12, 28),  # Boxing Day falls on a Saturday: Monday is the bank holiday
    date(2027, 1, 1),
    date(2027, 3, 26),
    date(2027, 3, 29),
    date(2027, 5, 3),
    date(2027, 5, 31),
    date(2027, 8, 30),
    date(2027, 12, 27),
    date(2027, 12, 28),
}


def by_hand(start: date, end: date) -> int:
    days, day = 0, start
    while day < end:
        day += timedelta(days=1)
        days += day.weekday() < 5 and day not in BANK_HOLIDAYS_2026_27
    return days


# --- Working days --------------------------------------------------------------------


def test_englands_bank_holidays_are_not_working_days() -> None:
    for holiday in BANK_HOLIDAYS_2026_27:
        assert not is_working_day(holiday), holiday
    assert not is_working_day(date(2026, 12, 26))  # a Saturday
    assert is_working_day(date(2026, 12, 24)) and is_working_day(date(2026, 12, 29))
    # Scotland's 2 January and St Andrew's Day are not England's.
    assert is_working_day(date(2026, 11, 30))
    assert is_working_day(date(2025, 1, 2))


def test_working_days_across_christmas_and_new_year() -> None:
    # Friday 18 December 2026 to Monday 4 January 2027: 11 weekdays, 3 bank holidays.
    assert working_days_between(date(2026, 12, 18), date(2027, 1, 4)) == 8
    assert working_days_between(date(2027, 1, 4), date(2026, 12, 18)) == -8
    assert working_days_between(date(2026, 12, 18), date(2026, 12, 18)) == 0


def test_working_days_agree_with_the_hand_count_over_two_years() -> None:
    start = date(2026, 1, 1)
    for offset in range(0, 720, 7):
        first = start + timedelta(days=offset % 11)
        for length in (0, 1, 4, 6, 13, 45, 70, 100):
            last = first + timedelta(days=length)
            if last.year > 2027:
                continue
            assert working_days_between(first, last) == by_hand(first, last), (first, last)


def test_adding_working_days_skips_weekends_and_bank_holidays() -> None:
    assert add_working_days(date(2026, 12, 17), 15) == date(2027, 1, 12)
    assert add_working_days(date(2027, 3, 25), 1) == date(2027, 3, 30)  # Easter
    assert add_working_days(date(2026, 12, 4), 0) == date(2026, 12, 4)
    with pytest.raises(ValueError):
        add_working_days(date(2026, 12, 4), -1)


def test_a_leap_day_anniversary_falls_on_the_28th() -> None:
    assert add_years(date(2024, 2, 29), 2) == date(2026, 2, 28)
    assert add_years(date(2024, 3, 1), 2) == date(2026, 3, 1)


# --- The flags -----------------------------------------------------------------------

TODAY = date(2027, 3, 1)


def test_an_assessment_across_christmas_is_in_time_on_its_45th_working_day() -> None:
    started = date(2026, 12, 4)
    # 47 weekdays to 9 February, but Christmas, Boxing Day (observed) and New Year's Day
    # are bank holidays: 44 working days, in time.
    assert assessment_flag(started, date(2027, 2, 9), today=TODAY) is None
    assert assessment_flag(started, date(2027, 2, 10), today=TODAY) is None
    late = assessment_flag(started, date(2027, 2, 11), today=TODAY)
    assert late is not None and late.key == "assessment_late"
    assert late.detail == ("Started 4 December 2026, authorised 11 February 2027: 46 working days.")
    assert assessment_flag(None, None, today=TODAY) is None


def test_an_assessment_still_open_beyond_45_working_days_is_flagged() -> None:
    started = date(2026, 12, 4)
    assert assessment_flag(started, None, today=date(2027, 2, 10)) is None
    still_open = assessment_flag(started, None, today=date(2027, 2, 11))
    assert still_open is not None and still_open.key == "assessment_open"
    assert "not authorised: 46 working days so far" in still_open.detail


def test_the_initial_conference_within_15_working_days_of_the_strategy_discussion() -> None:
    strategy = date(2026, 12, 17)
    assert conference_flag(strategy, date(2027, 1, 12), None, today=TODAY) is None
    late = conference_flag(strategy, date(2027, 1, 13), None, today=TODAY)
    assert late is not None and late.key == "conference_late"
    assert late.detail.endswith("conference 13 January 2027: 16 working days.")
    # No conference recorded: flagged only when one was needed and the time has passed.
    assert conference_flag(strategy, None, None, today=TODAY) is None
    assert conference_flag(strategy, None, True, today=TODAY) is None
    assert conference_flag(strategy, None, False, today=date(2027, 1, 12)) is None
    missing = conference_flag(strategy, None, False, today=date(2027, 1, 13))
    assert missing is not None and missing.key == "conference_missing"


def test_a_plan_over_two_years() -> None:
    started = date(2024, 2, 29)
    assert plan_length_flag(started, None, today=date(2026, 2, 28)) is None
    long = plan_length_flag(started, None, today=date(2026, 3, 1))
    assert long is not None
    assert long.detail == "The plan started 29 February 2024: 2 years so far."
    ended = plan_length_flag(started, date(2026, 9, 30), today=TODAY)
    assert ended is not None
    assert ended.detail == (
        "The plan started 29 February 2024: 2 years 7 months when it ended 30 September 2026."
    )


def test_second_plans_placement_moves_and_care_leavers() -> None:
    assert repeat_plan_flag(None) is None and repeat_plan_flag(0) is None
    repeat = repeat_plan_flag(2)
    assert repeat is not None and repeat.detail == "2 previous plans recorded."
    assert placements_flag(2) is None and placements_flag(None) is None
    moves = placements_flag(3)
    assert moves is not None and moves.detail == "3 placements in the last 12 months."
    assert care_leaver_flags("Yes", "Suitable") == []
    assert [f.key for f in care_leaver_flags("No", "Unsuitable")] == [
        "leaver_not_in_touch",
        "leaver_unsuitable_accommodation",
    ]
    assert [f.key for f in care_leaver_flags("REFU", "1")] == ["leaver_not_in_touch"]
    assert [f.key for f in care_leaver_flags(None, "2")] == ["leaver_unsuitable_accommodation"]


# --- The facts of a case -------------------------------------------------------------


def cp_child() -> Case:
    """A child on Lists 4, 5 and 7, as an Annex A import keeps them."""
    return Case(
        child_id="C1",
        gender="b) Female",
        date_of_birth=date(2019, 3, 2),
        has_disability=False,
        cp_plan_start_date=date(2024, 2, 29),
        attributes={
            "list_4": {
                "assessment_start_date": "2026-12-04",
                "assessment_authorisation_date": "2027-02-11",
                "child_seen_during_assessment": True,
            },
            "list_5": {
                "s47_start_date": "2026-12-17",
                "icpc_date": "2027-01-13",
                "icpc_resulted_in_cp_plan": True,
            },
            "list_7": {
                "cp_plan_start_date": "2024-02-29",
                "initial_category_of_abuse": "Neglect",
                "latest_category_of_abuse": "c) Emotional abuse",
                "previous_cp_plans": 1,
                "last_statutory_visit_date": "2027-02-20",
                "seen_alone": False,
                "allocated_worker": "Petra Practitioner",
                "date_of_birth": "2019-03-02",
            },
        },
    )


def test_the_facts_of_a_child_protection_case() -> None:
    facts = case_facts(cp_child(), today=TODAY)
    assert (facts.age, facts.gender, facts.disability) == ("7 years", "Female", "No")
    assert facts.lists == (
        "List 4: Assessments",
        "List 5: Section 47 Enquiries and ICPC",
        "List 7: Child Protection",
    )
    plan = {f.label: f.text for f in facts.groups[2].facts}
    assert plan["Plan started"] == "29 February 2024"
    assert plan["Latest category of abuse"] == "Emotional abuse"
    assert plan["Previous plans"] == "1" and plan["Seen alone"] == "No"
    assert [f.key for f in facts.flags] == [
        "assessment_late",
        "conference_late",
        "plan_over_two_years",
        "repeat_plan",
    ]
    # Never the date of birth, never a name.
    shown = repr(asdict(facts))
    assert "2019" not in shown and "Petra" not in shown


def test_the_age_turns_on_the_birthday_and_falls_back_to_the_age_column() -> None:
    child = cp_child()
    assert case_facts(child, today=date(2027, 3, 1)).age == "7 years"
    assert case_facts(child, today=date(2027, 3, 2)).age == "8 years"
    baby = Case(child_id="C2", date_of_birth=date(2027, 1, 1))
    assert case_facts(baby, today=TODAY).age == "Under 1 year"
    unknown = Case(child_id="C3", attributes={"list_9": {"age": 19, "la_in_touch": "No"}})
    facts = case_facts(unknown, today=TODAY)
    assert (facts.age, facts.gender, facts.disability) == (
        "19 years",
        "Not recorded",
        "Not recorded",
    )
    assert [f.key for f in facts.flags] == ["leaver_not_in_touch"]


def test_a_case_without_columns_shows_its_own_key_dates() -> None:
    looked_after = Case(child_id="C4", looked_after_start_date=date(2025, 6, 1))
    facts = case_facts(looked_after, today=TODAY)
    assert facts.lists == ("List 8: Children in Care",)
    assert [(f.label, f.text) for f in facts.groups[0].facts] == [
        ("Looked after since", "1 June 2025")
    ]
    assert case_facts(Case(child_id="C5"), today=TODAY).is_empty


def test_each_domain_shows_the_facts_that_bear_on_it() -> None:
    facts = case_facts(cp_child(), today=TODAY)
    assessment = facts.for_domain("Key Assessment Episodes")
    assert assessment.focus == "Key Assessment Episodes"
    assert [g.title for g in assessment.groups] == ["List 4: Assessments"]
    assert [f.key for f in assessment.flags] == ["assessment_late"]
    assert assessment.age == facts.age  # who the child is shows on every domain

    strategy = facts.for_domain("Strategy discussion")
    assert [f.key for f in strategy.flags] == ["conference_late"]
    assert "List 4: Assessments" not in [g.title for g in strategy.groups]

    planning = facts.for_domain("Key Planning and Reviewing")
    assert {f.key for f in planning.flags} == {"plan_over_two_years", "repeat_plan"}

    child = facts.for_domain("Child/Young Person focused practice")
    labels = {f.label for g in child.groups for f in g.facts}
    assert {"Last statutory visit", "Seen alone", "Child seen during the assessment"} <= labels
    assert "Plan started" not in labels

    # Oversight, and a name with no keyword, show everything.
    assert facts.for_domain("Supervision/Management Overview").flags == facts.flags
    assert facts.for_domain("Something else entirely").groups == facts.groups


def test_every_keyword_maps_to_known_topics() -> None:
    for keyword, topics in DOMAIN_TOPICS:
        assert topics and topics <= TOPICS, keyword
        assert domain_topics(keyword.upper()) >= topics
