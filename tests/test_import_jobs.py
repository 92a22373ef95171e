"""Uploaded imports are jobs that `qpa worker` carries out: none runs inside a web server,
and a run interrupted by a restart is taken up again or marked failed, never left
running for ever."""

from __future__ import annotations

from datetime import timedelta
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import call_command
from django.utils import timezone

from qpa.accounts.models import Role
from qpa.cases import imports
from qpa.cases.models import Case, ImportKind, ImportRun, ImportStatus
from qpa.organisation.models import Team
from tests.support.annex_a import LIST_6, cin, write_workbook
from tests.support.factories import UserFactory, area
from tests.support.people import signed_in

pytestmark = pytest.mark.django_db


def _queued_run(tmp_path: Path) -> ImportRun:
    Team.objects.create(name="CIN Team North", service_area=area("children-in-need"))
    path = write_workbook(
        tmp_path / "annex-a.xlsx", {"List 6": (LIST_6, [cin("Q1", "CIN Team North")])}
    )
    return imports.import_run_create(
        acting_user=UserFactory(role=Role.ADMINISTRATOR),
        kind=ImportKind.ANNEX_A,
        file_name=path.name,
        content=path.read_bytes(),
    )


def test_an_upload_waits_for_the_worker_and_the_worker_carries_it_out(tmp_path: Path) -> None:
    Team.objects.create(name="CIN Team North", service_area=area("children-in-need"))
    path = write_workbook(
        tmp_path / "annex-a.xlsx", {"List 6": (LIST_6, [cin("Q1", "CIN Team North")])}
    )
    client = signed_in(UserFactory(role=Role.ADMINISTRATOR))
    with path.open("rb") as upload:
        client.post("/cases/imports/annex-a/", {"file": upload})
    run = ImportRun.objects.get()
    # Nothing ran in the web request: the run waits, and its page says so.
    assert run.status == ImportStatus.QUEUED
    assert not Case.objects.exists()
    waiting = client.get(run.get_absolute_url()).content.decode()
    assert "Waiting to start" in waiting
    # ... and what to do if it never starts.
    assert "ask your administrator to check that the worker (<code>qpa worker</code>)" in waiting

    out = StringIO()
    call_command("worker", "--once", stdout=out)

    run.refresh_from_db()
    assert run.status == ImportStatus.COMPLETED
    assert run.attempts == 1
    assert run.lease_until is None
    assert run.content is None
    assert Case.objects.filter(child_id="Q1").exists()
    assert "imports: 1 done." in out.getvalue()


def test_a_run_whose_worker_stopped_is_taken_up_again_once_its_lease_has_passed(
    tmp_path: Path,
) -> None:
    run = _queued_run(tmp_path)
    # A worker claimed it, then the server restarted before it finished.
    assert imports.import_run_claim() is not None
    assert imports.import_runs_work() == 0  # its lease still holds: nobody else takes it
    ImportRun.objects.filter(pk=run.pk).update(lease_until=timezone.now() - timedelta(seconds=1))

    assert imports.import_runs_work() == 1

    run.refresh_from_db()
    assert run.status == ImportStatus.COMPLETED
    assert run.attempts == 2
    assert Case.objects.filter(child_id="Q1").count() == 1


def test_a_run_interrupted_too_often_is_marked_failed_with_its_reason(tmp_path: Path) -> None:
    run = _queued_run(tmp_path)
    ImportRun.objects.filter(pk=run.pk).update(
        status=ImportStatus.RUNNING,
        attempts=imports.IMPORT_MAX_ATTEMPTS,
        lease_until=timezone.now() - timedelta(minutes=1),
    )

    assert imports.import_runs_work() == 0

    run.refresh_from_db()
    assert run.status == ImportStatus.FAILED
    assert "interrupted 3 times" in run.message
    assert "Nothing was written" in run.message
    assert run.is_finished
    assert run.content is None
    assert not Case.objects.exists()


def test_two_workers_never_carry_out_the_same_run(tmp_path: Path) -> None:
    run = _queued_run(tmp_path)
    first = imports.import_run_claim()
    second = imports.import_run_claim()
    assert first is not None and first.pk == run.pk
    assert second is None
