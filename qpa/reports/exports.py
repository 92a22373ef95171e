"""A report's tables, and the report as CSV and as an Excel workbook (XlsxWriter, native
charts). The Word and PDF briefings are laid out from the same tables in
qpa/reports/briefing.py.

Every CSV and workbook is written through `qpa.core.spreadsheets`, so that text a person
typed (key messages, names of domains, teams, councils) is never read as a formula.

A cell says **"not shown"** (`disclosure.HIDDEN`) when small-number suppression hid its
count, and **"none"** when there was nothing to count (a share of no audits): the two never
stand for each other. A hidden count is not always fewer than 5 (secondary suppression).
"""

from __future__ import annotations

import io
import re
from dataclasses import dataclass
from typing import Any

from qpa.core.forms import month_label
from qpa.core.spreadsheets import csv_text
from qpa.core.spreadsheets import workbook as new_workbook
from qpa.reports import charts, disclosure, process
from qpa.reports.report import Report, message_lines

SUPPRESSED = disclosure.HIDDEN
NONE = "none"

KEY_TEXT = {
    "O": "OUTSTANDING",
    "G": "GOOD",
    "A": "ADEQUATE",
    "RI": "REQUIRES IMPROVEMENT TO BE GOOD",
    "IA": "INADEQUATE",
    "C": "CRITICAL",
}


def count_cell(value: int | None) -> int | str:
    """A count: "not shown" when suppressed."""
    return SUPPRESSED if value is None else value


def share_cell(percent: float | None, total: int | None) -> float | str:
    """A percentage of `total`: "none" when there was nothing to count, "not shown"
    when suppression hid it (its count or its total was hidden)."""
    if total == 0:
        return NONE
    if percent is None:
        return SUPPRESSED
    return percent


# --- Tables shared by every format ---------------------------------------------------


@dataclass(frozen=True)
class Table:
    """One table of the report. `formats` says how each column reads: "text", "count",
    "percent" (0-100, one decimal) or "kappa" (two decimals). `short_header`, when given,
    names the rating columns by code for the briefing's narrow page (its key explains
    them)."""

    title: str
    sheet: str
    header: list[str]
    rows: list[list[Any]]
    formats: list[str]
    short_header: list[str] | None = None
    chart: str | None = None
    in_briefing: bool = True


def _codes(key: list[dict[str, Any]]) -> list[str]:
    return [k["code"] for k in key]


