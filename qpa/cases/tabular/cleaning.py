"""Cleaning cells: text as a person meant it, and typed values (dates, yes/no, codes,
numbers) from the many forms real spreadsheets hold them in (Excel serial dates, text
dates, non-breaking spaces, curly quotes, ``#N/A``, ``a) `` code prefixes...).

Two paths that give the same results. The scalar cleaners (``clean_text``,
``parse_date``...) take one cell; every importer uses them for the odd cell. The column
path (``column_cleaner``) cleans a block of one column's cells at once for the Annex A
reader: each distinct value of a column is cleaned once per workbook by the scalar
cleaner and the rest are dictionary look-ups done in C
(docs/decisions/0128-cleaning-annex-a-a-column-at-a-time.md).
tests/test_tabular_cleaning.py checks, on generated messy cells, that the two agree.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Literal

from qpa.cases.tabular.lists import CASE_STATUSES, ColumnKind

_QUOTES = {
    "\u2018": "'",
    "\u2019": "'",
    "\u201a": "'",
    "\u201b": "'",
    "\u2032": "'",
    "\u00b4": "'",
    "`": "'",
    "\u201c": '"',
    "\u201d": '"',
    "\u201e": '"',
    "\u201f": '"',
    "\u2033": '"',
}
_INVISIBLE = {"\u200b": "", "\u200c": "", "\u200d": "", "\u2060": "", "\ufeff": "", "\u00ad": ""}
TEXT_TABLE = str.maketrans({**_QUOTES, **_INVISIBLE})
_NULL_TOKENS = frozenset({"", "#n/a", "n/a", "null", "#null!", "#ref!", "#value!", "#div/0!"})
_NULL_TOKENS |= {"#name?", "#num!", "#getting_data", "#spill!", "#calc!"}


def number_text(value: float) -> str:
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def clean_text(value: object) -> str | None:
    """Text as a person meant it: Unicode spaces collapsed, curly quotes straightened,
    trimmed; ``#N/A``, ``N/A``, ``NULL``, other Excel errors and blanks become None."""
    if value is None:
        return None
    if type(value) is str:
        # Most cells are plain printable ASCII, whose only whitespace is the space.
        if value.isascii() and value.isprintable():
            text = value.strip()
            if "  " in text:
                text = " ".join(text.split())
        else:
            text = " ".join(value.translate(TEXT_TABLE).split())
    elif isinstance(value, str):
        text = " ".join(value.translate(TEXT_TABLE).split())
    elif isinstance(value, bool):
        text = "Yes" if value else "No"
    elif isinstance(value, int | float):
        text = number_text(value)
    elif isinstance(value, datetime):
        text = value.date().isoformat() if value.time() == datetime.min.time() else str(value)
    elif isinstance(value, date):
        text = value.isoformat()
    else:
        text = " ".join(str(value).split())
    if not text or (text[0] in "#nN" and len(text) <= 14 and text.casefold() in _NULL_TOKENS):
        return None
    return text


def strip_code(value: str) -> str:
    """``a) Male`` -> ``Male``, ``p1) 5D: LA services`` -> ``5D: LA services``; a value
    without a code prefix (one or two letters and an optional digit, then ``)``) is
    returned unchanged."""
    close = value.find(")", 1, 4)
    if close < 0:
        return value
    prefix = value[:close]
    letters = prefix[:-1] if prefix[-1] in "0123456789" else prefix
    if not (letters.isascii() and letters.isalpha() and len(letters) <= 2):
        return value
    return value[close + 1 :].strip()


_YES = frozenset({"yes", "y", "true", "1"})
_NO = frozenset({"no", "n", "false", "0"})


def parse_yes_no(value: object) -> bool | None:
    """``a) Yes``, ``Yes``, ``Y`` -> True; ``b) No``, ``No``, ``N`` -> False; blank -> None."""
    if isinstance(value, bool):
        return value
    if isinstance(value, int | float) and value in (0, 1):
        return bool(value)
    text = clean_text(value)
    if text is None:
        return None
    word = strip_code(text).casefold()
    if word in _YES:
        return True
    if word in _NO:
        return False
    raise ValueError(f"'{text}' is not Yes or No")


