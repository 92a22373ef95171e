"""Readers over python-calamine (Rust; docs/decisions/0006-calamine-reader.md) and the
csv module: no models, no database.

- ``read_table``: any table (a CSV, or the first sheet of an .xlsx) a row at a time,
  headers from its first non-blank row; for the case-list and past-audit imports.
- ``AnnexAReader`` / ``read_annex_a``: the lists of an Ofsted ILACS Annex A workbook,
  each recognised by its headers (headers.py) whatever its sheet is called, as a stream
  of rows, or of blocks of rows a column at a time (``AnnexBlock``), with every cell
  cleaned (cleaning.py) a column at a time. Only the sheets read are loaded (peek.py
  recognises the others from their first rows), in a thread ahead of the cleaning.

Every file is checked before it is opened (files.py); anything wrong with it is a
FileRefused with a message for the person who uploaded it.
"""

from __future__ import annotations

import csv
import io
import itertools
from collections.abc import Callable, Collection, Iterator, Mapping, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType, TracebackType
from typing import Any, Literal, NamedTuple

from python_calamine import CalamineWorkbook

from qpa.cases.tabular.cleaning import ColumnCleaner, Failure, clean_text, column_cleaner
from qpa.cases.tabular.errors import CellError, FileRefused
from qpa.cases.tabular.files import (
    MAX_COMPRESSION_RATIO,
    MAX_UNCOMPRESSED_BYTES,
    MAX_WORKBOOK_BYTES,
    csv_text,
    open_workbook_safely,
    uses_1904_dates,
)
from qpa.cases.tabular.headers import ListMatch, closest_list, match_headers, normalise_header
from qpa.cases.tabular.lists import ColumnKind
from qpa.cases.tabular.peek import HEAD_ROWS, SheetHead, sheet_heads
from qpa.cases.tabular.progress import Progress, ProgressCounter

# ---------------------------------------------------------------------------------------
# Any table
# ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Table:
    sheet: str
    headers: list[str]
    rows: Iterator[tuple[int, dict[str, object]]]  # (row number as the user sees it, values)


# Typed by a person, "N/A" means "not applicable" (Excel's own error is "#N/A").
NOT_APPLICABLE = {"n/a", "na", "not applicable"}


def _table_cell(value: object) -> object:
    if isinstance(value, str):
        if value.strip().casefold() in NOT_APPLICABLE:
            return "N/A"
        return clean_text(value)
    return value


def read_table(path: Path) -> Table:
    """The first sheet of an .xlsx, or a .csv; headers from the first non-blank row."""
    suffix = path.suffix.lower()
    if suffix == ".csv":
        return _read_csv(path)
    if suffix in (".xlsx", ".xlsm"):
        return _read_xlsx(path)
    raise FileRefused("Upload a .csv or .xlsx file.")


def _read_csv(path: Path) -> Table:
    text = csv_text(path)
    try:
        dialect = csv.Sniffer().sniff(text[:4096], delimiters=",;\t")
    except csv.Error:
        dialect = csv.excel
    reader = csv.reader(io.StringIO(text), dialect)
    headers: list[str] = []
    for row in reader:
        if any(cell.strip() for cell in row):
            headers = [str(_table_cell(cell) or "") for cell in row]
            break
    if not headers:
        raise FileRefused("The file is empty.")

    def rows() -> Iterator[tuple[int, dict[str, object]]]:
        for row in reader:
            if not any(cell.strip() for cell in row):
                continue
            yield (
                reader.line_num,
                {
                    header: _table_cell(value)
                    for header, value in zip(headers, row, strict=False)
                    if header
                },
            )

    return Table(sheet=path.name, headers=[h for h in headers if h], rows=rows())


