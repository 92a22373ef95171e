"""Backups with the databases' own tools, and restores that verify before they succeed.

SQLite: the online backup API (never a copy of the live file: with WAL, a copied file can
be stale or torn). PostgreSQL: `pg_dump --format=custom` and `pg_restore`. See
docs/backups.md for the schedule and the restore drill.
"""

from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess
from collections.abc import Iterator
from contextlib import closing
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from django.db import DEFAULT_DB_ALIAS, connections

from qpa.core.events import (
    COLUMNS,
    POSTGRESQL_TRIGGERS,
    SQLITE_TRIGGERS,
    TABLE,
    Verdict,
    chain_checksum,
    event_record,
    verify_chain,
)


class BackupError(Exception):
    """The backup or restore did not happen, or did not verify; the message says why."""


@dataclass(frozen=True)
class Snapshot:
    """What a database holds: rows per table and the state of its event log."""

    tables: dict[str, int]
    events: Verdict
    checksum: str
    missing_triggers: list[str]

    @property
    def verified(self) -> bool:
        return self.events.intact and not self.missing_triggers


# --- Backup --------------------------------------------------------------------------


def backup(destination: Path, *, using: str = DEFAULT_DB_ALIAS) -> Path:
    """Write a consistent copy of the database to `destination`, replacing it atomically."""
    settings_dict = connections[using].settings_dict
    vendor = connections[using].vendor
    destination = destination.resolve()
    destination.parent.mkdir(parents=True, exist_ok=True)
    partial = destination.with_name(f".{destination.name}.partial")
    partial.unlink(missing_ok=True)
    try:
        if vendor == "sqlite":
            _sqlite_backup(Path(settings_dict["NAME"]), partial)
        elif vendor == "postgresql":
            _run(["pg_dump", "--format=custom", f"--file={partial}"], settings_dict)
            _run(["pg_restore", "--list", str(partial)], settings_dict)
        else:
            raise BackupError(f"No backup method for {vendor}.")
        _fsync(partial)
        os.replace(partial, destination)
    finally:
        partial.unlink(missing_ok=True)
    event_record(
        action="backup.created",
        data={
            "file": str(destination)[-200:],
            "bytes": destination.stat().st_size,
            "vendor": vendor,
        },
    )
    return destination


def _sqlite_backup(source: Path, target: Path) -> None:
    with (
        closing(sqlite3.connect(source, timeout=30)) as src,
        closing(sqlite3.connect(target)) as dst,
    ):
        src.backup(dst)
        # One self-contained file: no -wal beside it.
        dst.execute("PRAGMA journal_mode=DELETE")
        _sqlite_integrity(dst, str(target))


# --- Restore -------------------------------------------------------------------------


def restore(
    source: Path,
    *,
    into: str | None = None,
    force: bool = False,
    using: str = DEFAULT_DB_ALIAS,
) -> Snapshot:
    """Restore `source` into the configured database, or into `into` (a SQLite file or a
    PostgreSQL database on the same server) for a drill. Refuses a database that holds
    any table unless `force`. Succeeds only once the result passes its checks: SQLite's
    integrity check, the event log's chain and triggers."""
    if not source.is_file():
        raise BackupError(f"{source} is not a file.")
    connection = connections[using]
    settings_dict = dict(connection.settings_dict)
    is_live = into is None
    if connection.vendor == "sqlite":
        target = str(Path(into).resolve()) if into else settings_dict["NAME"]
        if is_live:
            connections.close_all()
        snapshot = _sqlite_restore(source, Path(target), force=force)
    elif connection.vendor == "postgresql":
        target = into or settings_dict["NAME"]
        if is_live:
            connections.close_all()
        snapshot = _postgresql_restore(source, {**settings_dict, "NAME": target}, force=force)
    else:
        raise BackupError(f"No restore method for {connection.vendor}.")
    if not snapshot.verified:
        raise BackupError(f"Restored into {target}, but it does not verify: {_problem(snapshot)}")
    if is_live:
        event_record(
            action="backup.restored",
            data={"file": str(source)[-200:], "entries_verified": snapshot.events.entries},
        )
    return snapshot


