"""Charts drawn on the server with matplotlib: SVG for the page, PNG for documents.

Colour is never alone: the Okabe-Ito palette (safe for the common colour-vision
deficiencies), a hatching per series, and every bar labelled with its figure. Each
chart's figures are also in the table that follows it on the page and in the exports.
"""

from __future__ import annotations

import io
import re
from collections.abc import Callable
from typing import Any

import matplotlib

matplotlib.use("Agg")

from matplotlib import pyplot as plt
from matplotlib.figure import Figure

from qpa.reports.report import Report

# Okabe & Ito (2008), "Color Universal Design": blue, bluish green, yellow, orange,
# vermillion, sky blue, reddish purple, black.
PALETTE = ["#0072B2", "#009E73", "#F0E442", "#E69F00", "#D55E00", "#56B4E9", "#CC79A7", "#000000"]
HATCHES = ["", "//", "..", "xx", "\\\\", "++", "oo", "--"]

plt.rcParams.update(
    {
        "font.size": 9,
        "font.family": "DejaVu Sans",
        "svg.fonttype": "path",
        "hatch.linewidth": 0.6,
        "axes.spines.top": False,
        "axes.spines.right": False,
    }
)


def _figure(height: float) -> tuple[Figure, Any]:
    fig = Figure(figsize=(8, height), dpi=100)
    return fig, fig.add_subplot()


def _n(value: int | None) -> str:
    return "<5" if value is None else str(value)


def _pct(value: float | None) -> str:
    return "–" if value is None else f"{value}%"


def _style(index: int) -> dict[str, Any]:
    return {
        "color": PALETTE[index % len(PALETTE)],
        "hatch": HATCHES[index % len(HATCHES)],
        "edgecolor": "#0b0c0c",
        "linewidth": 0.6,
    }


def overall_chart(report: Report) -> Figure:
    summary = report.summary
    rows = summary["overall"]
    fig, ax = _figure(0.5 + 0.45 * len(rows))
    labels = [r["rating"] for r in rows]
    values = [r["count"] or 0 for r in rows]
    for i, value in enumerate(values):
        ax.barh(i, value, **_style(i))
    ax.set_yticks(range(len(rows)), labels)
    ax.invert_yaxis()
    top = max(values, default=0) or 1
    for i, r in enumerate(rows):
        ax.text(
            (r["count"] or 0) + top * 0.01,
            i,
            f"{_n(r['count'])} ({_pct(r['percent'])})",
            va="center",
        )
    ax.set_xlim(0, top * 1.25)
    ax.set_xlabel(f"Cases (of {_n(summary['audits_completed'])} audited)")
    ax.set_title(f"Overall ratings, {report.params.label}")
    fig.tight_layout()
    return fig


def by_month_chart(report: Report) -> Figure:
    months = report.summary["by_month"]
    key = report.summary["ratings_key"]
    fig, ax = _figure(3.6)
    bottoms = [0] * len(months)
    labels = [m["month"] for m in months]
    for i, rating in enumerate(key):
        values = [m["ratings"][i]["count"] or 0 for m in months]
        bars = ax.bar(
            labels,
            values,
            bottom=bottoms,
            label=f"{rating['code']} – {rating['rating']}",
            **_style(i),
        )
        for bar, value in zip(bars, values, strict=True):
            if value >= 3:
                ax.text(
                    bar.get_x() + bar.get_width() / 2,
                    bar.get_y() + value / 2,
                    f"{rating['code']} {value}",
                    ha="center",
                    va="center",
                    fontsize=7,
                    bbox={"boxstyle": "round,pad=0.1", "facecolor": "white", "linewidth": 0},
                )
        bottoms = [b + v for b, v in zip(bottoms, values, strict=True)]
    for x, month in enumerate(months):
        ax.text(x, bottoms[x], _n(month["audits"]), ha="center", va="bottom")
    ax.set_xticks(range(len(labels)), labels)
    ax.set_ylabel("Cases audited")
    ax.set_ylim(0, (max(bottoms, default=0) or 1) * 1.15)
    ax.set_title(f"Cases audited by rating per month, {report.params.label}")
    ax.legend(loc="upper left", bbox_to_anchor=(1.0, 1.0), fontsize=8)
    if len(labels) > 8:
        ax.tick_params(axis="x", labelrotation=90)
    fig.tight_layout()
    return fig


def _domain_bars(
    title: str, domains: list[str], series: list[tuple[str, list[tuple[float | None, int | None]]]]
) -> Figure:
    fig, ax = _figure(0.8 + 0.28 * len(domains) * max(len(series), 1))
    height = 0.8 / max(len(series), 1)
    for s, (name, values) in enumerate(series):
        positions = [d + s * height for d in range(len(domains))]
        ax.barh(positions, [v or 0 for v, _ in values], height=height, label=name, **_style(s))
        for y, (value, n) in zip(positions, values, strict=True):
            ax.text((value or 0) + 1, y, f"{_pct(value)} (n={_n(n)})", va="center", fontsize=7)
    ax.set_yticks([d + height * (len(series) - 1) / 2 for d in range(len(domains))], domains)
    ax.invert_yaxis()
    ax.set_xlim(0, 125)
    ax.set_xlabel("Share of cases rated in the domain (%)")
    ax.set_title(title)
    ax.legend(loc="lower right", fontsize=8)
    fig.tight_layout()
    return fig


