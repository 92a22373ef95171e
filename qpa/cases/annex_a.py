"""Read Ofsted ILACS Annex A workbooks (.xlsx) as a stream of cleaned rows.

Python over python-calamine (a Rust reader, docs/decisions/0006-calamine-reader.md): no
models, no database. The import service builds cases on top
of it. Lists are recognised by their normalised set of headers, never by sheet name, and
every cell is cleaned of the traps real files hold (Excel serial dates, text dates,
non-breaking spaces, curly quotes, ``#N/A``, ``a) `` code prefixes, header typos).
See docs/background/data-standards-and-ecosystem.md section 1 for the column lists.
"""

from __future__ import annotations

import itertools
import re
import unicodedata
import zipfile
import zlib
from collections.abc import Callable, Collection, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from functools import cached_property, lru_cache
from pathlib import Path
from types import TracebackType
from typing import Any, Literal

from python_calamine import CalamineWorkbook

__all__ = [
    "CASE_STATUSES",
    "LIST_SPECS",
    "LIST_SPEC_BY_NUMBER",
    "AnnexAFileError",
    "AnnexAReader",
    "AnnexRow",
    "CellError",
    "ColumnSpec",
    "ListSpec",
    "SheetReport",
    "clean_any",
    "clean_case_status",
    "clean_code",
    "clean_id",
    "clean_text",
    "excel_serial",
    "identify_list",
    "normalise_header",
    "open_workbook_safely",
    "parse_age",
    "parse_date",
    "parse_int",
    "parse_yes_no",
    "read_annex_a",
    "sheets_found",
    "strip_code",
]


class AnnexAFileError(Exception):
    """The file is not a readable Annex A workbook; str() is a clear message for a person."""


@dataclass(frozen=True, slots=True)
class CellError:
    sheet: str
    row_number: int
    column: str  # the header as in the file
    message: str
    key: str = ""  # the canonical column key, so a caller can ignore columns it does not use


@dataclass(frozen=True, slots=True)
class AnnexRow:
    list_number: int
    sheet: str
    row_number: int
    values: dict[str, object]
    errors: list[CellError]
    # Canonical key -> header as in the file; one shared mapping per sheet.
    columns: Mapping[str, str] = field(default_factory=dict)


ColumnKind = Literal["id", "text", "code", "case_status", "date", "yes_no", "int", "age"]


@dataclass(frozen=True)
class ColumnSpec:
    key: str
    kind: ColumnKind
    headers: tuple[str, ...]  # the published header first, then known variants
    required: bool = False


@dataclass(frozen=True)
class ListSpec:
    number: int
    title: str
    columns: tuple[ColumnSpec, ...]

    @property
    def id_key(self) -> str:
        return self.columns[0].key

    @cached_property
    def required_headers(self) -> frozenset[str]:
        return frozenset(normalise_header(c.headers[0]) for c in self.columns if c.required)

    @cached_property
    def optional_headers(self) -> frozenset[str]:
        return frozenset(normalise_header(c.headers[0]) for c in self.columns if not c.required)

    @cached_property
    def required_keys(self) -> frozenset[str]:
        return frozenset(c.key for c in self.columns if c.required)

    @cached_property
    def kinds(self) -> dict[str, ColumnKind]:
        return {c.key: c.kind for c in self.columns}

    @cached_property
    def keys_by_header(self) -> dict[str, ColumnSpec]:
        """Every accepted header variant, normalised -> its column."""
        return {normalise_header(h): c for c in self.columns for h in c.headers}


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


# ---------------------------------------------------------------------------------------
# Cleaning helpers
# ---------------------------------------------------------------------------------------

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
_TEXT_TABLE = str.maketrans({**_QUOTES, **_INVISIBLE})
_REPEATED_PUNCT = re.compile(r"([^\w\s])\1+")
_TRAILING_JUNK = re.compile(r"[\s?.:;,*]+$")
_NULL_TOKENS = frozenset({"", "#n/a", "n/a", "null", "#null!", "#ref!", "#value!", "#div/0!"})
_NULL_TOKENS |= {"#name?", "#num!", "#getting_data", "#spill!", "#calc!"}


