"""The report summary: the JSON contract of docs/reports.md, read from the aggregates.

`report_summary` is a plain function so the page, the exports, `qpa report` and the
REST API all give the same document.
"""

from __future__ import annotations

import math
import uuid
from collections import defaultdict
from dataclasses import dataclass
from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.db.models import Q, Sum

from qpa.cycles.models import Cycle
from qpa.organisation.models import ServiceArea, Team
from qpa.reports import disclosure
from qpa.reports.counting import OVERALL_FIGURES, month_end, month_of
from qpa.reports.models import ALL, NOT_RECORDED, OVERALL, ReportCount
from qpa.tools.models import AuditTool, Domain, Rating, RatingCrosswalk

DEFAULT_TOOL_SLUG = "quality-of-practice"
SUPPRESSION_THRESHOLD = disclosure.THRESHOLD
NOT_RECORDED_LABEL = "Not recorded"


# --- Parameters ----------------------------------------------------------------------


def parse_month(text: str) -> date:
    """'2026-10' -> 1 October 2026; anything else is a ValidationError."""
    try:
        year, month = (int(part) for part in text.strip().split("-"))
        return date(year, month, 1)
    except (ValueError, TypeError):
        raise ValidationError(f"{text!r} is not a month like 2026-10.") from None


@dataclass(frozen=True)
class Filters:
    tool: AuditTool
    service_area: ServiceArea | None = None
    team: Team | None = None
    cycle: Cycle | None = None


def _is_uuid(text: str) -> bool:
    try:
        uuid.UUID(text)
    except ValueError:
        return False
    return True


def resolve_filters(
    *,
    tool: AuditTool | str | None = None,
    service_area: ServiceArea | str | None = None,
    team: Team | str | None = None,
    cycle: Cycle | str | None = None,
) -> Filters:
    """Filters from objects, or from text as people type it: a tool or service area by
    name or slug, a team by name or id, a cycle by id. Unknown names are refused."""
    errors: dict[str, str] = {}
    if isinstance(tool, AuditTool):
        the_tool: AuditTool | None = tool
    else:
        text = (tool or "").strip()
        the_tool = (
            AuditTool.objects.filter(Q(slug=text) | Q(name__iexact=text)).first()
            if text
            else AuditTool.objects.filter(slug=DEFAULT_TOOL_SLUG).first()
        )
        if the_tool is None:
            errors["tool"] = f"There is no audit tool called {text or DEFAULT_TOOL_SLUG!r}."
    the_area: ServiceArea | None = None
    if isinstance(service_area, ServiceArea):
        the_area = service_area
    elif service_area and service_area.strip():
        text = service_area.strip()
        the_area = ServiceArea.objects.filter(Q(slug=text) | Q(name__iexact=text)).first()
        if the_area is None:
            errors["service_area"] = f"There is no service area called {text!r}."
    the_team: Team | None = None
    if isinstance(team, Team):
        the_team = team
    elif team and team.strip():
        text = team.strip()
        query = Q(name__iexact=text) | (Q(public_id=text) if _is_uuid(text) else Q(pk__in=[]))
        the_team = Team.objects.filter(query).first()
        if the_team is None:
            errors["team"] = f"There is no team called {text!r}."
    the_cycle: Cycle | None = None
    if isinstance(cycle, Cycle):
        the_cycle = cycle
    elif cycle and cycle.strip():
        text = cycle.strip()
        the_cycle = Cycle.objects.filter(public_id=text).first() if _is_uuid(text) else None
        if the_cycle is None:
            errors["cycle"] = f"There is no cycle with the id {text!r}."
    if the_team is not None and the_area is not None and the_team.service_area_id != the_area.pk:
        errors["team"] = f"{the_team.name} is not a team of {the_area.name}."
    if errors or the_tool is None:
        raise ValidationError(errors)
    return Filters(tool=the_tool, service_area=the_area, team=the_team, cycle=the_cycle)


def check_period(period_from: date, period_to: date) -> tuple[date, date]:
    first, last = month_of(period_from), month_end(month_of(period_to))
    if first > last:
        raise ValidationError({"to": "The end of the period must not be before its start."})
    if (last.year - first.year) * 12 + last.month - first.month >= 120:
        raise ValidationError({"to": "A report covers at most ten years."})
    return first, last


# --- Arithmetic ----------------------------------------------------------------------


def percent(count: int, total: int) -> float | None:
    """count / total as a percentage with one decimal, halves rounded up."""
    if total == 0:
        return None
    value = Decimal(count) * 100 / Decimal(total)
    return float(value.quantize(Decimal("0.1"), rounding=ROUND_HALF_UP))