def domains_chart(report: Report) -> Figure:
    domains = report.summary["domains"]
    names = [d["domain"] for d in domains]
    return _domain_bars(
        f"Domain ratings, {report.params.label}",
        names,
        [
            ("Good or better", [(d["good_or_better_percent"], d["rated"]) for d in domains]),
            (
                "Inadequate or worse",
                [(d["inadequate_or_worse_percent"], d["rated"]) for d in domains],
            ),
        ],
    )


def _comparison_chart(report: Report, which: str) -> Figure:
    comparison = report.comparison
    rows = comparison.good if which == "good" else comparison.poor
    series = [
        (period, [values[p] for _, values in rows]) for p, period in enumerate(comparison.periods)
    ]
    what = (
        "good practice (good or better)"
        if which == "good"
        else "poor practice (inadequate or worse)"
    )
    return _domain_bars(f"Comparison of {what}", [name for name, _ in rows], series)


def themed_chart(report: Report, index: int) -> Figure:
    theme = report.themed[index]
    domains = theme["domains"]
    key = theme["ratings_key"]
    fig, ax = _figure(0.9 + 0.5 * len(domains))
    lefts = [0] * len(domains)
    names = [d["domain"] for d in domains]
    for i, rating in enumerate(key):
        values = [d["ratings"][i]["count"] or 0 for d in domains]
        bars = ax.barh(
            range(len(names)),
            values,
            left=lefts,
            label=f"{rating['code']} – {rating['rating']}",
            **_style(i),
        )
        for bar, value in zip(bars, values, strict=True):
            if value:
                ax.text(
                    bar.get_x() + value / 2,
                    bar.get_y() + bar.get_height() / 2,
                    f"{rating['code']} {value}",
                    ha="center",
                    va="center",
                    fontsize=7,
                    bbox={"boxstyle": "round,pad=0.1", "facecolor": "white", "linewidth": 0},
                )
        lefts = [a + b for a, b in zip(lefts, values, strict=True)]
    ax.set_yticks(range(len(names)), names)
    ax.invert_yaxis()
    ax.set_xlabel("Cases")
    ax.set_title(f"{theme['tool']}: ratings per domain, {report.params.label}")
    ax.legend(loc="upper left", bbox_to_anchor=(1.0, 1.0), fontsize=8)
    fig.tight_layout()
    return fig


def charts_of(report: Report) -> dict[str, tuple[str, Callable[[], Figure]]]:
    """name -> (alternative text, drawing) of every chart of a report."""
    params = report.params
    charts: dict[str, tuple[str, Callable[[], Figure]]] = {
        "overall": (
            f"Bar chart of overall ratings, {params.label}. The table below gives the figures.",
            lambda: overall_chart(report),
        ),
        "by-month": (
            f"Stacked bar chart of cases audited by rating per month, {params.label}."
            " The table below gives the figures.",
            lambda: by_month_chart(report),
        ),
        "domains": (
            "Bar chart of the share of cases rated good or better and inadequate or worse in"
            " each domain. The table below gives the figures.",
            lambda: domains_chart(report),
        ),
        "good-comparison": (
            "Bar chart comparing good practice per domain across periods."
            " The table below gives the figures.",
            lambda: _comparison_chart(report, "good"),
        ),
        "poor-comparison": (
            "Bar chart comparing poor practice per domain across periods."
            " The table below gives the figures.",
            lambda: _comparison_chart(report, "poor"),
        ),
    }
    for index, theme in enumerate(report.themed):
        charts[f"themed-{index + 1}"] = (
            f"Stacked bar chart of {theme['tool']} ratings per domain."
            " The table below gives the figures.",
            lambda index=index: themed_chart(report, index),  # type: ignore[misc]
        )
    return charts


_STYLE_ATTRIBUTE = re.compile(r'\sstyle="([^"]*)"')
_STYLE_ELEMENT = re.compile(r"<style[^>]*>.*?</style>", re.DOTALL)


def _as_attributes(match: re.Match[str]) -> str:
    parts = []
    for declaration in match.group(1).split(";"):
        name, _, value = declaration.partition(":")
        if name.strip() and value.strip():
            parts.append(f' {name.strip()}="{value.strip()}"')
    return "".join(parts)


def svg(figure: Figure) -> bytes:
    """SVG with presentation attributes instead of `style`, which the CSP forbids."""
    out = io.StringIO()
    figure.savefig(out, format="svg", metadata={"Date": None})
    text = _STYLE_ELEMENT.sub("", out.getvalue())
    text = _STYLE_ATTRIBUTE.sub(_as_attributes, text)
    return text.encode("utf-8")


def png(figure: Figure) -> bytes:
    out = io.BytesIO()
    figure.savefig(out, format="png", dpi=150)
    return out.getvalue()
