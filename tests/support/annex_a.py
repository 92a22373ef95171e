"""Builds Annex A workbooks for the import tests, with the traps real files have."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from openpyxl import Workbook

COMMON = ["Child Unique ID", "Gender", "Ethnicity", "Date of Birth", "Age of Child (Years)"]
LIST_6 = [
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
LIST_7 = [
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
LIST_8 = [
    *COMMON,
    "Unaccompanied Asylum Seeking Child (UASC) within the Last 12 Months (Y/N))",
    "Does the Child have a Disability",
    "Date Started to be Looked After",
    "Child's Category of Need",
    "Is this a second or subsequent period of being a Looked After Child within the last "
    "12 months (Y/N)",
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
LIST_9 = [
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


def row(headers: Sequence[str], **values: object) -> list[object]:
    """A row for `headers`, with values given by header name (spaces as underscores ok)."""
    by_key = {k.replace("_", " ").casefold(): v for k, v in values.items()}
    return [by_key.get(h.casefold(), values.get(h)) for h in headers]


def cin(
    child: str,
    team: str,
    worker: str = "Sam Worker",
    closed: object = None,
    status: str = "c) Child in need plan",
    start: object = 45200,
) -> list[object]:
    return row(
        LIST_6,
        **{
            "Child Unique ID": child,
            "Gender": "a) Male",
            "Date of Birth": 41000,
            "CIN Start Date": start,
            "CIN Closure Date": closed,
            "Case Status": status,
            "Allocated Team": team,
            "Allocated Worker": worker,
        },
    )


def cp(
    child: str,
    team: str,
    worker: str = "Sam Worker",
    ended: object = None,
    start: object = "03/02/2026",
) -> list[object]:
    return row(
        LIST_7,
        **{
            "Child Unique ID": child,
            "Gender": "Female",
            "Child Protection Plan Start Date": start,
            "Child Protection Plan End Date": ended,
            "Allocated Team": team,
            "Allocated Worker": worker,
        },
    )


def cla(child: str, team: str, worker: str = "Sam Worker", ceased: object = None) -> list[object]:
    return row(
        LIST_8,
        **{
            "Child Unique ID": child,
            "Gender": "b) Female",
            "Date Started to be Looked After": "2025-06-01",
            "Date Ceased to be Looked After": ceased,
            "Allocated Team": team,
            "Allocated Worker": worker,
        },
    )


def care_leaver(child: str, team: str, worker: str = "Sam Worker") -> list[object]:
    return row(
        LIST_9,
        **{
            "Child Unique ID": child,
            "Gender": "a) Male",
            "Allocated Team": team,
            "Allocated Worker": worker,
        },
    )


def write_workbook(path: Path, sheets: dict[str, tuple[Sequence[str], list[list[object]]]]) -> Path:
    workbook = Workbook()
    cover = workbook.active
    cover.title = "Cover"
    cover.append(["Annex A return for Northbridge (fictional)"])
    for name, (headers, rows) in sheets.items():
        sheet = workbook.create_sheet(name)
        sheet.append(list(headers))
        for values in rows:
            sheet.append(values)
    workbook.save(path)
    return path