@lru_cache(maxsize=4096)
def normalise_header(header: object) -> str:
    """A header as text that compares equal across the spellings real files use.

    Unicode NFKC, straight quotes, collapsed whitespace, case-folded; repeated
    punctuation (``(Y/N))``), spaces inside brackets and trailing ``?``/``.``/``:`` are
    tolerated. Idempotent.
    """
    if header is None:
        return ""
    text = _number_text(header) if isinstance(header, int | float) else str(header)
    previous = None
    # Each pass can expose more to tidy (NFKC after casefold, a bracket after a space);
    # repeating to a fixed point makes the function idempotent.
    for _ in range(8):
        if text == previous:
            break
        previous = text
        text = unicodedata.normalize("NFKC", text).translate(_TEXT_TABLE).casefold()
        text = " ".join(text.split())
        text = text.replace("( ", "(").replace(" )", ")")
        text = _REPEATED_PUNCT.sub(r"\1", text)
        text = _TRAILING_JUNK.sub("", text)
        while text.endswith(")") and text.count(")") > text.count("("):
            text = text[:-1]
    return text


def _number_text(value: float) -> str:
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
            text = " ".join(value.translate(_TEXT_TABLE).split())
    elif isinstance(value, str):
        text = " ".join(value.translate(_TEXT_TABLE).split())
    elif isinstance(value, bool):
        text = "Yes" if value else "No"
    elif isinstance(value, int | float):
        text = _number_text(value)
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
            raise ValueError(f"{_number_text(serial)} is not an Excel date from 1904 to {MAX_YEAR}")
        return _EPOCH_1904 + timedelta(days=whole)
    if whole >= 61:
        if whole > _MAX_SERIAL_1900:
            raise ValueError(f"{_number_text(serial)} is an Excel date after {MAX_YEAR}")
        return _EPOCH_1900 + timedelta(days=whole)
    if whole == 60:
        raise ValueError("60 is Excel's 29/02/1900, a day that does not exist")
    if whole < 1:
        raise ValueError(f"{_number_text(serial)} is not an Excel date")
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
        raise ValueError(f"'{_number_text(value)}' is not a whole number")
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


CASE_STATUSES = (
    "Looked after child",
    "Child Protection plan",
    "Child in need plan",
    "Open assessment",
    "Closed episode",
)
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
# The lists
# ---------------------------------------------------------------------------------------


def _c(key: str, kind: ColumnKind, *headers: str, required: bool = False) -> ColumnSpec:
    return ColumnSpec(key=key, kind=kind, headers=headers, required=required)


_CHILD_ID = _c(
    "child_id",
    "id",
    "Child Unique ID",
    "Child ID",
    "Unique Child ID",
    "Child Unique Identifier",
    required=True,
)
_COMMON = (
    _CHILD_ID,
    _c("gender", "code", "Gender"),
    _c("ethnicity", "code", "Ethnicity"),
    _c("date_of_birth", "date", "Date of Birth", "DOB"),
    _c("age", "age", "Age of Child (Years)", "Age", "Age of Child", "Age (Years)"),
)
_DISABILITY = _c("has_disability", "yes_no", "Does the Child have a Disability", "Disability")
_TEAM = _c("allocated_team", "text", "Allocated Team", "Team", required=True)
_WORKER = _c(
    "allocated_worker", "text", "Allocated Worker", "Allocated Social Worker", required=True
)

