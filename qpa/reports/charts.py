"""Charts drawn on the server with matplotlib: SVG for the page, PNG at print resolution
for the Word and PDF briefings.

**One meaning per colour and hatching.** `RATING_STYLES` gives each rating (by its code)
one colour from the Okabe-Ito palette (safe for the common colour-vision deficiencies)
and one hatching; every chart and legend that draws a rating takes its style from there,
and nothing else uses those colours or hatchings. The periods of the comparison charts
are greys with hatchings of their own (`PERIOD_STYLES`). Colour is never alone: each bar
also has its hatching and carries its figure and rating code, and each chart is followed
by a table of its figures on the page and in the exports.

**Cached against the figures they draw.** Each chart is a `ChartSpec`: its kind, its
alternative text and the figures it draws (plain JSON data). Drawing functions read
nothing but those figures, so a drawing is cached under the hash of (kind, figures,
format, this module's code) in the `charts` cache: a report whose figures have not
changed is never drawn twice, and a change of figures or of drawing code gives a new key.
"""

from __future__ import annotations

import hashlib
import io
import json
import re
import textwrap
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import matplotlib

matplotlib.use("Agg")

from django.core.cache import caches
from django.core.cache.backends.base import InvalidCacheBackendError
from matplotlib import pyplot as plt
from matplotlib.figure import Figure

from qpa.reports import disclosure
from qpa.reports.report import Report, ReportParams, comparison, themed_results


@dataclass(frozen=True)
class Style:
    """How one meaning is drawn: fill colour, matplotlib hatching, Excel pattern."""

    colour: str
    hatch: str
    excel_pattern: str | None  # None: a solid fill
    edge: str = "#0b0c0c"
    linestyle: str = "-"

    def bar(self) -> dict[str, Any]:
        return {
            "facecolor": self.colour,
            "hatch": self.hatch,
            "edgecolor": self.edge,
            "linewidth": 0.6,
            "linestyle": self.linestyle,
        }


EDGE = "#0b0c0c"

# Okabe & Ito (2008), "Color Universal Design": from best to worst rating.
RATING_STYLES: dict[str, Style] = {
    "O": Style("#0072B2", "..", "small_confetti"),  # Outstanding: blue, dots
    "G": Style("#56B4E9", "//", "wide_upward_diagonal"),  # Good: sky blue, rising lines
    "A": Style("#F0E442", "||", "light_vertical"),  # Adequate: yellow, upright lines
    "RI": Style("#E69F00", "--", "light_horizontal"),  # Requires improvement: orange
    "IA": Style("#D55E00", "xx", "small_check"),  # Inadequate: vermillion, crosses
    "C": Style("#CC79A7", "\\\\", "wide_downward_diagonal"),  # Critical: purple, falling
}
# A rating whose code is not above is matched by its label, then given one of these.
RATING_LABELS = {
    "outstanding": "O",
    "good": "G",
    "adequate": "A",
    "requires improvement": "RI",
    "requires improvement to be good": "RI",
    "inadequate": "IA",
    "critical": "C",
}
OTHER_RATING_STYLES = [
    Style("#009E73", "**", "trellis"),  # bluish green, stars
    Style("#000000", "", None),  # black, solid (its label box keeps the figure legible)
]
# What small-number suppression hid, in a bar whose total is shown: white, grey rings,
# dashed edge.
NOT_SHOWN = Style("#FFFFFF", "OO", None, edge="#6F777B", linestyle="--")
# The periods of the comparison charts: this period first.
PERIOD_STYLES = [
    Style("#4D4D4D", "", None),  # dark grey, solid
    Style("#A6A6A6", "++", "small_grid"),  # mid grey, grid
    Style("#E6E6E6", "oo", "sphere"),  # light grey, small rings
]


def rating_style(code: str, label: str = "", *, others: list[str] | None = None) -> Style:
    """The one style of a rating, wherever it is drawn."""
    if code in RATING_STYLES:
        return RATING_STYLES[code]
    known = RATING_LABELS.get(label.strip().lower())
    if known:
        return RATING_STYLES[known]
    position = (others or [code]).index(code) if code in (others or [code]) else 0
    return OTHER_RATING_STYLES[position % len(OTHER_RATING_STYLES)]