def _read_xlsx(path: Path) -> Table:
    open_workbook_safely(path)
    try:
        workbook = CalamineWorkbook.from_path(str(path))
        sheet = workbook.get_sheet_by_index(0)
    except Exception as error:  # calamine's own error types for damaged files
        raise FileRefused(f"The workbook cannot be opened: {error}") from error
    iterator = iter(sheet.iter_rows())
    headers: list[str] = []
    number = 0
    for values in iterator:
        number += 1
        if any(v not in (None, "") for v in values):
            headers = [str(_table_cell(v) or "") for v in values]
            break
    if not headers:
        workbook.close()
        raise FileRefused("The first sheet is empty.")

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
                        header: _table_cell(None if value == "" else value)
                        for header, value in zip(headers, values, strict=False)
                        if header
                    },
                )
        finally:
            workbook.close()

    return Table(sheet=sheet.name, headers=[h for h in headers if h], rows=rows())


# ---------------------------------------------------------------------------------------
# Annex A
# ---------------------------------------------------------------------------------------


class AnnexRow(NamedTuple):
    """One data row of a list: every column's cleaned value by key (None when blank,
    absent or not cleanable), and the cells that could not be cleaned."""

    list_number: int
    sheet: str
    row_number: int
    values: dict[str, object]
    errors: list[CellError]
    # Canonical key -> header as in the file; one shared mapping per sheet.
    columns: Mapping[str, str] = MappingProxyType({})


@dataclass(frozen=True, slots=True)
class AnnexBlock:
    """Consecutive non-blank data rows of one list (up to BLOCK_ROWS), a column at a
    time: the same rows, values and errors as AnnexRow gives one by one."""

    list_number: int
    sheet: str
    keys: tuple[str, ...]  # the rows' keys, in AnnexRow.values's order
    # Key -> the block's cleaned cells, None when blank, absent or not cleanable.
    columns: dict[str, list[object]]
    row_numbers: list[int]  # each row's number as the user sees it
    errors: dict[int, list[CellError]]  # a row's position in the block -> its errors
    column_map: Mapping[str, str]  # key -> header as in the file

    def __len__(self) -> int:
        return len(self.row_numbers)

    def rows(self) -> Iterator[AnnexRow]:
        columns = [self.columns[key] for key in self.keys]
        for i, row in enumerate(zip(*columns, strict=True)):
            yield AnnexRow(
                self.list_number,
                self.sheet,
                self.row_numbers[i],
                dict(zip(self.keys, row, strict=True)),
                self.errors.get(i, []),
                self.column_map,
            )


@dataclass(frozen=True)
class SheetReport:
    name: str
    list_number: int | None
    title: str | None
    header_row: int | None  # 1-based row of the headers; None when the sheet is not a list
    header_count: int
    row_estimate: int  # data rows, from the sheet's dimensions or size; 0 if unknown
    columns: Mapping[str, str] = field(default_factory=dict)  # key -> header as in the file
    missing_columns: tuple[str, ...] = ()  # published headers of the list not in the sheet
    closest_list: int | None = None  # for a sheet that is not a list but nearly one

    @property
    def message(self) -> str:
        """One line for the import result page."""
        if self.list_number is not None:
            text = f"List {self.list_number} ({self.title}), about {self.row_estimate:,} rows"
            if self.missing_columns:
                text += "; columns not present: " + ", ".join(self.missing_columns)
            return text
        if self.closest_list is not None:
            return f"Not read: looks like List {self.closest_list} but lacks " + ", ".join(
                self.missing_columns
            )
        return "Not read: not an Annex A list"


HEADER_SCAN_ROWS = HEAD_ROWS  # headers are in row 1, but some files put a title above them
# Rows cleaned together, a column at a time: large enough that the per-block work is
# small beside the per-cell work, small enough to bound memory.
BLOCK_ROWS = 4096


@dataclass
class _Sheet:
    report: SheetReport
    match: ListMatch | None
    worksheet: Any  # calamine's sheet once loaded; None before and once read
    checked: bool  # the match was made from calamine's own cells, not peek.py's