# Excel's 1900 date system: serial 1 is 1900-01-01 and serial 60 is the 29 February 1900
# that never was (Lotus 1-2-3's leap-year bug, kept by Excel), so from 61 on the epoch is
# 1899-12-30 and below 60 it is 1899-12-31.
_EPOCH_1900 = date(1899, 12, 30)
_EPOCH_1904 = date(1904, 1, 1)
MIN_YEAR = 1900
MAX_YEAR = 2100
_MAX_SERIAL_1900 = (date(MAX_YEAR, 12, 31) - _EPOCH_1900).days
_MAX_SERIAL_1904 = (date(MAX_YEAR, 12, 31) - _EPOCH_1904).days

_ISO_DATE = re.compile(
    r"(\d{4})[-/](\d{1,2})[-/](\d{1,2})"
    r"(?:[T ]\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:Z|[+-]\d{2}:?\d{2})?)?"
)
_UK_DATE = re.compile(
    r"(\d{1,2})[/.-](\d{1,2})[/.-](\d{4}|\d{2})(?:[ T]\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?)?"
)
_NAMED_MONTH_DATE = re.compile(r"(\d{1,2})[ -]([A-Za-z]{3,9})\.?[ ,-]+(\d{4}|\d{2})")
_SERIAL_TEXT = re.compile(r"\d{1,5}(?:\.\d+)?")
_MONTHS = {
    name: number
    for number, names in enumerate(
        (
            ("jan", "january"),
            ("feb", "february"),
            ("mar", "march"),
            ("apr", "april"),
            ("may",),
            ("jun", "june"),
            ("jul", "july"),
            ("aug", "august"),
            ("sep", "sept", "september"),
            ("oct", "october"),
            ("nov", "november"),
            ("dec", "december"),
        ),
        start=1,
    )
    for name in names
}
_DATE_FORMS = "dd/mm/yyyy, yyyy-mm-dd or an Excel date"


def excel_serial(day: date, *, epoch1904: bool = False) -> int:
    """The Excel serial number of a date (the inverse of parse_date on a number)."""
    if epoch1904:
        return (day - _EPOCH_1904).days
    serial = (day - _EPOCH_1900).days
    return serial if serial >= 61 else serial - 1


def _from_serial(serial: float, epoch1904: bool) -> date:
    whole = int(serial)
    if epoch1904:
        if not 0 <= whole <= _MAX_SERIAL_1904:
            raise ValueError(f"{number_text(serial)} is not an Excel date from 1904 to {MAX_YEAR}")
        return _EPOCH_1904 + timedelta(days=whole)
    if whole >= 61:
        if whole > _MAX_SERIAL_1900:
            raise ValueError(f"{number_text(serial)} is an Excel date after {MAX_YEAR}")
        return _EPOCH_1900 + timedelta(days=whole)
    if whole == 60:
        raise ValueError("60 is Excel's 29/02/1900, a day that does not exist")
    if whole < 1:
        raise ValueError(f"{number_text(serial)} is not an Excel date")
    return _EPOCH_1900 + timedelta(days=whole + 1)


def _checked(day: date, text: object) -> date:
    if not MIN_YEAR <= day.year <= MAX_YEAR:
        raise ValueError(f"'{text}' has the year {day.year}, outside {MIN_YEAR} to {MAX_YEAR}")
    return day


def _make_date(year: int, month: int, day: int, text: str) -> date:
    try:
        result = date(year, month, day)
    except ValueError:
        raise ValueError(f"'{text}' is not a real date") from None
    return _checked(result, text)


def _two_digit_year(year_text: str) -> int:
    year = int(year_text)
    if len(year_text) == 2:
        # The pivot strptime's %y uses: 00-68 are 2000s, 69-99 are 1900s.
        year += 2000 if year < 69 else 1900
    return year