def tables(report: Report) -> list[Table]:
    """Every table of the report, in the page's order."""
    s = report.summary
    key = s["ratings_key"]
    n_key = len(key)
    out = [
        Table(
            "Cases audited by service area",
            "Cases audited",
            ["Service area", "Cases audited"],
            [[r["service_area"], count_cell(r["count"])] for r in s["by_service_area"]]
            + [["Total", count_cell(s["audits_completed"])]],
            ["text", "count"],
        ),
        Table(
            "Overall ratings",
            "Overall ratings",
            ["Rating", "Cases", "Percent of cases audited"],
            [
                [
                    r["rating"],
                    count_cell(r["count"]),
                    share_cell(r["percent"], s["audits_completed"]),
                ]
                for r in s["overall"]
            ],
            ["text", "count", "percent"],
            chart="overall",
        ),
        Table(
            "Domain ratings",
            "Domain ratings",
            [
                "Domain",
                "Rated",
                "Not applicable",
                *[f"{k['rating']} ({k['code']})" for k in key],
                "Good or better (%)",
                "Inadequate or worse (%)",
            ],
            [
                [
                    d["domain"],
                    count_cell(d["rated"]),
                    count_cell(d["not_applicable"]),
                    *[count_cell(r["count"]) for r in d["ratings"]],
                    share_cell(d["good_or_better_percent"], d["rated"]),
                    share_cell(d["inadequate_or_worse_percent"], d["rated"]),
                ]
                for d in s["domains"]
            ],
            ["text", "count", "count", *["count"] * n_key, "percent", "percent"],
            short_header=[
                "Domain",
                "Rated",
                "Not applicable",
                *_codes(key),
                "Good or better (%)",
                "Inadequate or worse (%)",
            ],
            chart="domains",
        ),
        Table(
            "Cases audited by rating per month",
            "By month",
            ["Month", "Cases audited", *[f"{k['rating']} ({k['code']})" for k in key]],
            [
                [
                    month_label(m["month"]),
                    count_cell(m["audits"]),
                    *[count_cell(r["count"]) for r in m["ratings"]],
                ]
                for m in s["by_month"]
            ],
            ["text", "count", *["count"] * n_key],
            short_header=["Month", "Cases audited", *_codes(key)],
            chart="by-month",
        ),
    ]
    comparison = report.comparison
    periods = len(comparison.periods)
    for which, title, sheet, rows in (
        ("good", "Comparison of good practice (% good or better)", "Good practice compared",
         comparison.good),
        ("poor", "Comparison of poor practice (% inadequate or worse)",
         "Poor practice compared", comparison.poor),
    ):  # fmt: skip
        out.append(
            Table(
                title,
                sheet,
                [
                    "Domain",
                    *[f"{p} (%)" for p in comparison.periods],
                    *[f"{p} (n)" for p in comparison.periods],
                ],
                [
                    [
                        name,
                        *[share_cell(v, n) for v, n in values],
                        *[count_cell(n) for _, n in values],
                    ]
                    for name, values in rows
                ],
                ["text", *["percent"] * periods, *["count"] * periods],
                chart=f"{which}-comparison",
            )
        )
    for index, theme in enumerate(report.themed, start=1):
        theme_key = theme["ratings_key"]
        out.append(
            Table(
                f"Themed audit: {theme['tool']}",
                f"Themed – {theme['tool']}",
                [
                    "Domain",
                    "Rated",
                    "Not applicable",
                    *[f"{k['rating']} ({k['code']})" for k in theme_key],
                ],
                [
                    [
                        d["domain"],
                        count_cell(d["rated"]),
                        count_cell(d["not_applicable"]),
                        *[count_cell(r["count"]) for r in d["ratings"]],
                    ]
                    for d in theme["domains"]
                ],
                ["text", "count", "count", *["count"] * len(theme_key)],
                short_header=["Domain", "Rated", "Not applicable", *_codes(theme_key)],
                chart=f"themed-{index}",
            )
        )
    out.append(child_and_family_table(s))
    a = report.actions
    out.append(
        Table(
            "Actions",
            "Actions",
            ["Measure", "Actions"],
            [
                ["Opened in the period", count_cell(a.opened)],
                ["Completed in the period", count_cell(a.completed)],
                [f"Overdue on {a.as_at:%-d %B %Y}", count_cell(a.overdue)],
            ],
            ["text", "count"],
        )
    )
    out.extend(_assurance_tables(report))
    return out


CHILD_AND_FAMILY = "The child’s voice and the family’s view"
CHILD_AND_FAMILY_ROWS = [
    ("child_lived_experience", "The child’s lived experience is evident"),
    ("family_view", "The family’s view is recorded"),
]


def child_and_family_table(summary: dict[str, Any]) -> Table:
    """The share of audits where the child's lived experience is evident and the share
    with the family's view, each with n: the audits that answered the tool's questions
    (decision 0125)."""
    figures = summary.get("child_and_family", {})
    rows = []
    for key, label in CHILD_AND_FAMILY_ROWS:
        block = figures.get(key, {"evident": 0, "n": 0, "percent": None})
        rows.append(
            [
                label,
                count_cell(block["evident"]),
                count_cell(block["n"]),
                share_cell(block["percent"], block["n"]),
            ]
        )
    return Table(
        CHILD_AND_FAMILY,
        "Child and family",
        ["Measure", "Audits", "Of audits asked (n)", "Percent"],
        rows,
        ["text", "count", "count", "percent"],
    )


