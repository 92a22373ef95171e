"""A report as CSV, an Excel workbook (XlsxWriter, native charts) and a Word briefing
(python-docx) laid out like the committee briefing in ../shared/source."""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from datetime import date
from typing import Any

import xlsxwriter
from docx import Document
from docx.shared import Cm, Pt

from qpa.reports import charts
from qpa.reports.report import Report, message_lines

KEY_TEXT = {
    "O": "OUTSTANDING",
    "G": "GOOD",
    "A": "ADEQUATE",
    "RI": "REQUIRES IMPROVEMENT TO BE GOOD",
    "IA": "INADEQUATE",
    "C": "CRITICAL",
}


def _cell(value: Any) -> Any:
    return "fewer than 5" if value is None else value


def _percent_cell(value: float | None, count: Any) -> Any:
    if value is None:
        return "fewer than 5" if count is None else ""
    return value


# --- Tables shared by every format ---------------------------------------------------


def tables(report: Report) -> list[tuple[str, list[str], list[list[Any]]]]:
    """(title, header, rows) of every table in the report, in the briefing's order."""
    s = report.summary
    key = s["ratings_key"]
    out: list[tuple[str, list[str], list[list[Any]]]] = [
        (
            "Cases audited",
            ["Service area", "Cases audited"],
            [[r["service_area"], r["count"]] for r in s["by_service_area"]]
            + [["Total", s["audits_completed"]]],
        ),
        (
            "Overall ratings",
            ["Rating", "Cases", "Percent of cases audited"],
            [[r["rating"], r["count"], r["percent"]] for r in s["overall"]],
        ),
        (
            "Domain ratings",
            [
                "Domain",
                "Rated",
                "Not applicable",
                *[k["rating"] for k in key],
                "Good or better (%)",
                "Inadequate or worse (%)",
            ],
            [
                [
                    d["domain"],
                    d["rated"],
                    d["not_applicable"],
                    *[r["count"] for r in d["ratings"]],
                    d["good_or_better_percent"],
                    d["inadequate_or_worse_percent"],
                ]
                for d in s["domains"]
            ],
        ),
        (
            "Cases audited by rating per month",
            ["Month", "Cases audited", *[k["rating"] for k in key]],
            [[m["month"], m["audits"], *[r["count"] for r in m["ratings"]]] for m in s["by_month"]],
        ),
    ]
    comparison = report.comparison
    for title, rows in (
        ("Comparison of good practice (% good or better)", comparison.good),
        ("Comparison of poor practice (% inadequate or worse)", comparison.poor),
    ):
        out.append(
            (
                title,
                [
                    "Domain",
                    *[f"{p} (%)" for p in comparison.periods],
                    *[f"{p} (n)" for p in comparison.periods],
                ],
                [[name, *[v for v, _ in values], *[n for _, n in values]] for name, values in rows],
            )
        )
    for theme in report.themed:
        out.append(
            (
                f"Themed audit: {theme['tool']}",
                ["Domain", "Rated", *[k["rating"] for k in theme["ratings_key"]]],
                [
                    [d["domain"], d["rated"], *[r["count"] for r in d["ratings"]]]
                    for d in theme["domains"]
                ],
            )
        )
    a = report.actions
    out.append(
        (
            "Actions",
            ["Measure", "Actions"],
            [
                ["Opened in the period", a.opened],
                ["Completed in the period", a.completed],
                [f"Overdue on {a.as_at:%-d %B %Y}", a.overdue],
            ],
        )
    )
    out.extend(_assurance_tables(report))
    return out