class AnnexAReader:
    """One open Annex A workbook: its sheets, then its rows, without opening it twice.

    ``with AnnexAReader(path) as reader: reader.sheets; for row in reader.rows(): ...``
    """

    def __init__(
        self,
        path: Path,
        *,
        max_bytes: int = MAX_WORKBOOK_BYTES,
        max_uncompressed: int = MAX_UNCOMPRESSED_BYTES,
        max_ratio: int = MAX_COMPRESSION_RATIO,
    ) -> None:
        self.path = Path(path)
        open_workbook_safely(
            self.path,
            max_bytes=max_bytes,
            max_uncompressed=max_uncompressed,
            max_ratio=max_ratio,
        )
        name = self.path.name
        self._cleaners: dict[tuple[str, ColumnKind | Literal["any"]], ColumnCleaner] = {}
        try:
            self._workbook = CalamineWorkbook.from_path(str(self.path))
        except Exception as error:  # calamine raises its own error types for bad files
            raise FileRefused(
                f"{name} could not be opened as an Excel workbook ({_reason(error)}). "
                "Save it again from Excel as .xlsx."
            ) from None
        try:
            self._epoch1904 = uses_1904_dates(self.path)
            heads = sheet_heads(self.path)
            self._sheets = [
                self._inspect(title, heads.get(title)) for title in self._workbook.sheet_names
            ]
        except Exception as error:
            self.close()
            raise FileRefused(
                f"{name} could not be read: a sheet is damaged ({_reason(error)})."
            ) from None

    def __enter__(self) -> AnnexAReader:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()

    def close(self) -> None:
        self._workbook.close()
        for sheet in getattr(self, "_sheets", []):
            sheet.worksheet = None

    @property
    def sheets(self) -> list[SheetReport]:
        return [sheet.report for sheet in self._sheets]

    def _inspect(self, title: str, head: SheetHead | None) -> _Sheet:
        if head is not None:
            return _recognise(title, head.rows, head.row_estimate, None)
        # peek.py could not read this sheet: calamine loads it, and keeps it if a list.
        worksheet = self._workbook.get_sheet_by_name(title)
        return _recognise(title, _head_rows(worksheet), _estimator(worksheet), worksheet)

    def rows(
        self,
        *,
        on_progress: Callable[[int, int], None] | None = None,
        lists: Collection[int] | None = None,
    ) -> Iterator[AnnexRow]:
        """Every non-blank data row of every recognised list (or of ``lists`` only)."""
        for block in self.blocks(on_progress=on_progress, lists=lists):
            yield from block.rows()

    def blocks(
        self,
        *,
        on_progress: Callable[[int, int], None] | None = None,
        lists: Collection[int] | None = None,
    ) -> Iterator[AnnexBlock]:
        """The rows of ``rows()`` in blocks of up to BLOCK_ROWS, a column at a time: for
        an importer that works on columns rather than on one row's dict at a time.

        While a sheet's rows are cleaned, the next sheet is loaded in a thread: calamine
        lets go of Python's lock while it parses, so the two overlap on a second core."""
        if not any(s.match is not None for s in self._sheets):
            raise FileRefused(_no_list_message(self.path.name, self.sheets))
        chosen = [
            s
            for s in self._sheets
            if s.match is not None and (lists is None or s.match.spec.number in lists)
        ]
        counter = ProgressCounter(on_progress, sum(s.report.row_estimate for s in chosen))
        with ThreadPoolExecutor(max_workers=1, thread_name_prefix="annex-a-load") as loader:
            loads = {id(s): self._fetch(loader, s) for s in chosen if not s.checked}
            try:
                for sheet in chosen:
                    if not sheet.checked:
                        counter.total -= sheet.report.row_estimate
                        self._load(sheet, loads.pop(id(sheet)))
                        counter.total += sheet.report.row_estimate
                        match = sheet.match
                        if match is None or (lists is not None and match.spec.number not in lists):
                            sheet.worksheet = None
                            continue
                    yield from self._sheet_blocks(sheet, counter)
            finally:
                for pending in loads.values():  # the workbook is not closed under a load
                    pending.cancel() or pending.exception()
        counter.finish()

    def _fetch(self, loader: ThreadPoolExecutor, sheet: _Sheet) -> Future[Any]:
        return loader.submit(self._workbook.get_sheet_by_name, sheet.report.name)

    def _load(self, sheet: _Sheet, loading: Future[Any]) -> None:
        """Takes a sheet recognised from peek.py's reading, once calamine has loaded it,
        and recognises it again from calamine's own cells, which are the ones read."""
        title = sheet.report.name
        try:
            worksheet = loading.result()
            head = _head_rows(worksheet)
        except Exception as error:  # calamine's own error types for a damaged sheet
            raise FileRefused(
                f"{self.path.name} could not be read to the end: sheet '{title}' is damaged "
                f"({_reason(error)})."
            ) from None
        checked = _recognise(title, head, _estimator(worksheet), worksheet)
        sheet.report, sheet.match = checked.report, checked.match
        sheet.worksheet, sheet.checked = checked.worksheet, True

    def _cleaner(self, key: str, kind: ColumnKind | Literal["any"]) -> ColumnCleaner:
        """One cleaner for each column of the workbook, whichever lists have it: a date of
        birth met in List 6 is not parsed again in List 8 (each value's cleaning is a
        function of the cell alone). Not one for every column of a kind: the memo's guard
        against True == 1 == 1.0 would then make one odd column slow every other."""
        cleaner = self._cleaners.get((key, kind))
        if cleaner is None:
            cleaner = column_cleaner(kind, epoch1904=self._epoch1904)
            self._cleaners[key, kind] = cleaner
        return cleaner

    def _sheet_blocks(self, sheet: _Sheet, counter: ProgressCounter) -> Iterator[AnnexBlock]:
        match = sheet.match
        header_row = sheet.report.header_row
        worksheet, sheet.worksheet = sheet.worksheet, None  # freed once read
        sheet.checked = False
        if match is None or header_row is None or worksheet is None:
            return
        name = sheet.report.name
        number = match.spec.number
        columns = match.columns
        column_map = sheet.report.columns
        id_key = match.spec.id_key
        id_header = column_map.get(id_key, id_key)
        # The row's keys: the list's own columns in its published order (None for those
        # the sheet lacks), then the sheet's other columns.
        present = {c.key: c for c in columns}
        keys = tuple(dict.fromkeys([*(c.key for c in match.spec.columns), *present]))
        plan = [
            (present[key], self._cleaner(key, present[key].kind)) if key in present else None
            for key in keys
        ]
        width = len(keys)
        id_position = keys.index(id_key)
        source = itertools.islice(worksheet.iter_rows(), header_row, None)
        first = header_row + 1  # the row number of the block's first row
        while True:
            try:
                block = list(itertools.islice(source, BLOCK_ROWS))
            except Exception as error:  # calamine's own error types for a damaged sheet
                raise FileRefused(
                    f"{self.path.name} could not be read to the end: sheet '{name}' is "
                    f"damaged ({_reason(error)})."
                ) from None
            if not block:
                break
            cells = list(itertools.zip_longest(*block))
            size = len(block)
            blank: Sequence[object] = (None,) * size
            cleaned: list[Sequence[object]] = []
            failing: list[int] = []
            for j, step in enumerate(plan):
                if step is None:
                    cleaned.append(blank)
                    continue
                column, clean = step
                values, failed = clean(cells[column.index] if column.index < len(cells) else blank)
                cleaned.append(values)
                if failed:
                    failing.append(j)
            if any(None not in column for column in cleaned):  # no row is blank
                kept = list(range(size))
            else:
                kept = [
                    i
                    for i, row in enumerate(zip(*cleaned, strict=True))
                    if row.count(None) != width
                ]
            kept_cells: list[list[object]] = (
                [[column[i] for i in kept] for column in cleaned]
                if len(kept) < size
                else [column if type(column) is list else list(column) for column in cleaned]
            )
            row_numbers = [first + i for i in kept]
            errors: dict[int, list[CellError]] = {}
            for j in failing:
                column_values = kept_cells[j]
                header = present[keys[j]].header
                for i, cell in enumerate(column_values):
                    if type(cell) is Failure:
                        errors.setdefault(i, []).append(
                            CellError(name, row_numbers[i], header, cell.message, keys[j])
                        )
                        column_values[i] = None
            for i, cell in enumerate(kept_cells[id_position]):
                if cell is None:
                    errors.setdefault(i, []).append(
                        CellError(name, row_numbers[i], id_header, f"{id_header} is blank", id_key)
                    )
            if kept:
                yield AnnexBlock(
                    number,
                    name,
                    keys,
                    dict(zip(keys, kept_cells, strict=True)),
                    row_numbers,
                    errors,
                    column_map,
                )
                counter.advance(len(kept))
            first += size


