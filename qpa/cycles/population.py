"""Population filters of themed cycles, as data. A cycle stores {filter key: value}; each
filter knows how to check a value, describe it and turn it into a query. Adding a filter
is adding one entry to FILTERS."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any

from django.core.exceptions import ValidationError
from django.db.models import Count, Q, QuerySet

from qpa.cases.models import Case, CaseStatus
from qpa.cycles.sampling import months_before
from qpa.organisation.models import ServiceArea, Team


@dataclass(frozen=True)
class PopulationFilter:
    key: str
    label: str
    # Checks a stored or typed value; returns it in its stored (JSON) form.
    clean: Callable[[Any], Any]
    describe: Callable[[Any], str]
    # (value, reference date) -> the condition on Case.
    condition: Callable[[Any, date], Q]


def _months(value: Any) -> int:
    try:
        months = int(value)
    except (TypeError, ValueError):
        raise ValidationError("Enter a whole number of months.") from None
    if not 1 <= months <= 120:
        raise ValidationError("Enter a number of months between 1 and 120.")
    return months


def _age(value: Any) -> int:
    try:
        age = int(value)
    except (TypeError, ValueError):
        raise ValidationError("Enter an age in whole years.") from None
    if not 0 <= age <= 25:
        raise ValidationError("Enter an age between 0 and 25.")
    return age


def _yes_no(value: Any) -> str:
    if value not in ("yes", "no"):
        raise ValidationError("Choose yes or no.")
    return str(value)


def _area_slugs(value: Any) -> list[str]:
    slugs = sorted({str(v) for v in (value or [])})
    known = set(ServiceArea.objects.filter(slug__in=slugs).values_list("slug", flat=True))
    if not slugs or known != set(slugs):
        raise ValidationError("Choose service areas from the list.")
    return slugs


def _team_ids(value: Any) -> list[str]:
    ids = sorted({str(v) for v in (value or [])})
    try:
        uuids = [uuid.UUID(v) for v in ids]
    except ValueError:
        raise ValidationError("Choose teams from the list.") from None
    known = {
        str(t) for t in Team.objects.filter(public_id__in=uuids).values_list("public_id", flat=True)
    }
    if not ids or known != set(ids):
        raise ValidationError("Choose teams from the list.")
    return ids


def _area_names(slugs: list[str]) -> str:
    return ", ".join(ServiceArea.objects.filter(slug__in=slugs).values_list("name", flat=True))


def _team_names(ids: list[str]) -> str:
    return ", ".join(Team.objects.filter(public_id__in=ids).values_list("name", flat=True))


def _born_on_or_before(reference: date, age: int) -> date:
    """The latest birthday of someone at least `age` years old on `reference`."""
    try:
        return reference.replace(year=reference.year - age)
    except ValueError:  # 29 February
        return reference.replace(year=reference.year - age, day=28)


FILTERS: dict[str, PopulationFilter] = {
    f.key: f
    for f in [
        PopulationFilter(
            key="service_areas",
            label="Service areas",
            clean=_area_slugs,
            describe=_area_names,
            condition=lambda v, ref: Q(service_area__slug__in=v),
        ),
        PopulationFilter(
            key="teams",
            label="Teams",
            clean=_team_ids,
            describe=_team_names,
            condition=lambda v, ref: Q(team__public_id__in=v),
        ),
        PopulationFilter(
            key="cp_plan_started_within_months",
            label="Child protection plan started",
            clean=_months,
            describe=lambda v: f"in the last {v} months",
            condition=lambda v, ref: Q(cp_plan_start_date__gte=months_before(ref, v)),
        ),
        PopulationFilter(
            key="looked_after_within_months",
            label="Started to be looked after",
            clean=_months,
            describe=lambda v: f"in the last {v} months",
            condition=lambda v, ref: Q(looked_after_start_date__gte=months_before(ref, v)),
        ),
        PopulationFilter(
            key="age_from",
            label="Aged at least",
            clean=_age,
            describe=lambda v: f"{v} years",
            condition=lambda v, ref: Q(date_of_birth__lte=_born_on_or_before(ref, v)),
        ),
        PopulationFilter(
            key="age_to",
            label="Aged at most",
            clean=_age,
            describe=lambda v: f"{v} years",
            condition=lambda v, ref: Q(date_of_birth__gt=_born_on_or_before(ref, v + 1)),
        ),
        PopulationFilter(
            key="has_disability",
            label="Has a disability",
            clean=_yes_no,
            describe=lambda v: "Yes" if v == "yes" else "No",
            condition=lambda v, ref: Q(has_disability=(v == "yes")),
        ),
    ]
}


def clean_population_filter(raw: Mapping[str, Any]) -> dict[str, Any]:
    """Checks every entry; unknown keys and bad values raise one ValidationError naming
    each problem."""
    cleaned: dict[str, Any] = {}
    errors: dict[str, list[str]] = {}
    for key, value in raw.items():
        spec = FILTERS.get(key)
        if spec is None:
            errors.setdefault(key, []).append(f"There is no population filter called {key}.")
            continue
        try:
            cleaned[key] = spec.clean(value)
        except ValidationError as error:
            errors.setdefault(key, []).extend(error.messages)
    age_from, age_to = cleaned.get("age_from"), cleaned.get("age_to")
    if age_from is not None and age_to is not None and age_from > age_to:
        errors.setdefault("age_to", []).append("The upper age must not be below the lower age.")
    if errors:
        raise ValidationError(errors)
    return cleaned


def population_condition(population_filter: Mapping[str, Any], reference: date) -> Q:
    condition = Q()
    for key, value in population_filter.items():
        condition &= FILTERS[key].condition(value, reference)
    return condition


def describe_population(population_filter: Mapping[str, Any]) -> list[tuple[str, str]]:
    return [
        (FILTERS[key].label, FILTERS[key].describe(value))
        for key, value in population_filter.items()
        if key in FILTERS
    ]


def population_cases(population_filter: Mapping[str, Any], reference: date) -> QuerySet[Case]:
    """Every case that meets the filter on `reference`, open or not (closed cases are
    counted, then excluded at the draw, so the draw report shows them)."""
    return Case.objects.filter(service_area__isnull=False).filter(
        population_condition(population_filter, reference)
    )


@dataclass(frozen=True)
class PopulationSize:
    """How many cases a population filter finds today: what a themed cycle shows before
    its draw. Only open cases can be drawn."""

    total: int
    open: int
    # (service area name, open cases) for every active area, in the areas' order.
    open_by_area: list[tuple[str, int]]


def population_size(population_filter: Mapping[str, Any], reference: date) -> PopulationSize:
    total, open_by_area = 0, {}
    for area_id, cases, open_cases in (
        population_cases(population_filter, reference)
        .values("service_area_id")
        .order_by()
        .annotate(cases=Count("id"), open=Count("id", filter=Q(status=CaseStatus.OPEN)))
        .values_list("service_area_id", "cases", "open")
    ):
        total += cases
        open_by_area[area_id] = open_cases
    areas = ServiceArea.objects.filter(is_active=True).order_by("order", "name")
    return PopulationSize(
        total=total,
        open=sum(open_by_area.values()),
        open_by_area=[(area.name, open_by_area.get(area.pk, 0)) for area in areas],
    )
