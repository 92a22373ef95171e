"""Moved to tests.support.annex_a; this re-export goes once nothing imports it."""

from tests.support.annex_a import (  # noqa: F401
    COMMON,
    LIST_6,
    LIST_7,
    LIST_8,
    LIST_9,
    care_leaver,
    cin,
    cla,
    cp,
    row,
    write_workbook,
)