LIST_SPECS: tuple[ListSpec, ...] = (
    ListSpec(
        1,
        "Contacts",
        (
            *_COMMON,
            _c("contact_date", "date", "Date of Contact", required=True),
            _c("contact_source", "code", "Contact Source", required=True),
        ),
    ),
    ListSpec(
        2,
        "Early Help Assessments",
        (
            *_COMMON,
            _c("eh_assessment_start_date", "date", "Assessment start date", required=True),
            _c("eh_assessment_completion_date", "date", "Assessment completion date"),
            _c(
                "eh_assessment_organisation",
                "text",
                "Organisation completing assessment",
                required=True,
            ),
        ),
    ),
    ListSpec(
        3,
        "Referrals",
        (
            *_COMMON,
            _c("referral_date", "date", "Date of Referral", required=True),
            _c("referral_source", "code", "Referral Source"),
            _c("referral_nfa", "yes_no", "Referral NFA?", "Referral NFA"),
            _c("referrals_last_12_months", "int", "Number of Referrals in Last 12 Months"),
            _TEAM,
            _WORKER,
        ),
    ),
    ListSpec(
        4,
        "Assessments",
        (
            *_COMMON,
            _DISABILITY,
            _c("assessment_start_date", "date", "Continuous Assessment Start Date", required=True),
            _c(
                "child_seen_during_assessment",
                "yes_no",
                "Child Seen During Continuous Assessment",
            ),
            _c(
                "assessment_authorisation_date",
                "date",
                "Continuous Assessment Date of Authorisation",
            ),
            _c(
                "assessment_requires_support",
                "yes_no",
                "Was the child assessed as requiring LA children's social care support?",
            ),
            _TEAM,
            _WORKER,
        ),
    ),
    ListSpec(
        5,
        "Section 47 Enquiries and ICPC",
        (
            *_COMMON,
            _DISABILITY,
            _c(
                "s47_start_date",
                "date",
                "Strategy discussion initiating Section 47 Enquiry Start Date",
                required=True,
            ),
            _c(
                "icpc_unnecessary",
                "yes_no",
                "Was an Initial Child Protection Conference deemed unnecessary?",
            ),
            _c("icpc_date", "date", "Date of Initial Child Protection Conference"),
            _c(
                "icpc_resulted_in_cp_plan",
                "yes_no",
                "Did the Initial Child Protection Conference Result in a Child Protection Plan",
            ),
            _c(
                "s47_enquiries_last_12_months",
                "int",
                "Number of Section 47 Enquiries in the last 12 months",
            ),
            _c("icpcs_last_12_months", "int", "Number of ICPCs in the last 12 months"),
            _TEAM,
            _WORKER,
        ),
    ),
    ListSpec(
        6,
        "Children in Need",
        (
            *_COMMON,
            _DISABILITY,
            _c("cin_start_date", "date", "CIN Start Date", required=True),
            _c("primary_need_code", "code", "Primary Need Code"),
            _c("date_last_seen", "date", "Date Child Was Last Seen"),
            _c("cin_closure_date", "date", "CIN Closure Date", required=True),
            _c("closure_reason", "code", "Reason for Closure"),
            _c("case_status", "case_status", "Case Status"),
            _TEAM,
            _WORKER,
        ),
    ),
    ListSpec(
        7,
        "Child Protection",
        (
            *_COMMON,
            _DISABILITY,
            _c("cp_plan_start_date", "date", "Child Protection Plan Start Date", required=True),
            _c("initial_category_of_abuse", "code", "Initial Category of Abuse"),
            _c("latest_category_of_abuse", "code", "Latest Category of Abuse"),
            _c("last_statutory_visit_date", "date", "Date of the Last Statutory Visit"),
            _c("seen_alone", "yes_no", "Was the Child Seen Alone?"),
            _c("latest_review_conference_date", "date", "Date of latest review conference"),
            _c("cp_plan_end_date", "date", "Child Protection Plan End Date", required=True),
            _c(
                "emergency_protection_order",
                "yes_no",
                "Subject to Emergency Protection Order or Protected Under Police Powers in "
                "Last Six Months (Y/N)",
            ),
            _c("previous_cp_plans", "int", "Number of Previous Child Protection Plans"),
            _TEAM,
            _WORKER,
        ),
    ),
    ListSpec(
        8,
        "Children in Care",
        (
            *_COMMON,
            _c(
                "uasc",
                "yes_no",
                "Unaccompanied Asylum Seeking Child (UASC) within the Last 12 Months (Y/N)",
            ),
            _DISABILITY,
            _c("looked_after_start_date", "date", "Date Started to be Looked After", required=True),
            _c("category_of_need", "code", "Child's Category of Need"),
            _c(
                "subsequent_period_looked_after",
                "yes_no",
                "Is this a second or subsequent period of being a Looked After Child within "
                "the last 12 months (Y/N)",
            ),
            _c("legal_status_start_date", "date", "Start date of current legal status"),
            _c("legal_status", "code", "Child's Legal Status"),
            _c("latest_statutory_review_date", "date", "Date of Latest Statutory Review"),
            _c("last_social_work_visit_date", "date", "Date of Last Social Work Visit"),
            _c("permanence_plan", "code", "What is the permanence plan for this child?"),
            _c("last_iro_contact_date", "date", "Date of Last IRO Visit / Contact to the Child"),
            _c("last_health_assessment_date", "date", "Date of Last Health Assessment"),
            _c("last_dental_check_date", "date", "Date of Last Dental Check"),
            _c("placements_last_12_months", "int", "Number of Placements in the Last 12 months"),
            _c("looked_after_end_date", "date", "Date Ceased to be Looked After", required=True),
            _c("reason_ceased", "code", "Reason Ceased to be Looked After"),
            _c("placement_start_date", "date", "Start Date of Most Recent Placement"),
            _c("placement_type", "code", "Placement Type"),
            _c("placement_provider", "code", "Placement Provider"),
            _c("placement_postcode", "text", "Placement postcode"),
            _c("placement_urn", "id", "URN of Placement"),
            _c("placement_location", "code", "Placement Location"),
            _c("placement_la", "code", "LA of Placement"),
            _c(
                "missing_episodes_last_12_months",
                "int",
                "Number of Episodes the Child has been 'Missing' from their Placement in the "
                "last 12 months",
            ),
            _c(
                "absent_episodes_last_12_months",
                "int",
                "Number of Episodes the Child has been 'Absent' from their Placement in the "
                "last 12 months",
            ),
            _c(
                "return_interview_offered",
                "yes_no",
                "Was the child offered a Return Interview after their last missing episode (Y/N)?",
            ),
            _c(
                "return_interview_accepted",
                "yes_no",
                "Did the child accept a Return Interview after their last missing episode (Y/N)?",
            ),
            _TEAM,
            _WORKER,
        ),
    ),
    ListSpec(
        9,
        "Leaving Care Services",
        (
            *_COMMON,
            # The 2024 layout adds UASC, the personal advisor, the pathway plan review and
            # the latest contact; the older layout lacks them, so they are optional.
            _c(
                "uasc",
                "yes_no",
                "Unaccompanied Asylum Seeking Child (UASC), or formerly UASC if 18 or over (Y/N)",
            ),
            _DISABILITY,
            _TEAM,
            _WORKER,
            _c(
                "allocated_personal_advisor",
                "text",
                "Allocated Personal Advisor",
                "Allocated Personal Adviser",
            ),
            _c("eligibility_category", "code", "Eligibility Category", required=True),
            _c("pathway_plan_review_date", "date", "Latest Pathway Plan Review Date"),
            _c("la_in_touch", "code", "LA in Touch", required=True),
            _c("latest_contact_date", "date", "Latest Date of Contact"),
            _c("accommodation_type", "code", "Type of Accommodation"),
            _c("accommodation_suitability", "code", "Suitability of Accommodation"),
            _c("activity_status", "code", "Activity Status", required=True),
        ),
    ),
    ListSpec(
        10,
        "Adoption",
        (
            _CHILD_ID,
            _c("family_identifier", "id", "Family identifier", required=True),
            *_COMMON[1:],
            _DISABILITY,
            _c("entered_care_date", "date", "Date the Child Entered Care", required=True),
            _c(
                "adoption_decision_date",
                "date",
                "Date of Decision that Child Should be Placed for Adoption",
                required=True,
            ),
            _c("placement_order_date", "date", "Date of Placement Order"),
            _c("matching_date", "date", "Date of Matching Child and Prospective Adopters"),
            _c("placed_for_adoption_date", "date", "Date Placed for Adoption"),
            _c("adoption_order_date", "date", "Date of Adoption Order"),
            _c(
                "adoption_reversal_date",
                "date",
                "Date of Decision that Child Should No Longer be Placed for Adoption",
            ),
            _c(
                "adoption_reversal_reason",
                "code",
                "Reason Why Child No Longer Placed for Adoption",
            ),
            _c(
                "ffa_placement_date",
                "date",
                "Date the child was placed for fostering in FFA or concurrent planning placement",
            ),
        ),
    ),
    ListSpec(
        11,
        "Adopters",
        (
            _c("adopter_id", "id", "Individual adopter identifier", required=True),
            _c("family_identifier", "id", "Family identifier", required=True),
            _c("gender", "code", "Gender"),
            _c("ethnicity", "code", "Ethnicity"),
            _c("has_disability", "yes_no", "Disability"),
        ),
    ),
)
LIST_SPEC_BY_NUMBER = {spec.number: spec for spec in LIST_SPECS}


