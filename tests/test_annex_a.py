"""The Annex A reader: lists found by headers, cells cleaned, bad files refused."""

from __future__ import annotations

import io
import random
import re
import tracemalloc
import zipfile
from collections.abc import Sequence
from datetime import date, datetime, timedelta
from pathlib import Path

import openpyxl
import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from bench.annex_a_workbook import write_annex_a
from qpa.cases.tabular.cleaning import (
    clean_text,
    excel_serial,
    parse_date,
    parse_yes_no,
    strip_code,
)
from qpa.cases.tabular.errors import FileRefused as AnnexAFileError
from qpa.cases.tabular.files import open_workbook_safely
from qpa.cases.tabular.headers import identify_list, normalise_header
from qpa.cases.tabular.lists import LIST_SPECS
from qpa.cases.tabular.readers import AnnexAReader, AnnexRow, read_annex_a, sheets_found

COMMON = ["Child Unique ID", "Gender", "Ethnicity", "Date of Birth", "Age"]
L6 = [
    *COMMON,
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
L7 = [
    *COMMON,
    "Does the Child have a Disability",
    "Child Protection Plan Start Date",
    "Initial Category of Abuse",
    "Latest Category of Abuse",
    "Date of the Last Statutory Visit",
    "Was the Child Seen Alone?",
    "Date of latest review conference",
    "Child Protection Plan End Date",
    "Subject to Emergency Protection Order or Protected Under Police Powers in Last Six "
    "Months (Y/N)",
    "Number of Previous Child Protection Plans",
    "Allocated Team",
    "Allocated Worker",
]
L8 = [
    "Child Unique ID",
    "Gender",
    "Ethnicity",
    "Date of Birth",
    "Age of Child (Years)",
    "Unaccompanied Asylum Seeking Child (UASC) within the Last 12 Months (Y/N)",
    "Does the Child have a Disability",
    "Date Started to be Looked After",
    "Child's Category of Need",
    "Is this a second or subsequent period of being a Looked After Child within the last 12 "
    "months (Y/N)",
    "Start date of current legal status",
    "Child's Legal Status",
    "Date of Latest Statutory Review",
    "Date of Last Social Work Visit",
    "What is the permanence plan for this child?",
    "Date of Last IRO Visit / Contact to the Child",
    "Date of Last Health Assessment",
    "Date of Last Dental Check",
    "Number of Placements in the Last 12 months",
    "Date Ceased to be Looked After",
    "Reason Ceased to be Looked After",
    "Start Date of Most Recent Placement",
    "Placement Type",
    "Placement Provider",
    "Placement postcode",
    "URN of Placement",
    "Placement Location",
    "LA of Placement",
    "Number of Episodes the Child has been 'Missing' from their Placement in the last 12 months",
    "Number of Episodes the Child has been 'Absent' from their Placement in the last 12 months",
    "Was the child offered a Return Interview after their last missing episode (Y/N)?",
    "Did the child accept a Return Interview after their last missing episode (Y/N)?",
    "Allocated Team",
    "Allocated Worker",
]
L9_2024 = [
    *COMMON,
    "Unaccompanied Asylum Seeking Child (UASC), or formerly UASC if 18 or over (Y/N)",
    "Does the Child have a Disability",
    "Allocated Team",
    "Allocated Worker",
    "Allocated Personal Advisor",
    "Eligibility Category",
    "Latest Pathway Plan Review Date",
    "LA in Touch",
    "Latest Date of Contact",
    "Type of Accommodation",
    "Suitability of Accommodation",
    "Activity Status",
]
L9_OLD = [
    *COMMON,
    "Does the Child have a Disability",
    "Allocated Team",
    "Allocated Worker",
    "Eligibility Category",
    "LA in Touch",
    "Type of Accommodation",
    "Suitability of Accommodation",
    "Activity Status",
]
L3 = [
    *COMMON,
    "Date of Referral",
    "Referral Source",
    "Referral NFA?",
    "Number of Referrals in Last 12 Months",
    "Allocated Team",
    "Allocated Worker",
]
L10 = [
    "Child Unique ID",
    "Family identifier",
    "Gender",
    "Ethnicity",
    "Date of Birth",
    "Age of Child (Years)",
    "Does the Child have a Disability",
    "Date the Child Entered Care",
    "Date of Decision that Child Should be Placed for Adoption",
    "Date of Placement Order",
    "Date of Matching Child and Prospective Adopters",
    "Date Placed for Adoption",
    "Date of Adoption Order ",  # the trailing space is in the published sample
    "Date of Decision that Child Should No Longer be Placed for Adoption",
    "Reason Why Child No Longer Placed for Adoption",
    "Date the child was placed for fostering in FFA or concurrent planning placement",
]

NBSP = "\u00a0"


def write_xlsx(path: Path, sheets: dict[str, Sequence[Sequence[object]]]) -> Path:
    workbook = openpyxl.Workbook()
    workbook.remove(workbook.active)
    for name, rows in sheets.items():
        sheet = workbook.create_sheet(name)
        for row in rows:
            sheet.append(list(row))
    workbook.save(path)
    return path


def row_for(headers: Sequence[str], **values: object) -> list[object]:
    """A row laid out under `headers`, from values keyed by the headers' snake_case."""
    slugs = [re.sub(r"[^0-9a-z]+", "_", normalise_header(h)).strip("_") for h in headers]
    row: list[object] = [None] * len(headers)
    for slug, value in values.items():
        row[slugs.index(slug)] = value
    return row


# --- A workbook with every trap ---------------------------------------------------------

CP_HEADERS = [  # List 7, reordered, with an extra column, in a sheet named 'CP'
    "Child Unique ID",
    "Allocated Team",
    "Allocated Worker",
    "Locality",
    *L7[1:-2],
]
L8_TRAPS = [  # List 8 as the samples spell it, in a sheet named 'List 7'
    h.replace("(Y/N)", "(Y/N))") if h.startswith("Unaccompanied") else h for h in L8
]
L8_TRAPS = [h.replace("'Missing'", "\u2018Missing\u2019") for h in L8_TRAPS]
L8_TRAPS[-1] = "Allocated Worker "
L8_TRAPS[0] = "Child Unique ID  "


@pytest.fixture(scope="module")
def trap_workbook(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("annex") / "annex_a.xlsx"
    cp_rows: list[Sequence[object]] = [
        CP_HEADERS,
        row_for(
            CP_HEADERS,
            child_unique_id="CP-1",
            allocated_team="Child Protection Team A",
            allocated_worker=f"Sam{NBSP}Jones{NBSP}",
            locality="North",
            gender="Female",
            child_protection_plan_start_date=45292,  # Excel serial: 01/01/2024
            child_protection_plan_end_date=None,
            was_the_child_seen_alone="Yes",
            date_of_birth="05/03/2015",
            age=8,
        ),
        row_for(
            CP_HEADERS,
            child_unique_id="CP-2",
            allocated_team="#N/A",
            allocated_worker="N/A",
            gender="b) Female",
            child_protection_plan_start_date="2023-06-30",
            child_protection_plan_end_date="2024-01-15T00:00:00",
            was_the_child_seen_alone="b) No",
        ),
    ]
    l8_rows: list[Sequence[object]] = [
        L8_TRAPS,
        row_for(
            L8,
            child_unique_id=12345.0,
            gender="a) Male",
            age_of_child_years=15.0,
            date_started_to_be_looked_after=datetime(2022, 9, 1),
            date_ceased_to_be_looked_after=None,
            allocated_team="Children in Care 1",
            allocated_worker=f"Jane{NBSP}Smith",
            unaccompanied_asylum_seeking_child_uasc_within_the_last_12_months_y_n="a) Yes",
            number_of_placements_in_the_last_12_months=2.0,
            urn_of_placement=1234567.0,
        ),
        [],  # a blank row
        [None, "   ", NBSP],  # a row of nothing but spaces
        row_for(
            L8,
            child_unique_id="C-99",
            date_started_to_be_looked_after="31/02/2023",  # no such day
            date_ceased_to_be_looked_after="12/12/2023",
            allocated_team="#N/A",
            allocated_worker="\u201cTBC\u201d",
        ),
    ]
    l9_rows: list[Sequence[object]] = [
        L9_2024,
        row_for(
            L9_2024,
            child_unique_id="CL-1",
            allocated_team="Leaving Care Team",
            allocated_worker="Kim Lee",
            allocated_personal_advisor="Pat O\u2019Neill",
            eligibility_category="b) Former relevant child",
            latest_pathway_plan_review_date=datetime(2023, 11, 2),
            la_in_touch="a) Yes",
            activity_status="F1 - Full time education",
        ),
    ]
    l9_old_rows: list[Sequence[object]] = [
        L9_OLD,
        row_for(
            L9_OLD,
            child_unique_id="CL-2",
            allocated_team="16+ Team",
            allocated_worker="Ann Bell",
            eligibility_category="a) Relevant child",
            la_in_touch="b) No",
            activity_status="G6",
        ),
    ]
    cin_headers = [*L6[:4], "Age of Child (Years)", *L6[5:]]
    cin_rows: list[Sequence[object]] = [
        cin_headers,
        row_for(
            L6,
            child_unique_id="CIN-1",
            cin_start_date="01/02/23",
            case_status="c) Child in need plan",
            allocated_team="Family Support \u2018North\u2019",
            allocated_worker="Lee Chan",
            does_the_child_have_a_disability="Y",
        ),
        row_for(
            L6,
            child_unique_id="CIN-2",
            cin_start_date=44927,
            cin_closure_date="2023-12-01",
            case_status="Closed episode",
            allocated_team="Family Support South",
            allocated_worker="Lee Chan",
        ),
        row_for(
            L6,
            child_unique_id="CIN-3",
            cin_start_date="next week",
            case_status="z) Something else",
            allocated_team="Family Support South",
            allocated_worker="Lee Chan",
            does_the_child_have_a_disability="maybe",
        ),
    ]
    l3_rows: list[Sequence[object]] = [
        ["Annex A List 3: referrals in the last six months"],  # a title above the headers
        L3,
        row_for(
            L3,
            child_unique_id=555,
            date_of_referral=datetime(2023, 10, 1, 14, 30),
            referral_source="p1) 5D: LA services",
            referral_nfa="a) Yes",
            allocated_team="MASH",
            allocated_worker="Duty Worker",
        ),
    ]
    return write_xlsx(
        path,
        {
            "Cover": [["Annex A"], ["Local authority", "Example"], ["Date", datetime(2024, 1, 31)]],
            "CP": cp_rows,
            "List 7": l8_rows,
            "List 9": l9_rows,
            "List 9 (old)": l9_old_rows,
            "CIN": cin_rows,
            "Notes": [["Team", "Count"], ["MASH", 4]],
            "List 3": l3_rows,
        },
    )


@pytest.fixture(scope="module")
def trap_rows(trap_workbook: Path) -> dict[str, AnnexRow]:
    rows = {}
    for row in read_annex_a(trap_workbook):
        rows[str(row.values["child_id"])] = row
    return rows


def test_lists_are_found_by_headers_not_sheet_names(trap_workbook: Path) -> None:
    found = {s.name: s.list_number for s in sheets_found(trap_workbook)}
    assert found == {
        "Cover": None,
        "CP": 7,
        "List 7": 8,
        "List 9": 9,
        "List 9 (old)": 9,
        "CIN": 6,
        "Notes": None,
        "List 3": 3,
    }


def test_sheet_reports_say_what_each_sheet_holds(trap_workbook: Path) -> None:
    reports = {s.name: s for s in sheets_found(trap_workbook)}
    assert reports["List 3"].header_row == 2
    assert reports["CP"].header_row == 1
    assert reports["CP"].header_count == len(CP_HEADERS)
    assert reports["CP"].row_estimate == 2
    assert reports["List 7"].title == "Children in Care"
    assert reports["List 7"].columns["allocated_worker"] == "Allocated Worker"
    assert reports["List 9 (old)"].missing_columns == (
        "Unaccompanied Asylum Seeking Child (UASC), or formerly UASC if 18 or over (Y/N)",
        "Allocated Personal Advisor",
        "Latest Pathway Plan Review Date",
        "Latest Date of Contact",
    )
    assert reports["List 9"].missing_columns == ()
    assert reports["Cover"].message == "Not read: not an Annex A list"
    assert reports["CP"].message.startswith("List 7 (Child Protection), about 2 rows")


def test_every_data_row_of_every_list_is_read_and_blank_rows_are_skipped(
    trap_rows: dict[str, AnnexRow],
) -> None:
    assert {k: (r.list_number, r.sheet, r.row_number) for k, r in trap_rows.items()} == {
        "CP-1": (7, "CP", 2),
        "CP-2": (7, "CP", 3),
        "12345": (8, "List 7", 2),
        "C-99": (8, "List 7", 5),
        "CL-1": (9, "List 9", 2),
        "CL-2": (9, "List 9 (old)", 2),
        "CIN-1": (6, "CIN", 2),
        "CIN-2": (6, "CIN", 3),
        "CIN-3": (6, "CIN", 4),
        "555": (3, "List 3", 3),
    }


def test_child_protection_row_is_cleaned(trap_rows: dict[str, AnnexRow]) -> None:
    first, second = trap_rows["CP-1"], trap_rows["CP-2"]
    assert first.errors == []
    assert first.values["allocated_team"] == "Child Protection Team A"
    assert first.values["allocated_worker"] == "Sam Jones"
    assert first.values["gender"] == "Female"
    assert first.values["cp_plan_start_date"] == date(2024, 1, 1)
    assert first.values["cp_plan_end_date"] is None
    assert first.values["seen_alone"] is True
    assert first.values["date_of_birth"] == date(2015, 3, 5)
    assert first.values["age"] == 8
    assert first.values["locality"] == "North"  # extra column kept
    assert second.values["allocated_team"] is None
    assert second.values["allocated_worker"] is None
    assert second.values["gender"] == "Female"
    assert second.values["cp_plan_start_date"] == date(2023, 6, 30)
    assert second.values["cp_plan_end_date"] == date(2024, 1, 15)
    assert second.values["seen_alone"] is False


def test_children_in_care_row_is_cleaned(trap_rows: dict[str, AnnexRow]) -> None:
    row = trap_rows["12345"]
    assert row.errors == []
    assert row.values["child_id"] == "12345"
    assert row.values["gender"] == "Male"
    assert row.values["age"] == 15 and isinstance(row.values["age"], int)
    assert row.values["looked_after_start_date"] == date(2022, 9, 1)
    assert row.values["looked_after_end_date"] is None
    assert row.values["allocated_team"] == "Children in Care 1"
    assert row.values["allocated_worker"] == "Jane Smith"
    assert row.values["uasc"] is True
    assert row.values["placements_last_12_months"] == 2
    assert row.values["placement_urn"] == "1234567"
    assert row.values["missing_episodes_last_12_months"] is None  # curly-quoted header found
    assert row.columns["uasc"].endswith("(Y/N))")


def test_bad_cells_are_reported_by_row_and_column(trap_rows: dict[str, AnnexRow]) -> None:
    ceased = trap_rows["C-99"]
    assert ceased.values["looked_after_start_date"] is None
    assert ceased.values["looked_after_end_date"] == date(2023, 12, 12)
    assert ceased.values["allocated_worker"] == '"TBC"'
    assert [(e.sheet, e.row_number, e.column, e.key) for e in ceased.errors] == [
        ("List 7", 5, "Date Started to be Looked After", "looked_after_start_date")
    ]
    assert ceased.errors[0].message == "'31/02/2023' is not a real date"
    bad = trap_rows["CIN-3"]
    assert {e.key: e.message for e in bad.errors} == {
        "has_disability": "'maybe' is not Yes or No",
        "cin_start_date": "'next week' is not a date (dd/mm/yyyy, yyyy-mm-dd or an Excel date)",
        "case_status": "'Something else' is not a Case Status (expected one of: a) Looked "
        "after child, b) Child Protection plan, c) Child in need plan, d) Open assessment, "
        "e) Closed episode)",
    }
    assert all(e.sheet == "CIN" and e.row_number == 4 for e in bad.errors)


def test_children_in_need_rows_are_cleaned(trap_rows: dict[str, AnnexRow]) -> None:
    first, closed = trap_rows["CIN-1"], trap_rows["CIN-2"]
    assert first.errors == [] and closed.errors == []
    assert first.values["cin_start_date"] == date(2023, 2, 1)
    assert first.values["case_status"] == "Child in need plan"
    assert first.values["allocated_team"] == "Family Support 'North'"
    assert first.values["has_disability"] is True
    assert closed.values["cin_start_date"] == date(2023, 1, 1)
    assert closed.values["cin_closure_date"] == date(2023, 12, 1)
    assert closed.values["case_status"] == "Closed episode"


def test_both_leaving_care_layouts_are_read(trap_rows: dict[str, AnnexRow]) -> None:
    new, old = trap_rows["CL-1"], trap_rows["CL-2"]
    assert new.values["allocated_personal_advisor"] == "Pat O'Neill"
    assert new.values["pathway_plan_review_date"] == date(2023, 11, 2)
    assert new.values["eligibility_category"] == "Former relevant child"
    assert old.values["allocated_personal_advisor"] is None  # key present, column absent
    assert old.values["pathway_plan_review_date"] is None
    assert old.values["allocated_team"] == "16+ Team"
    assert old.values["eligibility_category"] == "Relevant child"


def test_referrals_under_a_title_row_are_read(trap_rows: dict[str, AnnexRow]) -> None:
    row = trap_rows["555"]
    assert row.values["referral_date"] == date(2023, 10, 1)
    assert row.values["referral_source"] == "5D: LA services"
    assert row.values["referral_nfa"] is True
    assert row.values["allocated_team"] == "MASH"


def test_only_the_lists_asked_for_are_read(trap_workbook: Path) -> None:
    rows = list(read_annex_a(trap_workbook, lists={8, 9}))
    assert sorted({r.list_number for r in rows}) == [8, 9]
    assert len(rows) == 4


# --- Identifying lists ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("headers", "number"),
    [
        (L3, 3),
        (L6, 6),
        (L7, 7),
        (L8, 8),
        (L9_2024, 9),
        (L9_OLD, 9),
        (L10, 10),
        ([*COMMON, "Date of Contact", "Contact Source"], 1),
        (
            [
                *COMMON,
                "Assessment start date",
                "Assessment completion date",
                "Organisation completing assessment",
            ],
            2,
        ),
        (
            ["Individual adopter identifier", "Family identifier", "Gender", "Ethnicity"],
            11,
        ),
    ],
)
def test_each_list_is_identified_by_its_published_headers(headers: list[str], number: int) -> None:
    spec = identify_list(headers)
    assert spec is not None and spec.number == number
    shuffled = [*headers, "Notes", None, "Locality"]
    random.Random(number).shuffle(shuffled)
    assert identify_list(shuffled) == spec
    loud = [f"  {h.upper()}  " if h else h for h in shuffled]
    assert identify_list(loud) == spec


def test_lists_4_and_5_are_identified() -> None:
    spec4 = next(s for s in LIST_SPECS if s.number == 4)
    spec5 = next(s for s in LIST_SPECS if s.number == 5)
    assert identify_list([c.headers[0] for c in spec4.columns]) == spec4
    assert identify_list([c.headers[0] for c in spec5.columns]) == spec5


@pytest.mark.parametrize(
    "headers",
    [
        [],
        ["Annex A"],
        ["Team", "Count"],
        ["Child Unique ID", "Gender", "Notes"],
        L8[:-3],  # List 8 without its team and worker
    ],
)
def test_sheets_that_are_not_lists_are_not_identified(headers: list[str]) -> None:
    assert identify_list(headers) is None


def test_age_is_accepted_under_either_name() -> None:
    for age in ("Age", "Age of Child (Years)", "AGE OF CHILD (YEARS) "):
        headers = [*L6[:4], age, *L6[5:]]
        spec = identify_list(headers)
        assert spec is not None and spec.number == 6


def test_a_near_miss_names_the_missing_headers(tmp_path: Path) -> None:
    path = write_xlsx(tmp_path / "a.xlsx", {"List 8": [[h for h in L8 if "Ceased" not in h]]})
    (report,) = sheets_found(path)
    assert report.list_number is None
    assert report.closest_list == 8
    assert report.message == (
        "Not read: looks like List 8 but lacks Date Ceased to be Looked After"
    )
    with pytest.raises(AnnexAFileError, match="looks like List 8 but lacks Date Ceased"):
        next(read_annex_a(path))


# --- Cleaning helpers -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("Child Unique ID", "child unique id"),
        ("  Child   Unique\u00a0ID ", "child unique id"),
        ("(UASC) within the Last 12 Months (Y/N))", "(uasc) within the last 12 months (y/n)"),
        ("Was the Child Seen Alone?", "was the child seen alone"),
        ("Child\u2019s Legal Status", "child's legal status"),
        ("\u201cQuoted\u201d", '"quoted"'),
        ("Date of Adoption Order ", "date of adoption order"),
        ("ＡＧＥ", "age"),  # full-width letters, NFKC
        ("(Y/N )", "(y/n)"),
        (None, ""),
        (12.0, "12"),
    ],
)
def test_normalise_header(raw: object, expected: str) -> None:
    assert normalise_header(raw) == expected


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        (f"Jane{NBSP}Smith{NBSP}", "Jane Smith"),
        ("  Jane \t Smith\n", "Jane Smith"),
        ("\u2018Missing\u2019", "'Missing'"),
        ("\u201cTBC\u201d", '"TBC"'),
        ("#N/A", None),
        ("n/a", None),
        ("NULL", None),
        ("#REF!", None),
        ("", None),
        (NBSP, None),
        (None, None),
        ("Nina", "Nina"),
        (12345.0, "12345"),
        (12.5, "12.5"),
        (7, "7"),
        ("zero\u200bwidth", "zerowidth"),
    ],
)
def test_clean_text(raw: object, expected: str | None) -> None:
    assert clean_text(raw) == expected


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("a) Male", "Male"),
        ("b) Female", "Female"),
        ("Female", "Female"),
        ("p1) 5D: LA services", "5D: LA services"),
        ("a)Yes", "Yes"),
        ("u) 10: Unknown", "10: Unknown"),
        ("N1 - Abuse or neglect", "N1 - Abuse or neglect"),
        ("(a) bracketed", "(a) bracketed"),
        ("abc) not a code", "abc) not a code"),
        ("1) numbered", "1) numbered"),
    ],
)
def test_strip_code(raw: str, expected: str) -> None:
    assert strip_code(raw) == expected


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("a) Yes", True),
        ("Yes", True),
        ("Y", True),
        ("yes ", True),
        ("b) No", False),
        ("No", False),
        ("n", False),
        (True, True),
        (0, False),
        (None, None),
        ("", None),
        ("#N/A", None),
    ],
)
def test_parse_yes_no(raw: object, expected: bool | None) -> None:
    assert parse_yes_no(raw) is expected


