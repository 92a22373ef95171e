"""Two periods the reader chooses, side by side: for the overall rating and each domain,
the share rated good or better and inadequate or worse in each period, with its n, and
the difference in percentage points (docs/reports.md, "Comparing two periods")."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from qpa.reports.report import ReportParams
from qpa.reports.summary import percent

OVERALL_ROW = "Overall rating"


@dataclass(frozen=True)
class Share:
    """`count` of `total` cases, as a percentage; None where a small number is hidden."""

    count: int | None
    total: int | None
    percent: float | None


@dataclass(frozen=True)
class Change:
    """One row: the overall rating or a domain, in period A and in period B."""

    name: str
    good: tuple[Share, Share]
    good_difference: float | None
    poor: tuple[Share, Share]
    poor_difference: float | None

    @property
    def overall(self) -> bool:
        return self.name == OVERALL_ROW


@dataclass(frozen=True)
class PeriodComparison:
    first: ReportParams
    second: ReportParams
    audits: tuple[int | None, int | None]
    rows: list[Change]
    hidden: bool

    @property
    def labels(self) -> tuple[str, str]:
        return self.first.label, self.second.label


def difference(first: float | None, second: float | None) -> float | None:
    """second - first in percentage points, exactly as the two shown percentages give."""
    if first is None or second is None:
        return None
    return float(Decimal(str(second)) - Decimal(str(first)))


def _good_and_poor(summary: dict[str, Any]) -> tuple[int | None, int | None]:
    """The overall rating's counts good or better and inadequate or worse: None when a
    part is hidden (their sum would tell it)."""
    key, overall = summary["ratings_key"], summary["overall"]
    sums = []
    for flag in ("good_or_better", "inadequate_or_worse"):
        parts = [r["count"] for r, k in zip(overall, key, strict=True) if k[flag]]
        sums.append(None if any(p is None for p in parts) else sum(parts))
    return sums[0], sums[1]


def figures_of(summary: dict[str, Any]) -> dict[str, tuple[Share, Share]]:
    """name -> (good or better, inadequate or worse) of a `report_summary` document,
    the overall rating first; hidden figures (a suppressed document) stay hidden."""
    # The overall rating's shares are of the audits with an overall rating (a themed
    # tool's may have none), as the contract's `overall` percentages are.
    completed, without = summary["audits_completed"], summary.get("no_overall_rating", 0)
    audits = None if completed is None or without is None else completed - without
    good, poor = _good_and_poor(summary)

    def overall_share(count: int | None) -> Share:
        if count is None or audits is None:
            return Share(count, audits, None)
        return Share(count, audits, percent(count, audits))

    figures = {OVERALL_ROW: (overall_share(good), overall_share(poor))}
    for d in summary["domains"]:
        figures[d["domain"]] = (
            Share(d["good_or_better"], d["rated"], d["good_or_better_percent"]),
            Share(d["inadequate_or_worse"], d["rated"], d["inadequate_or_worse_percent"]),
        )
    return figures


def compare_periods(first: ReportParams, second: ReportParams, *, hidden: bool) -> PeriodComparison:
    """The two periods' figures under the same filters; `hidden`: small numbers are
    suppressed, as the report summary suppresses them."""
    summaries = (
        dataclasses.replace(first, suppress=hidden, intervals=False).summary(),
        dataclasses.replace(second, suppress=hidden, intervals=False).summary(),
    )
    return compare_summaries(first, second, summaries, hidden=hidden)


def compare_summaries(
    first: ReportParams,
    second: ReportParams,
    summaries: tuple[dict[str, Any], dict[str, Any]],
    *,
    hidden: bool,
) -> PeriodComparison:
    """Two `report_summary` documents of the periods of `first` and `second`, as each
    reader may see them (suppressed or in full), side by side."""
    a, b = (figures_of(s) for s in summaries)
    names = list(a) + [name for name in b if name not in a]
    none = (Share(0, 0, None), Share(0, 0, None))
    rows = []
    for name in names:
        (good_a, poor_a), (good_b, poor_b) = a.get(name, none), b.get(name, none)
        rows.append(
            Change(
                name,
                (good_a, good_b),
                difference(good_a.percent, good_b.percent),
                (poor_a, poor_b),
                difference(poor_a.percent, poor_b.percent),
            )
        )
    audits = (summaries[0]["audits_completed"], summaries[1]["audits_completed"])
    return PeriodComparison(first, second, audits, rows, hidden)


def comparison_json(comparison: PeriodComparison) -> dict[str, Any]:
    """The `comparison` member of the JSON contract: the first period's figures, and the
    report's (second) percentages minus them."""
    first = comparison.first

    def entry(row: Change) -> dict[str, Any]:
        good, poor = row.good[0], row.poor[0]
        return {
            "rated": good.total,
            "good_or_better": good.count,
            "good_or_better_percent": good.percent,
            "good_or_better_difference": row.good_difference,
            "inadequate_or_worse": poor.count,
            "inadequate_or_worse_percent": poor.percent,
            "inadequate_or_worse_difference": row.poor_difference,
        }

    overall = next(row for row in comparison.rows if row.overall)
    return {
        "period": {"from": first.period_from.isoformat(), "to": first.period_to.isoformat()},
        "audits_completed": comparison.audits[0],
        "overall": entry(overall),
        "domains": [
            {"domain": row.name, **entry(row)} for row in comparison.rows if not row.overall
        ],
    }
