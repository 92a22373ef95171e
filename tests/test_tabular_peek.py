"""Lists are recognised from a workbook's XML before any sheet is loaded: the sheets found
are those calamine's own cells show, whatever the writer, and a sheet the quick reading
cannot follow is loaded and read as before."""

from __future__ import annotations

import re
import zipfile
from dataclasses import replace
from pathlib import Path

import openpyxl
import pytest
from python_calamine import CalamineWorkbook

from bench.annex_a_workbook import write_annex_a
from qpa.cases.tabular.headers import closest_list, match_headers, normalise_header
from qpa.cases.tabular.readers import SheetReport, read_annex_a, sheets_found

L6 = [
    "Child Unique ID",
    "Gender",
    "Ethnicity",
    "Date of Birth",
    "Age of Child (Years)",
    "Does the Child have a Disability",
    "CIN Start Date",
    "Primary Need Code",
    "Date Child Was Last Seen",
    "CIN Closure Date",
    "Reason for Closure",
    "Case Status",
    "Allocated Team",
    "Allocated Worker",
]


def reference_reports(path: Path) -> list[SheetReport]:
    """What each sheet holds, from calamine's own first rows (each sheet loaded)."""
    reports = []
    book = CalamineWorkbook.from_path(str(path))
    for name in book.sheet_names:
        sheet = book.get_sheet_by_name(name)
        head = [
            tuple(None if v == "" else v for v in row)
            for _, row in zip(range(10), sheet.iter_rows(), strict=False)
        ]
        found = [(n, m, row) for n, row in enumerate(head, 1) if (m := match_headers(row))]
        if found:
            header_row, match, row = found[0]
            reports.append(
                SheetReport(
                    name=name,
                    list_number=match.spec.number,
                    title=match.spec.title,
                    header_row=header_row,
                    header_count=sum(1 for h in row if normalise_header(h)),
                    row_estimate=max(int(sheet.total_height) + 1 - header_row, 0),
                    columns={c.key: c.header for c in match.columns},
                    missing_columns=match.missing,
                )
            )
            continue
        near = [(c, row) for row in head if (c := closest_list(row)) is not None]
        first = next((row for row in head if any(normalise_header(h) for h in row)), ())
        reports.append(
            SheetReport(
                name=name,
                list_number=None,
                title=None,
                header_row=None,
                header_count=sum(1 for h in (near[0][1] if near else first) if normalise_header(h)),
                row_estimate=0,
                missing_columns=near[0][0][1] if near else (),
                closest_list=near[0][0][0].number if near else None,
            )
        )
    book.close()
    return reports


@pytest.mark.parametrize("excel_like", [True, False])
def test_the_sheets_found_are_those_calamine_shows(tmp_path: Path, excel_like: bool) -> None:
    # excel_like: shared strings and declared dimensions, as Excel writes; otherwise
    # openpyxl's inline strings.
    # (openpyxl's write-only mode, which declares no dimensions, so the sheets not read
    # are sized from their XML).
    path = tmp_path / "annex.xlsx"
    write_annex_a(path, rows=3_000, seed=3, excel_like=excel_like)
    found, reference = sheets_found(path), reference_reports(path)
    if excel_like:
        assert found == reference
    estimates = [(s.row_estimate, r.row_estimate) for s, r in zip(found, reference, strict=True)]
    assert [replace(s, row_estimate=0) for s in found] == [
        replace(r, row_estimate=0) for r in reference
    ]
    assert all(abs(ours - theirs) <= 0.1 * theirs for ours, theirs in estimates)


def _rewrite(source: Path, target: Path, part: str, edit: dict[str, str]) -> Path:
    with zipfile.ZipFile(source) as src, zipfile.ZipFile(target, "w") as dst:
        for info in src.infolist():
            data = src.read(info.filename)
            if info.filename == part:
                text = data.decode()
                for old, new in edit.items():
                    assert old in text
                    text = text.replace(old, new, 1)
                data = text.encode()
            dst.writestr(info, data)
    return target


def _workbook(path: Path, sheets: dict[str, list[list[object]]]) -> Path:
    workbook = openpyxl.Workbook()
    workbook.remove(workbook.active)
    for name, rows in sheets.items():
        sheet = workbook.create_sheet(name)
        for row in rows:
            sheet.append(row)
    workbook.save(path)
    return path


def test_headers_in_rich_text_with_phonetic_runs_are_read_as_calamine_reads_them(
    tmp_path: Path,
) -> None:
    source = _workbook(
        tmp_path / "plain.xlsx", {"Sheet A": [L6, ["A1", "a) Male"], ["A2", "Female"]]}
    )
    # The first header as Excel writes a string formatted in two runs, with a reading
    # aid (phonetic run) that is no part of the text.
    path = _rewrite(
        source,
        tmp_path / "rich.xlsx",
        "xl/worksheets/sheet1.xml",
        {
            '<c r="A1" t="inlineStr"><is><t>Child Unique ID</t></is></c>': (
                '<c r="A1" t="inlineStr"><is><r><rPr><b/></rPr><t xml:space="preserve">'
                "Child </t></r><r><t>Unique ID</t></r>"
                '<rPh sb="0" eb="1"><t>X</t></rPh></is></c>'
            )
        },
    )
    assert sheets_found(path) == reference_reports(path)
    (report,) = sheets_found(path)
    assert report.list_number == 6 and report.columns["child_id"] == "Child Unique ID"
    assert [row.values["child_id"] for row in read_annex_a(path)] == ["A1", "A2"]


def test_a_sheet_the_quick_reading_refuses_is_loaded_and_read_as_before(
    tmp_path: Path,
) -> None:
    source = _workbook(
        tmp_path / "plain.xlsx",
        {"Notes": [["Annex A"]], "Children in need": [L6, ["B1", "a) Male"]]},
    )
    # A document type declaration: never in a real workbook, so the quick reading stops.
    path = _rewrite(
        source,
        tmp_path / "doctype.xlsx",
        "xl/worksheets/sheet2.xml",
        {"<worksheet ": "<!DOCTYPE worksheet><worksheet "},
    )
    assert sheets_found(path) == reference_reports(path)  # calamine reads past it
    assert [s.list_number for s in sheets_found(path)] == [None, 6]
    assert [row.values["child_id"] for row in read_annex_a(path)] == ["B1"]


def test_a_list_with_no_declared_dimensions_is_sized_from_its_xml(tmp_path: Path) -> None:
    workbook = openpyxl.Workbook(write_only=True)  # declares no dimensions
    sheet = workbook.create_sheet("List 6")
    sheet.append(L6)
    for i in range(5_000):
        sheet.append([f"C{i}", "a) Male", "a) WBRI", None, 7, "b) No", 45000, "N1"])
    path = tmp_path / "nodims.xlsx"
    workbook.save(path)
    with zipfile.ZipFile(path) as archive:
        assert not re.search(rb"<dimension", archive.read("xl/worksheets/sheet1.xml"))
    (report,) = sheets_found(path)
    assert report.list_number == 6
    assert 4_000 <= report.row_estimate <= 6_000
    progress: list[tuple[int, int]] = []
    rows = list(read_annex_a(path, on_progress=lambda done, total: progress.append((done, total))))
    assert len(rows) == 5_000
    assert progress[0] == (1000, 5_000)  # the sheet, once loaded, is sized by calamine
