"""Backups with the databases' own tools; a restore into a new database holds the same
rows and the same event log, and a restore that does not verify does not succeed."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import closing
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command
from django.db import connection

from qpa.accounts.models import Role
from qpa.core import events
from qpa.core.events import event_record
from qpa.core.models import Event
from qpa.dataprotection.backups import (
    Snapshot,
    live_snapshot,
    postgresql_connect,
    postgresql_snapshot,
    sqlite_snapshot,
)
from tests.support.factories import CaseFactory, UserFactory, submitted_audit

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def scratch(seeded: None, tmp_path: Path) -> Iterator[str]:
    """A new, empty database to restore into: a SQLite file, or a PostgreSQL database
    on the test server, dropped afterwards."""
    if connection.vendor == "sqlite":
        yield str(tmp_path / "restored.sqlite3")
        return
    name = f"{connection.settings_dict['NAME']}_restore"
    with closing(postgresql_connect({**connection.settings_dict, "NAME": "postgres"})) as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}"')
        admin.execute(f'CREATE DATABASE "{name}"')
        try:
            yield name
        finally:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def _snapshot_of(target: str) -> Snapshot:
    if connection.vendor == "sqlite":
        with closing(sqlite3.connect(target)) as db:
            return sqlite_snapshot(db)
    with closing(postgresql_connect({**connection.settings_dict, "NAME": target})) as db:
        return postgresql_snapshot(db)


def _some_work() -> None:
    auditor = UserFactory(username="alice", role=Role.AUDITOR)
    for n in range(3):
        case = CaseFactory(child_id=f"BACKED-UP-{n}")
        submitted_audit(case=case, auditor=auditor, overall="Good")
        event_record(action="case.viewed", actor=auditor, obj=case)


def _run(command: str, *args: str) -> str:
    out = StringIO()
    call_command(command, *args, stdout=out)
    return out.getvalue()


def test_a_backup_restored_into_a_new_database_matches(scratch: str, tmp_path: Path) -> None:
    _some_work()
    before = live_snapshot()
    assert before.tables["cases_case"] == 3
    # Three looks, after the entries recording the auditor's account.
    assert before.events.entries == Event.objects.count()
    assert Event.objects.filter(action="case.viewed").count() == 3

    backup_file = tmp_path / "qpa.backup"
    assert "Backup written" in _run("backup", str(backup_file))
    output = _run("restore", str(backup_file), "--into", scratch)

    restored = _snapshot_of(scratch)
    assert restored.tables == before.tables
    assert restored.checksum == before.checksum
    assert restored.verified
    assert restored.missing_triggers == []
    assert f"event log intact: {before.events.entries} entries" in output
    assert f"checksum {before.checksum}" in output
    # The backup itself is recorded, after the copy was taken.
    assert Event.objects.order_by("-seq").values_list("action", flat=True)[0] == "backup.created"


def test_restore_refuses_a_database_that_holds_data_unless_forced(
    scratch: str, tmp_path: Path
) -> None:
    _some_work()
    backed_up = live_snapshot()
    backup_file = tmp_path / "qpa.backup"
    _run("backup", str(backup_file))
    CaseFactory(child_id="AFTER-THE-BACKUP")
    before = live_snapshot()

    with pytest.raises(CommandError, match="already holds data"):
        _run("restore", str(backup_file))
    assert live_snapshot().tables == before.tables

    _run("restore", str(backup_file), "--into", scratch)
    with pytest.raises(CommandError, match="already holds data"):
        _run("restore", str(backup_file), "--into", scratch)
    assert "verified" in _run("restore", str(backup_file), "--into", scratch, "--force")

    # Forced over the live database: back to the backup, plus the entry recording it.
    _run("restore", str(backup_file), "--force")
    after = live_snapshot()
    assert after.verified
    assert {**after.tables, "core_event": after.tables["core_event"] - 1} == backed_up.tables
    assert not Event.objects.filter(action="backup.created").exists()
    assert Event.objects.order_by("-seq").values_list("action", flat=True)[0] == "backup.restored"


def test_a_restore_that_does_not_verify_fails(scratch: str, tmp_path: Path) -> None:
    _some_work()
    events.drop_triggers(connection)
    try:
        with connection.cursor() as cursor:
            cursor.execute("UPDATE core_event SET actor_username = 'mallory' WHERE seq = 2")
        backup_file = tmp_path / "tampered.backup"
        _run("backup", str(backup_file))
    finally:
        events.install_triggers(connection)

    with pytest.raises(CommandError, match="does not verify: event log broken at entry 2"):
        _run("restore", str(backup_file), "--into", scratch)


def test_a_file_that_is_not_a_backup_is_refused(scratch: str, tmp_path: Path) -> None:
    not_a_backup = tmp_path / "notes.txt"
    not_a_backup.write_bytes(b"this is not a database backup\n" * 100)
    with pytest.raises(CommandError):
        _run("restore", str(not_a_backup), "--into", scratch)
    with pytest.raises(CommandError, match="is not a file"):
        _run("restore", str(tmp_path / "missing.backup"), "--into", scratch)
