"""The column-at-a-time cleaning of the Annex A reader gives exactly what the cell-by-cell
cleaners give: on generated messy cells, and row for row on whole workbooks read the old
way (a cell at a time, kept here as the reference)."""

from __future__ import annotations

import itertools
from collections.abc import Iterator, Sequence
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

import openpyxl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from python_calamine import CalamineWorkbook

from bench.annex_a_workbook import write_annex_a
from qpa.cases.tabular.cleaning import (
    MEMO_LIMIT,
    Failure,
    column_cleaner,
    excel_serial,
    scalar_cleaner,
)
from qpa.cases.tabular.errors import CellError
from qpa.cases.tabular.files import uses_1904_dates
from qpa.cases.tabular.headers import match_headers
from qpa.cases.tabular.lists import CASE_STATUSES
from qpa.cases.tabular.readers import AnnexRow, read_annex_a

KINDS = ["id", "text", "code", "case_status", "date", "yes_no", "int", "age", "any"]
NBSP = "\u00a0"

days = st.dates(min_value=date(1850, 1, 1), max_value=date(2150, 12, 31))


@st.composite
def text_dates(draw: st.DrawFn) -> str:
    """A date written in one of the forms parse_date reads (and some it does not)."""
    day = draw(days)
    form = draw(
        st.sampled_from(
            [
                "%d/%m/%Y",
                "{d}/{m}/{Y}",
                "{d}/{m}/{y}",
                "%d.%m.%Y",
                "%d-%m-%Y",
                "%d/%m/%Y %H:%M:%S",
                "%Y-%m-%d",
                "%Y/%m/%d",
                "%Y-%m-%dT%H:%M:%S",
                "%Y-%m-%d %H:%M:%S.123+01:00",
                "%Y-%m-%dT%H:%M:%SZ",
                "{d} %b %Y",
                "%d-%B-%Y",
                "{d} %b. %y",
                "%d %b, %Y",
                "{serial}",
                "{serial}.5",
                "%m/%d/%Y",  # American: often not a real date the UK way
            ]
        )
    )
    stamp = datetime(day.year, day.month, day.day, 13, 45, 9)
    text = form.format(
        d=day.day,
        m=day.month,
        Y=day.year,
        y=f"{day.year % 100:02d}",
        serial=excel_serial(day) if day.year >= 1900 else 5,
    )
    return stamp.strftime(text) if "%" in text else text


codes = st.sampled_from(
    [
        "a) Male",
        "b) Female",
        "Female",
        "p1) 5D: LA services",
        "a)Yes",
        "Yes",
        "yes ",
        "Y",
        "b) No",
        "No",
        "n",
        "TRUE",
        "false",
        "0",
        "1",
        "Maybe",
        "c) Not known",
        "(a) bracketed",
        "abc) not a code",
        "N1 - Abuse or neglect",
        *CASE_STATUSES,
        *(f"{letter}) {status}" for letter, status in zip("abcde", CASE_STATUSES, strict=True)),
        "looked after CHILD",
        "z) Something else",
    ]
)
blanks_and_errors = st.sampled_from(
    ["", " ", NBSP, "\u200b", "#N/A", "#n/a", "N/A", "NULL", "#REF!", "#VALUE!", "#DIV/0!"]
)
texts = st.sampled_from(
    [
        f"Jane{NBSP}Smith{NBSP}",
        "  Jane \t Smith\n",
        "\u2018Missing\u2019",
        "\u201cTBC\u201d",
        "zero\u200bwidth",
        "12345.0",
        "007",
        "7.5",
        "-3",
        "1e3",
    ]
)
numbers = st.one_of(
    st.integers(min_value=-5, max_value=80_000),
    st.floats(min_value=-5, max_value=80_000, allow_nan=False),
    st.sampled_from([0.0, -0.0, 1.0, 60.0, 45292.0, 45292.75, 2958466.0, 1e300]),
)
stamps = st.datetimes(min_value=datetime(1850, 1, 1), max_value=datetime(2150, 12, 31))
messy_cells = st.one_of(
    st.none(),
    st.booleans(),
    numbers,
    days,
    stamps,
    text_dates(),
    codes,
    blanks_and_errors,
    texts,
    st.text(max_size=12),
)