@pytest.mark.parametrize("raw", ["Maybe", "c) Not known", "2", 5])
def test_parse_yes_no_rejects_other_answers(raw: object) -> None:
    with pytest.raises(ValueError, match="is not Yes or No"):
        parse_yes_no(raw)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        (1, date(1900, 1, 1)),
        (59, date(1900, 2, 28)),
        (61, date(1900, 3, 1)),
        (45292, date(2024, 1, 1)),
        (45292.75, date(2024, 1, 1)),
        ("45292", date(2024, 1, 1)),
        ("05/01/2024", date(2024, 1, 5)),
        ("5/1/2024", date(2024, 1, 5)),
        ("5/1/24", date(2024, 1, 5)),
        ("31/12/99", date(1999, 12, 31)),
        ("05-01-2024", date(2024, 1, 5)),
        ("05/01/2024 00:00:00", date(2024, 1, 5)),
        ("2024-01-05", date(2024, 1, 5)),
        ("2024-01-05 13:45:00", date(2024, 1, 5)),
        ("2024-01-05T13:45:00.123+01:00", date(2024, 1, 5)),
        ("5 Jan 2024", date(2024, 1, 5)),
        ("05-January-2024", date(2024, 1, 5)),
        (datetime(2024, 1, 5, 9, 30), date(2024, 1, 5)),
        (date(2024, 1, 5), date(2024, 1, 5)),
        (None, None),
        ("", None),
        ("#N/A", None),
    ],
)
def test_parse_date(raw: object, expected: date | None) -> None:
    assert parse_date(raw) == expected


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        (60, "29/02/1900, a day that does not exist"),
        (0, "is not an Excel date"),
        (-5, "is not an Excel date"),
        (2958465, "after 2100"),
        ("31/02/2024", "is not a real date"),
        ("13/13/2024", "is not a real date"),
        ("2024-02-30", "is not a real date"),
        ("01/01/1850", "has the year 1850, outside 1900 to 2100"),
        ("2101-01-01", "has the year 2101"),
        (date(1899, 12, 31), "has the year 1899"),
        ("tomorrow", "is not a date (dd/mm/yyyy, yyyy-mm-dd or an Excel date)"),
        ("5 Foo 2024", "is not a date"),
        (True, "is not a date"),
    ],
)
def test_parse_date_rejects_what_is_not_a_plausible_date(raw: object, message: str) -> None:
    with pytest.raises(ValueError, match=re.escape(message)):
        parse_date(raw)


