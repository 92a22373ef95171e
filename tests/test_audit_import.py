"""Importing past audits, and case lists from any case-management system."""

from __future__ import annotations

import csv
from datetime import date
from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from qpa.accounts.models import Role
from qpa.audits.imports import FIXED_COLUMNS, past_audits_import
from qpa.audits.models import Audit, AuditSource, DomainRating
from qpa.audits.selectors import audits_visible_to
from qpa.cases.case_lists import case_list_import
from qpa.cases.imports import ImportFileError
from qpa.cases.models import Case, CaseStatus
from qpa.cases.selectors import cases_visible_to
from qpa.organisation.models import Team
from tests.support.factories import CaseFactory, UserFactory, area, submitted_audit
from tests.support.people import signed_in

pytestmark = pytest.mark.django_db

QOP = [
    "Referral and Response",
    "Risk Assessment",
    "Key Decisions",
    "Key Assessment Episodes",
    "Key Planning and Reviewing",
    "Child/Young Person focused practice",
    "Supervision/Management Overview",
    "Direct Engagement/professional relationships",
    "Reporting and Recording",
    "Case Transfer and Closure",
]


def _write_csv(path: Path, headers: list[str], rows: list[list[object]]) -> Path:
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(headers)
        writer.writerows(rows)
    return path


def _audit_row(
    child: str,
    overall: str = "Good",
    tool: str = "Quality of Practice",
    auditor: str = "Jo Bloggs",
    when: str = "14/10/2026",
    **domains: str,
) -> list[object]:
    ratings = [domains.get(d, "Good") for d in QOP]
    return [child, "Child Protection", "CP Team A", auditor, when, tool, overall, *ratings]


@pytest.fixture
def cp_team() -> Team:
    return Team.objects.create(name="CP Team A", service_area=area("child-protection"))


def test_past_audits_are_imported_and_count_like_audits_done_in_qpa(
    tmp_path: Path, cp_team: Team
) -> None:
    existing = CaseFactory(child_id="K1", team=cp_team)
    # An account with the auditor's name: never linked to the imported audit.
    UserFactory(first_name="Jo", last_name="Bloggs", role=Role.AUDITOR)
    path = _write_csv(
        tmp_path / "audits.csv",
        [*FIXED_COLUMNS, *QOP],
        [
            _audit_row(
                "K1", "Inadequate", **{"Key Decisions": "IA", "Case Transfer and Closure": "N/A"}
            ),
            _audit_row("K2", "Adequate", auditor="Former Manager", when="2026-09-01"),
        ],
    )
    outcome = past_audits_import(acting_user=None, path=path)

    assert outcome.written and not outcome.errors
    assert outcome.summary == {
        "audits_created": 2,
        "duplicates_skipped": 0,
        "cases_created": 1,
        "rows": 2,
    }
    first = Audit.objects.get(case=existing)
    assert first.source == AuditSource.IMPORTED
    # The auditor's name as written, never an account (decision 0107).
    assert first.auditor is None and first.auditor_name == "Jo Bloggs"
    assert first.auditor_display == "Jo Bloggs"
    assert first.overall_rating.label == "Inadequate"  # type: ignore[union-attr]
    ratings = {r.domain.name: r for r in first.domain_ratings.select_related("rating", "domain")}
    assert ratings["Key Decisions"].rating.label == "Inadequate"  # type: ignore[union-attr]
    assert ratings["Case Transfer and Closure"].not_applicable
    second = Audit.objects.get(case__child_id="K2")
    assert second.auditor is None and second.auditor_name == "Former Manager"
    assert second.case.status == CaseStatus.CLOSED  # kept, never a new open case
    # A Head of Service for Child Protection sees both, as for any audit.
    head = UserFactory(role=Role.HEAD_OF_SERVICE, areas=[area("child-protection")])
    assert audits_visible_to(user=head).count() == 2

    again = past_audits_import(acting_user=None, path=path)
    assert again.summary["duplicates_skipped"] == 2
    assert Audit.objects.count() == 2


def test_importing_never_opens_a_case_to_the_account_its_auditor_is_named_after(
    tmp_path: Path, cp_team: Team
) -> None:
    """ "Cases audited by me" would open an imported case, and every other audit of it, to
    an account matched by name: the import records the name and links no account."""
    jo = UserFactory(username="jo", first_name="Jo", last_name="Bloggs", role=Role.AUDITOR)
    case = CaseFactory(child_id="K1", team=cp_team)
    other = submitted_audit(case=case, audit_date=date(2026, 9, 1))
    for auditor in ("Jo Bloggs", "jo"):
        Audit.objects.filter(source=AuditSource.IMPORTED).delete()
        rows = [_audit_row("K1", auditor=auditor)]
        path = _write_csv(tmp_path / "audits.csv", [*FIXED_COLUMNS, *QOP], rows)
        assert past_audits_import(acting_user=None, path=path).written
        imported = Audit.objects.get(source=AuditSource.IMPORTED)
        assert imported.auditor is None and imported.auditor_name == auditor
        assert case not in cases_visible_to(user=jo)
        assert not audits_visible_to(user=jo).filter(pk__in=[imported.pk, other.pk]).exists()
        client = signed_in(jo)
        assert client.get(f"/cases/{case.public_id}/").status_code == 404
        assert client.get(f"/audits/{imported.public_id}/").status_code == 404
        assert client.get(f"/audits/{other.public_id}/").status_code == 404


