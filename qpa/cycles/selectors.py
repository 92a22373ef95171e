"""Reads of samples and allocations through the remit of the person asking.

The people who run cycles (CYCLE_MANAGER_ROLES) see which of a cycle's sampled cases in
their remit (`cases_visible_to`) were drawn and who audits them: child IDs, areas and
teams, never case detail. A role that may not open a case sees no child ID of it at all,
only counts per area and per auditor (docs/decisions/0109-no-child-id-outside-remit.md,
which narrows 0011). An auditor sees the cases allocated to them. Anyone else sees none."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from django.db.models import Count, Q, QuerySet
from django.utils import timezone

from qpa.accounts.permissions import Permission
from qpa.audits.models import AuditStatus
from qpa.cases.selectors import cases_visible_to
from qpa.cycles.models import (
    Allocation,
    AllocationStatus,
    Cycle,
    CycleAuditor,
    CycleStatus,
    HowChosen,
    SampledCase,
    Stratum,
)

CYCLE_MANAGER_ROLES = Permission.MANAGE_CYCLES.roles
ALLOCATION_HOLDER_ROLES = Permission.HOLD_ALLOCATIONS.roles


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


# --- Progress (decision 0119) ---------------------------------------------------------


class ProgressStatus:
    """A cycle's status as its allocations show it: derived on every read, never stored,
    because "overdue" changes with the date and "complete" with every submission,
    reopening and reallocation."""

    NOT_DRAWN = "Not drawn yet"
    DRAWN = "Sample drawn"
    IN_PROGRESS = "In progress"
    COMPLETE = "Complete"
    OVERDUE = "Overdue"


@dataclass
class Progress:
    """Counts of a cycle's live allocations (a replaced case's withdrawn allocation is not
    counted). Not started, in progress and submitted add up to allocated; overdue is the
    part of the first two past its due date."""

    allocated: int = 0
    not_started: int = 0
    in_progress: int = 0
    submitted: int = 0
    overdue: int = 0

    def add(self, other: Progress) -> None:
        self.allocated += other.allocated
        self.not_started += other.not_started
        self.in_progress += other.in_progress
        self.submitted += other.submitted
        self.overdue += other.overdue

    @property
    def is_complete(self) -> bool:
        return self.allocated > 0 and self.submitted == self.allocated


@dataclass
class ProgressRow:
    """One line of a progress table: a service area or an auditor."""

    name: str
    progress: Progress = field(default_factory=Progress)
    order: tuple[Any, ...] = ()


@dataclass
class CycleProgress:
    cycle: Cycle
    total: Progress
    by_area: list[ProgressRow] = field(default_factory=list)
    by_auditor: list[ProgressRow] = field(default_factory=list)

    @property
    def status(self) -> str:
        return progress_status(self.cycle, self.total)


def progress_status(cycle: Cycle, total: Progress) -> str:
    if cycle.status == CycleStatus.DRAFT:
        return ProgressStatus.NOT_DRAWN
    if cycle.status == CycleStatus.DRAWN:
        return ProgressStatus.DRAWN
    if total.is_complete:
        return ProgressStatus.COMPLETE
    if total.overdue:
        return ProgressStatus.OVERDUE
    return ProgressStatus.IN_PROGRESS


def _progress_counts(today: date) -> dict[str, Count]:
    """The counts of a progress row, as aggregates over allocations. The allocation's audit
    decides: a draft is in progress (a reopened audit too), a submitted one is submitted;
    an allocation completed without its own audit (`qpa cycle remind` found another audit
    of the case) is submitted."""
    draft = Q(audit__status=AuditStatus.DRAFT)
    done = ~draft & (Q(status=AllocationStatus.COMPLETED) | Q(audit__status=AuditStatus.SUBMITTED))
    not_started = Q(status=AllocationStatus.ALLOCATED, audit__isnull=True)
    late = Q(due_date__lt=today)
    return {
        "allocated": Count("pk"),
        "not_started": Count("pk", filter=not_started),
        "in_progress": Count("pk", filter=draft),
        "submitted": Count("pk", filter=done),
        "overdue": Count("pk", filter=(not_started | draft) & late),
    }


def _live_allocations() -> QuerySet[Allocation]:
    return Allocation.objects.exclude(status=AllocationStatus.WITHDRAWN)


def _as_progress(row: dict[str, Any]) -> Progress:
    return Progress(
        allocated=row["allocated"],
        not_started=row["not_started"],
        in_progress=row["in_progress"],
        submitted=row["submitted"],
        overdue=row["overdue"],
    )


def cycle_progress(cycle: Cycle, *, today: date | None = None) -> CycleProgress:
    """A cycle's progress per service area, per auditor and in all, from one grouped
    query (by area and auditor), whatever the number of cases. Counts only: no child ID,
    so every cycle manager sees them, figures-only readers too."""
    today = today or timezone.localdate()
    rows = (
        _live_allocations()
        .filter(sampled_case__cycle=cycle)
        .values(
            "sampled_case__stratum__service_area_id",
            "sampled_case__stratum__service_area__name",
            "sampled_case__stratum__service_area__order",
            "auditor_id",
            "auditor__first_name",
            "auditor__last_name",
            "auditor__username",
        )
        .annotate(**_progress_counts(today))
        .order_by()
    )
    total = Progress()
    areas: dict[int, ProgressRow] = {}
    auditors: dict[int, ProgressRow] = {}
    for row in rows:
        progress = _as_progress(row)
        total.add(progress)
        area = areas.setdefault(
            row["sampled_case__stratum__service_area_id"],
            ProgressRow(
                name=row["sampled_case__stratum__service_area__name"],
                order=(row["sampled_case__stratum__service_area__order"],),
            ),
        )
        area.progress.add(progress)
        first, last = row["auditor__first_name"], row["auditor__last_name"]
        person = auditors.setdefault(
            row["auditor_id"],
            ProgressRow(
                name=f"{first} {last}".strip() or row["auditor__username"],
                order=(last.casefold(), first.casefold(), row["auditor__username"]),
            ),
        )
        person.progress.add(progress)
    return CycleProgress(
        cycle=cycle,
        total=total,
        by_area=sorted(areas.values(), key=lambda r: r.order),
        by_auditor=sorted(auditors.values(), key=lambda r: r.order),
    )


def cycles_progress(
    cycles: Iterable[Cycle], *, today: date | None = None
) -> dict[int, CycleProgress]:
    """The totals of many cycles (a list page, a home page) from one grouped query."""
    cycles = list(cycles)
    today = today or timezone.localdate()
    rows = (
        _live_allocations()
        .filter(sampled_case__cycle__in=[c.pk for c in cycles])
        .values("sampled_case__cycle_id")
        .annotate(**_progress_counts(today))
        .order_by()
    )
    totals = {row["sampled_case__cycle_id"]: _as_progress(row) for row in rows}
    return {c.pk: CycleProgress(cycle=c, total=totals.get(c.pk, Progress())) for c in cycles}


def cycles_in_view(*, user: Any, today: date | None = None) -> list[CycleProgress]:
    """The cycles a manager's home page follows: every cycle not yet complete, and those
    completed that were due in the last month, newest first, with their progress."""
    today = today or timezone.localdate()
    recent = list(cycles_visible_to(user=user).order_by("-due_date", "-created_at")[:50])
    progress = cycles_progress(recent, today=today)
    shown = [
        progress[c.pk]
        for c in recent
        if progress[c.pk].status != ProgressStatus.COMPLETE or (today - c.due_date).days <= 31
    ]
    return shown[:10]


@dataclass(frozen=True)
class AllocationProgress:
    label: str
    overdue: bool = False


def allocation_progress(allocation: Allocation | None, *, today: date) -> AllocationProgress:
    """One case's place in the progress counts, by the same rules as `_progress_counts`.
    Read `allocation.audit` through select_related("allocation__audit") on a list."""
    if allocation is None:
        return AllocationProgress("Not allocated")
    if allocation.status == AllocationStatus.WITHDRAWN:
        return AllocationProgress("Withdrawn")
    audit = getattr(allocation, "audit", None)
    if audit is not None and audit.status == AuditStatus.DRAFT:
        return AllocationProgress("In progress", overdue=allocation.due_date < today)
    if allocation.status == AllocationStatus.COMPLETED or audit is not None:
        return AllocationProgress("Submitted")
    return AllocationProgress("Not started", overdue=allocation.due_date < today)
