"""Write a realistic Annex A workbook for benchmarks: Lists 3-9 with the traps real files
hold, about 100,000 data rows in all.

    python -m bench.annex_a_workbook [PATH] [ROWS]

Traps sprinkled in: a cover sheet that is no list; sheet names that do not match their
list ('CIN' holds List 6, 'CP' List 7, 'List 7' List 8); 'Age' and 'Age of Child (Years)';
'(Y/N))' and a trailing space in headers; curly quotes in a header and in values;
reordered and extra columns; the 2024 List 9 layout; dates as date cells, bare Excel
serials, dd/mm/yyyy and ISO text; child IDs as numbers, floats (12345.0) and text;
non-breaking spaces in worker names; '#N/A' teams and workers; unprefixed 'Female' and
bare 'Yes' / 'No'.
"""

from __future__ import annotations

import random
import re
import sys
import zipfile
from collections.abc import Callable
from datetime import date, timedelta
from pathlib import Path

import openpyxl

SNAPSHOT = date(2024, 1, 31)
_EPOCH = date(1899, 12, 30)

COMMON = ["Child Unique ID", "Gender", "Ethnicity", "Date of Birth"]
ETHNICITIES = [
    "a) WBRI",
    "b) WIRI",
    "d) WOTH",
    "f) MWBC",
    "g) MWBA",
    "h) MWAS",
    "j) AIND",
    "k) APKN",
    "n) BCRB",
    "o) BAFR",
    "q) CHNE",
    "r) OOTH",
    "t) NOBT",
]
TEAMS = {
    3: ["MASH", "Duty and Assessment North", "Duty and Assessment South"],
    4: ["Assessment Team 1", "Assessment Team 2", "Disabled Children's Team"],
    5: ["Assessment Team 1", "Assessment Team 2", "MASH"],
    6: [
        "Family Support North",
        "Family Support South",
        "Disabled Children's Team",
        "Child in Need Team",
    ],
    7: ["Child Protection Team A", "Child Protection Team B", "Disabled Children's Team"],
    8: ["Children in Care 1", "Children in Care 2", "Permanence Team", "UASC Team"],
    9: ["Leaving Care Team", "16+ Team"],
}
FIRST = ["Amira", "Ben", "Chloe", "Dev", "Ella", "Femi", "Grace", "Hassan", "Isla", "Jack"]
LAST = ["Ahmed", "Brown", "Clarke", "Davies", "Evans", "O'Neill", "Patel", "Smith", "Wilson"]
# (sheet name, list number, share of the rows)
SHEETS = [
    ("List 3", 3, 0.12),
    ("List 4", 4, 0.10),
    ("List 5", 5, 0.04),
    ("CIN", 6, 0.40),
    ("CP", 7, 0.08),
    ("List 7", 8, 0.16),
    ("List 9", 9, 0.10),
]


class _Faker:
    def __init__(self, seed: int) -> None:
        self.rng = random.Random(seed)
        self.workers = [f"{self.rng.choice(FIRST)} {self.rng.choice(LAST)}{i}" for i in range(400)]

    def chance(self, p: float) -> bool:
        return self.rng.random() < p

    def day(self, days_before_snapshot: int, spread: int) -> date:
        return SNAPSHOT - timedelta(days=days_before_snapshot + self.rng.randrange(spread))

    def date_cell(self, day: date | None) -> object:
        """A date as real files hold it: mostly a date cell, else serial or text."""
        if day is None:
            return None
        roll = self.rng.random()
        if roll < 0.85:
            return day
        if roll < 0.93:
            return (day - _EPOCH).days
        if roll < 0.97:
            return day.strftime("%d/%m/%Y")
        return day.isoformat()

    def yes_no(self, p_yes: float) -> str:
        yes = self.chance(p_yes)
        if self.chance(0.1):
            return "Yes" if yes else "No"
        return "a) Yes" if yes else "b) No"

    def team(self, list_number: int) -> str:
        if self.chance(0.005):
            return "#N/A"
        return self.rng.choice(TEAMS[list_number])

    def worker(self) -> str:
        if self.chance(0.005):
            return "#N/A"
        name = self.rng.choice(self.workers)
        if self.chance(0.05):
            name = name.replace(" ", "\u00a0") + ("\u00a0" if self.chance(0.5) else "")
        return name

    def child_id(self, number: int) -> object:
        roll = self.rng.random()
        if roll < 0.7:
            return number
        if roll < 0.9:
            return float(number)
        return str(number)

    def demographics(self, number: int) -> tuple[list[object], int]:
        """The same child has the same birth date, gender and ethnicity on every list."""
        born = SNAPSHOT - timedelta(days=(number * 7919) % (17 * 365))
        age = (SNAPSHOT - born).days // 365
        gender = ("a) Male", "b) Female", "b) Female", "a) Male", "d) Neither")[number % 5]
        if gender == "b) Female" and self.chance(0.1):
            gender = "Female"
        ethnicity = ETHNICITIES[(number * 31) % len(ETHNICITIES)]
        return [self.child_id(number), gender, ethnicity, self.date_cell(born)], age


