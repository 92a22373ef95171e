"""Teams side by side for a report's period: audits, the share good or better and the
share inadequate or worse, each with n, and where each team's share good or better
lies against the service's on a funnel plot (docs/reports.md, "Teams side by side")."""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from django.db.models import Q, QuerySet

from qpa.audits.models import Audit
from qpa.organisation.models import ServiceArea, Team
from qpa.reports import disclosure
from qpa.reports.comparison import OVERALL_ROW, figures_of
from qpa.reports.counting import month_of
from qpa.reports.funnel import Limits, Position, limits_for, position
from qpa.reports.models import ALL, ReportCount
from qpa.reports.report import SCOPE_ALL, ReportParams
from qpa.reports.summary import percent


@dataclass(frozen=True)
class TeamRow:
    team: str
    service_area: str
    audits: int | None
    good: int | None
    good_percent: float | None
    poor: int | None
    poor_percent: float | None
    # Against the funnel's limits; None when the team is not on the plot.
    limits: Limits | None = None
    position: Position | None = None
    share: float | None = None  # the exact share good or better, for the plot

    @property
    def plotted(self) -> bool:
        return self.position is not None


@dataclass(frozen=True)
class TeamTable:
    params: ReportParams
    area: ServiceArea | None
    rows: list[TeamRow]
    audits: int  # the service's (or the area's), every audit counted
    good: int
    poor: int
    hidden: bool
    # The scope's totals as shown: None where suppression hides them.
    totals: tuple[int | None, int | None, int | None] = (None, None, None)

    @property
    def scope(self) -> str:
        return self.area.name if self.area else SCOPE_ALL

    @property
    def theta(self) -> float | None:
        """The service's share good or better: the funnel's centre line."""
        return self.good / self.audits if self.audits else None

    @property
    def audits_shown(self) -> int | None:
        return self.totals[0]

    @property
    def service_percent(self) -> tuple[float | None, float | None]:
        audits, good, poor = self.totals
        if audits is None:
            return None, None
        return (
            None if good is None else percent(good, audits),
            None if poor is None else percent(poor, audits),
        )

    @property
    def plotted(self) -> list[TeamRow]:
        return [row for row in self.rows if row.plotted]

    @property
    def beyond(self) -> list[TeamRow]:
        return [row for row in self.rows if row.position is not None and row.position.beyond]

    @property
    def not_plotted(self) -> int:
        """Teams with audits that the plot leaves out: their numbers are hidden."""
        return sum(1 for row in self.rows if row.audits != 0 and not row.plotted)


def _teams_with_audits(params: ReportParams, area: ServiceArea | None) -> set[int]:
    f = params.filters
    rows = ReportCount.objects.filter(
        tool=f.tool,
        cycle_key=f.cycle.pk if f.cycle else ALL,
        month__gte=params.period_from,
        month__lte=month_of(params.period_to),
    ).exclude(team_key=ALL)
    if area is not None:
        rows = rows.filter(service_area_key=area.pk)
    return set(rows.values_list("team_key", flat=True).distinct())


def _overall(summary: dict[str, Any]) -> tuple[int, int, int]:
    """(audits, good or better, inadequate or worse) overall of a summary in full (the
    table suppresses its own cells)."""
    good, poor = figures_of(summary)[OVERALL_ROW]
    return good.total or 0, good.count or 0, poor.count or 0


def team_cells(
    rows: list[tuple[str, int, int, int]],
    totals: tuple[int, int, int],
    areas: Mapping[str, int | None],
) -> set[tuple[Any, ...]]:
    """The cells of a teams table to hide (`disclosure.suppress_cells`): rows of (service
    area, audits, good or better, inadequate or worse), the scope's totals, and each
    service area's audits as the report publishes them. The sums a reader can see: each
    team's (and the scope's) audits are its good, its poor and the rest; the scope's
    audits, good and poor are the teams' and those of audits with no team; each area's
    audits are its teams' and its audits with no team. The audits rated neither good nor
    poor are published nowhere: unknowns, protected when small. The audits with no team
    are taken to be known (most audits have a team, so a reader would guess none). A
    team's row of 1 to 4 audits is hidden whole."""
    values: dict[tuple[Any, ...], int] = {}
    sums: list[tuple[tuple[Any, ...], list[tuple[Any, ...]]]] = []
    unpublished: set[tuple[Any, ...]] = set()

    def whole(
        total: tuple[Any, ...],
        parts: list[tuple[Any, ...]],
        rest: tuple[Any, ...],
        *,
        known: bool = False,
    ) -> None:
        left = values[total] - sum(values[p] for p in parts)
        if left >= 0:
            values[rest] = left
            if not known:
                unpublished.add(rest)
            sums.append((total, [*parts, rest]))

    for i, (_, n, good, poor) in enumerate(rows):
        values[("team", i, "audits")] = n
        values[("team", i, "good")] = good
        values[("team", i, "poor")] = poor
        whole(
            ("team", i, "audits"), [("team", i, "good"), ("team", i, "poor")], ("team", i, "rest")
        )
    for field, total in zip(("audits", "good", "poor"), totals, strict=True):
        values[("scope", field)] = total
        parts = [("team", i, field) for i in range(len(rows))]
        whole(("scope", field), parts, ("scope", field, "no team"), known=True)
    whole(("scope", "audits"), [("scope", "good"), ("scope", "poor")], ("scope", "rest"))
    for area in sorted({row[0] for row in rows}):
        published = areas.get(area)
        if published is None:
            continue
        values[("area", area)] = published
        members = [("team", i, "audits") for i, row in enumerate(rows) if row[0] == area]
        whole(("area", area), members, ("area", area, "no team"), known=True)
    hidden = disclosure.suppress_cells(values, sums, unpublished=unpublished)
    for i, (_, n, _, _) in enumerate(rows):
        if disclosure.is_small(n):
            hidden |= {("team", i, "good"), ("team", i, "poor")}
    return hidden


