"""Each domain month by month: the share of cases rated good or better and inadequate or
worse in each of the twelve months that end with the report's last month
(docs/reports.md, "Trends")."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from datetime import date

from qpa.reports.comparison import OVERALL_ROW, Share, figures_of
from qpa.reports.counting import month_end, month_of
from qpa.reports.report import ReportParams, period_label

TREND_MONTHS = 12


@dataclass(frozen=True)
class MonthFigures:
    month: date
    good: Share
    poor: Share

    @property
    def rated(self) -> int | None:
        return self.good.total


@dataclass(frozen=True)
class Trend:
    """One series: the overall rating, or a domain."""

    name: str
    months: list[MonthFigures]

    @property
    def overall(self) -> bool:
        return self.name == OVERALL_ROW

    @property
    def rated(self) -> bool:
        return any(m.rated != 0 for m in self.months)


@dataclass(frozen=True)
class Trends:
    first: date
    last: date
    series: list[Trend]
    hidden: bool

    @property
    def label(self) -> str:
        return period_label(self.first, self.last)

    @property
    def months(self) -> list[date]:
        return [m.month for m in self.series[0].months] if self.series else []


def _month_back(month: date, count: int) -> date:
    index = month.year * 12 + month.month - 1 - count
    return date(index // 12, index % 12 + 1, 1)


def twelve_months(params: ReportParams) -> list[date]:
    """The first days of the twelve months ending with the report's last month."""
    last = month_of(params.period_to)
    return [_month_back(last, back) for back in range(TREND_MONTHS - 1, -1, -1)]


def domain_trends(params: ReportParams, *, hidden: bool) -> Trends:
    """The overall rating's and every domain's figures for each of the twelve months,
    under the report's filters; `hidden`: small numbers suppressed, as each month's
    report summary suppresses them."""
    months = twelve_months(params)
    monthly = [
        figures_of(
            dataclasses.replace(
                params,
                period_from=month,
                period_to=month_end(month),
                suppress=hidden,
                intervals=False,
            ).summary()
        )
        for month in months
    ]
    names: list[str] = []
    for figures in monthly:
        names += [name for name in figures if name not in names]
    none = (Share(0, 0, None), Share(0, 0, None))
    series = [
        Trend(
            name,
            [
                MonthFigures(month, *figures.get(name, none))
                for month, figures in zip(months, monthly, strict=True)
            ],
        )
        for name in names
    ]
    return Trends(months[0], month_end(months[-1]), series, hidden)
