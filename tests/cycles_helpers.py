"""Moved to tests.support.worlds; this re-export goes once nothing imports it."""

from tests.support.worlds import (  # noqa: F401
    SEED,
    World,
    build_world,
    monthly_cycle,
    own_team_auditor,
    sampled_ids,
)
