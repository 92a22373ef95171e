"""The data migrations' own seed functions, for tests that need their data again."""

from __future__ import annotations

import importlib
from typing import Any


def data_migration(app: str, name: str) -> Any:
    """A data migration's module: its seed data and functions are the one definition of
    what a new database holds, frozen with the migration."""
    return importlib.import_module(f"qpa.{app}.migrations.{name}")