def scalar(kind: str, cell: object, *, epoch1904: bool = False) -> object:
    """The reference: the cell-by-cell cleaner, a ValueError as a Failure."""
    clean = scalar_cleaner(kind, epoch1904=epoch1904)  # type: ignore[arg-type]
    try:
        return clean(cell)
    except ValueError as error:
        return Failure(str(error))


def typed(values: Sequence[object]) -> list[tuple[type, object]]:
    # 1 == 1.0 == True, so the types are compared too.
    return [(type(v), v) for v in values]


def blocks(cells: list[object], sizes: list[int]) -> Iterator[list[object]]:
    start = 0
    for size in itertools.cycle(sizes):
        if start >= len(cells):
            return
        yield cells[start : start + size]
        start += size


@settings(max_examples=300, deadline=None)
@given(
    kind=st.sampled_from(KINDS),
    epoch1904=st.booleans(),
    cells=st.lists(messy_cells, max_size=40),
    sizes=st.lists(st.integers(min_value=1, max_value=9), min_size=1, max_size=4),
)
def test_a_column_cleans_as_its_cells_do_one_by_one(
    kind: str, epoch1904: bool, cells: list[object], sizes: list[int]
) -> None:
    clean = column_cleaner(kind, epoch1904=epoch1904)  # type: ignore[arg-type]
    got: list[object] = []
    for block in blocks(cells, sizes):
        out, failed = clean(block)
        assert failed == any(type(v) is Failure for v in out)
        got.extend(out)
    assert typed(got) == typed([scalar(kind, c, epoch1904=epoch1904) for c in cells])


@settings(max_examples=100, deadline=None)
@given(kind=st.sampled_from(KINDS), cells=st.lists(messy_cells, min_size=1, max_size=12))
def test_a_column_repeating_its_values_cleans_them_alike(kind: str, cells: list[object]) -> None:
    # The memo path: every value seen again in later blocks.
    clean = column_cleaner(kind)  # type: ignore[arg-type]
    first, _ = clean(cells)
    again, _ = clean(list(reversed(cells)))
    assert typed(first) == typed([scalar(kind, c) for c in cells])
    assert typed(again) == typed(list(reversed(first)))


def test_a_column_mixing_true_one_and_one_point_zero_keeps_them_apart() -> None:
    clean = column_cleaner("any")
    assert typed(clean([1.0, 2.0])[0]) == [(int, 1), (int, 2)]
    assert typed(clean([True, 1, 1.0])[0]) == [(bool, True), (int, 1), (int, 1)]
    dates = column_cleaner("date")
    assert dates([45292.0])[0] == [date(2024, 1, 1)]
    out, failed = dates([True, 45292.0])
    assert failed and out[1] == date(2024, 1, 1)
    assert isinstance(out[0], Failure) and "is not a date" in out[0].message


def test_the_memo_starts_again_past_its_limit() -> None:
    clean = column_cleaner("text")
    cells = [f"Worker {i}" for i in range(MEMO_LIMIT + 10)]
    out: list[object] = []
    for block in blocks(cells, [4096]):
        out.extend(clean(block)[0])
    assert out == cells


# --- Whole workbooks, row for row --------------------------------------------------------


def reference_rows(path: Path, lists: set[int] | None = None) -> Iterator[AnnexRow]:
    """The Annex A reader's rows the old way: calamine's rows, every cell cleaned alone."""
    epoch1904 = uses_1904_dates(path)
    book = CalamineWorkbook.from_path(str(path))
    for name in book.sheet_names:
        sheet = book.get_sheet_by_name(name)
        head = [
            tuple(None if v == "" else v for v in row)
            for _, row in zip(range(10), sheet.iter_rows(), strict=False)
        ]
        matches = [(n, m) for n, row in enumerate(head, 1) if (m := match_headers(row))]
        if not matches:
            continue
        header_row, match = matches[0]
        if lists is not None and match.spec.number not in lists:
            continue
        columns = {c.key: c.header for c in match.columns}
        id_key = match.spec.id_key
        id_header = columns.get(id_key, id_key)
        for row_number, row in enumerate(
            itertools.islice(sheet.iter_rows(), header_row, None), start=header_row + 1
        ):
            values: dict[str, Any] = dict.fromkeys(c.key for c in match.spec.columns)
            values.update((c.key, None) for c in match.columns)
            errors: list[CellError] = []
            filled = False
            for column in match.columns:
                raw = row[column.index] if column.index < len(row) else None
                if raw is None or raw == "":
                    continue
                value = scalar(column.kind, raw, epoch1904=epoch1904)
                if isinstance(value, Failure):
                    errors.append(
                        CellError(name, row_number, column.header, value.message, column.key)
                    )
                    filled = True
                elif value is not None:
                    values[column.key] = value
                    filled = True
            if not filled:
                continue
            if values[id_key] is None:
                errors.append(
                    CellError(name, row_number, id_header, f"{id_header} is blank", id_key)
                )
            yield AnnexRow(match.spec.number, name, row_number, values, errors, columns)
    book.close()


