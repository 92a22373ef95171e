"""Spreadsheets that nothing typed can turn into code.

Text that a person or a file supplied (domain names, key messages, evidence, file names)
is written so that Excel, LibreOffice and Google Sheets show it and never run it:

- CSV: a cell that begins with `=`, `+`, `-`, `@`, a tab or a carriage return is prefixed
  with an apostrophe, as OWASP's CSV injection guidance recommends. Numbers are written as
  numbers, so a negative figure stays a figure.
- XLSX: workbooks are opened with `strings_to_formulas` off (and `strings_to_urls` off),
  so every string is a string cell whatever it begins with.

Every CSV and XLSX that QPA writes goes through this module.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable
from typing import Any

import xlsxwriter

_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def neutralise(value: Any) -> Any:
    """A CSV cell's value: text that a spreadsheet would read as a formula gets a leading
    apostrophe; numbers, dates and None pass through."""
    if isinstance(value, str) and value.startswith(_FORMULA_STARTS):
        return "'" + value
    return value


def csv_text(rows: Iterable[Iterable[Any]]) -> str:
    """Rows as CSV text (header first), every text cell neutralised."""
    out = io.StringIO()
    writer = csv.writer(out)
    for row in rows:
        writer.writerow([neutralise(cell) for cell in row])
    return out.getvalue()


def workbook(out: io.BytesIO) -> xlsxwriter.Workbook:
    """An in-memory XLSX workbook that writes every string as a string."""
    return xlsxwriter.Workbook(
        out,
        {"in_memory": True, "strings_to_formulas": False, "strings_to_urls": False},
    )