def wilson_interval(count: int, total: int, z: float = 1.959964) -> list[float] | None:
    """The 95% Wilson score interval of count / total, as percentages (one decimal)."""
    if total == 0:
        return None
    p = count / total
    denominator = 1 + z * z / total
    centre = (p + z * z / (2 * total)) / denominator
    half = z * math.sqrt(p * (1 - p) / total + z * z / (4 * total * total)) / denominator
    return [round(max(0.0, centre - half) * 100, 1), round(min(1.0, centre + half) * 100, 1)]


is_small = disclosure.is_small


# --- The summary ---------------------------------------------------------------------


@dataclass
class _Scale:
    ratings: list[tuple[int, str, str, int]]  # (id, label, code, rank) in rank order
    good_rank: int
    inadequate_rank: int
    to_scale: dict[int, int]  # any rating id -> rating id on this scale


def _scale_of(tool: AuditTool) -> _Scale:
    scale = tool.scale
    ratings = list(
        Rating.objects.filter(scale=scale)
        .order_by("rank")
        .values_list("id", "label", "code", "rank")
    )
    to_scale = {r[0]: r[0] for r in ratings}
    for rating_id, target_id in RatingCrosswalk.objects.filter(target_scale=scale).values_list(
        "rating_id", "target_id"
    ):
        to_scale.setdefault(rating_id, target_id)
    return _Scale(ratings, scale.good_or_better_rank, scale.inadequate_or_worse_rank, to_scale)


def _domain_order(tool: AuditTool) -> list[str]:
    newest = tool.versions.order_by("-number").first()
    if newest is None:
        return []
    return list(
        Domain.objects.filter(version=newest).order_by("order").values_list("name", flat=True)
    )