def _list_3(f: _Faker, child: int) -> list[object]:
    common, age = f.demographics(child)
    return [
        *common,
        age,
        f.date_cell(f.day(0, 180)),
        f.rng.choice(["a) 1A: Individual", "c) 2A: Schools", "p1) 5D: LA services"]),
        f.yes_no(0.2),
        f.rng.randrange(4),
        f.team(3),
        f.worker(),
    ]


def _list_4(f: _Faker, child: int) -> list[object]:
    common, age = f.demographics(child)
    start = f.day(0, 180)
    done = start + timedelta(days=f.rng.randrange(10, 45)) if f.chance(0.8) else None
    return [
        *common,
        age,
        f.yes_no(0.1),
        f.date_cell(start),
        f.yes_no(0.9),
        f.date_cell(done if done and done <= SNAPSHOT else None),
        f.yes_no(0.6),
        f.team(4),
        f.worker(),
    ]


def _list_5(f: _Faker, child: int) -> list[object]:
    common, age = f.demographics(child)
    return [
        *common,
        age,
        f.yes_no(0.1),
        f.date_cell(f.day(0, 180)),
        f.yes_no(0.3),
        f.date_cell(f.day(0, 150) if f.chance(0.5) else None),
        f.yes_no(0.7),
        f.rng.randrange(3),
        f.rng.randrange(2),
        f.team(5),
        f.worker(),
    ]


def _list_6(f: _Faker, child: int, status: str) -> list[object]:
    common, age = f.demographics(child)
    closed = status == "e) Closed episode"
    if status == "c) Child in need plan" and f.chance(0.1):
        status = "Child in need plan"  # unprefixed
    return [
        *common,
        float(age) if f.chance(0.5) else age,  # 'Age of Child (Years)' is often a float
        f.yes_no(0.12),
        f.date_cell(f.day(30, 1500)),
        f.rng.choice(
            ["N1 - Abuse or neglect", "N2 - Child's disability", "N4 - Family in acute stress"]
        ),
        f.date_cell(f.day(0, 60)),
        f.date_cell(f.day(0, 170) if closed else None),
        f.rng.choice(["RC1 - Adopted", "RC8 - Case closed after assessment"]) if closed else None,
        status,
        f.team(6),
        f.worker(),
        f.rng.choice(["North", "South", "East", None]),  # extra column: Locality
        "Transferred from \u2018old\u2019 system" if f.chance(0.01) else None,  # extra: Notes
    ]


def _list_7(f: _Faker, child: int) -> list[object]:
    # Reordered: team and worker come first, after the ID.
    common, age = f.demographics(child)
    ended = f.chance(0.15)
    return [
        common[0],
        f.team(7),
        f.worker(),
        *common[1:],
        age,
        f.yes_no(0.1),
        f.date_cell(f.day(30, 700)),
        f.rng.choice(["a) Neglect", "b) Physical abuse", "d) Emotional abuse"]),
        f.rng.choice(["a) Neglect", "d) Emotional abuse", "e) Multiple/not recommended"]),
        f.date_cell(f.day(0, 20)),
        f.yes_no(0.7),
        f.date_cell(f.day(0, 150)),
        f.date_cell(f.day(0, 170) if ended else None),
        f.yes_no(0.02),
        f.rng.randrange(3),
    ]


def _list_8(f: _Faker, child: int) -> list[object]:
    common, age = f.demographics(child)
    ceased = f.chance(0.15)
    start = f.day(30, 3000)
    return [
        *common,
        float(age),
        f.yes_no(0.05),
        f.yes_no(0.1),
        f.date_cell(start),
        f.rng.choice(["N1", "N2", "N4"]),
        f.yes_no(0.05),
        f.date_cell(start),
        f.rng.choice(["C2", "V2", "J2"]),
        f.date_cell(f.day(0, 180)),
        f.date_cell(f.day(0, 42)),
        f.rng.choice(["a) Return to family", "e) Long-term fostering", "d) Adoption"]),
        f.date_cell(f.day(0, 42)),
        f.date_cell(f.day(0, 365)),
        f.date_cell(f.day(0, 365)),
        f.rng.randrange(1, 4),
        f.date_cell(f.day(0, 170) if ceased else None),
        "E11" if ceased else None,
        f.date_cell(f.day(0, 700)),
        f.rng.choice(["U1", "U4", "K2", "R1"]),
        f.rng.choice(["PR1", "PR4", "PR5"]),
        f.rng.choice(["AB1 2CD", "EX4 6QP", None]),
        float(f.rng.randrange(1_000_000, 9_999_999)),
        f.rng.choice(["a) In LA boundary", "b) Outside LA boundary"]),
        f.rng.choice(["Devon", "Cornwall", "Somerset"]),
        f.rng.randrange(3),
        f.rng.randrange(2),
        f.yes_no(0.5),
        f.yes_no(0.3),
        f.team(8),
        f.worker(),
    ]