def _styles_of(key: list[list[str]]) -> list[Style]:
    others = [
        code
        for code, label in key
        if code not in RATING_STYLES and label.strip().lower() not in RATING_LABELS
    ]
    return [rating_style(code, label, others=others) for code, label in key]


def period_style(index: int) -> Style:
    return PERIOD_STYLES[index % len(PERIOD_STYLES)]


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

WEB_WIDTH = 8.0  # inches: 800 px at 100 dpi, the page's column
PRINT_WIDTH = 16 / 2.54  # 16 cm: the text width of an A4 page with 2.5 cm margins
PRINT_DPI = 300
LABEL_BOX = {"boxstyle": "round,pad=0.1", "facecolor": "white", "linewidth": 0}


# --- The figures of each chart -------------------------------------------------------


@dataclass(frozen=True)
class ChartSpec:
    """One chart: what it is, what it says to a reader who cannot see it, what it draws."""

    name: str
    kind: str
    alt: str
    figures: dict[str, Any]

    @property
    def digest(self) -> str:
        text = json.dumps([_CODE, self.kind, self.figures], sort_keys=True, default=str)
        return hashlib.sha256(text.encode()).hexdigest()


def _key(summary_key: list[dict[str, Any]]) -> list[list[str]]:
    return [[k["code"], k["rating"]] for k in summary_key]


def _month_label(month: str) -> str:
    year, number = month.split("-")
    return f"{_MONTHS[int(number) - 1]} {year}"


_MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]


def _summary_specs(summary: dict[str, Any], label: str) -> list[ChartSpec]:
    key = _key(summary["ratings_key"])
    return [
        ChartSpec(
            "overall",
            "overall",
            f"Bar chart of overall ratings, {label}. The table below gives the figures.",
            {
                "title": f"Overall ratings, {label}",
                "key": key,
                "counts": [r["count"] for r in summary["overall"]],
                "percents": [r["percent"] for r in summary["overall"]],
                "audits": summary["audits_completed"],
            },
        ),
        ChartSpec(
            "domains",
            "domains",
            "Stacked bar chart of each domain's ratings as shares of the cases rated in it,"
            " with the share good or better and the share inadequate or worse."
            " The table below gives the figures.",
            {
                "title": f"Domain ratings, {label}",
                "key": key,
                "domains": [
                    [
                        d["domain"],
                        d["rated"],
                        [r["percent"] for r in d["ratings"]],
                        d["good_or_better_percent"],
                        d["inadequate_or_worse_percent"],
                    ]
                    for d in summary["domains"]
                ],
            },
        ),
        ChartSpec(
            "by-month",
            "by-month",
            f"Stacked bar chart of cases audited by rating per month, {label}."
            " The table below gives the figures.",
            {
                "title": f"Cases audited by rating per month, {label}",
                "key": key,
                "months": [
                    [_month_label(m["month"]), m["audits"], [r["count"] for r in m["ratings"]]]
                    for m in summary["by_month"]
                ],
            },
        ),
    ]


def _comparison_specs(report_comparison: Any) -> list[ChartSpec]:
    specs = []
    for which, rows, what in (
        ("good", report_comparison.good, "good practice (good or better)"),
        ("poor", report_comparison.poor, "poor practice (inadequate or worse)"),
    ):
        specs.append(
            ChartSpec(
                f"{which}-comparison",
                "comparison",
                f"Bar chart comparing {what} per domain across periods."
                " The table below gives the figures.",
                {
                    "title": f"Comparison of {what}",
                    "periods": list(report_comparison.periods),
                    "domains": [[name, [[v, n] for v, n in values]] for name, values in rows],
                },
            )
        )
    return specs


def _themed_specs(themed: list[dict[str, Any]], label: str) -> list[ChartSpec]:
    return [
        ChartSpec(
            f"themed-{index}",
            "themed",
            f"Stacked bar chart of {theme['tool']} ratings per domain."
            " The table below gives the figures.",
            {
                "title": f"{theme['tool']}: ratings per domain, {label}",
                "key": _key(theme["ratings_key"]),
                "domains": [
                    [d["domain"], d["rated"], [r["count"] for r in d["ratings"]]]
                    for d in theme["domains"]
                ],
            },
        )
        for index, theme in enumerate(themed, start=1)
    ]