def team_table(params: ReportParams, *, hidden: bool) -> TeamTable:
    """Every team of the report's scope (its service area, or the team's area when the
    report is of one team; else all) with audits in the period or still active; small
    numbers suppressed when `hidden` (`disclosure.in_full` decides)."""
    f = params.filters
    area = f.service_area or (f.team.service_area if f.team else None)
    scope = dataclasses.replace(
        params,
        filters=dataclasses.replace(f, service_area=area, team=None),
        suppress=False,
        intervals=False,
    )
    audited = _teams_with_audits(scope, area)
    teams = Team.objects.select_related("service_area").filter(
        Q(pk__in=audited) | Q(is_active=True)
    )
    if area is not None:
        teams = teams.filter(service_area=area)
    raw: list[tuple[Team, int, int, int]] = []
    for team in teams.order_by("service_area__order", "name"):
        if team.pk in audited:
            one = dataclasses.replace(scope, filters=dataclasses.replace(scope.filters, team=team))
            raw.append((team, *_overall(one.summary())))
        else:
            raw.append((team, 0, 0, 0))
    whole = scope.summary()
    audits, good, poor = _overall(whole)
    theta = good / audits if audits else None
    gone = (
        team_cells(
            [(t.service_area.name, n, g, p) for t, n, g, p in raw],
            (audits, good, poor),
            {row["service_area"]: row["count"] for row in whole["by_service_area"]},
        )
        if hidden
        else set()
    )
    rows = []
    for i, (team, n, g, p) in enumerate(raw):
        n_shown = ("team", i, "audits") not in gone
        good_shown = n_shown and ("team", i, "good") not in gone
        poor_shown = n_shown and ("team", i, "poor") not in gone
        on_plot = good_shown and n > 0 and theta is not None
        limits = limits_for(n, theta) if on_plot and theta is not None else None
        rows.append(
            TeamRow(
                team=team.name,
                service_area=team.service_area.name,
                audits=n if n_shown else None,
                good=g if good_shown else None,
                good_percent=percent(g, n) if good_shown else None,
                poor=p if poor_shown else None,
                poor_percent=percent(p, n) if poor_shown else None,
                limits=limits,
                position=None if limits is None else position(g / n, limits),
                share=g / n if on_plot else None,
            )
        )

    def total(field: str, value: int) -> int | None:
        return None if ("scope", field) in gone else value

    totals = (total("audits", audits), total("good", good), total("poor", poor))
    return TeamTable(params, area, rows, audits, good, poor, hidden, totals)


def _limits(low: float, high: float) -> list[float]:
    return [round(low * 100, 1), round(high * 100, 1)]


def team_audits(params: ReportParams) -> QuerySet[Audit]:
    """The audits a teams table of these parameters counts: every team of its scope."""
    f = params.filters
    return disclosure.counted_audits_in(
        period_from=params.period_from,
        period_to=params.period_to,
        tools=[f.tool],
        service_area=f.service_area or (f.team.service_area if f.team else None),
        cycle=f.cycle,
    )


def teams_json(table: TeamTable, *, refused: bool = False) -> dict[str, Any]:
    """The `teams` member of the JSON document: the table as shown (hidden cells null),
    and where each team on the funnel plot lies against its control limits (in percent);
    `funnel` is null for a team not on the plot."""
    good_percent, poor_percent = table.service_percent
    return {
        "scope": table.scope,
        "audits": table.totals[0],
        "good_or_better": table.totals[1],
        "good_or_better_percent": good_percent,
        "inadequate_or_worse": table.totals[2],
        "inadequate_or_worse_percent": poor_percent,
        "teams": [
            {
                "team": row.team,
                "service_area": row.service_area,
                "audits": row.audits,
                "good_or_better": row.good,
                "good_or_better_percent": row.good_percent,
                "inadequate_or_worse": row.poor,
                "inadequate_or_worse_percent": row.poor_percent,
                "funnel": None
                if row.limits is None or row.position is None
                else {
                    "position": str(row.position),
                    "limits_95": _limits(row.limits.lower_95, row.limits.upper_95),
                    "limits_998": _limits(row.limits.lower_998, row.limits.upper_998),
                },
            }
            for row in table.rows
        ],
        "suppression": {
            "applied": table.hidden,
            "threshold": disclosure.THRESHOLD,
            "too_few": False,
            "unsuppressed_refused": refused,
        },
    }