# ---------------------------------------------------------------------------------------
# Identifying a list from its headers
# ---------------------------------------------------------------------------------------

_CLEANERS: dict[ColumnKind, Callable[[object], object]] = {
    "id": clean_id,
    "text": clean_text,
    "code": clean_code,
    "case_status": clean_case_status,
    "date": parse_date,
    "yes_no": parse_yes_no,
    "int": parse_int,
    "age": parse_age,
}


@dataclass(frozen=True, slots=True)
class _Failure:
    message: str


_MEMO_KINDS = frozenset({"text", "code", "case_status", "yes_no"})
_MEMO_LIMIT = 4096


def _memoised(clean: Callable[[object], object]) -> Callable[[object], object]:
    """Remember the cleaned form of each text value of a column with few distinct values
    (codes, teams, workers); one memo per sheet, so nothing outlives the read."""
    memo: dict[str, object] = {}

    def cached(raw: object) -> object:
        if type(raw) is not str:
            return clean(raw)
        hit = memo.get(raw, memo)
        if hit is memo:
            try:
                hit = clean(raw)
            except ValueError as error:
                hit = _Failure(str(error))
            if len(memo) < _MEMO_LIMIT:
                memo[raw] = hit
        if type(hit) is _Failure:
            raise ValueError(hit.message)
        return hit

    return cached