def _assurance_tables(report: Report) -> list[Table]:
    """The audit process's tables (`qpa.reports.process`): counts "not shown" when
    suppressed, statistics of fewer than 5 pairs "too few pairs to measure"."""
    extra = report.extra
    if not extra:
        return []
    out = [
        Table(
            "Re-audit outcomes",
            "Re-audit outcomes",
            [
                "Quarter",
                "Drawn",
                "Completed",
                "Improved",
                "Unchanged",
                "Declined",
                "Left the pool",
                "Actions completed",
            ],
            [
                [
                    r["quarter"],
                    *[
                        count_cell(r[f])
                        for f in ("drawn", "completed", "improved", "unchanged", "declined")
                    ],
                    count_cell(r["cleared"]),
                    f"{process.count_text(r['actions_completed'])} of"
                    f" {process.count_text(r['actions'])}",
                ]
                for r in extra["reaudits"]
            ],
            ["text", *["count"] * 6, "text"],
        )
    ]
    agreement = extra["agreement"]
    header = [
        "Ratings",
        "Pairs",
        "Same rating",
        "Exact agreement",
        "Linear kappa (95% CI)",
        "Quadratic kappa (95% CI)",
    ]
    formats = ["text", "count", "count", "text", "text", "text"]

    def rows_of(rows: list[tuple[str, dict[str, Any]]]) -> list[list[Any]]:
        return [
            [
                name,
                count_cell(entry["pairs"]),
                count_cell(entry["same"]),
                process.exact_text(entry),
                process.kappa_text(entry, "linear"),
                process.kappa_text(entry, "quadratic"),
            ]
            for name, entry in rows
        ]

    out.append(
        Table(
            "Agreement between first auditors and moderators",
            "Agreement",
            header,
            rows_of(process.agreement_rows(agreement)),
            formats,
        )
    )
    out.append(
        Table(
            "Agreement by domain",
            "Agreement by domain",
            ["Domain", *header[1:]],
            rows_of([(r["domain"], r) for r in agreement["by_domain"]]),
            formats,
        )
    )
    out.append(
        Table(
            "Agreement by cycle",
            "Agreement by cycle",
            ["Cycle", *header[1:]],
            rows_of([(r["cycle"], r) for r in agreement["by_cycle"]]),
            formats,
            in_briefing=False,
        )
    )
    quality = extra["quality"]
    out.append(
        Table(
            "Audit quality",
            "Audit quality",
            ["Measure", "Count", "Of"],
            [
                [
                    "Audits completed by their due date",
                    count_cell(quality["on_time"]),
                    count_cell(quality["due"]),
                ],
                [
                    "Follow-up actions overdue",
                    count_cell(quality["overdue_actions"]),
                    count_cell(quality["open_actions"]),
                ],
                [
                    "Audits that captured the child’s voice",
                    count_cell(quality["voice_captured"]),
                    count_cell(quality["voice_recorded"]),
                ],
            ],
            ["text", "count", "count"],
        )
    )
    return out


# --- CSV -----------------------------------------------------------------------------


