"""An Annex A file or a whole case list that would close many of the open cases writes
nothing until the person says the closures are meant: a wrong or partial file must not
close the caseload."""

from __future__ import annotations

from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.core.management.base import CommandError

from qpa.accounts.models import Role
from qpa.cases.case_lists import WHOLE_POPULATION_LABEL, case_list_import
from qpa.cases.imports import (
    CLOSE_ANYWAY_LABEL,
    MANY_CLOSURES_MINIMUM,
    annex_a_import,
    import_run_create,
    import_run_execute,
    import_runs_work,
)
from qpa.cases.models import Case, CaseStatus, ImportKind, ImportRun, ImportStatus
from qpa.organisation.models import Team
from tests.support.annex_a import LIST_6, cin, write_workbook
from tests.support.factories import UserFactory, area
from tests.support.people import signed_in

pytestmark = pytest.mark.django_db

TEAM = "CIN Team North"


def _children(count: int, prefix: str = "C") -> list[str]:
    return [f"{prefix}{number:03}" for number in range(1, count + 1)]


def _workbook(path: Path, children: list[str], bad: list[str] | None = None) -> Path:
    rows = [cin(child, TEAM) for child in children]
    rows += [cin(child, TEAM, start="not a date") for child in bad or []]
    return write_workbook(path, {"List 6": (LIST_6, rows)})


def _open_cases(tmp_path: Path, count: int) -> list[str]:
    """`count` open cases from a first real import."""
    Team.objects.get_or_create(name=TEAM, defaults={"service_area": area("children-in-need")})
    children = _children(count)
    outcome = annex_a_import(acting_user=None, path=_workbook(tmp_path / "first.xlsx", children))
    assert outcome.written and outcome.summary["created"] == count
    return children


def _run(path: Path, **options: object) -> ImportRun:
    run = import_run_create(
        acting_user=None,
        kind=ImportKind.ANNEX_A,
        file_name=path.name,
        content=path.read_bytes(),
        options=options,
    )
    return import_run_execute(run=run)


def _state() -> list[tuple[object, ...]]:
    return sorted(
        Case.objects.values_list("child_id", "status", "closed_on", "updated_at", "team__name")
    )


@pytest.fixture
def forty_open(tmp_path: Path) -> list[str]:
    return _open_cases(tmp_path, 40)


def _small_file(tmp_path: Path, kept: list[str]) -> Path:
    """The wrong file: four of the forty children and one new one."""
    return _workbook(tmp_path / "small.xlsx", [*kept[:4], "N001"])


def test_a_file_that_would_close_most_open_cases_is_refused_and_changes_nothing(
    tmp_path: Path, forty_open: list[str]
) -> None:
    before = _state()

    run = _run(_small_file(tmp_path, forty_open))

    assert run.status == ImportStatus.REJECTED
    assert "would close 36 of the 40 open cases" in run.message
    assert "nothing was written" in run.message
    assert f'tick "{CLOSE_ANYWAY_LABEL}"' in run.message
    assert run.summary["would_close"] == 36 and run.summary["open_cases"] == 40
    assert run.content is None
    assert _state() == before
    assert not Case.objects.filter(child_id="N001").exists()


def test_a_refused_file_does_not_apply_its_team_map(tmp_path: Path, forty_open: list[str]) -> None:
    run = _run(
        _small_file(tmp_path, forty_open), team_map=[(2, "Brand New Team", "Child Protection")]
    )

    assert run.status == ImportStatus.REJECTED
    assert not Team.objects.filter(name="Brand New Team").exists()