@dataclass(frozen=True)
class _Column:
    index: int  # 0-based position in the row
    key: str
    header: str  # as in the file
    clean: Callable[[object], object]


@dataclass(frozen=True)
class _Match:
    spec: ListSpec
    columns: tuple[_Column, ...]
    missing: tuple[str, ...]  # published headers of the spec not present


def _slug(normalised: str) -> str:
    return re.sub(r"[^0-9a-z]+", "_", normalised).strip("_")


def _header_text(header: object) -> str:
    return " ".join(str(header).split()) if header is not None else ""


def _match(spec: ListSpec, headers: Sequence[object], epoch1904: bool) -> _Match | None:
    by_header = spec.keys_by_header
    seen: set[str] = set()
    found: list[tuple[int, ColumnSpec, str]] = []
    extras: list[tuple[int, str, str]] = []
    for index, header in enumerate(headers):
        normalised = normalise_header(header)
        if not normalised:
            continue
        column = by_header.get(normalised)
        if column is not None and column.key not in seen:
            seen.add(column.key)
            found.append((index, column, _header_text(header)))
        else:
            extras.append((index, normalised, _header_text(header)))
    if not spec.required_keys <= seen:
        return None
    used = {c.key for c in spec.columns}
    columns: list[_Column] = []
    for index, column, text in found:
        clean = _CLEANERS[column.kind]
        if epoch1904 and column.kind == "date":
            clean = _parse_date_1904
        columns.append(_Column(index, column.key, text, clean))
    for index, normalised, text in extras:
        key = _slug(normalised) or f"column_{index + 1}"
        base, n = key, 2
        while key in used:
            key, n = f"{base}_{n}", n + 1
        used.add(key)
        columns.append(_Column(index, key, text, clean_any))
    missing = tuple(c.headers[0] for c in spec.columns if c.key not in seen)
    return _Match(spec, tuple(columns), missing)


def _parse_date_1904(value: object) -> date | None:
    return parse_date(value, epoch1904=True)


def _best_match(headers: Sequence[object], epoch1904: bool = False) -> _Match | None:
    best: _Match | None = None
    for spec in LIST_SPECS:
        found = _match(spec, headers, epoch1904)
        # The list that explains most of the columns wins, should two ever both fit.
        if found is not None and (best is None or _explained(found) > _explained(best)):
            best = found
    return best


def _explained(found: _Match) -> int:
    return len(found.spec.columns) - len(found.missing)


def identify_list(headers: Sequence[object]) -> ListSpec | None:
    """Which Annex A list a header row is, by its normalised set of headers (never the
    sheet name); None for a row that is not a list's headers."""
    found = _best_match(headers)
    return None if found is None else found.spec


def _closest(headers: Sequence[object]) -> tuple[ListSpec, tuple[str, ...]] | None:
    """The list a header row nearly is (its ID and at least half of its other required
    headers present), with the required headers it lacks."""
    present = {normalise_header(h) for h in headers}
    best: tuple[int, ListSpec, tuple[str, ...]] | None = None
    for spec in LIST_SPECS:
        required = [c for c in spec.columns if c.required]
        have = [c for c in required if present & {normalise_header(h) for h in c.headers}]
        if spec.columns[0] not in have or 2 * len(have) < len(required):
            continue
        missing = tuple(c.headers[0] for c in required if c not in have)
        if best is None or len(have) > best[0]:
            best = (len(have), spec, missing)
    return None if best is None else (best[1], best[2])


# ---------------------------------------------------------------------------------------
# Opening files safely
# ---------------------------------------------------------------------------------------

_OLE_SIGNATURE = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_ZIP_SIGNATURES = (b"PK\x03\x04", b"PK\x05\x06", b"PK\x07\x08")
_RATIO_MIN_MEMBER = 2**20  # small members cannot do harm, however well they compress
_MAX_MEMBERS = 10_000


def _size_text(size: int) -> str:
    if size >= 2**20:
        return f"{size / 2**20:,.0f} MB"
    return f"{size / 2**10:,.0f} KB"