def test_parse_date_in_the_1904_date_system() -> None:
    assert parse_date(0, epoch1904=True) == date(1904, 1, 1)
    assert parse_date(43830, epoch1904=True) == date(2024, 1, 1)
    assert excel_serial(date(2024, 1, 1), epoch1904=True) == 43830


# --- Properties --------------------------------------------------------------------------

plausible_dates = st.dates(min_value=date(1900, 1, 1), max_value=date(2100, 12, 31))
printable = st.characters(codec="utf-8", exclude_categories=("Cs", "Cc", "Zl", "Zp"))
header_alphabet = st.sampled_from(
    "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789 '()/?-"
)


@given(plausible_dates)
def test_parse_date_round_trips_serial_uk_and_iso_forms(day: date) -> None:
    # Independent of the module: Excel counts from 1899-12-30 from 1 March 1900 on,
    # and one day less before (its phantom 29 February 1900).
    serial = (day - date(1899, 12, 30)).days
    if day < date(1900, 3, 1):
        serial -= 1
    assert excel_serial(day) == serial
    assert parse_date(serial) == day
    assert parse_date(float(serial) + 0.5) == day
    assert parse_date(day.strftime("%d/%m/%Y")) == day
    assert parse_date(f"{day.day}/{day.month}/{day.year}") == day
    assert parse_date(day.isoformat()) == day
    assert parse_date(f"{day.isoformat()}T12:34:56") == day
    assert parse_date(datetime(day.year, day.month, day.day, 23, 59)) == day


