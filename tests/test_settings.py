"""Settings: environment readers fail loudly; SQLite is configured for durability."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.db import connections
from django.db.backends.sqlite3.base import DatabaseWrapper

from config.env import env_bool, env_int, env_list, env_str
from config.settings.base import database_config
from qpa.core.checks import sqlite_pragmas, verify_sqlite


def test_env_bool_reads_common_spellings(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FLAG", "Yes")
    assert env_bool("FLAG", False) is True
    monkeypatch.setenv("FLAG", "off")
    assert env_bool("FLAG", True) is False


def test_env_bool_refuses_a_value_it_cannot_read(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FLAG", "maybe")
    with pytest.raises(ImproperlyConfigured, match="FLAG must be true or false"):
        env_bool("FLAG", False)


def test_env_int_refuses_text_and_values_below_the_minimum(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PORT_NUMBER", "eighty")
    with pytest.raises(ImproperlyConfigured, match="whole number"):
        env_int("PORT_NUMBER", 1)
    monkeypatch.setenv("PORT_NUMBER", "0")
    with pytest.raises(ImproperlyConfigured, match="at least 1"):
        env_int("PORT_NUMBER", 1, minimum=1)
    monkeypatch.setenv("PORT_NUMBER", " 8080 ")
    assert env_int("PORT_NUMBER", 1, minimum=1) == 8080


def test_env_str_without_default_must_be_set(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("QPA_MISSING", raising=False)
    with pytest.raises(ImproperlyConfigured, match="QPA_MISSING must be set"):
        env_str("QPA_MISSING")
    monkeypatch.setenv("HOSTS", "a.example, b.example,,")
    assert env_list("HOSTS", []) == ["a.example", "b.example"]


def test_database_url_selects_postgresql(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DATABASE_URL", "postgres://qpa:secret@db.internal:5432/qpa")
    config = database_config()
    assert config["ENGINE"] == "django.db.backends.postgresql"
    assert (config["HOST"], config["NAME"], config["USER"]) == ("db.internal", "qpa", "qpa")


def _open_default_sqlite(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> DatabaseWrapper:
    monkeypatch.delenv("DATABASE_URL", raising=False)
    monkeypatch.setenv("QPA_SQLITE_PATH", str(tmp_path / "qpa.sqlite3"))
    config = database_config()
    config.setdefault("TIME_ZONE", None)
    config.setdefault("CONN_MAX_AGE", 0)
    config.setdefault("CONN_HEALTH_CHECKS", False)
    config.setdefault("AUTOCOMMIT", True)
    config.setdefault("ATOMIC_REQUESTS", False)
    return DatabaseWrapper(config, alias="pragma-check")


def test_default_sqlite_database_has_the_durable_pragmas(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, django_db_blocker: Any
) -> None:
    wrapper = _open_default_sqlite(tmp_path, monkeypatch)
    with django_db_blocker.unblock():
        try:
            wrapper.ensure_connection()
            pragmas = sqlite_pragmas(wrapper)
            # The start-up check accepts it.
            verify_sqlite(wrapper)
        finally:
            wrapper.close()
    assert pragmas["journal_mode"] == "wal"
    assert pragmas["synchronous"] == 2  # FULL
    assert pragmas["foreign_keys"] == 1
    assert pragmas["busy_timeout"] >= 20_000
    assert wrapper.settings_dict["OPTIONS"]["transaction_mode"] == "IMMEDIATE"


def test_start_up_check_refuses_sqlite_with_normal_sync(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, django_db_blocker: Any
) -> None:
    wrapper = _open_default_sqlite(tmp_path, monkeypatch)
    wrapper.settings_dict["OPTIONS"]["init_command"] = (
        "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;"
    )
    with django_db_blocker.unblock():
        try:
            # connection_created runs the check as the connection opens.
            with pytest.raises(ImproperlyConfigured, match="synchronous"):
                wrapper.ensure_connection()
        finally:
            wrapper.close()


@pytest.mark.django_db
def test_the_running_database_passes_the_start_up_check() -> None:
    connection = connections["default"]
    connection.ensure_connection()
    if connection.vendor == "sqlite":
        assert sqlite_pragmas(connection)["journal_mode"] == "wal"
    else:
        assert connection.vendor == "postgresql"