def parse_date(value: object, *, epoch1904: bool = False) -> date | None:
    """A date from an Excel serial number (int or float, 1900 date system unless
    ``epoch1904``), a datetime or date, or text as ``dd/mm/yyyy``, ``d/m/yy``,
    ``yyyy-mm-dd`` (optionally with a time) or ``5 Jan 2024``. Blank and ``#N/A`` give
    None; anything else, or a year outside 1900 to 2100, raises ValueError."""
    if value is None:
        return None
    if isinstance(value, datetime):
        return _checked(value.date(), value)
    if isinstance(value, date):
        return _checked(value, value)
    if isinstance(value, bool):
        raise ValueError(f"'{value}' is not a date")
    if isinstance(value, int | float):
        return _from_serial(value, epoch1904)
    text = clean_text(value)
    if text is None:
        return None
    match = _UK_DATE.fullmatch(text)
    if match:
        day, month, year = match.groups()
        return _make_date(_two_digit_year(year), int(month), int(day), text)
    match = _ISO_DATE.fullmatch(text)
    if match:
        year, month, day = match.groups()
        return _make_date(int(year), int(month), int(day), text)
    match = _NAMED_MONTH_DATE.fullmatch(text)
    if match and match.group(2).casefold() in _MONTHS:
        day, month_name, year = match.groups()
        month = _MONTHS[month_name.casefold()]
        return _make_date(_two_digit_year(year), month, int(day), text)
    if _SERIAL_TEXT.fullmatch(text):
        return _from_serial(float(text), epoch1904)
    raise ValueError(f"'{text}' is not a date ({_DATE_FORMS})")


def parse_int(value: object) -> int | None:
    """A whole number from a number or text; blank -> None; else ValueError."""
    if value is None or isinstance(value, bool):
        if value is None:
            return None
        raise ValueError(f"'{value}' is not a whole number")
    if isinstance(value, int):
        return value
    if isinstance(value, float):
        if value.is_integer():
            return int(value)
        raise ValueError(f"'{number_text(value)}' is not a whole number")
    text = clean_text(value)
    if text is None:
        return None
    try:
        number = float(text)
    except ValueError:
        raise ValueError(f"'{text}' is not a whole number") from None
    if not number.is_integer():
        raise ValueError(f"'{text}' is not a whole number")
    return int(number)


def parse_age(value: object) -> int | float | None:
    """Age in years: whole numbers as int (files often hold 7.0), fractions kept."""
    if isinstance(value, int | float) and not isinstance(value, bool):
        return int(value) if isinstance(value, float) and value.is_integer() else value
    text = clean_text(value)
    if text is None:
        return None
    try:
        number = float(text)
    except ValueError:
        raise ValueError(f"'{text}' is not an age in years") from None
    return int(number) if number.is_integer() else number


def clean_id(value: object) -> str | None:
    """Identifiers are text: an Excel number such as 12345.0 becomes ``12345``."""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    text = clean_text(value)
    if text is not None and text.endswith(".0") and text[:-2].isdigit():
        return text[:-2]
    return text


def clean_code(value: object) -> str | None:
    text = clean_text(value)
    return None if text is None else strip_code(text) or None


_CASE_STATUS_BY_FOLD = {status.casefold(): status for status in CASE_STATUSES}


def clean_case_status(value: object) -> str | None:
    """List 6 Case Status in its published spelling, with or without its ``a) `` prefix."""
    text = clean_code(value)
    if text is None:
        return None
    status = _CASE_STATUS_BY_FOLD.get(text.casefold())
    if status is None:
        raise ValueError(f"'{text}' is not a Case Status (expected one of: {_statuses()})")
    return status


def _statuses() -> str:
    return ", ".join(f"{letter}) {s}" for letter, s in zip("abcde", CASE_STATUSES, strict=True))


def clean_any(value: object) -> object:
    """Columns the lists do not define: text cleaned, whole floats as int, datetimes as
    dates, anything else as it is."""
    if isinstance(value, str):
        return clean_text(value)
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, datetime):
        return value.date()
    return value


# ---------------------------------------------------------------------------------------
# Cleaning a column at a time
# ---------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Failure:
    """A cell of a cleaned column that could not be cleaned: the scalar cleaner's
    ValueError message."""

    message: str