@given(st.dates(min_value=date(1969, 1, 1), max_value=date(2068, 12, 31)))
def test_parse_date_reads_two_digit_years(day: date) -> None:
    assert parse_date(day.strftime("%d/%m/%y")) == day


@given(
    st.sampled_from(["a", "b", "e", "p", "u", "p1", "ab"]),
    st.text(printable, min_size=1, max_size=30),
)
def test_strip_code_removes_only_the_prefix(letter: str, value: str) -> None:
    value = value.strip()
    assume(value and not re.match(r"[A-Za-z]{1,2}[0-9]?\)", value))
    assert strip_code(f"{letter}) {value}") == strip_code(value) == value


@given(st.one_of(st.none(), st.text(printable), st.integers(), st.floats(allow_nan=False)))
def test_clean_text_is_idempotent(value: object) -> None:
    once = clean_text(value)
    assert clean_text(once) == once
    if once is not None:
        assert once == once.strip() and "  " not in once and "\u00a0" not in once
        assert "\u2018" not in once and "\u201d" not in once


@given(st.text(printable, max_size=60))
def test_normalise_header_is_idempotent(header: str) -> None:
    once = normalise_header(header)
    assert normalise_header(once) == once


@given(
    st.lists(st.text(header_alphabet, min_size=1, max_size=12), min_size=1, max_size=6),
    st.sampled_from([" ", "  ", "\u00a0", "\t", " \u2009"]),
)
def test_normalise_header_ignores_case_whitespace_and_quote_style(
    words: list[str], space: str
) -> None:
    plain = " ".join(words)
    variant = space.join(w.upper() for w in words).replace("'", "\u2019")
    assert normalise_header(f" {variant}{space}") == normalise_header(plain)


