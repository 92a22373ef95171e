"""What QPA holds about a child, read for the auditor: the facts beside an audit.

`case_facts(case, today=...)` reads the case's own fields and the Annex A columns kept in
`Case.attributes` (one dict per list, keyed "list_<n>", with the column keys of
`qpa.cases.tabular.lists.LIST_SPECS`) into groups of labelled facts, and computes the
timescale flags of `qpa.cases.timescales`. Never the date of birth (the age instead),
never a name, an ethnicity or a postcode.

`CaseFacts.for_domain(name)` keeps the facts that bear on one domain of a tool. The
mapping is by keywords in the domain's name (DOMAIN_TOPICS below, documented in
docs/audits.md): a domain named "Referral and Response" shows the contact and referral,
"Key Assessment Episodes" the assessment and its timescale. A name with no keyword
shows everything.

The facts inform; the judgement stays the auditor's.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, replace
from datetime import date
from typing import Any

from qpa.cases.models import Case
from qpa.cases.tabular.cleaning import strip_code
from qpa.cases.tabular.lists import LIST_SPEC_BY_NUMBER
from qpa.cases.timescales import (
    ASSESSMENT,
    CARE,
    CHILD,
    CLOSURE,
    DECISIONS,
    ENQUIRY,
    FRONT_DOOR,
    LEAVING_CARE,
    PLANNING,
    PROTECTION,
    TOPICS,
    Flag,
    assessment_flag,
    care_leaver_flags,
    conference_flag,
    long_date,
    placements_flag,
    plan_length_flag,
    repeat_plan_flag,
)


@dataclass(frozen=True)
class Fact:
    label: str
    text: str
    topics: frozenset[str]


@dataclass(frozen=True)
class FactGroup:
    """The facts of one Annex A list the child is on."""

    list_number: int
    title: str
    facts: tuple[Fact, ...]


@dataclass(frozen=True)
class CaseFacts:
    age: str
    gender: str
    disability: str
    lists: tuple[str, ...]
    groups: tuple[FactGroup, ...]
    flags: tuple[Flag, ...]
    # The domain the facts were chosen for; empty when they are all shown.
    focus: str = ""

    @property
    def is_empty(self) -> bool:
        return not self.groups and not self.flags

    def for_domain(self, name: str) -> CaseFacts:
        """The facts and flags that bear on the domain called `name`."""
        topics = domain_topics(name)
        groups = []
        for group in self.groups:
            facts = tuple(f for f in group.facts if f.topics & topics)
            if facts:
                groups.append(replace(group, facts=facts))
        return replace(
            self,
            groups=tuple(groups),
            flags=tuple(f for f in self.flags if f.topics & topics),
            focus=name,
        )


# --- Which facts bear on which domain ------------------------------------------------

# A keyword found in a domain's name (ignoring case) -> the topics that domain shows.
# The first column of the table in docs/audits.md ("The case beside the audit").
DOMAIN_TOPICS: tuple[tuple[str, frozenset[str]], ...] = (
    ("referral", frozenset({FRONT_DOOR, DECISIONS})),
    ("response", frozenset({FRONT_DOOR})),
    ("contact", frozenset({FRONT_DOOR})),
    ("front door", frozenset({FRONT_DOOR})),
    ("assessment", frozenset({ASSESSMENT})),
    ("risk", frozenset({ASSESSMENT, ENQUIRY, PROTECTION, CHILD})),
    ("strategy", frozenset({ENQUIRY})),
    ("section 47", frozenset({ENQUIRY})),
    ("s47", frozenset({ENQUIRY})),
    ("enquir", frozenset({ENQUIRY})),
    ("conference", frozenset({ENQUIRY, PROTECTION})),
    ("protection", frozenset({ENQUIRY, PROTECTION})),
    ("decision", frozenset({DECISIONS})),
    ("plan", frozenset({PLANNING})),
    ("review", frozenset({PLANNING})),
    ("child", frozenset({CHILD})),
    ("young person", frozenset({CHILD})),
    ("voice", frozenset({CHILD})),
    ("visit", frozenset({CHILD})),
    ("engagement", frozenset({CHILD})),
    ("relationship", frozenset({CHILD})),
    ("placement", frozenset({CARE})),
    ("permanence", frozenset({CARE, PLANNING})),
    ("looked after", frozenset({CARE})),
    ("in care", frozenset({CARE})),
    ("leaving care", frozenset({LEAVING_CARE})),
    ("care leaver", frozenset({LEAVING_CARE})),
    ("pathway", frozenset({LEAVING_CARE, PLANNING})),
    ("accommodation", frozenset({LEAVING_CARE})),
    ("transfer", frozenset({CLOSURE})),
    ("closure", frozenset({CLOSURE})),
    ("step down", frozenset({CLOSURE})),
    # Oversight and recording bear on everything the file shows.
    ("supervision", TOPICS),
    ("management", TOPICS),
    ("oversight", TOPICS),
    ("record", TOPICS),
)


def domain_topics(name: str) -> frozenset[str]:
    """The topics a domain called `name` shows: every topic when no keyword matches."""
    folded = " ".join(name.casefold().replace("/", " ").split())
    found: set[str] = set()
    for keyword, topics in DOMAIN_TOPICS:
        if keyword in folded:
            found |= topics
    return frozenset(found) or TOPICS


# --- Reading values ------------------------------------------------------------------


def _date(value: Any) -> date | None:
    if isinstance(value, date):
        return value
    if isinstance(value, str) and value:
        try:
            return date.fromisoformat(value[:10])
        except ValueError:
            return None
    return None


def _int(value: Any) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, str) and value.strip().isdigit():
        return int(value.strip())
    return None


def _yes_no(value: Any) -> bool | None:
    if isinstance(value, bool):
        return value
    if isinstance(value, str):
        word = strip_code(value.strip()).casefold()
        if word in {"yes", "y", "true"}:
            return True
        if word in {"no", "n", "false"}:
            return False
    return None


def _code(value: Any) -> str | None:
    if value is None or isinstance(value, bool):
        return None
    text = strip_code(str(value).strip())
    return text or None


def _as_date(value: Any) -> str | None:
    day = _date(value)
    return long_date(day) if day else None


def _as_yes_no(value: Any) -> str | None:
    answer = _yes_no(value)
    return None if answer is None else "Yes" if answer else "No"


def _as_number(value: Any) -> str | None:
    number = _int(value)
    return None if number is None else str(number)


Reader = Callable[[Any], "str | None"]
D, Y, N, C = _as_date, _as_yes_no, _as_number, _code

# Per list: (column key, label, how to read it, topics). Names, teams, postcodes and the
# date of birth are left out on purpose.
LIST_FACTS: dict[int, tuple[tuple[str, str, Reader, frozenset[str]], ...]] = {
    1: (
        ("contact_date", "Contact", D, frozenset({FRONT_DOOR})),
        ("contact_source", "Contact source", C, frozenset({FRONT_DOOR})),
    ),
    2: (
        ("eh_assessment_start_date", "Early help assessment started", D, frozenset({FRONT_DOOR})),
        (
            "eh_assessment_completion_date",
            "Early help assessment completed",
            D,
            frozenset({FRONT_DOOR}),
        ),
    ),
    3: (
        ("referral_date", "Referral", D, frozenset({FRONT_DOOR, DECISIONS})),
        ("referral_source", "Referral source", C, frozenset({FRONT_DOOR})),
        ("referral_nfa", "No further action on the referral", Y, frozenset({FRONT_DOOR})),
        ("referrals_last_12_months", "Referrals in the last 12 months", N, frozenset({FRONT_DOOR})),
    ),
    4: (
        ("assessment_start_date", "Assessment started", D, frozenset({ASSESSMENT})),
        (
            "assessment_authorisation_date",
            "Assessment authorised",
            D,
            frozenset({ASSESSMENT, DECISIONS}),
        ),
        (
            "child_seen_during_assessment",
            "Child seen during the assessment",
            Y,
            frozenset({ASSESSMENT, CHILD}),
        ),
        (
            "assessment_requires_support",
            "Assessed as needing social care support",
            Y,
            frozenset({ASSESSMENT, DECISIONS}),
        ),
    ),
    5: (
        (
            "s47_start_date",
            "Strategy discussion and section 47 enquiry",
            D,
            frozenset({ENQUIRY, DECISIONS}),
        ),
        (
            "icpc_unnecessary",
            "Initial conference deemed unnecessary",
            Y,
            frozenset({ENQUIRY, DECISIONS}),
        ),
        (
            "icpc_date",
            "Initial child protection conference",
            D,
            frozenset({ENQUIRY, DECISIONS}),
        ),
        (
            "icpc_resulted_in_cp_plan",
            "Conference led to a child protection plan",
            Y,
            frozenset({ENQUIRY, DECISIONS}),
        ),
        (
            "s47_enquiries_last_12_months",
            "Section 47 enquiries in the last 12 months",
            N,
            frozenset({ENQUIRY}),
        ),
    ),
    6: (
        ("cin_start_date", "Child in need since", D, frozenset({PLANNING})),
        ("primary_need_code", "Primary need", C, frozenset({PLANNING, ASSESSMENT})),
        ("date_last_seen", "Last seen", D, frozenset({CHILD})),
        ("case_status", "Case status", C, frozenset({PLANNING, CLOSURE})),
        ("cin_closure_date", "Closed", D, frozenset({CLOSURE})),
        ("closure_reason", "Reason for closure", C, frozenset({CLOSURE})),
    ),
    7: (
        ("cp_plan_start_date", "Plan started", D, frozenset({PROTECTION, PLANNING})),
        (
            "initial_category_of_abuse",
            "Category of abuse at the start",
            C,
            frozenset({PROTECTION, PLANNING}),
        ),
        (
            "latest_category_of_abuse",
            "Latest category of abuse",
            C,
            frozenset({PROTECTION, PLANNING}),
        ),
        ("previous_cp_plans", "Previous plans", N, frozenset({PROTECTION, PLANNING})),
        (
            "latest_review_conference_date",
            "Latest review conference",
            D,
            frozenset({PROTECTION, PLANNING}),
        ),
        ("last_statutory_visit_date", "Last statutory visit", D, frozenset({CHILD})),
        ("seen_alone", "Seen alone", Y, frozenset({CHILD})),
        (
            "emergency_protection_order",
            "Emergency protection order or police powers in the last 6 months",
            Y,
            frozenset({PROTECTION, DECISIONS}),
        ),
        ("cp_plan_end_date", "Plan ended", D, frozenset({CLOSURE, PROTECTION})),
    ),
    8: (
        ("looked_after_start_date", "Looked after since", D, frozenset({CARE})),
        ("legal_status", "Legal status", C, frozenset({CARE, DECISIONS})),
        ("legal_status_start_date", "Legal status since", D, frozenset({CARE, DECISIONS})),
        ("category_of_need", "Category of need", C, frozenset({CARE})),
        ("uasc", "Unaccompanied asylum-seeking child", Y, frozenset({CARE})),
        (
            "placements_last_12_months",
            "Placements in the last 12 months",
            N,
            frozenset({CARE, PLANNING}),
        ),
        ("placement_type", "Placement type", C, frozenset({CARE})),
        ("placement_start_date", "Current placement since", D, frozenset({CARE})),
        ("permanence_plan", "Permanence plan", C, frozenset({CARE, PLANNING})),
        ("latest_statutory_review_date", "Latest statutory review", D, frozenset({PLANNING})),
        ("last_social_work_visit_date", "Last social work visit", D, frozenset({CHILD})),
        ("last_iro_contact_date", "Last IRO contact with the child", D, frozenset({CHILD})),
        ("last_health_assessment_date", "Last health assessment", D, frozenset({CHILD, CARE})),
        (
            "missing_episodes_last_12_months",
            "Missing episodes in the last 12 months",
            N,
            frozenset({CHILD, CARE}),
        ),
        ("looked_after_end_date", "Ceased to be looked after", D, frozenset({CLOSURE})),
        ("reason_ceased", "Reason ceased", C, frozenset({CLOSURE})),
    ),
    9: (
        ("eligibility_category", "Eligibility", C, frozenset({LEAVING_CARE})),
        ("la_in_touch", "Council in touch", C, frozenset({LEAVING_CARE, CHILD})),
        ("latest_contact_date", "Latest contact", D, frozenset({LEAVING_CARE, CHILD})),
        ("accommodation_type", "Accommodation", C, frozenset({LEAVING_CARE})),
        ("accommodation_suitability", "Suitability of accommodation", C, frozenset({LEAVING_CARE})),
        ("activity_status", "Activity", C, frozenset({LEAVING_CARE})),
        (
            "pathway_plan_review_date",
            "Latest pathway plan review",
            D,
            frozenset({LEAVING_CARE, PLANNING}),
        ),
    ),
    10: (
        ("entered_care_date", "Entered care", D, frozenset({CARE})),
        ("adoption_decision_date", "Decision to place for adoption", D, frozenset({CARE})),
        ("placement_order_date", "Placement order", D, frozenset({CARE, DECISIONS})),
        ("placed_for_adoption_date", "Placed for adoption", D, frozenset({CARE})),
    ),
}

# The case's own fields stand in for a list QPA has no columns of (a case list import,
# or a case made before the columns were kept).
_CASE_FIELDS = {
    6: ("cin_start_date", "cin_start_date"),
    7: ("cp_plan_start_date", "cp_plan_start_date"),
    8: ("looked_after_start_date", "looked_after_start_date"),
}


def _list_values(case: Case) -> dict[int, dict[str, Any]]:
    """List number -> its columns, from the attributes and, failing them, the case."""
    values: dict[int, dict[str, Any]] = {}
    attributes = case.attributes if isinstance(case.attributes, dict) else {}
    for key, columns in attributes.items():
        if not (isinstance(key, str) and key.startswith("list_") and isinstance(columns, dict)):
            continue
        number = _int(key[5:])
        if number in LIST_FACTS:
            values[number] = columns
    for number, (field, column) in _CASE_FIELDS.items():
        day = getattr(case, field)
        if day is not None:
            values.setdefault(number, {}).setdefault(column, day.isoformat())
    return values


def _age(case: Case, values: Iterable[dict[str, Any]], today: date) -> str:
    born = case.date_of_birth
    if born is not None and born <= today:
        years = today.year - born.year - ((today.month, today.day) < (born.month, born.day))
        return "Under 1 year" if years < 1 else f"{years} year{'s' if years != 1 else ''}"
    for columns in values:  # an Annex A "Age" column, when there is no date of birth
        age = columns.get("age")
        if isinstance(age, int | float) and not isinstance(age, bool) and age >= 0:
            whole = int(age)
            return "Under 1 year" if whole < 1 else f"{whole} year{'s' if whole != 1 else ''}"
    return "Not recorded"


def _disability(case: Case) -> str:
    if case.has_disability is None:
        return "Not recorded"
    return "Yes" if case.has_disability else "No"


def _flags(values: dict[int, dict[str, Any]], today: date) -> list[Flag]:
    assessment = values.get(4, {})
    s47 = values.get(5, {})
    plan = values.get(7, {})
    care = values.get(8, {})
    leaver = values.get(9, {})
    found = [
        assessment_flag(
            _date(assessment.get("assessment_start_date")),
            _date(assessment.get("assessment_authorisation_date")),
            today=today,
        ),
        conference_flag(
            _date(s47.get("s47_start_date")),
            _date(s47.get("icpc_date")),
            _yes_no(s47.get("icpc_unnecessary")),
            today=today,
        ),
        plan_length_flag(
            _date(plan.get("cp_plan_start_date")),
            _date(plan.get("cp_plan_end_date")),
            today=today,
        ),
        repeat_plan_flag(_int(plan.get("previous_cp_plans"))),
        placements_flag(_int(care.get("placements_last_12_months"))),
    ]
    flags = [flag for flag in found if flag is not None]
    if leaver:
        flags.extend(
            care_leaver_flags(
                _code(leaver.get("la_in_touch")), _code(leaver.get("accommodation_suitability"))
            )
        )
    return flags


def case_facts(case: Case, *, today: date) -> CaseFacts:
    """Everything QPA holds about the child of `case`, with the timescale flags as they
    stand on `today`."""
    values = _list_values(case)
    groups = []
    for number in sorted(values):
        columns = values[number]
        facts = []
        for key, label, read, topics in LIST_FACTS[number]:
            text = read(columns.get(key))
            if text is not None:
                facts.append(Fact(label, text, topics))
        spec = LIST_SPEC_BY_NUMBER[number]
        groups.append(FactGroup(number, f"List {number}: {spec.title}", tuple(facts)))
    gender = _code(case.gender) or "Not recorded"
    return CaseFacts(
        age=_age(case, values.values(), today),
        gender=gender,
        disability=_disability(case),
        lists=tuple(group.title for group in groups),
        groups=tuple(groups),
        flags=tuple(_flags(values, today)),
    )