# A column's cleaned cells, each a value, None (blank) or a Failure; and whether any is a
# Failure.
Cleaned = tuple[list[object], bool]
ColumnCleaner = Callable[[Sequence[object]], Cleaned]

# Equal across types, so one dict key: True == 1 == 1.0. A column mixing them (which
# calamine never gives for one column of real files) is cleaned cell by cell.
_NUMBER_TYPES = frozenset({bool, int, float})
# Distinct values remembered for one column of a workbook; past this the memo starts
# again, so a column of a million different strings cannot hold memory.
MEMO_LIMIT = 50_000


def _clean_one(clean: Callable[[object], object], cell: object) -> object:
    try:
        return clean(cell)
    except ValueError as error:
        return Failure(str(error))


class _MemoisedColumn:
    """Cleans one column (in every list of a workbook that has it), a block of cells per
    call, with a scalar cleaner applied once to each distinct value."""

    __slots__ = ("clean", "failing", "memo", "number_types")

    def __init__(self, clean: Callable[[object], object]) -> None:
        self.clean = clean
        self.memo: dict[object, object] = {}
        self.failing: set[object] = set()  # the memo's keys that failed to clean
        self.number_types: set[type] = set()

    def __call__(self, cells: Sequence[object]) -> Cleaned:
        self.number_types.update(_NUMBER_TYPES.intersection(map(type, cells)))
        if len(self.number_types) > 1:
            return self._one_by_one(cells)
        memo = self.memo
        try:
            fresh = set(itertools.filterfalse(memo.__contains__, cells))
        except TypeError:  # an unhashable cell; no reader gives one
            return self._one_by_one(cells)
        if fresh:
            if len(memo) + len(fresh) > MEMO_LIMIT:
                memo.clear()
                self.failing.clear()
                fresh = set(cells)
            clean = self.clean
            for cell in fresh:
                value = memo[cell] = _clean_one(clean, cell)
                if type(value) is Failure:
                    self.failing.add(cell)
        failing = self.failing
        return list(map(memo.__getitem__, cells)), bool(failing) and not failing.isdisjoint(cells)

    def _one_by_one(self, cells: Sequence[object]) -> Cleaned:
        out = [_clean_one(self.clean, cell) for cell in cells]
        return out, any(type(value) is Failure for value in out)


def _id_column(cells: Sequence[object]) -> Cleaned:
    """Identifiers are nearly all different, so a memo would only cost: Excel's whole
    floats (12345.0) are turned to text directly, anything else by clean_id."""
    out: list[object] = [
        str(int(cell)) if type(cell) is float and cell.is_integer() else _clean_one(clean_id, cell)
        for cell in cells
    ]
    return out, any(type(value) is Failure for value in out)


def _parse_date_1904(value: object) -> date | None:
    return parse_date(value, epoch1904=True)


SCALAR_CLEANERS: dict[ColumnKind | Literal["any"], Callable[[object], object]] = {
    "id": clean_id,
    "text": clean_text,
    "code": clean_code,
    "case_status": clean_case_status,
    "date": parse_date,
    "yes_no": parse_yes_no,
    "int": parse_int,
    "age": parse_age,
    "any": clean_any,
}


def scalar_cleaner(
    kind: ColumnKind | Literal["any"], *, epoch1904: bool = False
) -> Callable[[object], object]:
    """The cell-by-cell cleaner of a column kind (``any``: a column no list defines)."""
    if kind == "date" and epoch1904:
        return _parse_date_1904
    return SCALAR_CLEANERS[kind]


def column_cleaner(kind: ColumnKind | Literal["any"], *, epoch1904: bool = False) -> ColumnCleaner:
    """A cleaner for one column of one workbook, in every list that has it (it remembers
    the values it has seen, so make a new one for each file): give it the column's cells
    a block at a time; it gives back the cleaned cells, a Failure for each that did not
    clean, and whether there is any Failure."""
    if kind == "id":
        return _id_column
    return _MemoisedColumn(scalar_cleaner(kind, epoch1904=epoch1904))