def open_workbook_safely(
    path: Path,
    *,
    max_bytes: int = 200 * 2**20,
    max_uncompressed: int = 2 * 2**30,
    max_ratio: int = 100,
) -> None:
    """Check, from the file's bytes and zip metadata only, that it is an .xlsx workbook
    that is safe to open; raise AnnexAFileError saying what it is instead."""
    name = Path(path).name
    try:
        size = Path(path).stat().st_size
        with open(path, "rb") as handle:
            head = handle.read(2048)
    except FileNotFoundError:
        raise AnnexAFileError(f"The file {name} could not be found.") from None
    except OSError as error:
        raise AnnexAFileError(f"The file {name} could not be read ({error.strerror}).") from None
    if size == 0:
        raise AnnexAFileError(f"{name} is empty.")
    if size > max_bytes:
        raise AnnexAFileError(
            f"{name} is {_size_text(size)}; the largest workbook accepted is "
            f"{_size_text(max_bytes)}."
        )
    if head.startswith(_OLE_SIGNATURE):
        raise AnnexAFileError(_ole_message(path, name))
    if not head.startswith(_ZIP_SIGNATURES):
        raise AnnexAFileError(_not_zip_message(head, name))
    if not zipfile.is_zipfile(path):
        raise AnnexAFileError(
            f"{name} is cut short (truncated or damaged): it starts like an Excel workbook but "
            "its end is missing. Save or download it again and upload the new copy."
        )
    try:
        with zipfile.ZipFile(path) as archive:
            members = archive.infolist()
    except (zipfile.BadZipFile, OSError, ValueError, EOFError):
        raise AnnexAFileError(
            f"{name} is damaged and cannot be opened as an Excel workbook. "
            "Save it again from Excel as .xlsx."
        ) from None
    _check_zip_bomb(members, name, max_uncompressed, max_ratio)
    names = {member.filename for member in members}
    if "[Content_Types].xml" not in names or not any(
        n.startswith("xl/") and n.endswith("workbook.xml") for n in names
    ):
        raise AnnexAFileError(_not_xlsx_message(names, name))


def _check_zip_bomb(
    members: list[zipfile.ZipInfo], name: str, max_uncompressed: int, max_ratio: int
) -> None:
    refusal = (
        f"{name} was refused: it would expand to {{}}, which looks like a 'zip bomb' rather "
        "than an Annex A workbook."
    )
    if len(members) > _MAX_MEMBERS:
        raise AnnexAFileError(
            f"{name} was refused: it holds {len(members):,} parts, far more than a workbook."
        )
    total = sum(member.file_size for member in members)
    if total > max_uncompressed:
        raise AnnexAFileError(refusal.format(_size_text(total)))
    for member in members:
        if member.file_size < _RATIO_MIN_MEMBER:
            continue
        ratio = member.file_size / max(member.compress_size, 1)
        if ratio > max_ratio:
            raise AnnexAFileError(
                refusal.format(
                    f"{_size_text(member.file_size)} from {_size_text(member.compress_size)} "
                    f"(a ratio of {ratio:,.0f} to 1)"
                )
            )


def _ole_message(path: Path, name: str) -> str:
    # Password-protected .xlsx files and old .xls files share the OLE container; the
    # encrypted ones carry an "EncryptionInfo" stream.
    with open(path, "rb") as handle:
        sample = handle.read(2**20)
    if "EncryptionInfo".encode("utf-16-le") in sample:
        return (
            f"{name} is password-protected (encrypted), so it cannot be read. Open it in "
            "Excel, remove the password (File > Info > Protect Workbook > Encrypt with "
            "Password, then clear it), save it as .xlsx and upload it again."
        )
    if "Workbook".encode("utf-16-le") in sample or "Book".encode("utf-16-le") in sample:
        return (
            f"{name} is an old-style Excel 97-2003 (.xls) workbook. Open it in Excel and "
            "save it as an Excel Workbook (.xlsx), then upload it again."
        )
    return (
        f"{name} is password-protected (encrypted) or an old-style .xls file, so it cannot "
        "be read. Open it in Excel, remove any password, save it as an Excel Workbook "
        "(.xlsx) and upload it again."
    )