def _assurance_tables(report: Report) -> list[tuple[str, list[str], list[list[Any]]]]:
    extra = report.extra
    if not extra:
        return []
    out: list[tuple[str, list[str], list[list[Any]]]] = [
        (
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
                    r.quarter,
                    r.drawn,
                    r.completed,
                    r.improved,
                    r.unchanged,
                    r.declined,
                    r.cleared,
                    f"{r.actions_completed} of {r.actions}",
                ]
                for r in extra["reaudits"]
            ],
        )
    ]

    def kappa(figure: Any) -> Any:
        return None if figure is None or figure.kappa is None else round(figure.kappa, 2)

    agreement = extra["agreement"]
    rows = [
        *extra["agreement_rows"],
        *agreement.by_domain,
        *agreement.by_auditor,
        *agreement.by_cycle,
    ]
    out.append(
        (
            "Agreement between auditors (moderation)",
            ["Ratings", "Pairs", "Exact agreement", "Linear kappa", "Quadratic kappa"],
            [
                [
                    row.label,
                    row.figures.n,
                    row.figures.exact,
                    kappa(row.figures.linear),
                    kappa(row.figures.quadratic),
                ]
                for row in rows
            ],
        )
    )
    quality = extra["quality"]
    out.append(
        (
            "Audit quality",
            ["Measure", "Count", "Of"],
            [
                ["Audits completed by their due date", quality.on_time, quality.due],
                ["Overdue follow-up actions", quality.overdue_actions, quality.open_actions],
                [
                    "Audits that captured the child's voice",
                    quality.voice_captured,
                    quality.voice_recorded,
                ],
                *[
                    [f"Overdue audits: {r.auditor}", r.overdue, ""]
                    for r in quality.overdue_by_auditor
                ],
            ],
        )
    )
    return out


# --- CSV -----------------------------------------------------------------------------


