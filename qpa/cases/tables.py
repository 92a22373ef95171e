"""Reads a table (CSV or XLSX) a row at a time, for imports that are not Annex A."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from qpa.cases import annex_a

CSV_ENCODINGS = ("utf-8-sig", "cp1252")


class TableError(Exception):
    """The file is not a table QPA can read; str() says why, for a person."""


@dataclass(frozen=True)
class Table:
    sheet: str
    headers: list[str]
    rows: Iterator[tuple[int, dict[str, object]]]  # (row number as the user sees it, values)


# Typed by a person, "N/A" means "not applicable" (Excel's own error is "#N/A").
NOT_APPLICABLE = {"n/a", "na", "not applicable"}


def _clean(value: object) -> object:
    if isinstance(value, str):
        if value.strip().casefold() in NOT_APPLICABLE:
            return "N/A"
        return annex_a.clean_text(value)
    return value


def read_table(path: Path) -> Table:
    """The first sheet of an .xlsx, or a .csv; headers from the first non-blank row."""
    suffix = path.suffix.lower()
    if suffix == ".csv":
        return _read_csv(path)
    if suffix in (".xlsx", ".xlsm"):
        return _read_xlsx(path)
    raise TableError("Upload a .csv or .xlsx file.")


def _read_csv(path: Path) -> Table:
    raw = path.read_bytes()
    if b"\x00" in raw[:4096]:
        raise TableError("This is not a CSV file: it holds binary data.")
    for encoding in CSV_ENCODINGS:
        try:
            text = raw.decode(encoding)
            break
        except UnicodeDecodeError:
            continue
    else:  # pragma: no cover - cp1252 decodes nearly anything
        raise TableError("The CSV file's text encoding is not recognised; save it as UTF-8.")
    try:
        dialect = csv.Sniffer().sniff(text[:4096], delimiters=",;\t")
    except csv.Error:
        dialect = csv.excel
    reader = csv.reader(io.StringIO(text), dialect)
    headers: list[str] = []
    for row in reader:
        if any(cell.strip() for cell in row):
            headers = [str(_clean(cell) or "") for cell in row]
            break
    if not headers:
        raise TableError("The file is empty.")

    def rows() -> Iterator[tuple[int, dict[str, object]]]:
        for row in reader:
            if not any(cell.strip() for cell in row):
                continue
            yield (
                reader.line_num,
                {
                    header: _clean(value)
                    for header, value in zip(headers, row, strict=False)
                    if header
                },
            )

    return Table(sheet=path.name, headers=[h for h in headers if h], rows=rows())


def _read_xlsx(path: Path) -> Table:
    from python_calamine import CalamineWorkbook

    try:
        annex_a.open_workbook_safely(path)
    except annex_a.AnnexAFileError as error:
        raise TableError(str(error)) from error
    try:
        workbook = CalamineWorkbook.from_path(str(path))
        sheet = workbook.get_sheet_by_index(0)
    except Exception as error:  # calamine's own error types for damaged files
        raise TableError(f"The workbook cannot be opened: {error}") from error
    iterator = iter(sheet.iter_rows())
    headers: list[str] = []
    number = 0
    for values in iterator:
        number += 1
        if any(v not in (None, "") for v in values):
            headers = [str(_clean(v) or "") for v in values]
            break
    if not headers:
        workbook.close()
        raise TableError("The first sheet is empty.")

    def rows() -> Iterator[tuple[int, dict[str, object]]]:
        row_number = number
        try:
            for values in iterator:
                row_number += 1
                if not any(v not in (None, "") for v in values):
                    continue
                yield (
                    row_number,
                    {
                        header: _clean(None if value == "" else value)
                        for header, value in zip(headers, values, strict=False)
                        if header
                    },
                )
        finally:
            workbook.close()

    return Table(sheet=sheet.name, headers=[h for h in headers if h], rows=rows())
