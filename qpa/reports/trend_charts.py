"""The charts of the trend and team pages: server-rendered SVG like the report's
(qpa/reports/charts.py), each followed on its page by a table of its figures.

None of them draws a rating, so none uses a rating's colour or hatching (charts.py keeps
one meaning per colour): the lines and points are black and greys, told apart by marker
and line style. Each drawing reads nothing but its figures (plain JSON data), and is
cached under the hash of those figures and this module's code.
"""

from __future__ import annotations

import hashlib
import json
import math
from pathlib import Path
from typing import Any

from django.core.cache import caches
from django.core.cache.backends.base import InvalidCacheBackendError
from matplotlib.figure import Figure

from qpa.reports.charts import svg
from qpa.reports.funnel import curve
from qpa.reports.teams import TeamTable
from qpa.reports.trends import Trend, Trends

INK = "#0b0c0c"
GREY = "#505a5f"
GOOD_LINE: dict[str, Any] = {
    "color": INK,
    "marker": "o",
    "linestyle": "-",
    "linewidth": 1.6,
    "markersize": 5,
}
POOR_LINE: dict[str, Any] = {
    "color": GREY,
    "marker": "s",
    "markerfacecolor": "white",
    "linestyle": "--",
    "linewidth": 1.6,
    "markersize": 5,
}
CACHE_SECONDS = 7 * 24 * 60 * 60
_CODE = hashlib.sha256(Path(__file__).read_bytes()).hexdigest()[:16]


# --- Figures ---------------------------------------------------------------------------


def trend_figures(trends: Trends, trend: Trend) -> dict[str, Any]:
    what = "cases audited" if trend.overall else "cases rated in the domain"
    return {
        "kind": "trend",
        "title": f"{trend.name}: share of {what}, {trends.label}",
        "months": [f"{m.month:%b %Y}" for m in trend.months],
        "good": [m.good.percent for m in trend.months],
        "poor": [m.poor.percent for m in trend.months],
    }


def trend_alt(trends: Trends, trend: Trend) -> str:
    what = "cases audited" if trend.overall else f"cases rated in {trend.name}"
    return (
        f"Line chart of the share of {what} rated good or better and inadequate or worse,"
        f" month by month, {trends.label}. The table below gives the figures."
    )


def funnel_figures(table: TeamTable) -> dict[str, Any]:
    return {
        "kind": "funnel",
        "title": f"Teams' share of cases rated good or better, {table.params.label}",
        "theta": table.theta,
        "teams": [
            [row.team, row.audits, row.share, row.position is not None and row.position.beyond]
            for row in table.plotted
        ],
    }


def funnel_alt(table: TeamTable) -> str:
    beyond = ", ".join(f"{row.team} ({row.position})" for row in table.beyond if row.position)
    return (
        "Funnel plot of each team's share of cases rated good or better against its number"
        " of cases audited, with the service's share and its 95% and 99.8% control limits."
        + (f" Beyond a limit: {beyond}." if beyond else " No team lies beyond the limits.")
        + " The table below gives the figures."
    )


# --- Drawing ---------------------------------------------------------------------------


def _values(values: list[float | None]) -> list[float]:
    return [math.nan if v is None else v for v in values]


def draw_trend(f: dict[str, Any]) -> Figure:
    fig = Figure(figsize=(8, 3.0), dpi=100)
    ax = fig.add_subplot()
    x = list(range(len(f["months"])))
    ax.plot(x, _values(f["good"]), label="Good or better", **GOOD_LINE)
    ax.plot(x, _values(f["poor"]), label="Inadequate or worse", **POOR_LINE)
    ax.set_xticks(x, f["months"], rotation=45, ha="right")
    ax.set_ylim(0, 100)
    ax.set_ylabel("Share (%)")
    ax.set_title(f["title"], fontsize=9, loc="left")
    ax.grid(axis="y", color="#b1b4b6", linewidth=0.5)
    ax.legend(loc="upper left", bbox_to_anchor=(1.0, 1.0), fontsize=8, frameon=False)
    fig.tight_layout()
    return fig


def draw_funnel(f: dict[str, Any]) -> Figure:
    fig = Figure(figsize=(8, 4.6), dpi=100)
    ax = fig.add_subplot()
    theta, teams = f["theta"], f["teams"]
    largest = max(10, max((n for _, n, _, _ in teams), default=0))
    if theta is not None:
        limits = curve(theta, largest)
        sizes = [lim.n for lim in limits]
        ax.axhline(theta * 100, color=INK, linewidth=1.2, label=f"Service: {theta * 100:.1f}%")
        for attribute, style, label in (
            ("lower_95", "--", "95% limits"),
            ("upper_95", "--", None),
            ("lower_998", ":", "99.8% limits"),
            ("upper_998", ":", None),
        ):
            ax.plot(
                sizes,
                [getattr(lim, attribute) * 100 for lim in limits],
                color=GREY,
                linestyle=style,
                linewidth=1.2,
                label=label,
            )
    for beyond, marker, face, label in (
        (False, "o", "white", "Team within the limits"),
        (True, "D", INK, "Team beyond a limit"),
    ):
        points = [(n, share * 100) for _, n, share, out in teams if out is beyond]
        if points:
            ax.scatter(
                [p[0] for p in points],
                [p[1] for p in points],
                marker=marker,
                facecolors=face,
                edgecolors=INK,
                linewidths=0.8,
                zorder=3,
                label=label,
            )
    for name, n, share, out in teams:
        if out:
            ax.annotate(name, (n, share * 100), xytext=(6, 4), textcoords="offset points")
    ax.set_xlim(0, largest * 1.1)
    ax.set_ylim(0, 100)
    ax.set_xlabel("Cases audited in the team")
    ax.set_ylabel("Rated good or better (%)")
    ax.set_title(f["title"], fontsize=9, loc="left")
    if ax.get_legend_handles_labels()[0]:  # no team plotted (all too few): no key to give
        ax.legend(loc="upper left", bbox_to_anchor=(1.0, 1.0), fontsize=8, frameon=False)
    fig.tight_layout()
    return fig


DRAWINGS = {"trend": draw_trend, "funnel": draw_funnel}


def chart_svg(figures: dict[str, Any]) -> bytes:
    """The SVG of a chart's figures, drawn once per set of figures."""
    text = json.dumps([_CODE, figures], sort_keys=True, default=str)
    key = f"qpa-trend-chart:{hashlib.sha256(text.encode()).hexdigest()}"
    try:
        cache = caches["charts"]
    except InvalidCacheBackendError:
        cache = caches["default"]
    found = cache.get(key)
    if isinstance(found, bytes):
        return found
    made = svg(DRAWINGS[figures["kind"]](figures))
    cache.set(key, made, CACHE_SECONDS)
    return made