def chart_specs(report: Report) -> dict[str, ChartSpec]:
    """Every chart of a report, in the order of the page."""
    label = report.params.label
    specs = [
        *_summary_specs(report.summary, label),
        *_comparison_specs(report.comparison),
        *_themed_specs(report.themed, label),
    ]
    return {spec.name: spec for spec in specs}


def chart_spec(params: ReportParams, name: str) -> ChartSpec | None:
    """One chart of a report, computing only the figures that chart needs."""
    summary = params.summary()
    if name in ("overall", "domains", "by-month"):
        specs = _summary_specs(summary, params.label)
    elif name.endswith("-comparison"):
        specs = _comparison_specs(comparison(params, summary))
    elif name.startswith("themed-"):
        specs = _themed_specs(themed_results(params), params.label)
    else:
        return None
    return next((s for s in specs if s.name == name), None)


# --- Drawing -------------------------------------------------------------------------


def _n(value: int | None) -> str:
    return disclosure.HIDDEN if value is None else str(value)


def _pct(value: float | None) -> str:
    return "–" if value is None else f"{value:g}%"


def _figure(width: float, height: float) -> tuple[Figure, Any]:
    fig = Figure(figsize=(width, height * width / WEB_WIDTH), dpi=100)
    return fig, fig.add_subplot()


def _legend(ax: Any) -> None:
    ax.legend(loc="upper left", bbox_to_anchor=(1.0, 1.0), fontsize=8, frameon=False)


def _title(fig: Figure, text: str) -> None:
    fig.suptitle(text, x=0.01, ha="left", fontsize=10)


def _wrap(names: list[str], width: int = 26) -> list[str]:
    """Long domain names over two or more lines, broken between words only."""
    return [textwrap.fill(name, width, break_long_words=False) for name in names]