# --- Files that are not what they claim ------------------------------------------------


def minimal_annex(path: Path) -> Path:
    return write_xlsx(path, {"List 6": [L6, row_for(L6, child_unique_id="A1")]})


def test_a_good_workbook_passes_the_checks(tmp_path: Path) -> None:
    open_workbook_safely(minimal_annex(tmp_path / "ok.xlsx"))


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"Child Unique ID,Gender\r\n123,a) Male\r\n", "is a text (CSV) file"),
        (random.Random(1).randbytes(4096), "is not an Excel workbook (.xlsx)"),
        (b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n" + b"0" * 500, "is a PDF document"),
        (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 4096, "password-protected (encrypted)"),
        (
            b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
            + b"\x00" * 512
            + "EncryptionInfo".encode("utf-16-le")
            + b"\x00" * 512,
            "is password-protected (encrypted), so it cannot be read",
        ),
        (b"", "is empty"),
    ],
)
def test_files_that_are_not_workbooks_are_refused(
    tmp_path: Path, content: bytes, message: str
) -> None:
    path = tmp_path / "upload.xlsx"
    path.write_bytes(content)
    with pytest.raises(AnnexAFileError, match=re.escape(message)):
        open_workbook_safely(path)
    with pytest.raises(AnnexAFileError, match=re.escape(message)):
        next(read_annex_a(path))


