"""Importing the case population from Annex A: areas, snapshots, bad rows, bad files."""

from __future__ import annotations

import zipfile
from datetime import date
from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from qpa.audits.models import Audit
from qpa.cases.imports import ImportFileError, annex_a_import
from qpa.cases.models import Case, CaseStatus, ImportRun, ImportStatus
from qpa.organisation.models import Team
from tests.support.annex_a import (
    LIST_6,
    LIST_7,
    LIST_8,
    LIST_9,
    care_leaver,
    cin,
    cla,
    cp,
    write_workbook,
)
from tests.support.factories import area, submitted_audit

pytestmark = pytest.mark.django_db


@pytest.fixture
def teams() -> dict[str, Team]:
    made = {}
    for name, slug in [
        ("CIN Team North", "children-in-need"),
        ("CP Team A", "child-protection"),
        ("Looked After Team", "children-in-care"),
        ("Leaving Care Team", "leaving-care"),
        ("Disabled Children's Team", "children-with-disabilities"),
        ("MASH", "first-response"),
    ]:
        made[name] = Team.objects.create(name=name, service_area=area(slug))
    return made


def _first_workbook(tmp_path: Path) -> Path:
    return write_workbook(
        tmp_path / "annex-a.xlsx",
        {
            # Sheet names that lie: lists are known by their headers.
            "CIN": (
                LIST_6,
                [
                    cin("C1", "CIN Team North", "Ann\u00a0Other"),
                    cin("C2", "CIN Team North", closed=45292),  # closed: not a case
                    cin("C3", "Disabled Children's Team"),  # disabilities: decided by team
                    cin("C4", "MASH", status="d) Open assessment"),  # the front door
                    cin("C5", "CP Team A", status="b) Child Protection plan"),
                    cin("C9", "Mystery Team"),  # maps nowhere
                    cin("C6", "CIN Team North", status="e) Closed episode"),
                ],
            ),
            "List 8": (
                LIST_7,
                [cp("C5", "CP Team A  "), cp("C7", "CP Team A", ended="01/03/2026")],
            ),
            "List 7": (LIST_8, [cla("C8", "Looked After Team"), cla("C7", "Looked After Team")]),
            "Leavers": (LIST_9, [care_leaver("C10", "#N/A")]),
        },
    )


def _area_of(child_id: str) -> str | None:
    case = Case.objects.select_related("service_area").get(child_id=child_id)
    return case.service_area.name if case.service_area else None


def test_annex_a_import_creates_one_case_per_open_child_in_the_right_area(
    tmp_path: Path, teams: dict[str, Team]
) -> None:
    outcome = annex_a_import(acting_user=None, path=_first_workbook(tmp_path))

    assert outcome.written and not outcome.errors
    assert set(Case.objects.values_list("child_id", flat=True)) == {
        "C1",
        "C3",
        "C4",
        "C5",
        "C7",
        "C8",
        "C9",
        "C10",
    }
    assert _area_of("C1") == "Children in Need and Safeguarding"
    assert _area_of("C3") == "Children with Disabilities"
    assert _area_of("C4") == "First Response"
    assert _area_of("C5") == "Child Protection"  # CP outranks CIN
    assert _area_of("C7") == "Children in Care"  # CP plan ended; still looked after
    assert _area_of("C8") == "Children in Care"
    assert _area_of("C10") == "Leaving Care"  # '#N/A' team: area from the list
    assert _area_of("C9") == "Children in Need and Safeguarding"
    c1 = Case.objects.get(child_id="C1")
    assert c1.worker_name == "Ann Other"  # no-break space cleaned
    assert c1.team == teams["CIN Team North"]
    assert c1.cin_start_date is not None
    c5 = Case.objects.get(child_id="C5")
    assert c5.team == teams["CP Team A"]  # trailing spaces in the team name
    assert c5.cp_plan_start_date == date(2026, 2, 3)
    assert Case.objects.get(child_id="C9").team is None
    assert outcome.summary["unmapped_teams"] == [{"team": "Mystery Team", "cases": 1}]
    by_area = {row["service_area"]: row for row in outcome.summary["by_service_area"]}
    assert by_area["Children in Care"]["created"] == 2
    assert outcome.summary["created"] == 8


def test_a_new_import_is_a_new_snapshot(tmp_path: Path, teams: dict[str, Team]) -> None:
    annex_a_import(acting_user=None, path=_first_workbook(tmp_path))
    audited = Case.objects.get(child_id="C8")
    submitted_audit(case=audited)
    second = write_workbook(
        tmp_path / "next-month.xlsx",
        {
            "List 6": (
                LIST_6,
                [
                    cin("C1", "CIN Team North", "New Worker"),  # worker changed
                    cin("C3", "Disabled Children's Team"),  # unchanged
                    cin("C11", "CIN Team North"),  # new
                ],
            ),
        },
    )
    outcome = annex_a_import(acting_user=None, path=second)

    assert outcome.summary["created"] == 1
    assert outcome.summary["updated"] == 1
    assert outcome.summary["unchanged"] == 1
    assert outcome.summary["closed"] == 6
    assert Case.objects.get(child_id="C1").worker_name == "New Worker"
    closed = Case.objects.get(child_id="C8")
    assert closed.status == CaseStatus.CLOSED and closed.closed_on is not None
    assert Audit.objects.filter(case=closed).count() == 1  # audits stay with a closed case