def summary_csv(summary: dict[str, Any]) -> str:
    """The JSON contract flattened: section, item, rating, count, percent."""
    rows: list[list[Any]] = [["section", "item", "rating", "count", "percent"]]
    rows.append(["period", "from", "", "", summary["period"]["from"]])
    rows.append(["period", "to", "", "", summary["period"]["to"]])
    rows.append(["audits_completed", "", "", count_cell(summary["audits_completed"]), ""])
    for row in summary["by_service_area"]:
        rows.append(["by_service_area", row["service_area"], "", count_cell(row["count"]), ""])
    total = summary["audits_completed"]
    for row in summary["overall"]:
        rows.append(
            [
                "overall",
                "",
                row["rating"],
                count_cell(row["count"]),
                share_cell(row["percent"], total),
            ]
        )
    for domain in summary["domains"]:
        name, rated = domain["domain"], domain["rated"]
        rows.append(["domain_rated", name, "", count_cell(rated), ""])
        rows.append(["domain_not_applicable", name, "", count_cell(domain["not_applicable"]), ""])
        for row in domain["ratings"]:
            rows.append(
                [
                    "domain",
                    name,
                    row["rating"],
                    count_cell(row["count"]),
                    share_cell(row["percent"], rated),
                ]
            )
        rows.append(
            [
                "domain_good_or_better",
                name,
                "",
                count_cell(domain["good_or_better"]),
                share_cell(domain["good_or_better_percent"], rated),
            ]
        )
        rows.append(
            [
                "domain_inadequate_or_worse",
                name,
                "",
                count_cell(domain["inadequate_or_worse"]),
                share_cell(domain["inadequate_or_worse_percent"], rated),
            ]
        )
    for key, _ in CHILD_AND_FAMILY_ROWS:
        block = summary.get("child_and_family", {}).get(key)
        if block is not None:
            rows.append(
                [
                    f"{key}_evident",
                    "",
                    "",
                    count_cell(block["evident"]),
                    share_cell(block["percent"], block["n"]),
                ]
            )
            rows.append([f"{key}_n", "", "", count_cell(block["n"]), ""])
    for rank, name in enumerate(summary["areas_of_good_practice"], start=1):
        rows.append(["areas_of_good_practice", name, "", rank, ""])
    for rank, name in enumerate(summary["areas_of_poor_practice"], start=1):
        rows.append(["areas_of_poor_practice", name, "", rank, ""])
    for month in summary["by_month"]:
        rows.append(["by_month", month["month"], "", count_cell(month["audits"]), ""])
        for row in month["ratings"]:
            rows.append(
                [
                    "by_month",
                    month["month"],
                    row["rating"],
                    count_cell(row["count"]),
                    share_cell(row["percent"], month["audits"]),
                ]
            )
    rows += _comparison_rows(summary.get("comparison"))
    rows += _teams_rows(summary.get("teams"))
    rows += _assurance_rows(summary.get("assurance"))
    return csv_text(rows)


def _comparison_rows(comparison: dict[str, Any] | None) -> list[list[Any]]:
    """The `comparison` member, when the document has one."""
    if comparison is None:
        return []
    rows: list[list[Any]] = [
        ["comparison_period", "from", "", "", comparison["period"]["from"]],
        ["comparison_period", "to", "", "", comparison["period"]["to"]],
        ["comparison_audits_completed", "", "", count_cell(comparison["audits_completed"]), ""],
    ]
    for entry in [{"domain": "Overall rating", **comparison["overall"]}, *comparison["domains"]]:
        name, rated = entry["domain"], entry["rated"]
        rows.append(["comparison_rated", name, "", count_cell(rated), ""])
        for field in ("good_or_better", "inadequate_or_worse"):
            rows.append(
                [
                    f"comparison_{field}",
                    name,
                    "",
                    count_cell(entry[field]),
                    share_cell(entry[f"{field}_percent"], rated),
                ]
            )
            difference = entry[f"{field}_difference"]
            rows.append(
                [
                    f"comparison_{field}_difference",
                    name,
                    "",
                    "",
                    SUPPRESSED if difference is None else difference,
                ]
            )
    return rows


def _teams_rows(teams: dict[str, Any] | None) -> list[list[Any]]:
    """The `teams` member: each team's audits and shares, then the scope's."""
    if teams is None:
        return []
    rows: list[list[Any]] = []
    for entry in [*teams["teams"], {"team": teams["scope"], "funnel": None, **teams}]:
        name, audits = entry["team"], entry["audits"]
        rows.append(["teams_audits", name, "", count_cell(audits), ""])
        for field in ("good_or_better", "inadequate_or_worse"):
            rows.append(
                [
                    f"teams_{field}",
                    name,
                    "",
                    count_cell(entry[field]),
                    share_cell(entry[f"{field}_percent"], audits),
                ]
            )
        if entry["funnel"] is not None:
            rows.append(["teams_funnel", name, entry["funnel"]["position"], "", ""])
    return rows