def _not_zip_message(head: bytes, name: str) -> str:
    if head.startswith(b"%PDF"):
        return f"{name} is a PDF document, not an Excel workbook. Upload the .xlsx file."
    if head.lstrip().startswith((b"<html", b"<!DOCTYPE", b"<!doctype", b"<?xml")):
        return f"{name} is a web page or XML file, not an Excel .xlsx workbook."
    # The sample may end inside a multi-byte character; a text file loses at most that.
    text = head.decode("utf-8", errors="ignore").lstrip("\ufeff")
    if len(text.encode("utf-8")) < len(head.removeprefix(b"\xef\xbb\xbf")) - 3:
        text = ""
    if text and all(ch.isprintable() or ch in "\r\n\t" for ch in text.rstrip("\x00")[:1024]):
        return (
            f"{name} is a text (CSV) file, not an Excel workbook. Annex A must be uploaded "
            "as the .xlsx workbook; a CSV case list can be imported with a column mapping."
        )
    return f"{name} is not an Excel workbook (.xlsx). Upload the Annex A .xlsx file."


def _not_xlsx_message(names: set[str], name: str) -> str:
    if any(n.startswith("xl/") and n.endswith("workbook.bin") for n in names):
        return (
            f"{name} is an Excel binary workbook (.xlsb). Save it in Excel as an Excel "
            "Workbook (.xlsx) and upload it again."
        )
    if "mimetype" in names or "content.xml" in names:
        return (
            f"{name} is an OpenDocument file, not an Excel workbook. Save it as an Excel "
            "Workbook (.xlsx) and upload it again."
        )
    if any(n.startswith("word/") for n in names):
        return f"{name} is a Word document, not an Excel workbook."
    return f"{name} is a zip archive but not an Excel workbook (.xlsx)."


# ---------------------------------------------------------------------------------------
# Reading
# ---------------------------------------------------------------------------------------

HEADER_SCAN_ROWS = 10  # headers are in row 1, but some files put a title above them
PROGRESS_EVERY = 1000
_READ_ERRORS = (
    zipfile.BadZipFile,
    zlib.error,
    KeyError,
    OSError,
    EOFError,
    ValueError,
    TypeError,
    IndexError,
    AttributeError,
    SyntaxError,  # xml.etree's ParseError
)


@dataclass
class _Sheet:
    worksheet: Any
    report: SheetReport
    match: _Match | None