def _list_9(f: _Faker, child: int) -> list[object]:
    common, _ = f.demographics(child)
    born = SNAPSHOT - timedelta(days=f.rng.randrange(16 * 365, 25 * 365))
    common[3] = f.date_cell(born)
    return [
        *common,
        (SNAPSHOT - born).days // 365,
        f.yes_no(0.15),
        f.yes_no(0.08),
        f.team(9),
        f.worker(),
        f.worker() if f.chance(0.9) else None,
        f.rng.choice(["a) Relevant child", "b) Former relevant child", "d) Eligible child"]),
        f.date_cell(f.day(0, 180)),
        f.rng.choice(["a) Yes", "b) No", "c) Young person refuses contact"]),
        f.date_cell(f.day(0, 60)),
        f.rng.choice(["B - Parents/relatives", "D - Independent living", "S - Semi-independent"]),
        f.rng.choice(["1 - Suitable", "2 - Unsuitable"]),
        f.rng.choice(["F1 - Full time education", "G6 - Not in education"]),
    ]


HEADERS: dict[int, list[str]] = {
    3: [
        *COMMON,
        "Age",
        "Date of Referral",
        "Referral Source",
        "Referral NFA?",
        "Number of Referrals in Last 12 Months",
        "Allocated Team",
        "Allocated Worker",
    ],
    4: [
        *COMMON,
        "Age",
        "Does the Child have a Disability",
        "Continuous Assessment Start Date",
        "Child Seen During Continuous Assessment",
        "Continuous Assessment Date of Authorisation",
        "Was the child assessed as requiring LA children\u2019s social care support?",
        "Allocated Team",
        "Allocated Worker",
    ],
    5: [
        *COMMON,
        "Age",
        "Does the Child have a Disability",
        "Strategy discussion initiating Section 47 Enquiry Start Date",
        "Was an Initial Child Protection Conference deemed unnecessary?",
        "Date of Initial Child Protection Conference",
        "Did the Initial Child Protection Conference Result in a Child Protection Plan",
        "Number of Section 47 Enquiries in the last 12 months",
        "Number of ICPCs in the last 12 months",
        "Allocated Team",
        "Allocated Worker",
    ],
    6: [
        *COMMON,
        "Age of Child (Years)",
        "Does the Child have a Disability",
        "CIN Start Date",
        "Primary Need Code",
        "Date Child Was Last Seen",
        "CIN Closure Date",
        "Reason for Closure",
        "Case Status",
        "Allocated Team",
        "Allocated Worker ",
        "Locality",
        "Notes",
    ],
    7: [
        "Child Unique ID",
        "Allocated Team",
        "Allocated Worker",
        *COMMON[1:],
        "Age",
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
    ],
    8: [
        *COMMON,
        "Age of Child (Years)",
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
        "Number of Episodes the Child has been \u2018Missing\u2019 from their Placement in the "
        "last 12 months",
        "Number of Episodes the Child has been \u2018Absent\u2019 from their Placement in the "
        "last 12 months",
        "Was the child offered a Return Interview after their last missing episode (Y/N)?",
        "Did the child accept a Return Interview after their last missing episode (Y/N)?",
        "Allocated Team",
        "Allocated Worker",
    ],
    9: [
        *COMMON,
        "Age",
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
    ],
}

_CASE_STATUSES = ["c) Child in need plan", "d) Open assessment", "e) Closed episode"]


