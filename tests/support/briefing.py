"""The briefing's audits (../shared/source): 181 audits, October to December 2009 and
February 2010, with the January themed child protection audit beside them, as the rows
of the past-audits import."""

from __future__ import annotations

import csv
from datetime import date
from pathlib import Path

from qpa.audits.imports import FIXED_COLUMNS, past_audits_import

AREAS = [
    ("Child Protection", 34),
    ("First Response", 39),
    ("Children in Need and Safeguarding", 40),
    ("Children in Care", 31),
    ("Leaving Care", 15),
    ("Children with Disabilities", 22),
]
SCALE = ["Outstanding", "Good", "Adequate", "Inadequate", "Critical"]
OVERALL = {"Outstanding": 1, "Good": 63, "Adequate": 78, "Inadequate": 35, "Critical": 4}
MONTHS = [date(2009, 10, 20), date(2009, 11, 20), date(2009, 12, 10), date(2010, 2, 15)]
# Per domain: outstanding, good, adequate, inadequate, critical, not applicable (181).
DOMAINS = {
    "Referral and Response": (0, 30, 70, 60, 1, 20),
    "Risk Assessment": (2, 60, 80, 35, 4, 0),
    "Key Decisions": (0, 40, 60, 76, 5, 0),
    "Key Assessment Episodes": (5, 110, 50, 16, 0, 0),
    "Key Planning and Reviewing": (1, 70, 80, 28, 2, 0),
    "Child/Young Person focused practice": (0, 35, 70, 70, 6, 0),
    "Supervision/Management Overview": (10, 120, 40, 11, 0, 0),
    "Direct Engagement/professional relationships": (1, 75, 80, 25, 0, 0),
    "Reporting and Recording": (1, 65, 85, 28, 2, 0),
    "Case Transfer and Closure": (2, 55, 35, 8, 0, 81),
}
# The January theme: strategy discussion, core assessment, conference (inadequate,
# adequate, good), as in the briefing; one case left a domain unrated.
THEMED = {
    "Strategy discussion": (11, 16, 11),
    "Child protection core assessment": (2, 21, 15),
    "Child protection conference": (2, 7, 26),
}
THEMED_CASES = 39


def _column(counts: tuple[int, ...], labels: list[str]) -> list[str]:
    column: list[str] = []
    for label, count in zip(labels, counts, strict=True):
        column += [label] * count
    return column


def briefing_rows() -> list[dict[str, str]]:
    areas = [name for name, count in AREAS for _ in range(count)]
    overall = _column(tuple(OVERALL.values()), SCALE)
    domains = {name: _column(counts, [*SCALE, "N/A"]) for name, counts in DOMAINS.items()}
    rows = []
    for i in range(181):
        rows.append(
            {
                "Child Unique ID": f"HAR{i:04d}",
                "Service area": areas[i],
                "Team": "",
                "Auditor": "A. Head of Service",
                "Audit date": MONTHS[i % 4].strftime("%d/%m/%Y"),
                "Tool": "Quality of Practice",
                "Overall rating": overall[(i * 7) % 181],
                **{name: column[(i * 11) % 181] for name, column in domains.items()},
            }
        )
    return rows


def themed_rows() -> list[dict[str, str]]:
    domains = {
        name: _column(counts, ["Inadequate", "Adequate", "Good"]) for name, counts in THEMED.items()
    }
    overall = ["Good"] * 10 + ["Adequate"] * 20 + ["Inadequate"] * 9
    return [
        {
            "Child Unique ID": f"HAR{i:04d}",
            "Service area": "Child Protection",
            "Team": "",
            "Auditor": "A. Head of Service",
            "Audit date": "14/01/2010",
            "Tool": "Child Protection Core Assessment",
            "Overall rating": overall[i],
            **{name: (column[i] if i < len(column) else "") for name, column in domains.items()},
        }
        for i in range(THEMED_CASES)
    ]


def _write(path: Path, rows: list[dict[str, str]]) -> Path:
    with path.open("w", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    return path


def load_briefing(tmp_path: Path) -> None:
    """The briefing's audits through the past-audits import, as a council would."""
    for name, rows in (("qop.csv", briefing_rows()), ("themed.csv", themed_rows())):
        assert set(FIXED_COLUMNS) <= set(rows[0])
        outcome = past_audits_import(acting_user=None, path=_write(tmp_path / name, rows))
        assert outcome.written, outcome.errors[:3]
