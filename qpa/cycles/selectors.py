"""Reads of samples and allocations through the remit of the person asking.

The people who run cycles (CYCLE_MANAGER_ROLES) see which of a cycle's sampled cases in
their remit (`cases_visible_to`) were drawn and who audits them: child IDs, areas and
teams, never case detail. A role that may not open a case sees no child ID of it at all,
only counts per area and per auditor (docs/decisions/0109-no-child-id-outside-remit.md,
which narrows 0011). An auditor sees the cases allocated to them. Anyone else sees none."""

from __future__ import annotations

from typing import Any

from django.db.models import Count, Q, QuerySet

from qpa.accounts.models import Role
from qpa.cases.selectors import cases_visible_to
from qpa.cycles.models import (
    Allocation,
    AllocationStatus,
    Cycle,
    CycleAuditor,
    HowChosen,
    SampledCase,
    Stratum,
)

CYCLE_MANAGER_ROLES = {
    Role.ADMINISTRATOR,
    Role.HEAD_OF_SERVICE,
    Role.ASSISTANT_DIRECTOR,
    Role.DEPUTY_DIRECTOR,
    Role.PERFORMANCE,
}
ALLOCATION_HOLDER_ROLES = {Role.AUDITOR, Role.HEAD_OF_SERVICE}


def _active(user: Any) -> bool:
    return bool(getattr(user, "is_authenticated", False) and user.is_active)


def cycles_visible_to(*, user: Any) -> QuerySet[Cycle]:
    cycles = Cycle.objects.select_related("tool", "plan")
    if not _active(user):
        return cycles.none()
    if user.role in CYCLE_MANAGER_ROLES:
        return cycles
    return cycles.none()


def sampled_cases_visible_to(*, user: Any) -> QuerySet[SampledCase]:
    sampled = SampledCase.objects.select_related(
        "case__team", "stratum__service_area", "cycle", "replaced_by__case"
    )
    if not _active(user):
        return sampled.none()
    if user.role in CYCLE_MANAGER_ROLES:
        return sampled.filter(case__in=cases_visible_to(user=user).values("pk"))
    if user.role in ALLOCATION_HOLDER_ROLES:
        return sampled.filter(allocation__auditor=user)
    return sampled.none()


def allocations_visible_to(*, user: Any) -> QuerySet[Allocation]:
    allocations = Allocation.objects.select_related(
        "auditor",
        "sampled_case__case__team",
        "sampled_case__cycle__tool",
        "sampled_case__stratum__service_area",
    )
    if not _active(user):
        return allocations.none()
    if user.role in CYCLE_MANAGER_ROLES:
        return allocations.filter(sampled_case__case__in=cases_visible_to(user=user).values("pk"))
    if user.role in ALLOCATION_HOLDER_ROLES:
        return allocations.filter(auditor=user)
    return allocations.none()


def my_allocations(*, user: Any) -> QuerySet[Allocation]:
    """The person's own allocations, outstanding first, then by due date."""
    if not _active(user) or user.role not in ALLOCATION_HOLDER_ROLES:
        return Allocation.objects.none()
    return (
        allocations_visible_to(user=user)
        .filter(auditor=user)
        .exclude(status=AllocationStatus.WITHDRAWN)
        .order_by("status", "due_date", "sampled_case__case__child_id")
    )


def counts_per_area(cycle: Cycle) -> list[Stratum]:
    """Figures only: population, frame and sample of each stratum of a drawn cycle."""
    current = Q(sampled_cases__replaced_by__isnull=True)
    hand_picked = Q(sampled_cases__how_chosen=HowChosen.HAND_PICKED)
    return list(
        cycle.strata.select_related("service_area")
        .annotate(
            in_sample=Count("sampled_cases", filter=current),
            hand_picked=Count("sampled_cases", filter=current & hand_picked),
            replaced=Count("sampled_cases", filter=~current),
        )
        .order_by("service_area__order")
    )


def counts_per_auditor(cycle: Cycle) -> list[CycleAuditor]:
    """Each auditor of the cycle with the number of its cases they hold."""
    in_cycle = Q(auditor__allocations__sampled_case__cycle=cycle)
    live = ~Q(auditor__allocations__status=AllocationStatus.WITHDRAWN)
    return list(
        cycle.auditors.select_related("auditor").annotate(
            allocated=Count("auditor__allocations", filter=in_cycle & live)
        )
    )