def _assurance_rows(assurance: dict[str, Any] | None) -> list[list[Any]]:
    """The `assurance` member: re-audit outcomes, agreement and audit quality."""
    if assurance is None:
        return []
    rows: list[list[Any]] = []
    for quarter in assurance["reaudits"]:
        for field in process.REAUDIT_FIELDS:
            rows.append(
                [f"reaudit_{field}", quarter["quarter"], "", count_cell(quarter[field]), ""]
            )
    agreement = assurance["agreement"]
    rows.append(["agreement_moderated", "", "", count_cell(agreement["moderated"]), ""])
    rows.append(["agreement_agreed", "", "", count_cell(agreement["agreed"]), ""])
    rows.append(
        [
            "agreement_changed",
            "",
            "",
            count_cell(agreement["changed"]),
            process.changed_text(agreement),
        ]
    )
    entries = [
        *process.agreement_rows(agreement),
        *[(r["domain"], r) for r in agreement["by_domain"]],
        *[(r["cycle"], r) for r in agreement["by_cycle"]],
    ]
    for name, entry in entries:
        rows.append(["agreement_pairs", name, "", count_cell(entry["pairs"]), ""])
        rows.append(
            ["agreement_same", name, "", count_cell(entry["same"]), process.exact_text(entry)]
        )
        for which in ("linear", "quadratic"):
            rows.append(
                [f"agreement_{which}_kappa", name, "", "", process.kappa_text(entry, which)]
            )
    quality = assurance["quality"]
    for field, total, share in (
        ("on_time", "due", "on_time_percent"),
        ("overdue_actions", "open_actions", None),
        ("voice_captured", "voice_recorded", "voice_percent"),
    ):
        rows.append([f"quality_{total}", "", "", count_cell(quality[total]), ""])
        percent = share_cell(quality[share], quality[total]) if share else ""
        rows.append([f"quality_{field}", "", "", count_cell(quality[field]), percent])
    return rows


# --- Excel ---------------------------------------------------------------------------

SHEET_NAME_LIMIT = 31
_NOT_IN_SHEET_NAMES = re.compile(r"[\[\]:*?/\\]")


def sheet_name(title: str, used: set[str]) -> str:
    """An Excel sheet name of at most 31 characters that reads as words: cut between
    words, never inside one; numbered when two would be the same."""
    text = " ".join(_NOT_IN_SHEET_NAMES.sub(" ", title).split()).strip("'")
    name = _words_within(text, SHEET_NAME_LIMIT)
    number = 2
    while name.lower() in {u.lower() for u in used}:
        suffix = f" ({number})"
        name = _words_within(text, SHEET_NAME_LIMIT - len(suffix)) + suffix
        number += 1
    used.add(name)
    return name


def _words_within(text: str, limit: int) -> str:
    if len(text) <= limit:
        return text
    words = text.split(" ")
    kept = ""
    for word in words:
        candidate = f"{kept} {word}".strip()
        if len(candidate) > limit:
            break
        kept = candidate
    kept = kept.rstrip(" –-,")
    return kept or text[:limit]


