"""Moved to tests.support.factories; this re-export goes once nothing imports it."""

from tests.support.factories import (  # noqa: F401
    PASSWORD,
    CaseFactory,
    TeamFactory,
    UserFactory,
    area,
    rating,
    submitted_audit,
)