def _problem(snapshot: Snapshot) -> str:
    if not snapshot.events.intact:
        return f"event log broken at entry {snapshot.events.broken_seq}: {snapshot.events.reason}"
    return f"event-log triggers missing: {', '.join(snapshot.missing_triggers)}"


def _sqlite_restore(source: Path, target: Path, *, force: bool) -> Snapshot:
    with closing(sqlite3.connect(f"{source.resolve().as_uri()}?mode=ro", uri=True)) as src:
        _sqlite_integrity(src, str(source))
        if not _sqlite_tables(src):
            raise BackupError(f"{source} holds no tables: it is not a QPA backup.")
        if target.exists() and not force:
            with closing(sqlite3.connect(target)) as existing:
                if _sqlite_tables(existing):
                    raise BackupError(f"{target} already holds data; restore over it with --force.")
        target.parent.mkdir(parents=True, exist_ok=True)
        with closing(sqlite3.connect(target, timeout=30)) as dst:
            src.backup(dst)
            dst.execute("PRAGMA journal_mode=WAL")
            _sqlite_integrity(dst, str(target))
            problems = dst.execute("PRAGMA foreign_key_check").fetchall()
            if problems:
                raise BackupError(f"{target} fails its foreign-key check: {problems[:5]}")
            return sqlite_snapshot(dst)


def _sqlite_integrity(db: sqlite3.Connection, name: str) -> None:
    try:
        result = [row[0] for row in db.execute("PRAGMA integrity_check")]
    except sqlite3.DatabaseError as error:
        raise BackupError(f"{name} is not a readable SQLite database: {error}") from error
    if result != ["ok"]:
        raise BackupError(f"{name} fails SQLite's integrity check: {result[:5]}")


def _sqlite_tables(db: sqlite3.Connection) -> list[str]:
    rows = db.execute(
        "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' "
        "ORDER BY name"
    )
    return [row[0] for row in rows]


def sqlite_snapshot(db: sqlite3.Connection) -> Snapshot:
    tables = {
        # Table names come from the database's own catalogue.
        name: db.execute(f'SELECT COUNT(*) FROM "{name}"').fetchone()[0]  # noqa: S608
        for name in _sqlite_tables(db)
    }
    columns = ", ".join(COLUMNS)
    cursor = db.execute(f"SELECT {columns} FROM {TABLE} ORDER BY seq")  # noqa: S608
    rows = [dict(zip(COLUMNS, row, strict=True)) for row in cursor]
    triggers = {
        row[0]
        for row in db.execute(
            "SELECT name FROM sqlite_master WHERE type = 'trigger' AND tbl_name = ?", [TABLE]
        )
    }
    return Snapshot(
        tables=tables,
        events=verify_chain(rows),
        checksum=chain_checksum(row["hash"] for row in rows),
        missing_triggers=[name for name in SQLITE_TRIGGERS if name not in triggers],
    )


def _postgresql_restore(source: Path, settings_dict: dict[str, Any], *, force: bool) -> Snapshot:
    _run(["pg_restore", "--list", str(source)], settings_dict)
    with closing(postgresql_connect(settings_dict)) as db:
        existing = _postgresql_tables(db)
    if existing and not force:
        raise BackupError(
            f"Database {settings_dict['NAME']} already holds data; restore over it with --force."
        )
    _run(
        [
            "pg_restore",
            "--clean",
            "--if-exists",
            "--no-owner",
            "--no-privileges",
            "--exit-on-error",
            "--single-transaction",
            f"--dbname={settings_dict['NAME']}",
            str(source),
        ],
        settings_dict,
    )
    with closing(postgresql_connect(settings_dict)) as db:
        return postgresql_snapshot(db)