def test_a_truncated_workbook_is_refused(tmp_path: Path) -> None:
    whole = minimal_annex(tmp_path / "whole.xlsx").read_bytes()
    path = tmp_path / "cut.xlsx"
    path.write_bytes(whole[: len(whole) // 2])
    with pytest.raises(AnnexAFileError, match="is cut short"):
        list(read_annex_a(path))


def test_an_oversized_file_is_refused(tmp_path: Path) -> None:
    path = minimal_annex(tmp_path / "big.xlsx")
    with pytest.raises(AnnexAFileError, match=r"big.xlsx is \d+ KB; the largest workbook"):
        open_workbook_safely(path, max_bytes=1024)


def test_a_zip_bomb_is_refused_before_it_is_opened(tmp_path: Path) -> None:
    path = tmp_path / "bomb.xlsx"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("xl/workbook.xml", "<workbook/>")
        with archive.open("xl/worksheets/sheet1.xml", "w") as member:
            chunk = b"\0" * 2**20
            for _ in range(50):
                member.write(chunk)
    assert path.stat().st_size < 200_000
    with pytest.raises(AnnexAFileError, match="zip bomb"):
        open_workbook_safely(path)
    with pytest.raises(AnnexAFileError, match="zip bomb"):
        next(read_annex_a(path))


def test_a_zip_expanding_past_the_total_limit_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "large.xlsx"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_STORED) as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("xl/workbook.xml", "<workbook/>")
        archive.writestr("xl/worksheets/sheet1.xml", random.Random(2).randbytes(2**20))
    with pytest.raises(AnnexAFileError, match="would expand to 1 MB"):
        open_workbook_safely(path, max_uncompressed=2**19)


def test_a_zip_that_is_not_a_workbook_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "letter.xlsx"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("word/document.xml", "<document/>")
    with pytest.raises(AnnexAFileError, match="is a Word document"):
        open_workbook_safely(path)


def test_a_damaged_workbook_is_refused_with_a_message(tmp_path: Path) -> None:
    source = minimal_annex(tmp_path / "source.xlsx")
    path = tmp_path / "damaged.xlsx"
    with zipfile.ZipFile(source) as src, zipfile.ZipFile(path, "w") as dst:
        for info in src.infolist():
            data = src.read(info.filename)
            if info.filename == "xl/workbook.xml":
                data = data[: len(data) // 2]
            dst.writestr(info, data)
    with pytest.raises(AnnexAFileError, match="could not be opened as an Excel workbook"):
        next(read_annex_a(path))


def test_a_workbook_with_no_list_is_refused(tmp_path: Path) -> None:
    path = write_xlsx(tmp_path / "notes.xlsx", {"Cover": [["Annex A"]], "Pivot": [["Team", "n"]]})
    with pytest.raises(AnnexAFileError, match=r"No Annex A list was found in notes\.xlsx") as info:
        list(read_annex_a(path))
    assert "'Cover': not an Annex A list" in str(info.value)


def test_a_missing_file_is_refused(tmp_path: Path) -> None:
    with pytest.raises(AnnexAFileError, match="could not be found"):
        open_workbook_safely(tmp_path / "absent.xlsx")


# --- Scale ------------------------------------------------------------------------------

STREAM_HEADERS = [
    "Child Unique ID",
    "Gender",
    "Date of Birth",
    "Date Started to be Looked After",
    "Date Ceased to be Looked After",
    "Allocated Team",
    "Allocated Worker",
]


def write_large_list_8(path: Path, rows: int) -> Path:
    workbook = openpyxl.Workbook(write_only=True)  # writes no dimensions: the hard case
    sheet = workbook.create_sheet("List 8")
    sheet.append(STREAM_HEADERS)
    start = date(2020, 1, 1)
    for i in range(rows):
        sheet.append(
            [
                100_000 + i,
                "b) Female" if i % 2 else "Male",
                (start - timedelta(days=i % 5000)).strftime("%d/%m/%Y"),
                start + timedelta(days=i % 1000),
                None if i % 7 else excel_serial(start + timedelta(days=1500)),
                f"Children in Care {i % 4}",
                f"Worker{NBSP}{i % 300}",
            ]
        )
    workbook.save(path)
    return path


def test_a_large_list_streams_in_bounded_memory_with_progress(tmp_path: Path) -> None:
    path = write_large_list_8(tmp_path / "large.xlsx", 20_000)
    progress: list[tuple[int, int]] = []
    count = ceased = 0
    tracemalloc.start()
    try:
        for row in read_annex_a(
            path, on_progress=lambda done, total: progress.append((done, total))
        ):
            count += 1
            ceased += row.values["looked_after_end_date"] is not None
            assert not row.errors
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert count == 20_000
    assert ceased == len(range(0, 20_000, 7))
    assert peak < 50 * 2**20
    assert [done for done, _ in progress] == [*range(1000, 20_001, 1000), 20_000]
    estimates = {total for _, total in progress[:-1]}
    assert all(15_000 <= total <= 25_000 for total in estimates)  # sized from the file
    assert progress[-1] == (20_000, 20_000)


def test_the_reader_opens_once_for_sheets_and_rows(tmp_path: Path) -> None:
    path = minimal_annex(tmp_path / "once.xlsx")
    with AnnexAReader(path) as reader:
        assert [s.list_number for s in reader.sheets] == [6]
        assert [r.values["child_id"] for r in reader.rows()] == ["A1"]


def test_rows_keep_their_cleaned_values_as_plain_python(tmp_path: Path) -> None:
    buffer = io.BytesIO()
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.title = "List 7"
    sheet.append(L7)
    sheet.append(row_for(L7, child_unique_id=7.0, child_protection_plan_start_date=45000))
    workbook.save(buffer)
    path = tmp_path / "plain.xlsx"
    path.write_bytes(buffer.getvalue())
    (row,) = read_annex_a(path)
    assert row.values["child_id"] == "7"
    assert set(row.values) >= {"cp_plan_start_date", "cp_plan_end_date", "allocated_team"}
    assert all(
        v is None or isinstance(v, str | date | int | float | bool) for v in row.values.values()
    )


@pytest.mark.parametrize("excel_like", [True, False])
def test_the_benchmark_workbook_reads_back_whole_and_clean(
    tmp_path: Path, excel_like: bool
) -> None:
    path = tmp_path / "bench.xlsx"
    written = write_annex_a(path, rows=2_000, seed=7, excel_like=excel_like)
    read: dict[int, int] = {}
    for row in read_annex_a(path):
        assert row.errors == []
        assert isinstance(row.values["child_id"], str)
        assert row.values["allocated_team"] != "#N/A"
        read[row.list_number] = read.get(row.list_number, 0) + 1
    assert read == written
    assert sum(written.values()) == 2_000
    assert {s.name: s.list_number for s in sheets_found(path)} == {
        "Cover": None,
        "List 3": 3,
        "List 4": 4,
        "List 5": 5,
        "CIN": 6,
        "CP": 7,
        "List 7": 8,
        "List 9": 9,
    }


def test_a_sheet_damaged_part_way_is_refused_with_a_message(tmp_path: Path) -> None:
    source = write_xlsx(
        tmp_path / "source.xlsx",
        {"List 6": [L6, *(row_for(L6, child_unique_id=f"A{i}") for i in range(3000))]},
    )
    path = tmp_path / "damaged.xlsx"
    with zipfile.ZipFile(source) as src, zipfile.ZipFile(path, "w") as dst:
        for info in src.infolist():
            data = src.read(info.filename)
            if info.filename.startswith("xl/worksheets/"):
                data = data[: len(data) * 4 // 5]
            dst.writestr(info, data)
    rows = read_annex_a(path)
    read: list[object] = []
    # calamine reads a sheet whole, so the damage is found before any row is given out.
    with pytest.raises(AnnexAFileError, match=r"damaged\.xlsx could not be read.*damaged"):
        read.extend(rows)
    assert read == []


def test_a_csv_with_a_byte_order_mark_is_named_as_text(tmp_path: Path) -> None:
    path = tmp_path / "cases.xlsx"
    body = "Child Unique ID,Allocated Worker\r\n" + "1,Zoë Brontë\r\n" * 200
    path.write_bytes(("\ufeff" + body).encode())
    with pytest.raises(AnnexAFileError, match=r"is a text \(CSV\) file"):
        open_workbook_safely(path)


def test_an_error_in_the_progress_callback_is_not_mistaken_for_a_bad_file(
    tmp_path: Path,
) -> None:
    path = write_large_list_8(tmp_path / "list8.xlsx", 1_500)

    def fail(done: int, total: int) -> None:
        raise ValueError("the caller's own bug")

    with pytest.raises(ValueError, match="the caller's own bug"):
        list(read_annex_a(path, on_progress=fail))
