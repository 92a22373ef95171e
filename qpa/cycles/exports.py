"""A cycle's sample and its allocations as CSV and Excel, for the people who run cycles.

A reader who may open cases (Permission.OPEN_CASES) gets one row per sampled case in
their remit, with its auditor, due date and progress; the Excel workbook adds the
progress by service area and by auditor. A figures-only reader (Performance,
Administrators) gets the progress counts alone: no child ID, no team, in either format
(decision 0109). Every cell goes through qpa.core.spreadsheets, so nothing typed becomes
a formula.
"""

from __future__ import annotations

import io
from datetime import date
from typing import Any

from qpa.core.spreadsheets import csv_text, workbook
from qpa.cycles.models import Cycle, SampledCase
from qpa.cycles.selectors import CycleProgress, ProgressRow, allocation_progress

SAMPLE_HEADER = [
    "Child ID",
    "Service area",
    "Team",
    "How chosen",
    "Rank in its area",
    "Cases it was drawn from",
    "Auditor",
    "Due date",
    "Progress",
    "Overdue",
]
PROGRESS_HEADER = [
    "By",
    "Name",
    "Allocated",
    "Not started",
    "In progress",
    "Submitted",
    "Overdue",
]


def sample_rows(sampled: list[SampledCase], *, today: date) -> list[list[Any]]:
    """One row per sampled case, as a reader who may open each of them sees it."""
    rows: list[list[Any]] = []
    for item in sampled:
        allocation = getattr(item, "allocation", None)
        state = allocation_progress(allocation, today=today)
        rows.append(
            [
                item.case.child_id,
                item.stratum.service_area.name,
                item.case.team.name if item.case.team else "",
                item.get_how_chosen_display(),
                item.rank,
                item.frame_size,
                str(allocation.auditor) if allocation else "",
                allocation.due_date if allocation else None,
                state.label,
                "Yes" if state.overdue else "No",
            ]
        )
    return rows


def _progress_line(by: str, row: ProgressRow) -> list[Any]:
    p = row.progress
    return [by, row.name, p.allocated, p.not_started, p.in_progress, p.submitted, p.overdue]


def progress_rows(progress: CycleProgress) -> list[list[Any]]:
    """The progress counts: each service area, each auditor, then the whole cycle."""
    rows = [_progress_line("Service area", row) for row in progress.by_area]
    rows += [_progress_line("Auditor", row) for row in progress.by_auditor]
    rows.append(_progress_line("Whole cycle", ProgressRow("All", progress.total)))
    return rows


def sample_csv(sampled: list[SampledCase], *, today: date) -> str:
    rows = [
        [c.isoformat() if isinstance(c, date) else c for c in row]
        for row in sample_rows(sampled, today=today)
    ]
    return csv_text([SAMPLE_HEADER, *rows])


def progress_csv(progress: CycleProgress) -> str:
    return csv_text([PROGRESS_HEADER, *progress_rows(progress)])


def sample_workbook(
    cycle: Cycle,
    progress: CycleProgress,
    *,
    sampled: list[SampledCase] | None,
    not_listed: int,
    today: date,
) -> bytes:
    """A sheet about the cycle, the sample (when the reader may open cases), and the
    progress by service area and by auditor."""
    out = io.BytesIO()
    book = workbook(out)
    bold = book.add_format({"bold": True})
    day = book.add_format({"num_format": "d mmmm yyyy"})
    info = book.add_worksheet("Cycle")
    facts: list[tuple[str, Any]] = [
        ("Cycle", cycle.name),
        ("Status on " + f"{today.day} {today:%B %Y}", progress.status),
        ("Due date", cycle.due_date),
        ("Cases allocated", progress.total.allocated),
    ]
    if sampled is None:
        facts.append(("Cases", "Not listed: this download gives counts only"))
    elif not_listed:
        facts.append(("Cases not listed", f"{not_listed}: outside the cases you may open"))
    for row, (label, value) in enumerate(facts):
        info.write_string(row, 0, label, bold)
        if isinstance(value, date):
            info.write_datetime(row, 1, value, day)
        else:
            info.write(row, 1, value)
    info.set_column(0, 0, 28)
    info.set_column(1, 1, 50)
    if sampled is not None:
        sheet = book.add_worksheet("Sample")
        for col, title in enumerate(SAMPLE_HEADER):
            sheet.write_string(0, col, title, bold)
        for r, values in enumerate(sample_rows(sampled, today=today), start=1):
            for col, value in enumerate(values):
                if isinstance(value, date):
                    sheet.write_datetime(r, col, value, day)
                elif value is None:
                    sheet.write_blank(r, col, None)
                else:
                    sheet.write(r, col, value)
        sheet.set_column(0, len(SAMPLE_HEADER) - 1, 18)
    for title, rows in (
        ("By service area", progress.by_area),
        ("By auditor", progress.by_auditor),
    ):
        sheet = book.add_worksheet(title)
        for col, heading in enumerate(PROGRESS_HEADER[1:]):
            sheet.write_string(0, col, heading, bold)
        lines = [*rows, ProgressRow("All", progress.total)]
        for r, line in enumerate(lines, start=1):
            for col, value in enumerate(_progress_line(title, line)[1:]):
                sheet.write(r, col, value)
        sheet.set_column(0, 0, 30)
        sheet.set_column(1, len(PROGRESS_HEADER) - 2, 14)
    book.close()
    return out.getvalue()
