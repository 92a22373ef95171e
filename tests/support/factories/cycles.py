"""Allocations as a drawn and allocated cycle leaves them, without drawing one."""

from __future__ import annotations

import uuid
from datetime import timedelta
from typing import TYPE_CHECKING

from django.utils import timezone

from qpa.accounts.models import User
from qpa.cases.models import Case
from qpa.cycles.models import (
    Allocation,
    Cycle,
    CycleKind,
    CycleStatus,
    HowChosen,
    SampledCase,
    Stratum,
)
from qpa.tools.models import AuditTool
from tests.support.factories.tools import CP_CORE

if TYPE_CHECKING:  # worlds.py builds with these factories; the type alone is needed here
    from tests.support.worlds import World


def allocate(world: World, *, auditor: User, case: Case, tool_slug: str = CP_CORE) -> Allocation:
    """An allocation as a drawn and allocated cycle leaves it, without drawing one."""
    tool = AuditTool.objects.get(slug=tool_slug)
    cycle = Cycle.objects.create(
        kind=CycleKind.THEMED,
        theme=f"Theme {uuid.uuid4().hex[:8]}",
        tool=tool,
        tool_version=tool.current_version,
        plan=world.plan,
        due_date=timezone.localdate() + timedelta(days=28),
        status=CycleStatus.ALLOCATED,
        seed="5eed" * 16,
        drawn_at=timezone.now(),
    )
    stratum = Stratum.objects.create(
        cycle=cycle,
        service_area=case.service_area,
        population=1,
        excluded={},
        frame_size=1,
        quota=1,
        drawn=1,
    )
    sampled = SampledCase.objects.create(
        cycle=cycle,
        case=case,
        stratum=stratum,
        how_chosen=HowChosen.DRAWN,
        rank=1,
        frame_size=1,
        exclusions={},
    )
    return Allocation.objects.create(sampled_case=sampled, auditor=auditor, due_date=cycle.due_date)