def test_a_name_longer_than_the_field_is_an_error_on_its_row(tmp_path: Path) -> None:
    path = _write_csv(
        tmp_path / "audits.csv", [*FIXED_COLUMNS, *QOP], [_audit_row("K1", auditor="J" * 161)]
    )
    outcome = past_audits_import(acting_user=None, path=path)
    assert not outcome.written
    assert [(e.row, e.column) for e in outcome.errors] == [(2, "Auditor")]


def test_unknown_tools_domains_and_ratings_are_errors_on_their_row(tmp_path: Path) -> None:
    path = _write_csv(
        tmp_path / "audits.csv",
        [*FIXED_COLUMNS, *QOP],
        [
            _audit_row("K1"),
            _audit_row("K2", tool="Neglect Toolkit"),
            _audit_row("K3", overall="Brilliant"),
            _audit_row("K4", **{"Risk Assessment": "Requires improvement to be good"}),
            _audit_row("K5", **{"Risk Assessment": "N/A"}),  # must be rated
            _audit_row("K6", when="next week"),
        ],
    )
    outcome = past_audits_import(acting_user=None, path=path)

    assert not outcome.written
    assert Audit.objects.count() == 0 and Case.objects.count() == 0
    problems = {(e.row, e.column) for e in outcome.errors}
    assert problems == {
        (3, "Tool"),
        (4, "Overall rating"),
        (5, "Risk Assessment"),
        (6, "Risk Assessment"),
        (7, "Audit date"),
    }


def test_an_unknown_domain_column_is_an_error_and_valid_rows_only_imports_the_rest(
    tmp_path: Path,
) -> None:
    themed = [
        "Strategy discussion",
        "Child protection core assessment",
        "Child protection conference",
    ]
    path = _write_csv(
        tmp_path / "themed.csv",
        [*FIXED_COLUMNS, *themed, "Education"],
        [
            [
                "T1",
                "Child Protection",
                "",
                "Jo",
                "01/10/2026",
                "Child Protection Core Assessment",
                "Good",
                "Inadequate",
                "Adequate",
                "Good",
                "",
            ],
            [
                "T2",
                "Child Protection",
                "",
                "Jo",
                "01/10/2026",
                "Child Protection Core Assessment",
                "Good",
                "Good",
                "Good",
                "Good",
                "Good",
            ],
        ],
    )
    outcome = past_audits_import(acting_user=None, path=path)
    assert {(e.row, e.column) for e in outcome.errors} == {(1, "Education"), (3, "Education")}
    assert Audit.objects.count() == 0

    partial = past_audits_import(acting_user=None, path=path, valid_rows_only=True)
    assert partial.written and partial.summary["audits_created"] == 1
    audit = Audit.objects.get()
    assert audit.tool_version.tool.name == "Child Protection Core Assessment"
    assert DomainRating.objects.filter(audit=audit).count() == 3


def test_past_audits_command_reads_xlsx_and_fails_clearly_on_the_wrong_format(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from openpyxl import Workbook

    workbook = Workbook()
    sheet = workbook.active
    sheet.append([*FIXED_COLUMNS, *QOP])
    sheet.append(_audit_row("X1", when="01/10/2026"))
    xlsx = tmp_path / "audits.xlsx"
    workbook.save(xlsx)
    call_command("import-audits", str(xlsx))
    assert "Imported 1 audits" in capsys.readouterr().out

    wrong = _write_csv(tmp_path / "wrong.csv", ["Child", "Rating"], [["X", "Good"]])
    with pytest.raises(CommandError, match="not in the past-audits format") as raised:
        call_command("import-audits", str(wrong))
    assert raised.value.returncode == 2


def test_a_case_list_from_another_system_imports_through_a_column_mapping(
    tmp_path: Path, cp_team: Team
) -> None:
    Team.objects.create(name="Disabled Children", service_area=area("children-with-disabilities"))
    path = _write_csv(
        tmp_path / "mosaic.csv",
        ["Person ID", "Team Name", "Worker", "Open?", "DOB"],
        [
            ["M1", "CP Team A", "Ann Worker", "Open", "01/02/2015"],
            ["M2", "Disabled Children", "Bob Worker", "Open", "2016-03-04"],
            ["M3", "CP Team A", "Ann Worker", "Closed", ""],
        ],
    )
    columns = {
        "child_id": "Person ID",
        "team": "Team Name",
        "worker": "Worker",
        "status": "Open?",
        "date_of_birth": "DOB",
    }
    outcome = case_list_import(acting_user=None, path=path, file_name="mosaic.csv", columns=columns)

    assert outcome.written and not outcome.errors
    assert sorted(Case.objects.values_list("child_id", "service_area__name")) == [
        ("M1", "Child Protection"),
        ("M2", "Children with Disabilities"),
    ]
    assert Case.objects.get(child_id="M1").date_of_birth.isoformat() == "2015-02-01"  # type: ignore[union-attr]


def test_a_case_list_mapping_that_does_not_fit_the_file_is_refused(tmp_path: Path) -> None:
    path = _write_csv(tmp_path / "list.csv", ["ID"], [["M1"]])
    with pytest.raises(ImportFileError, match="no column Person ID"):
        case_list_import(
            acting_user=None, path=path, file_name="list.csv", columns={"child_id": "Person ID"}
        )
    assert Case.objects.count() == 0
