"""Start-up checks that the database is configured as QUALITY.md requires."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ImproperlyConfigured
from django.db.backends.base.base import BaseDatabaseWrapper
from django.db.backends.signals import connection_created

# PRAGMA name -> the value SQLite must report. synchronous=2 is FULL.
REQUIRED_SQLITE_PRAGMAS = {"journal_mode": "wal", "synchronous": 2, "foreign_keys": 1}
MINIMUM_BUSY_TIMEOUT_MS = 5000


def sqlite_pragmas(connection: BaseDatabaseWrapper) -> dict[str, Any]:
    values: dict[str, Any] = {}
    with connection.cursor() as cursor:
        for pragma in [*REQUIRED_SQLITE_PRAGMAS, "busy_timeout"]:
            cursor.execute(f"PRAGMA {pragma}")
            row = cursor.fetchone()
            values[pragma] = row[0] if row else None
    return values


def verify_sqlite(connection: BaseDatabaseWrapper) -> None:
    """Refuse to run on a SQLite connection that could lose or corrupt acknowledged saves."""
    if connection.settings_dict["NAME"] in ("", ":memory:") or "mode=memory" in str(
        connection.settings_dict["NAME"]
    ):
        return
    values = sqlite_pragmas(connection)
    for pragma, required in REQUIRED_SQLITE_PRAGMAS.items():
        actual = values[pragma]
        if str(actual).lower() != str(required):
            raise ImproperlyConfigured(
                f"SQLite PRAGMA {pragma} is {actual!r}; QPA needs {required!r}."
            )
    if int(values["busy_timeout"] or 0) < MINIMUM_BUSY_TIMEOUT_MS:
        raise ImproperlyConfigured(
            f"SQLite busy_timeout is {values['busy_timeout']} ms; QPA needs at least "
            f"{MINIMUM_BUSY_TIMEOUT_MS} ms."
        )
    if connection.settings_dict.get("OPTIONS", {}).get("transaction_mode") != "IMMEDIATE":
        raise ImproperlyConfigured('SQLite must use transaction_mode="IMMEDIATE".')


def _on_connection_created(sender: Any, connection: BaseDatabaseWrapper, **kwargs: Any) -> None:
    if connection.vendor == "sqlite":
        verify_sqlite(connection)


def connect() -> None:
    connection_created.connect(_on_connection_created, dispatch_uid="qpa-verify-sqlite")