def report_summary(
    *,
    period_from: date,
    period_to: date,
    tool: AuditTool | str | None = None,
    service_area: ServiceArea | str | None = None,
    team: Team | str | None = None,
    cycle: Cycle | str | None = None,
    suppress: bool = False,
    intervals: bool = False,
) -> dict[str, Any]:
    """The figures of one report (docs/reports.md, "The JSON contract").

    `period_from` and `period_to` may be any day of the first and last month. With
    `suppress`, small numbers are suppressed (qpa.reports.disclosure); without it the
    figures are in full, for a caller that then applies `disclosure.figures_for_reader`
    (every channel with a reader does) or that runs inside the service (`qpa report
    --unsuppressed`).
    Raises ValidationError for an unknown tool, area, team or cycle, or a bad period.
    """
    filters = resolve_filters(tool=tool, service_area=service_area, team=team, cycle=cycle)
    first, last = check_period(period_from, period_to)
    scale = _scale_of(filters.tool)
    rows = ReportCount.objects.filter(
        tool=filters.tool,
        cycle_key=filters.cycle.pk if filters.cycle else ALL,
        month__gte=first,
        month__lte=month_of(last),
    )
    if filters.team is not None:
        place = rows.filter(team_key=filters.team.pk)
        if filters.service_area is not None:
            place = place.filter(service_area_key=filters.service_area.pk)
        area_rows = place
    elif filters.service_area is not None:
        place = rows.filter(service_area_key=filters.service_area.pk, team_key=ALL)
        area_rows = place
    else:
        place = rows.filter(service_area_key=ALL, team_key=ALL)
        # Each key by name, so the lookup index serves it (a "not all" would scan).
        area_keys = [NOT_RECORDED, *ServiceArea.objects.values_list("id", flat=True)]
        area_rows = rows.filter(team_key=ALL, service_area_key__in=area_keys)

    monthly: dict[date, dict[int, int]] = defaultdict(lambda: defaultdict(int))
    not_comparable = 0
    # Audits of a tool whose overall rating is optional that have none: counted among the
    # audits and in the domain figures, in no overall figure.
    no_overall = 0
    # Safeguarding concerns and the child's voice are counted with the overall ratings
    # (decision 0132).
    beside: dict[str, int] = dict.fromkeys(OVERALL_FIGURES, 0)
    for month, rating_id, n, *figures in (
        place.filter(domain=OVERALL)
        .values_list("month", "rating_id")
        .order_by()
        .annotate(n=Sum("count"), **{f"all_{name}": Sum(name) for name in OVERALL_FIGURES})
    ):
        for name, value in zip(OVERALL_FIGURES, figures, strict=True):
            beside[name] += value
        if rating_id is None:
            no_overall += n
            continue
        target = scale.to_scale.get(rating_id)
        if target is None:
            not_comparable += n
            continue
        monthly[month][target] += n
    domain_counts: dict[str, dict[int | None, int]] = defaultdict(lambda: defaultdict(int))
    for name, rating_id, n in (
        place.exclude(domain=OVERALL)
        .values_list("domain", "rating_id")
        .order_by()
        .annotate(n=Sum("count"))
    ):
        if rating_id is None:
            domain_counts[name][None] += n
        elif (target := scale.to_scale.get(rating_id)) is not None:
            domain_counts[name][target] += n
    per_area = dict(
        area_rows.filter(domain=OVERALL)
        .values("service_area_key")
        .order_by()
        .annotate(n=Sum("count"))
        .values_list("service_area_key", "n")
    )

    overall_counts: dict[int, int] = defaultdict(int)
    for counts in monthly.values():
        for rating_id, n in counts.items():
            overall_counts[rating_id] += n
    completed = sum(overall_counts.values()) + not_comparable + no_overall

    def share(count: int, total: int) -> dict[str, Any]:
        item: dict[str, Any] = {"percent": percent(count, total)}
        if intervals:
            item["ci95"] = wilson_interval(count, total)
        return item

    def rating_list(counts: dict[int, int], total: int) -> list[dict[str, Any]]:
        return [
            {
                "rating": label,
                "code": code,
                "count": counts.get(rid, 0),
                **share(counts.get(rid, 0), total),
            }
            for rid, label, code, _ in scale.ratings
        ]

    rank_of = {rid: rank for rid, _, _, rank in scale.ratings}
    order = _domain_order(filters.tool)
    names = order + sorted(set(domain_counts) - set(order))
    domains: list[dict[str, Any]] = []
    for name in names:
        domain_row: dict[int | None, int] = domain_counts.get(name, {})
        not_applicable = domain_row.get(None, 0)
        rated_counts = {k: v for k, v in domain_row.items() if k is not None}
        rated = sum(rated_counts.values())
        good = sum(v for k, v in rated_counts.items() if rank_of[k] <= scale.good_rank)
        poor = sum(v for k, v in rated_counts.items() if rank_of[k] >= scale.inadequate_rank)
        good_share, poor_share = share(good, rated), share(poor, rated)
        domains.append(
            {
                "domain": name,
                "rated": rated,
                "not_applicable": not_applicable,
                "ratings": rating_list(rated_counts, rated),
                "good_or_better": good,
                "good_or_better_percent": good_share["percent"],
                "inadequate_or_worse": poor,
                "inadequate_or_worse_percent": poor_share["percent"],
                **(
                    {
                        "good_or_better_ci95": good_share["ci95"],
                        "inadequate_or_worse_ci95": poor_share["ci95"],
                    }
                    if intervals
                    else {}
                ),
            }
        )

    areas = list(
        ServiceArea.objects.order_by("order", "name").values_list("id", "name", "is_active")
    )
    by_service_area = [
        {"service_area": name, "count": per_area.get(area_id, 0)}
        for area_id, name, active in areas
        if per_area.get(area_id, 0)
        or (
            active
            and filters.team is None
            and (filters.service_area is None or filters.service_area.pk == area_id)
        )
    ]
    if per_area.get(NOT_RECORDED):
        by_service_area.append(
            {"service_area": NOT_RECORDED_LABEL, "count": per_area[NOT_RECORDED]}
        )

    by_month = []
    month = first
    while month <= last:
        counts = monthly.get(month, {})
        total = sum(counts.values())
        by_month.append(
            {
                "month": f"{month:%Y-%m}",
                "audits": total,
                "ratings": rating_list(counts, total),
            }
        )
        month = _next_month(month)

    summary = {
        "tool": filters.tool.name,
        "tool_kind": filters.tool.kind,
        "scale": filters.tool.scale.name,
        "filters": {
            "service_area": filters.service_area.name if filters.service_area else None,
            "team": filters.team.name if filters.team else None,
            "cycle": str(filters.cycle.public_id) if filters.cycle else None,
            "cycle_name": filters.cycle.name if filters.cycle else None,
        },
        "period": {"from": first.isoformat(), "to": last.isoformat()},
        "audits_completed": completed,
        "by_service_area": by_service_area,
        "overall": rating_list(overall_counts, completed - no_overall),
        "not_comparable": not_comparable,
        "no_overall_rating": no_overall,
        "safeguarding_concerns": beside["concerns"],
        "child_and_family": {
            key: {
                "evident": beside[f"{theme}_evident"],
                "n": beside[f"{theme}_asked"],
                "percent": percent(beside[f"{theme}_evident"], beside[f"{theme}_asked"]),
            }
            for theme, key in (("child", "child_lived_experience"), ("family", "family_view"))
        },
        "domains": domains,
        "areas_of_good_practice": disclosure.rank_domains(domains, "good_or_better"),
        "areas_of_poor_practice": disclosure.rank_domains(domains, "inadequate_or_worse"),
        "by_month": by_month,
        "ratings_key": [
            {
                "code": code,
                "rating": label,
                "good_or_better": rank <= scale.good_rank,
                "inadequate_or_worse": rank >= scale.inadequate_rank,
            }
            for _, label, code, rank in scale.ratings
        ],
        "suppression": disclosure.shown_in_full(),
    }
    return disclosure.suppress_summary(summary) if suppress else summary


def _next_month(month: date) -> date:
    return date(month.year + month.month // 12, month.month % 12 + 1, 1)