def test_the_person_sees_why_and_imports_the_file_again_with_the_box_ticked(
    tmp_path: Path, forty_open: list[str]
) -> None:
    client = signed_in(UserFactory(role=Role.ADMINISTRATOR))
    small = _small_file(tmp_path, forty_open)
    form = client.get("/cases/imports/annex-a/").content.decode()
    assert CLOSE_ANYWAY_LABEL in form

    def upload(**ticked: str) -> ImportRun:
        file = SimpleUploadedFile(small.name, small.read_bytes())
        response = client.post("/cases/imports/annex-a/", {"file": file, **ticked})
        assert response.status_code == 302
        import_runs_work()
        return ImportRun.objects.latest("created_at")

    refused = upload()
    page = client.get(refused.get_absolute_url()).content.decode()
    assert refused.status == ImportStatus.REJECTED
    assert "would close 36 of the 40 open cases" in page and CLOSE_ANYWAY_LABEL in page
    assert Case.objects.filter(status=CaseStatus.OPEN).count() == 40

    confirmed = upload(close_many_missing="on")

    assert confirmed.status == ImportStatus.COMPLETED, confirmed.message
    assert confirmed.options["close_many_missing"] is True
    # The count the refusal gave is the count the import closed: one rule decides both.
    assert confirmed.summary["closed"] == refused.summary["would_close"] == 36
    assert sorted(
        Case.objects.filter(status=CaseStatus.OPEN).values_list("child_id", flat=True)
    ) == [
        *forty_open[:4],
        "N001",
    ]
    closed = Case.objects.get(child_id=forty_open[-1])
    assert closed.status == CaseStatus.CLOSED and closed.closed_on is not None


def test_a_normal_month_closing_a_few_cases_is_written_without_asking(
    tmp_path: Path, forty_open: list[str]
) -> None:
    next_month = _workbook(tmp_path / "next.xlsx", [*forty_open[:37], "N001", "N002", "N003"])

    run = _run(next_month)

    assert run.status == ImportStatus.COMPLETED, run.message
    assert run.summary["closed"] == 3 and run.summary["created"] == 3
    assert Case.objects.filter(status=CaseStatus.OPEN).count() == 40


@pytest.mark.parametrize(
    ("open_count", "kept", "refused"),
    [
        (80, 60, False),  # 20 of 80 close: a quarter is allowed
        (80, 59, True),  # 21 of 80: more than a quarter
        (MANY_CLOSURES_MINIMUM - 1, 0, False),  # every case closes, but a handful
        (MANY_CLOSURES_MINIMUM, 0, True),
    ],
)
def test_the_share_and_the_minimum_decide_what_is_many(
    tmp_path: Path, open_count: int, kept: int, refused: bool
) -> None:
    children = _open_cases(tmp_path, open_count)
    path = _workbook(tmp_path / "next.xlsx", [*children[:kept], "N001"])

    run = _run(path)

    assert run.status == (ImportStatus.REJECTED if refused else ImportStatus.COMPLETED)
    closed = Case.objects.filter(status=CaseStatus.CLOSED).count()
    assert closed == (0 if refused else open_count - kept)


def test_children_whose_rows_could_not_be_read_are_not_counted_as_closing(
    tmp_path: Path, forty_open: list[str]
) -> None:
    # Half the rows are bad: their children's cases are left as they are, so importing
    # the valid rows closes nothing.
    path = _workbook(tmp_path / "half-bad.xlsx", forty_open[:20], bad=forty_open[20:])

    run = _run(path, valid_rows_only=True)

    assert run.status == ImportStatus.COMPLETED, run.message
    assert run.error_count == 20 and run.summary["closed"] == 0
    assert Case.objects.filter(status=CaseStatus.OPEN).count() == 40