def _legend_below(fig: Figure, ax: Any, entries: int) -> None:
    """The ratings' legend under the chart, in rows of three; the layout leaves it room."""
    rows = -(-entries // 3)
    height = fig.get_figheight()
    fig.legend(
        *ax.get_legend_handles_labels(),
        loc="lower center",
        ncols=min(entries, 3),
        fontsize=8,
        frameon=False,
    )
    fig.tight_layout(rect=(0, min(0.5, (0.1 + 0.22 * rows) / height), 1, 1))


def draw_overall(f: dict[str, Any], width: float) -> Figure:
    key, counts, percents = f["key"], f["counts"], f["percents"]
    fig, ax = _figure(width, 0.6 + 0.45 * len(key))
    values = [c or 0 for c in counts]
    for i, ((code, label), style) in enumerate(zip(key, _styles_of(key), strict=True)):
        ax.barh(i, values[i], label=f"{code} – {label}", **style.bar())
    ax.set_yticks(range(len(key)), [f"{label} ({code})" for code, label in key])
    ax.invert_yaxis()
    top = max(values, default=0) or 1
    for i, (count, share) in enumerate(zip(counts, percents, strict=True)):
        text = _n(count) if count is None or share is None else f"{count} ({_pct(share)})"
        ax.text(values[i] + top * 0.01, i, text, va="center")
    ax.set_xlim(0, top * 1.3)
    ax.set_xlabel(f"Cases (of {_n(f['audits'])} audited)")
    _title(fig, f["title"])
    fig.tight_layout()
    return fig


def _stacked(
    ax: Any,
    names: list[str],
    key: list[list[str]],
    values: list[list[float]],
    *,
    horizontal: bool,
    label_from: float,
    totals: list[float | None] | None = None,
) -> list[float]:
    """Bars of `values[item][rating]` stacked in the order of the scale; returns their
    ends. Where small-number suppression hid some ratings of a bar whose total is shown,
    the rest of the bar is drawn in the style of `NOT_SHOWN` (the total and the parts
    shown are published, so it reveals nothing more)."""
    ends = [0.0] * len(names)
    for r, ((code, label), style) in enumerate(zip(key, _styles_of(key), strict=True)):
        column = [row[r] for row in values]
        if horizontal:
            bars = ax.barh(
                range(len(names)), column, left=ends, label=f"{code} – {label}", **style.bar()
            )
        else:
            bars = ax.bar(
                range(len(names)), column, bottom=ends, label=f"{code} – {label}", **style.bar()
            )
        for bar, value in zip(bars, column, strict=True):
            if value >= label_from:
                x = bar.get_x() + bar.get_width() / 2
                y = bar.get_y() + bar.get_height() / 2
                ax.text(x, y, code, ha="center", va="center", fontsize=7, bbox=LABEL_BOX)
        ends = [e + v for e, v in zip(ends, column, strict=True)]
    if totals is not None:
        rest = [
            max(0.0, (total or 0) - end) if total is not None else 0.0
            for total, end in zip(totals, ends, strict=True)
        ]
        if any(r > 1e-9 for r in rest):
            where = {"left": ends} if horizontal else {"bottom": ends}
            draw = ax.barh if horizontal else ax.bar
            draw(range(len(names)), rest, label=disclosure.HIDDEN, **where, **NOT_SHOWN.bar())
            ends = [e + r for e, r in zip(ends, rest, strict=True)]
    return ends


def draw_domains(f: dict[str, Any], width: float) -> Figure:
    key, domains = f["key"], f["domains"]
    fig, ax = _figure(width, 1.6 + 0.55 * len(domains))
    names = [d[0] for d in domains]
    shares = [[p or 0.0 for p in d[2]] for d in domains]
    totals: list[float | None] = [100.0 if d[1] else None for d in domains]
    _stacked(ax, names, key, shares, horizontal=True, label_from=7, totals=totals)
    for y, (_, rated, _, good, poor) in enumerate(domains):
        if rated == 0:
            text = "none rated"
        else:
            text = f"{_pct(good)} good or better\n{_pct(poor)} inadequate or worse (n={_n(rated)})"
        ax.text(101.5, y, text, va="center", fontsize=7)
    ax.set_yticks(range(len(names)), _wrap(names))
    ax.invert_yaxis()
    ax.set_xlim(0, 100)
    ax.set_xlabel("Share of the cases rated in the domain (%)")
    _title(fig, f["title"])
    _legend_below(fig, ax, len(key))
    fig.subplots_adjust(right=0.70)
    return fig


def draw_by_month(f: dict[str, Any], width: float) -> Figure:
    key, months = f["key"], f["months"]
    fig, ax = _figure(width, 3.8)
    names = [m[0] for m in months]
    counts = [[float(c or 0) for c in m[2]] for m in months]
    tops = _stacked(
        ax, names, key, counts, horizontal=False, label_from=3, totals=[m[1] for m in months]
    )
    for x, month in enumerate(months):
        ax.text(x, tops[x], _n(month[1]), ha="center", va="bottom")
    ax.set_xticks(range(len(names)), names)
    if len(names) > 6:
        ax.tick_params(axis="x", labelrotation=90)
    ax.set_ylabel("Cases audited")
    ax.set_ylim(0, (max(tops, default=0) or 1) * 1.15)
    _title(fig, f["title"])
    _legend(ax)
    fig.tight_layout()
    return fig


def draw_comparison(f: dict[str, Any], width: float) -> Figure:
    periods, domains = f["periods"], f["domains"]
    count = max(len(periods), 1)
    fig, ax = _figure(width, 1.4 + 0.2 * len(domains) * count)
    height = 0.8 / count
    for p, period in enumerate(periods):
        positions = [d + p * height for d in range(len(domains))]
        values = [row[1][p][0] for row in domains]
        ax.barh(
            positions,
            [v or 0 for v in values],
            height=height,
            label=period,
            **period_style(p).bar(),
        )
        for y, row in zip(positions, domains, strict=True):
            value, n = row[1][p]
            text = "none rated" if n == 0 else f"{_pct(value)} (n={_n(n)})"
            ax.text((value or 0) + 1, y, text, va="center", fontsize=7)
    ax.set_yticks(
        [d + height * (count - 1) / 2 for d in range(len(domains))],
        _wrap([r[0] for r in domains]),
    )
    ax.invert_yaxis()
    ax.set_xlim(0, 125)
    ax.set_xticks(range(0, 101, 20))
    ax.set_xlabel("Share of the cases rated in the domain (%)")
    _title(fig, f["title"])
    _legend_below(fig, ax, len(periods))
    return fig


def draw_themed(f: dict[str, Any], width: float) -> Figure:
    key, domains = f["key"], f["domains"]
    fig, ax = _figure(width, 1.0 + 0.5 * len(domains))
    names = [d[0] for d in domains]
    counts = [[float(c or 0) for c in d[2]] for d in domains]
    ends = _stacked(
        ax, names, key, counts, horizontal=True, label_from=1, totals=[d[1] for d in domains]
    )
    for y, (_, rated, _) in enumerate(domains):
        ax.text(ends[y] + 0.3, y, f"n={_n(rated)}", va="center", fontsize=7)
    ax.set_yticks(range(len(names)), _wrap(names))
    ax.invert_yaxis()
    ax.set_xlim(0, (max(ends, default=0) or 1) * 1.12)
    ax.set_xlabel("Cases")
    _title(fig, f["title"])
    _legend(ax)
    fig.tight_layout()
    return fig


DRAWINGS: dict[str, Callable[[dict[str, Any], float], Figure]] = {
    "overall": draw_overall,
    "domains": draw_domains,
    "by-month": draw_by_month,
    "comparison": draw_comparison,
    "themed": draw_themed,
}


def draw(spec: ChartSpec, width: float = WEB_WIDTH) -> Figure:
    return DRAWINGS[spec.kind](spec.figures, width)


# --- Files, cached -------------------------------------------------------------------

_CODE = hashlib.sha256(Path(__file__).read_bytes()).hexdigest()[:16]
CACHE_SECONDS = 7 * 24 * 60 * 60
_STYLE_ATTRIBUTE = re.compile(r'\sstyle="([^"]*)"')
_STYLE_ELEMENT = re.compile(r"<style[^>]*>.*?</style>", re.DOTALL)


def _cache() -> Any:
    try:
        return caches["charts"]
    except InvalidCacheBackendError:
        return caches["default"]


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


def png(figure: Figure, dpi: int = PRINT_DPI) -> bytes:
    out = io.BytesIO()
    figure.savefig(out, format="png", dpi=dpi)
    return out.getvalue()


def _cached(spec: ChartSpec, form: str, make: Callable[[], bytes]) -> bytes:
    key = f"qpa-chart:{form}:{spec.digest}"
    cache = _cache()
    found = cache.get(key)
    if isinstance(found, bytes):
        return found
    made = make()
    cache.set(key, made, CACHE_SECONDS)
    return made


def cached_svg(digest: str) -> bytes | None:
    """The page's drawing of the figures with this digest, if it is still kept. The page
    names each chart by its figures' digest, which only someone who has the figures can
    know; a reader asking for it again is answered without the figures being counted."""
    if not re.fullmatch(r"[0-9a-f]{64}", digest):
        return None
    found = _cache().get(f"qpa-chart:svg:{digest}")
    return found if isinstance(found, bytes) else None


def chart_svg(spec: ChartSpec) -> bytes:
    """The chart for the page, drawn once per set of figures."""
    return _cached(spec, "svg", lambda: svg(draw(spec, WEB_WIDTH)))


def chart_png(spec: ChartSpec) -> tuple[bytes, tuple[float, float]]:
    """The chart for print (300 dpi at 16 cm wide) and its size in inches."""
    data = _cached(spec, "png", lambda: png(draw(spec, PRINT_WIDTH), PRINT_DPI))
    # The PNG header holds the size in pixels: width and height at bytes 16-24.
    width_px = int.from_bytes(data[16:20], "big")
    height_px = int.from_bytes(data[20:24], "big")
    return data, (width_px / PRINT_DPI, height_px / PRINT_DPI)