def as_compared(rows: Iterator[AnnexRow]) -> list[tuple[object, ...]]:
    return [
        (
            r.list_number,
            r.sheet,
            r.row_number,
            list(r.values),
            typed(list(r.values.values())),
            r.errors,
            dict(r.columns),
        )
        for r in rows
    ]


@pytest.mark.parametrize("excel_like", [True, False])
def test_the_benchmark_workbook_reads_as_cell_by_cell(tmp_path: Path, excel_like: bool) -> None:
    path = tmp_path / "bench.xlsx"
    write_annex_a(path, rows=6_000, seed=11, excel_like=excel_like)
    assert as_compared(read_annex_a(path)) == as_compared(reference_rows(path))
    assert as_compared(read_annex_a(path, lists={6, 7, 8, 9})) == as_compared(
        reference_rows(path, {6, 7, 8, 9})
    )


def test_a_messy_sheet_reads_as_cell_by_cell(tmp_path: Path) -> None:
    """Blocks of rows with errors, blanks, a short row and the same values again."""
    headers = [
        "Child Unique ID",
        "Gender",
        "Date of Birth",
        "Date Started to be Looked After",
        "Date Ceased to be Looked After",
        "Allocated Team",
        "Allocated Worker",
        "Does the Child have a Disability",
        "Notes",
    ]
    cells: list[list[object]] = [
        [12345.0, "a) Male", "05/03/2015", datetime(2022, 9, 1), None, "Team A", "Ann", "Y"],
        ["C-1", "b) Female", "31/02/2015", 45292, "#N/A", "#N/A", f"Bo{NBSP}Li", "maybe", 7.0],
        [None, "Female", 40000, "2023-06-30", "", "Team A", "Ann", "b) No", "x"],
        [],
        [None, "   ", NBSP],
        ["C-2"],
        ["C-3", "a) Male", "next week", 60, 0, "Team B", "\u201cTBC\u201d", True, "#REF!"],
    ]
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.title = "Children in care"
    sheet.append(headers)
    for i in range(9_000):
        sheet.append(cells[i % len(cells)])
    path = tmp_path / "messy.xlsx"
    workbook.save(path)
    rows = as_compared(read_annex_a(path))
    assert rows == as_compared(reference_rows(path))
    assert len(rows) == sum(1 for i in range(9_000) if i % 7 not in (3, 4))  # blanks skipped
    assert sum(1 for row in rows if row[5]) == sum(1 for i in range(9_000) if i % 7 in (1, 2, 6))


def test_dates_of_a_1904_workbook_read_as_cell_by_cell(tmp_path: Path) -> None:
    path = tmp_path / "mac.xlsx"
    workbook = openpyxl.Workbook()
    workbook.epoch = openpyxl.utils.datetime.CALENDAR_MAC_1904
    sheet = workbook.active
    sheet.append(
        [
            "Child Unique ID",
            "Date Started to be Looked After",
            "Date Ceased to be Looked After",
            "Allocated Team",
            "Allocated Worker",
        ]
    )
    start = date(2020, 1, 1)
    for i in range(5_000):
        sheet.append([f"M{i}", start + timedelta(days=i % 900), i % 1500, "T", "W"])
    workbook.save(path)
    assert uses_1904_dates(path)
    assert as_compared(read_annex_a(path)) == as_compared(reference_rows(path))
