"""Teams side by side for a report's period: audits, the share good or better and the
share inadequate or worse, each with n, and where each team's share good or better
lies against the service's on a funnel plot (docs/reports.md, "Teams side by side")."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

from django.db.models import Q

from qpa.organisation.models import ServiceArea, Team
from qpa.reports import small_numbers
from qpa.reports.comparison import OVERALL_ROW, figures_of
from qpa.reports.counting import month_of
from qpa.reports.funnel import Limits, Position, limits_for, position
from qpa.reports.models import ALL, ReportCount
from qpa.reports.report import SCOPE_ALL, ReportParams


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

    @property
    def scope(self) -> str:
        return self.area.name if self.area else SCOPE_ALL

    @property
    def theta(self) -> float | None:
        """The service's share good or better: the funnel's centre line."""
        return self.good / self.audits if self.audits else None

    @property
    def audits_shown(self) -> int | None:
        return small_numbers.count(self.audits, self.hidden)

    @property
    def service_percent(self) -> tuple[float | None, float | None]:
        return (
            small_numbers.share(self.good, self.audits, self.hidden),
            small_numbers.share(self.poor, self.audits, self.hidden),
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


def _overall(params: ReportParams) -> tuple[int, int, int]:
    """(audits, good or better, inadequate or worse) overall, in full (`params` are
    unsuppressed: the table suppresses its own cells)."""
    good, poor = figures_of(params.summary())[OVERALL_ROW]
    return good.total or 0, good.count or 0, poor.count or 0


def team_table(params: ReportParams, *, hidden: bool) -> TeamTable:
    """Every team of the report's scope (its service area, or the team's area when the
    report is of one team; else all) with audits in the period or still active."""
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
            raw.append((team, *_overall(one)))
        else:
            raw.append((team, 0, 0, 0))
    audits, good, poor = _overall(scope)
    theta = good / audits if audits else None
    cells = small_numbers.team_cells([(t.service_area.name, n, g, p) for t, n, g, p in raw], hidden)
    rows = []
    for (team, n, g, p), hide in zip(raw, cells, strict=True):
        good_shown = not hide.audits and not hide.good
        on_plot = good_shown and n > 0 and theta is not None
        limits = limits_for(n, theta) if on_plot and theta is not None else None
        rows.append(
            TeamRow(
                team=team.name,
                service_area=team.service_area.name,
                audits=None if hide.audits else n,
                good=None if hide.audits or hide.good else g,
                good_percent=None
                if hide.audits or hide.good
                else small_numbers.share(g, n, hidden),
                poor=None if hide.audits or hide.poor else p,
                poor_percent=None
                if hide.audits or hide.poor
                else small_numbers.share(p, n, hidden),
                limits=limits,
                position=None if limits is None else position(g / n, limits),
                share=g / n if on_plot else None,
            )
        )
    return TeamTable(params, area, rows, audits, good, poor, hidden)