def postgresql_connect(settings_dict: dict[str, Any]) -> Any:
    import psycopg

    options = settings_dict.get("OPTIONS") or {}
    return psycopg.connect(
        dbname=settings_dict["NAME"],
        user=settings_dict.get("USER") or None,
        password=settings_dict.get("PASSWORD") or None,
        host=settings_dict.get("HOST") or None,
        port=settings_dict.get("PORT") or None,
        sslmode=options.get("sslmode"),
        autocommit=True,
    )


def _postgresql_tables(db: Any) -> list[str]:
    rows = db.execute(
        "SELECT tablename FROM pg_tables WHERE schemaname = 'public' ORDER BY tablename"
    )
    return [row[0] for row in rows]


def postgresql_snapshot(db: Any) -> Snapshot:
    tables = {
        # Table names come from the database's own catalogue.
        name: db.execute(f'SELECT COUNT(*) FROM "{name}"').fetchone()[0]  # noqa: S608
        for name in _postgresql_tables(db)
    }
    rows = [
        dict(zip(COLUMNS, row, strict=True))
        for row in db.execute(f"SELECT {', '.join(COLUMNS)} FROM {TABLE} ORDER BY seq")  # noqa: S608
    ]
    triggers = {
        row[0]
        for row in db.execute(
            "SELECT tgname FROM pg_trigger WHERE tgrelid = %s::regclass AND NOT tgisinternal",
            [TABLE],
        )
    }
    return Snapshot(
        tables=tables,
        events=verify_chain(rows),
        checksum=chain_checksum(row["hash"] for row in rows),
        missing_triggers=[name for name in POSTGRESQL_TRIGGERS if name not in triggers],
    )


# --- Helpers -------------------------------------------------------------------------


def _run(command: list[str], settings_dict: dict[str, Any]) -> None:
    """Run a PostgreSQL client tool with the connection in its environment, so the
    password never appears in a process listing."""
    executable = shutil.which(command[0])
    if executable is None:
        raise BackupError(f"{command[0]} is not installed (Debian: postgresql-client).")
    env = {**os.environ, **_pg_environment(settings_dict)}
    result = subprocess.run(  # noqa: S603
        [executable, *command[1:]], env=env, capture_output=True, text=True, check=False
    )
    if result.returncode != 0:
        raise BackupError(f"{command[0]} failed: {result.stderr.strip()[-2000:]}")


def _pg_environment(settings_dict: dict[str, Any]) -> dict[str, str]:
    options = settings_dict.get("OPTIONS") or {}
    names = {
        "PGDATABASE": settings_dict.get("NAME"),
        "PGUSER": settings_dict.get("USER"),
        "PGPASSWORD": settings_dict.get("PASSWORD"),
        "PGHOST": settings_dict.get("HOST"),
        "PGPORT": settings_dict.get("PORT"),
        "PGSSLMODE": options.get("sslmode"),
    }
    return {name: str(value) for name, value in names.items() if value}


def _fsync(path: Path) -> None:
    with path.open("rb") as stream:
        os.fsync(stream.fileno())


def live_snapshot(using: str = DEFAULT_DB_ALIAS) -> Snapshot:
    """The same snapshot of the configured database, for comparing with a restore."""
    connection = connections[using]
    if connection.vendor == "sqlite":
        with closing(sqlite3.connect(connection.settings_dict["NAME"], timeout=30)) as db:
            return sqlite_snapshot(db)
    with closing(postgresql_connect(dict(connection.settings_dict))) as db:
        return postgresql_snapshot(db)


def describe(snapshot: Snapshot) -> Iterator[str]:
    yield f"{len(snapshot.tables)} tables, {sum(snapshot.tables.values())} rows"
    yield (
        f"event log intact: {snapshot.events.entries} entries, head "
        f"{snapshot.events.head_seq}:{snapshot.events.head_hash}"
    )
    yield f"event-log checksum {snapshot.checksum}"