def _head_rows(worksheet: Any) -> list[tuple[object, ...]]:
    return [
        tuple(None if v == "" else v for v in row)
        for _, row in zip(range(HEADER_SCAN_ROWS), worksheet.iter_rows(), strict=False)
    ]


def _estimator(worksheet: Any) -> Callable[[int], int]:
    # total_height is the last row's 0-based index; iter_rows starts at row 1.
    last_row = int(worksheet.total_height) + 1
    return lambda header_row: max(last_row - header_row, 0)


def _recognise(
    title: str,
    head: Sequence[Sequence[object]],
    estimate: Callable[[int], int],
    worksheet: Any,
) -> _Sheet:
    """What a sheet holds, from its first rows; a sheet that is no list is not kept."""
    checked = worksheet is not None
    for offset, headers in enumerate(head):
        found = match_headers(headers)
        if found is None:
            continue
        header_row = offset + 1
        report = SheetReport(
            name=title,
            list_number=found.spec.number,
            title=found.spec.title,
            header_row=header_row,
            header_count=sum(1 for h in headers if normalise_header(h)),
            row_estimate=estimate(header_row),
            columns={c.key: c.header for c in found.columns},
            missing_columns=found.missing,
        )
        return _Sheet(report, found, worksheet, checked)
    near = [(c, row) for row in head if (c := closest_list(row)) is not None]
    first = next((row for row in head if any(normalise_header(h) for h in row)), ())
    closest = near[0][0] if near else None
    report = SheetReport(
        name=title,
        list_number=None,
        title=None,
        header_row=None,
        header_count=sum(1 for h in (near[0][1] if near else first) if normalise_header(h)),
        row_estimate=0,
        missing_columns=closest[1] if closest else (),
        closest_list=closest[0].number if closest else None,
    )
    return _Sheet(report, None, None, checked)