class AnnexAReader:
    """One open Annex A workbook: its sheets, then its rows, without opening it twice.

    ``with AnnexAReader(path) as reader: reader.sheets; for row in reader.rows(): ...``
    """

    def __init__(
        self,
        path: Path,
        *,
        max_bytes: int = 200 * 2**20,
        max_uncompressed: int = 2 * 2**30,
        max_ratio: int = 100,
    ) -> None:
        self.path = Path(path)
        open_workbook_safely(
            self.path,
            max_bytes=max_bytes,
            max_uncompressed=max_uncompressed,
            max_ratio=max_ratio,
        )
        name = self.path.name
        try:
            self._workbook = CalamineWorkbook.from_path(str(self.path))
        except Exception as error:  # calamine raises its own error types for bad files
            raise AnnexAFileError(
                f"{name} could not be opened as an Excel workbook ({_reason(error)}). "
                "Save it again from Excel as .xlsx."
            ) from None
        try:
            self._epoch1904 = _uses_1904_dates(self.path)
            self._sheets = [self._inspect(sheet) for sheet in self._workbook.sheet_names]
        except Exception as error:
            self.close()
            raise AnnexAFileError(
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

    def _inspect(self, title: str) -> _Sheet:
        # calamine loads a whole sheet at once; only the lists are kept until read.
        ws = self._workbook.get_sheet_by_name(title)
        head = [
            tuple(None if v == "" else v for v in row)
            for _, row in zip(range(HEADER_SCAN_ROWS), ws.iter_rows(), strict=False)
        ]
        for offset, headers in enumerate(head):
            found = _best_match(headers, self._epoch1904)
            if found is None:
                continue
            header_row = offset + 1
            # total_height is the last row's 0-based index; iter_rows starts at row 1.
            estimate = max(int(ws.total_height) + 1 - header_row, 0)
            report = SheetReport(
                name=title,
                list_number=found.spec.number,
                title=found.spec.title,
                header_row=header_row,
                header_count=sum(1 for h in headers if normalise_header(h)),
                row_estimate=estimate,
                columns={c.key: c.header for c in found.columns},
                missing_columns=found.missing,
            )
            return _Sheet(ws, report, found)
        near = [(c, row) for row in head if (c := _closest(row)) is not None]
        first = next((row for row in head if any(normalise_header(h) for h in row)), ())
        closest = near[0][0] if near else None
        return _Sheet(
            None,
            SheetReport(
                name=title,
                list_number=None,
                title=None,
                header_row=None,
                header_count=sum(1 for h in (near[0][1] if near else first) if normalise_header(h)),
                row_estimate=0,
                missing_columns=closest[1] if closest else (),
                closest_list=closest[0].number if closest else None,
            ),
            None,
        )

    def rows(
        self,
        *,
        on_progress: Callable[[int, int], None] | None = None,
        lists: Collection[int] | None = None,
    ) -> Iterator[AnnexRow]:
        """Every non-blank data row of every recognised list (or of ``lists`` only)."""
        if not any(s.match is not None for s in self._sheets):
            raise AnnexAFileError(_no_list_message(self.path.name, self.sheets))
        chosen = [
            s
            for s in self._sheets
            if s.match is not None and (lists is None or s.match.spec.number in lists)
        ]
        total = sum(s.report.row_estimate for s in chosen)
        done = 0
        for sheet in chosen:
            source = self._sheet_rows(sheet)
            while True:
                try:
                    row = next(source)
                except StopIteration:
                    break
                except _READ_ERRORS as error:
                    raise AnnexAFileError(
                        f"{self.path.name} could not be read to the end: sheet "
                        f"'{sheet.report.name}' is damaged ({_reason(error)})."
                    ) from None
                yield row
                done += 1
                if on_progress is not None and done % PROGRESS_EVERY == 0:
                    on_progress(done, max(total, done))
        if on_progress is not None:
            on_progress(done, done)

    def _sheet_rows(self, sheet: _Sheet) -> Iterator[AnnexRow]:
        match = sheet.match
        header_row = sheet.report.header_row
        if match is None or header_row is None:
            return
        name = sheet.report.name
        number = match.spec.number
        columns = match.columns
        column_map = sheet.report.columns
        id_key = match.spec.id_key
        id_header = column_map.get(id_key, id_key)
        template: dict[str, object] = dict.fromkeys(c.key for c in match.spec.columns)
        template.update((c.key, None) for c in columns)
        worksheet, sheet.worksheet = sheet.worksheet, None  # freed once read
        rows = itertools.islice(worksheet.iter_rows(), header_row, None)
        kinds = match.spec.kinds
        plan = [
            (
                c.index,
                c.key,
                c.header,
                _memoised(c.clean) if kinds.get(c.key) in _MEMO_KINDS else c.clean,
            )
            for c in columns
        ]
        for row_number, row in enumerate(rows, start=header_row + 1):
            values = template.copy()
            errors: list[CellError] = []
            filled = False
            for index, key, header, clean in plan:
                raw = row[index] if index < len(row) else None
                if raw is None or raw == "":  # calamine gives "" for an empty cell
                    continue
                try:
                    value = clean(raw)
                except ValueError as error:
                    errors.append(CellError(name, row_number, header, str(error), key))
                    filled = True
                    continue
                if value is not None:
                    values[key] = value
                    filled = True
            if not filled:
                continue
            if values[id_key] is None:
                errors.append(
                    CellError(name, row_number, id_header, f"{id_header} is blank", id_key)
                )
            yield AnnexRow(number, name, row_number, values, errors, column_map)


def _reason(error: BaseException) -> str:
    text = str(error).strip() or type(error).__name__
    return text if len(text) <= 120 else text[:117] + "..."


def _uses_1904_dates(path: Path) -> bool:
    """Whether the workbook counts serial dates from 1904 (old Mac Excel files)."""
    try:
        with zipfile.ZipFile(path) as archive, archive.open("xl/workbook.xml") as source:
            head = source.read(2**16)
    except (KeyError, OSError, zipfile.BadZipFile, zlib.error):
        return False
    return re.search(rb'date1904="(1|true)"', head) is not None


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
    on_progress: Callable[[int, int], None] | None = None,
    lists: Collection[int] | None = None,
) -> Iterator[AnnexRow]:
    """Stream every non-blank data row of every recognised list (or of ``lists`` only).

    Raises AnnexAFileError, on the first ``next()``, for a file that is not a readable
    Annex A workbook. ``on_progress(rows_done, rows_total_estimate)`` is called every
    1,000 rows and once at the end."""
    with AnnexAReader(path) as reader:
        yield from reader.rows(on_progress=on_progress, lists=lists)


def sheets_found(path: Path) -> list[SheetReport]:
    """Every sheet of the workbook and what it holds, for the import result page."""
    with AnnexAReader(path) as reader:
        return reader.sheets