def workbook(report: Report) -> bytes:
    """A sheet for the report's details and one per table, each titled with the period,
    with native Excel charts beside the tables they draw."""
    out = io.BytesIO()
    book = new_workbook(out)
    bold = book.add_format({"bold": True})
    wrap = book.add_format({"text_wrap": True, "valign": "top"})
    title_format = book.add_format({"bold": True, "font_size": 14})
    label = report.params.label
    info = book.add_worksheet("Report")
    info.write(0, 0, f"Quality of Practice Audit report: {report.summary['tool']}", title_format)
    info.write(2, 0, "Period", bold)
    info.write(2, 1, label)
    info.write(3, 0, "Covering", bold)
    info.write(3, 1, report.params.scope)
    info.write(4, 0, "Small numbers", bold)
    info.write(
        4,
        1,
        disclosure.NOTE
        if report.params.suppress
        else "Shown in full: for use within the service"
        + (
            ""
            if report.params.process_in_full
            else f". The re-audit, agreement and audit-quality figures: {disclosure.NOTE}"
        ),
    )
    info.write(5, 0, "No audits", bold)
    info.write(5, 1, "A share of no audits is shown as 'none'")
    info.write(7, 0, "Key messages", bold)
    for row, (sub, text) in enumerate(message_lines(report.key_messages), start=8):
        info.write_string(row, 0, ("    – " if sub else "") + text)
    info.set_column(0, 0, 30)
    info.set_column(1, 1, 60, wrap)
    used: set[str] = {"Report"}
    specs = charts.chart_specs(report)
    for table in tables(report):
        name = sheet_name(table.sheet, used)
        sheet = book.add_worksheet(name)
        sheet.write_string(0, 0, f"{table.title}, {label}", title_format)
        sheet.write_row(2, 0, table.header, bold)
        for number, values in enumerate(table.rows, start=3):
            for column, value in enumerate(values):
                if isinstance(value, str):
                    sheet.write_string(number, column, value)
                else:
                    sheet.write_number(number, column, value)
        sheet.set_column(0, 0, 42)
        sheet.set_column(1, len(table.header), 16)
        if not table.rows:
            sheet.write_string(3, 0, "None in this period.")
        elif table.chart and table.chart in specs:
            _chart_for(book, sheet, name, table, specs[table.chart])
    book.close()
    return out.getvalue()


def _fill(style: charts.Style) -> dict[str, Any]:
    """An Excel series' fill in the chart style of the page: colour and hatching."""
    border = {"border": {"color": charts.EDGE}}
    if style.excel_pattern is None:
        return {"fill": {"color": style.colour}, **border}
    return {
        "pattern": {
            "pattern": style.excel_pattern,
            "fg_color": charts.EDGE,
            "bg_color": style.colour,
        },
        **border,
    }


def _chart_for(book: Any, sheet: Any, name: str, table: Table, spec: charts.ChartSpec) -> None:
    first, last = 3, 2 + len(table.rows)
    header = table.header

    def series(column: int, style: charts.Style, **extra: Any) -> dict[str, Any]:
        return {
            "name": [name, 2, column],
            "categories": [name, first, 0, last, 0],
            "values": [name, first, column, last, column],
            **_fill(style),
            **extra,
        }

    if spec.kind == "overall":
        chart = book.add_chart({"type": "bar"})
        styles = [charts.rating_style(code, label) for code, label in spec.figures["key"]]
        chart.add_series(
            {
                **series(1, styles[0], data_labels={"value": True}),
                "points": [_fill(style) for style in styles],
            }
        )
        chart.set_y_axis({"reverse": True})
        chart.set_legend({"none": True})
    elif spec.kind in ("by-month", "themed", "domains"):
        kinds = {"by-month": ("column", "stacked"), "themed": ("bar", "stacked")}
        kind, subtype = kinds.get(spec.kind, ("bar", "percent_stacked"))
        chart = book.add_chart({"type": kind, "subtype": subtype})
        start = header.index("Not applicable") + 1 if "Not applicable" in header else 2
        for offset, (code, label) in enumerate(spec.figures["key"]):
            chart.add_series(series(start + offset, charts.rating_style(code, label)))
        if kind == "bar":
            chart.set_y_axis({"reverse": True})
    elif spec.kind == "comparison":
        chart = book.add_chart({"type": "bar"})
        for p in range(len(spec.figures["periods"])):
            chart.add_series(series(1 + p, charts.period_style(p), data_labels={"value": True}))
        chart.set_y_axis({"reverse": True})
    else:
        return
    chart.set_title({"name": spec.figures["title"]})
    chart.set_size({"width": 760, "height": 460})
    sheet.insert_chart(1, len(header) + 1, chart)