def summary_csv(summary: dict[str, Any]) -> str:
    """The JSON contract flattened: section, item, rating, count, percent."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["section", "item", "rating", "count", "percent"])
    writer.writerow(["period", "from", "", "", summary["period"]["from"]])
    writer.writerow(["period", "to", "", "", summary["period"]["to"]])
    writer.writerow(["audits_completed", "", "", _cell(summary["audits_completed"]), ""])
    for row in summary["by_service_area"]:
        writer.writerow(["by_service_area", row["service_area"], "", _cell(row["count"]), ""])
    for row in summary["overall"]:
        writer.writerow(
            [
                "overall",
                "",
                row["rating"],
                _cell(row["count"]),
                _percent_cell(row["percent"], row["count"]),
            ]
        )
    for domain in summary["domains"]:
        name = domain["domain"]
        writer.writerow(["domain_rated", name, "", _cell(domain["rated"]), ""])
        writer.writerow(["domain_not_applicable", name, "", _cell(domain["not_applicable"]), ""])
        for row in domain["ratings"]:
            writer.writerow(
                [
                    "domain",
                    name,
                    row["rating"],
                    _cell(row["count"]),
                    _percent_cell(row["percent"], row["count"]),
                ]
            )
        writer.writerow(
            [
                "domain_good_or_better",
                name,
                "",
                _cell(domain["good_or_better"]),
                _percent_cell(domain["good_or_better_percent"], domain["good_or_better"]),
            ]
        )
        writer.writerow(
            [
                "domain_inadequate_or_worse",
                name,
                "",
                _cell(domain["inadequate_or_worse"]),
                _percent_cell(domain["inadequate_or_worse_percent"], domain["inadequate_or_worse"]),
            ]
        )
    for rank, name in enumerate(summary["areas_of_good_practice"], start=1):
        writer.writerow(["areas_of_good_practice", name, "", rank, ""])
    for rank, name in enumerate(summary["areas_of_poor_practice"], start=1):
        writer.writerow(["areas_of_poor_practice", name, "", rank, ""])
    for month in summary["by_month"]:
        writer.writerow(["by_month", month["month"], "", _cell(month["audits"]), ""])
        for row in month["ratings"]:
            writer.writerow(
                [
                    "by_month",
                    month["month"],
                    row["rating"],
                    _cell(row["count"]),
                    _percent_cell(row["percent"], row["count"]),
                ]
            )
    return out.getvalue()


# --- Excel ---------------------------------------------------------------------------


def workbook(report: Report) -> bytes:
    """One sheet per table, native Excel charts beside the tables they draw."""
    out = io.BytesIO()
    book = xlsxwriter.Workbook(out, {"in_memory": True})
    bold = book.add_format({"bold": True})
    title_format = book.add_format({"bold": True, "font_size": 14})
    info = book.add_worksheet("Report")
    info.write(0, 0, f"Quality of Practice Audit report: {report.summary['tool']}", title_format)
    info.write(2, 0, "Period", bold)
    info.write(2, 1, report.params.label)
    info.write(3, 0, "Covering", bold)
    info.write(3, 1, report.params.scope)
    info.write(4, 0, "Small numbers", bold)
    info.write(
        4,
        1,
        "Numbers from 1 to 4 are shown as 'fewer than 5'"
        if report.params.suppress
        else "Shown in full: for use within the service",
    )
    info.write(6, 0, "Key messages", bold)
    for row, (sub, text) in enumerate(message_lines(report.key_messages), start=7):
        info.write(row, 0, ("    – " if sub else "") + text)
    info.set_column(0, 0, 30)
    info.set_column(1, 1, 60)
    used: set[str] = {"Report"}
    for title, header, rows in tables(report):
        name = _sheet_name(title, used)
        sheet = book.add_worksheet(name)
        sheet.write(0, 0, title, title_format)
        sheet.write_row(2, 0, header, bold)
        for number, values in enumerate(rows, start=3):
            sheet.write_row(number, 0, [_cell(v) for v in values])
        sheet.set_column(0, 0, 40)
        sheet.set_column(1, len(header), 14)
        _chart_for(book, sheet, name, title, header, len(rows))
    book.close()
    return out.getvalue()


SHEET_NAMES = {
    "Cases audited by rating per month": "By month",
    "Comparison of good practice (% good or better)": "Good practice compared",
    "Comparison of poor practice (% inadequate or worse)": "Poor practice compared",
}


def _sheet_name(title: str, used: set[str]) -> str:
    title = SHEET_NAMES.get(title, title).replace("Themed audit: ", "Themed - ")
    base = "".join(c for c in title if c not in "[]:*?/\\")[:28].strip()
    name, n = base, 2
    while name in used:
        name, n = f"{base[:26]} {n}", n + 1
    used.add(name)
    return name


def _chart_for(book: Any, sheet: Any, name: str, title: str, header: list[str], count: int) -> None:
    if count == 0:
        return
    first, last = 3, 2 + count
    if title == "Overall ratings":
        chart = book.add_chart({"type": "column"})
        chart.add_series(
            {
                "name": "Cases",
                "categories": [name, first, 0, last, 0],
                "values": [name, first, 1, last, 1],
                "data_labels": {"value": True},
                "pattern": {
                    "pattern": "wide_upward_diagonal",
                    "fg_color": "#0072B2",
                    "bg_color": "#FFFFFF",
                },
            }
        )
    elif title == "Cases audited by rating per month":
        chart = book.add_chart({"type": "column", "subtype": "stacked"})
        for i in range(2, len(header)):
            chart.add_series(
                {
                    "name": [name, 2, i],
                    "categories": [name, first, 0, last, 0],
                    "values": [name, first, i, last, i],
                    "data_labels": {"value": True},
                    "fill": {"color": charts.PALETTE[(i - 2) % len(charts.PALETTE)]},
                    "border": {"color": "#0B0C0C"},
                }
            )
    elif title == "Domain ratings":
        chart = book.add_chart({"type": "bar"})
        for i, column in enumerate((len(header) - 2, len(header) - 1)):
            chart.add_series(
                {
                    "name": [name, 2, column],
                    "categories": [name, first, 0, last, 0],
                    "values": [name, first, column, last, column],
                    "data_labels": {"value": True},
                    "fill": {"color": charts.PALETTE[i]},
                    "border": {"color": "#0B0C0C"},
                }
            )
    elif title.startswith("Comparison"):
        periods = (len(header) - 1) // 2
        chart = book.add_chart({"type": "bar"})
        for i in range(periods):
            chart.add_series(
                {
                    "name": [name, 2, 1 + i],
                    "categories": [name, first, 0, last, 0],
                    "values": [name, first, 1 + i, last, 1 + i],
                    "data_labels": {"value": True},
                    "fill": {"color": charts.PALETTE[i]},
                    "border": {"color": "#0B0C0C"},
                }
            )
    elif title.startswith("Themed audit"):
        chart = book.add_chart({"type": "bar", "subtype": "stacked"})
        for i in range(2, len(header)):
            chart.add_series(
                {
                    "name": [name, 2, i],
                    "categories": [name, first, 0, last, 0],
                    "values": [name, first, i, last, i],
                    "data_labels": {"value": True},
                    "fill": {"color": charts.PALETTE[(i - 2) % len(charts.PALETTE)]},
                    "border": {"color": "#0B0C0C"},
                }
            )
    else:
        return
    chart.set_title({"name": title})
    chart.set_size({"width": 720, "height": 420})
    sheet.insert_chart(1, len(header) + 1, chart)


# --- Word ----------------------------------------------------------------------------


@dataclass(frozen=True)
class BriefingHeading:
    briefing_for: str = "Children and Families Performance Management Team"
    title: str = "Quality of Practice Audit - update"
    lead_officer: str = ""
    date: str = ""


def briefing(report: Report, heading: BriefingHeading) -> bytes:
    s = report.summary
    doc = Document()
    doc.styles["Normal"].font.name = "Arial"
    doc.styles["Normal"].font.size = Pt(11)
    block = doc.add_table(rows=0, cols=2)
    block.style = "Table Grid"
    for label, value in (
        ("Briefing for:", heading.briefing_for),
        ("Title:", heading.title),
        ("Lead Officer:", heading.lead_officer),
        ("Date:", heading.date or f"{date.today():%B %Y}"),
    ):
        cells = block.add_row().cells
        cells[0].text = label
        cells[1].text = value
        cells[0].paragraphs[0].runs[0].bold = True
    doc.add_paragraph()
    doc.add_heading(f"Summary of key messages – {report.params.label}", level=1)
    if report.params.suppress:
        doc.add_paragraph("Numbers from 1 to 4 are shown as “fewer than 5”.")
    for sub, text in message_lines(report.key_messages):
        # A Word document cannot hold control characters; key messages are typed text.
        printable = "".join(ch for ch in text if ch >= " " or ch == "\t")
        doc.add_paragraph(printable, style="List Bullet 2" if sub else "List Bullet")

    all_tables = {title: (header, rows) for title, header, rows in tables(report)}
    figures = charts.charts_of(report)

    def table(title: str) -> None:
        header, rows = all_tables[title]
        t = doc.add_table(rows=1, cols=len(header))
        t.style = "Table Grid"
        for cell, text in zip(t.rows[0].cells, header, strict=True):
            cell.text = str(text)
            cell.paragraphs[0].runs[0].bold = True
        for row in rows:
            cells = t.add_row().cells
            for cell, value in zip(cells, row, strict=True):
                cell.text = str(_cell(value)) if value != "" else ""

    def chart(name: str) -> None:
        alt, draw = figures[name]
        doc.add_picture(io.BytesIO(charts.png(draw())), width=Cm(16))
        caption = doc.add_paragraph(alt.replace("The table below gives", "The table gives"))
        caption.runs[0].italic = True

    doc.add_heading("Cases audited", level=2)
    table("Cases audited")
    doc.add_heading("Overall ratings", level=2)
    chart("overall")
    table("Overall ratings")
    doc.add_heading("Domain ratings", level=2)
    for label, names in (
        ("Areas of good practice", s["areas_of_good_practice"]),
        ("Areas of poor practice", s["areas_of_poor_practice"]),
    ):
        doc.add_paragraph(f"{label}: {', '.join(names) or 'none'}.", style="List Bullet")
    chart("domains")
    table("Domain ratings")
    doc.add_heading("Summary of cases audited – number by rating per month", level=2)
    chart("by-month")
    table("Cases audited by rating per month")
    for index, theme in enumerate(report.themed, start=1):
        doc.add_heading(f"Themed audit: {theme['tool']}", level=2)
        chart(f"themed-{index}")
        table(f"Themed audit: {theme['tool']}")
    doc.add_heading(
        f"Comparisons of good practice ({', '.join(report.comparison.periods)})", level=2
    )
    chart("good-comparison")
    table("Comparison of good practice (% good or better)")
    doc.add_heading(
        f"Comparisons of poor practice ({', '.join(report.comparison.periods)})", level=2
    )
    chart("poor-comparison")
    table("Comparison of poor practice (% inadequate or worse)")
    doc.add_heading("Actions", level=2)
    table("Actions")
    doc.add_heading("Key", level=2)
    for rating in s["ratings_key"]:
        meaning = KEY_TEXT.get(rating["code"], rating["rating"].upper())
        if rating["inadequate_or_worse"]:
            meaning += " – needs immediate manager action"
        doc.add_paragraph(f"{rating['code']} – {meaning}")
    out = io.BytesIO()
    doc.save(out)
    return out.getvalue()