def test_bad_rows_are_reported_by_row_and_column_and_nothing_is_written(
    tmp_path: Path, teams: dict[str, Team]
) -> None:
    path = write_workbook(
        tmp_path / "bad.xlsx",
        {
            "List 6": (
                LIST_6,
                [
                    cin("C1", "CIN Team North"),
                    cin("C2", "CIN Team North", start="31/02/2026"),  # no such date
                    cin("", "CIN Team North"),  # no child ID
                ],
            ),
        },
    )
    outcome = annex_a_import(acting_user=None, path=path)

    assert not outcome.written
    assert Case.objects.count() == 0
    problems = {(e.sheet, e.row, e.column) for e in outcome.errors}
    assert ("List 6", 3, "CIN Start Date") in problems
    assert ("List 6", 4, "Child Unique ID") in problems


def test_valid_rows_only_imports_the_rest_and_leaves_bad_childrens_cases_alone(
    tmp_path: Path, teams: dict[str, Team]
) -> None:
    annex_a_import(acting_user=None, path=_first_workbook(tmp_path))
    path = write_workbook(
        tmp_path / "partly-bad.xlsx",
        {"List 6": (LIST_6, [cin("C1", "CIN Team North"), cin("C3", "MASH", start="not a date")])},
    )
    outcome = annex_a_import(acting_user=None, path=path, valid_rows_only=True)

    assert outcome.written and len(outcome.errors) == 1
    c3 = Case.objects.get(child_id="C3")
    assert c3.status == CaseStatus.OPEN  # its row was unreadable: not closed, not changed
    assert _area_of("C3") == "Children with Disabilities"
    assert Case.objects.get(child_id="C8").status == CaseStatus.CLOSED


def _csv_renamed(tmp_path: Path) -> Path:
    path = tmp_path / "not-really.xlsx"
    path.write_text("Child Unique ID,Gender\nC1,Male\n")
    return path


def _truncated(tmp_path: Path) -> Path:
    good = _first_workbook(tmp_path)
    data = good.read_bytes()
    path = tmp_path / "truncated.xlsx"
    path.write_bytes(data[: len(data) // 2])
    return path


def _encrypted(tmp_path: Path) -> Path:
    path = tmp_path / "encrypted.xlsx"
    path.write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 4096)
    return path


def _zip_bomb(tmp_path: Path) -> Path:
    path = tmp_path / "bomb.xlsx"
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("xl/worksheets/sheet1.xml", b"\x00" * (300 * 2**20))
    return path


@pytest.mark.parametrize("make", [_csv_renamed, _truncated, _encrypted, _zip_bomb])
def test_a_file_that_is_not_a_workbook_is_refused_and_changes_nothing(
    tmp_path: Path, teams: dict[str, Team], make: object
) -> None:
    annex_a_import(acting_user=None, path=_first_workbook(tmp_path))
    before = sorted(Case.objects.values_list("child_id", "status", "worker_name"))
    bad = make(tmp_path)  # type: ignore[operator]

    with pytest.raises(ImportFileError) as raised:
        annex_a_import(acting_user=None, path=bad)
    assert str(raised.value)  # a message for a person, not a stack trace

    with pytest.raises(CommandError) as command_error:
        call_command("import-cases", str(bad))
    assert command_error.value.returncode == 2
    assert sorted(Case.objects.values_list("child_id", "status", "worker_name")) == before
    run = ImportRun.objects.latest("created_at")
    assert run.status == ImportStatus.REJECTED and run.message


def test_import_command_applies_the_team_map_and_records_the_run(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    team_map = tmp_path / "map.csv"
    team_map.write_text(
        "team,service_area\nCIN Team North,Children in Need and Safeguarding\n"
        "Disabled Children's Team,Children with Disabilities\nMASH,First Response\n"
        "CP Team A,Child Protection\nLooked After Team,Children in Care\n"
    )
    workbook = _first_workbook(tmp_path)
    call_command("import-cases", str(workbook), "--team-map", str(team_map))

    out = capsys.readouterr().out
    assert "Imported: 8 created" in out
    assert "Mystery Team" in out
    assert _area_of("C3") == "Children with Disabilities"
    run = ImportRun.objects.get()
    assert run.status == ImportStatus.COMPLETED
    assert run.file_name == "annex-a.xlsx"
    import hashlib

    assert run.file_sha256 == hashlib.sha256(workbook.read_bytes()).hexdigest()
    assert run.summary["created"] == 8
    assert run.content is None  # the upload is not kept once imported


def test_a_team_map_naming_an_unknown_area_is_refused(tmp_path: Path) -> None:
    team_map = tmp_path / "map.csv"
    team_map.write_text("team,service_area\nCIN Team North,Narnia\n")
    with pytest.raises(CommandError) as raised:
        call_command("import-cases", str(_first_workbook(tmp_path)), "--team-map", str(team_map))
    assert raised.value.returncode == 1
    assert Case.objects.count() == 0
    assert not Team.objects.filter(name="CIN Team North").exists()


def test_import_command_with_bad_rows_writes_the_problems_csv(
    tmp_path: Path, teams: dict[str, Team]
) -> None:
    path = write_workbook(
        tmp_path / "bad.xlsx", {"List 6": (LIST_6, [cin("C2", "CIN Team North", start="soon")])}
    )
    with pytest.raises(CommandError) as raised:
        call_command("import-cases", str(path))
    assert raised.value.returncode == 1
    problems = (tmp_path / "bad.xlsx.problems.csv").read_text()
    assert problems.splitlines()[0] == "sheet,row,column,problem"
    assert "List 6,2,CIN Start Date," in problems
    assert Case.objects.count() == 0