def test_the_command_refuses_too_and_takes_close_many_missing(
    tmp_path: Path, forty_open: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    small = _small_file(tmp_path, forty_open)

    with pytest.raises(CommandError) as refused:
        call_command("import-cases", str(small))
    assert refused.value.returncode == 3
    assert "would close 36 of the 40 open cases" in str(refused.value)
    assert "--close-many-missing" in str(refused.value)
    assert Case.objects.filter(status=CaseStatus.OPEN).count() == 40

    call_command("import-cases", str(small), "--close-many-missing")

    assert "36 closed" in capsys.readouterr().out
    assert Case.objects.filter(status=CaseStatus.OPEN).count() == 5


# --- A case list: the same rule, the same message, its own way out for a partial list --


def _case_list(path: Path, children: list[str], closed: list[str] | None = None) -> Path:
    rows = [f"{child},Open" for child in children]
    rows += [f"{child},Closed" for child in closed or []]
    path.write_text("Person ID,Status\n" + "\n".join(rows) + "\n", encoding="utf-8")
    return path


CASE_LIST_COLUMNS = {"child_id": "Person ID", "status": "Status"}


def test_a_case_list_that_would_close_most_open_cases_is_refused_and_changes_nothing(
    tmp_path: Path, forty_open: list[str]
) -> None:
    before = _state()
    path = _case_list(tmp_path / "wrong.csv", [*forty_open[:4], "N001"])

    outcome = case_list_import(
        acting_user=None, path=path, file_name=path.name, columns=CASE_LIST_COLUMNS
    )

    assert not outcome.written
    assert "would close 36 of the 40 open cases" in outcome.refused
    assert "nothing was written" in outcome.refused
    assert f'"{WHOLE_POPULATION_LABEL}" unticked' in outcome.refused
    assert f'tick "{CLOSE_ANYWAY_LABEL}"' in outcome.refused
    assert outcome.summary["would_close"] == 36 and outcome.summary["open_cases"] == 40
    assert _state() == before
    assert not Case.objects.filter(child_id="N001").exists()


def test_a_case_list_counts_the_cases_it_says_are_closed_as_closing(
    tmp_path: Path, forty_open: list[str]
) -> None:
    # Every child is in the file, but most are marked closed: as many cases would close.
    path = _case_list(tmp_path / "closed.csv", forty_open[:4], closed=forty_open[4:])

    outcome = case_list_import(
        acting_user=None, path=path, file_name=path.name, columns=CASE_LIST_COLUMNS
    )

    assert not outcome.written and outcome.summary["would_close"] == 36
    assert Case.objects.filter(status=CaseStatus.OPEN).count() == 40


@pytest.mark.parametrize(("kept", "refused"), [(60, False), (59, True)])
def test_a_case_list_is_held_to_the_annex_a_share(tmp_path: Path, kept: int, refused: bool) -> None:
    children = _open_cases(tmp_path, 80)
    path = _case_list(tmp_path / "next.csv", [*children[:kept], "N001"])

    outcome = case_list_import(
        acting_user=None, path=path, file_name=path.name, columns=CASE_LIST_COLUMNS
    )

    assert outcome.written is not refused
    closed = Case.objects.filter(status=CaseStatus.CLOSED).count()
    assert closed == (0 if refused else 80 - kept)


def test_a_partial_case_list_closes_nothing_and_is_not_refused(
    tmp_path: Path, forty_open: list[str]
) -> None:
    path = _case_list(tmp_path / "partial.csv", [*forty_open[:4], "N001"])

    outcome = case_list_import(
        acting_user=None,
        path=path,
        file_name=path.name,
        columns=CASE_LIST_COLUMNS,
        close_missing=False,
    )

    assert outcome.written and outcome.summary["closed"] == 0
    assert Case.objects.filter(status=CaseStatus.OPEN).count() == 41


def test_the_case_list_page_refuses_then_imports_with_the_box_ticked(
    tmp_path: Path, forty_open: list[str]
) -> None:
    client = signed_in(UserFactory(role=Role.ADMINISTRATOR))
    wrong = _case_list(tmp_path / "wrong.csv", [*forty_open[:4], "N001"])
    form = client.get("/cases/imports/case-list/").content.decode()
    assert CLOSE_ANYWAY_LABEL in form and WHOLE_POPULATION_LABEL in form

    def upload(**ticked: str) -> ImportRun:
        file = SimpleUploadedFile(wrong.name, wrong.read_bytes())
        # The whole population is ticked at first, as the form starts.
        response = client.post(
            "/cases/imports/case-list/", {"file": file, "close_missing": "on", **ticked}
        )
        assert response.status_code == 302, response.content.decode()[:2000]
        run = ImportRun.objects.latest("created_at")
        mapped = client.post(
            f"/cases/imports/{run.public_id}/mapping/",
            {"col_child_id": "Person ID", "col_status": "Status"},
        )
        assert mapped.status_code == 302
        import_runs_work()
        run.refresh_from_db()
        return run

    refused = upload()
    page = client.get(refused.get_absolute_url()).content.decode()
    assert refused.kind == ImportKind.CASE_LIST
    assert refused.status == ImportStatus.REJECTED
    assert "would close 36 of the 40 open cases" in page and CLOSE_ANYWAY_LABEL in page
    assert refused.content is None
    assert Case.objects.filter(status=CaseStatus.OPEN).count() == 40

    confirmed = upload(close_many_missing="on")

    assert confirmed.status == ImportStatus.COMPLETED, confirmed.message
    assert confirmed.options["close_many_missing"] is True
    assert confirmed.summary["closed"] == refused.summary["would_close"] == 36
    assert sorted(
        Case.objects.filter(status=CaseStatus.OPEN).values_list("child_id", flat=True)
    ) == [*forty_open[:4], "N001"]