def _reason(error: BaseException) -> str:
    text = str(error).strip() or type(error).__name__
    return text if len(text) <= 120 else text[:117] + "..."


def _no_list_message(name: str, sheets: list[SheetReport]) -> str:
    parts = []
    for sheet in sheets:
        parts.append(f"'{sheet.name}': {sheet.message.removeprefix('Not read: ')}")
    listing = "; ".join(parts) if parts else "it has no sheets"
    return (
        f"No Annex A list was found in {name} ({listing}). Each list needs its headers in "
        "the first row, starting with Child Unique ID."
    )


def read_annex_a(
    path: Path,
    *,
    on_progress: Progress | None = None,
    lists: Collection[int] | None = None,
) -> Iterator[AnnexRow]:
    """Stream every non-blank data row of every recognised list (or of ``lists`` only).

    Raises FileRefused, on the first ``next()``, for a file that is not a readable
    Annex A workbook. ``on_progress(rows_done, rows_total_estimate)`` is called every
    1,000 rows and once at the end."""
    with AnnexAReader(path) as reader:
        yield from reader.rows(on_progress=on_progress, lists=lists)


def sheets_found(path: Path) -> list[SheetReport]:
    """Every sheet of the workbook and what it holds, for the import result page."""
    with AnnexAReader(path) as reader:
        return reader.sheets
