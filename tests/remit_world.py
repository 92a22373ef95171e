"""Moved to tests.support.worlds; this re-export goes once nothing imports it."""

from tests.support.worlds import RemitWorld, build_remit_world  # noqa: F401