def write_annex_a(
    path: Path, rows: int = 100_000, seed: int = 20240131, *, excel_like: bool = True
) -> dict[int, int]:
    """Write the workbook and return the number of data rows written per list.

    ``excel_like`` rewrites openpyxl's write-only output the way Excel saves a workbook
    (shared strings, a ``<dimension>`` per sheet); without it, readers pay for inline
    strings and openpyxl scans every sheet once more on opening to find its size."""
    f = _Faker(seed)
    counts = {number: max(1, round(rows * share)) for _, number, share in SHEETS}
    counts[6] += rows - sum(counts.values())
    # Children in care and on CP plans also appear on List 6 with the matching status,
    # as in real returns; IDs run in separate ranges so the lists overlap as intended.
    in_care = list(range(100_000, 100_000 + counts[8]))
    on_cp = list(range(300_000, 300_000 + counts[7]))
    cin_only = 500_000
    workbook = openpyxl.Workbook(write_only=True)
    cover = workbook.create_sheet("Cover")
    cover.append(["Annex A: lists of children for the ILACS inspection"])
    cover.append(["Local authority", "Example Borough Council"])
    cover.append(["Snapshot date", SNAPSHOT])
    cover.append([])
    cover.append(["List", "Sheet"])
    for name, number, _ in SHEETS:
        cover.append([f"List {number}", name])
    makers: dict[int, Callable[[_Faker, int], list[object]]] = {
        3: _list_3,
        4: _list_4,
        5: _list_5,
        7: _list_7,
        8: _list_8,
        9: _list_9,
    }
    for name, number, _ in SHEETS:
        sheet = workbook.create_sheet(name)
        sheet.append(HEADERS[number])
        if number == 6:
            for i in range(counts[6]):
                if i < len(in_care):
                    child, status = in_care[i], "a) Looked after child"
                elif i < len(in_care) + len(on_cp):
                    child, status = on_cp[i - len(in_care)], "b) Child Protection plan"
                else:
                    child, status = cin_only + i, f.rng.choice(_CASE_STATUSES)
                sheet.append(_list_6(f, child, status))
                if i == counts[6] // 2:
                    sheet.append([])  # a blank row mid-list
        else:
            ids = {7: on_cp, 8: in_care}.get(number)
            for i in range(counts[number]):
                child = ids[i] if ids else 700_000 + number * 20_000 + i
                sheet.append(makers[number](f, child))
    if not excel_like:
        workbook.save(path)
        return counts
    draft = Path(path).with_name(Path(path).name + ".draft")
    workbook.save(draft)
    try:
        _excelify(draft, Path(path))
    finally:
        draft.unlink()
    return counts


_INLINE = re.compile(
    r'<c r="([A-Z]+[0-9]+)"((?: s="[0-9]+")?) t="inlineStr"><is><t( xml:space="preserve")?>'
    r"(.*?)</t></is></c>"
)
_CELL_REF = re.compile(r'<c r="([A-Z]+)([0-9]+)"')
_SST = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
_SST_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"
_SST_REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships/sharedStrings"


def _excelify(source: Path, target: Path) -> None:
    """Move inline strings into a shared-string table and add each sheet's dimension."""
    strings: dict[tuple[str, str], int] = {}
    count = 0

    def shared(match: re.Match[str]) -> str:
        nonlocal count
        count += 1
        key = (match.group(3) or "", match.group(4))
        index = strings.setdefault(key, len(strings))
        return f'<c r="{match.group(1)}"{match.group(2)} t="s"><v>{index}</v></c>'

    with zipfile.ZipFile(source) as src, zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            data = src.read(info.filename).decode("utf-8")
            if info.filename.startswith("xl/worksheets/sheet"):
                data = _INLINE.sub(shared, data)
                data = _with_dimension(data)
            elif info.filename == "[Content_Types].xml":
                override = f'<Override PartName="/xl/sharedStrings.xml" ContentType="{_SST_TYPE}"/>'
                data = data.replace("</Types>", override + "</Types>")
            elif info.filename == "xl/_rels/workbook.xml.rels":
                rel = f'<Relationship Type="{_SST_REL}" Target="sharedStrings.xml" Id="rIdSst"/>'
                data = data.replace("</Relationships>", rel + "</Relationships>")
            dst.writestr(info.filename, data)
        items = "".join(f"<si><t{attr}>{text}</t></si>" for attr, text in strings)
        dst.writestr(
            "xl/sharedStrings.xml",
            f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<sst xmlns="{_SST}" '
            f'count="{count}" uniqueCount="{len(strings)}">{items}</sst>',
        )


def _with_dimension(sheet: str) -> str:
    last_row, last_col = 1, "A"
    for match in _CELL_REF.finditer(sheet):
        col = match.group(1)
        if (len(col), col) > (len(last_col), last_col):
            last_col = col
        last_row = max(last_row, int(match.group(2)))
    dimension = f'<dimension ref="A1:{last_col}{last_row}"/>'
    end = sheet.find("</sheetPr>")
    if end >= 0:
        end += len("</sheetPr>")
    else:
        end = sheet.index(">", sheet.index("<worksheet")) + 1
    return sheet[:end] + dimension + sheet[end:]


if __name__ == "__main__":
    target = Path(sys.argv[1]) if len(sys.argv) > 1 else Path("annex_a_bench.xlsx")
    total = int(sys.argv[2]) if len(sys.argv) > 2 else 100_000
    written = write_annex_a(target, rows=total)
    print(f"wrote {sum(written.values()):,} rows to {target}: {written}")
