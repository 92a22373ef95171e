"""Writes to sampling plans, cycles, samples and allocations. Views and the `qpa cycle`
command call these; each is atomic and takes the person acting (None from cron).

Once a sample is drawn it is frozen: a case leaves it only through `sample_replace`,
with a reason, and its replacement is the next case of the same stratum's HMAC ranking.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Max, Q
from django.urls import reverse
from django.utils import timezone

from qpa.accounts.models import Role, User
from qpa.accounts.permissions import Permission
from qpa.audits.models import Audit, AuditStatus
from qpa.audits.services import audit_create
from qpa.cases.models import Case, CaseStatus
from qpa.core.events import event_record
from qpa.core.wording import plural
from qpa.cycles import independence, sampling
from qpa.cycles.models import (
    Allocation,
    AllocationStatus,
    ChangeKind,
    Cycle,
    CycleAuditor,
    CycleChange,
    CycleKind,
    CycleStatus,
    HowChosen,
    PlanQuota,
    QuotaMethod,
    SampledCase,
    SamplingPlan,
    Stratum,
)
from qpa.cycles.population import clean_population_filter, population_cases
from qpa.notifications.services import Link, notification_send
from qpa.organisation.models import ServiceArea
from qpa.tools.models import AuditTool

# --- Starting and finishing an allocation's audit ----------------------------------


@transaction.atomic
def allocation_audit_start(*, acting_user: User, allocation: Allocation) -> Audit:
    """The audit of an allocated case, with the cycle's tool version. Starting twice
    (a double click, two tabs) gives the one audit of the allocation."""
    if allocation.auditor_id != acting_user.pk:
        raise PermissionDenied("Only the auditor the case is allocated to starts its audit.")
    existing = Audit.objects.filter(allocation=allocation).first()
    if existing is not None:
        return existing
    if allocation.status == AllocationStatus.WITHDRAWN:
        raise ValidationError("This case was replaced in the sample: it is not audited.")
    cycle = allocation.sampled_case.cycle
    return audit_create(
        acting_user=acting_user,
        case=allocation.sampled_case.case,
        tool_version=cycle.tool_version or cycle.tool.current_version,
        allocation_id=allocation.pk,
    )


def allocation_complete_on_submit(*, audit: Audit, **_: Any) -> None:
    """Receives `audit_submitted`: the allocation is done now (`qpa cycle remind` would
    find it too, a day later)."""
    if audit.allocation_id is None:
        return
    Allocation.objects.filter(pk=audit.allocation_id, status=AllocationStatus.ALLOCATED).update(
        status=AllocationStatus.COMPLETED, updated_at=timezone.now()
    )


# Who may be given cases to audit.
AUDITOR_ROLES = tuple(sorted(Permission.HOLD_ALLOCATIONS.roles))
# Days before the due date when the auditor is reminded.
REMINDER_DAYS = 7


def _need_reason(reason: str) -> str:
    reason = reason.strip()
    if not reason:
        raise ValidationError({"reason": "Enter the reason for this change."})
    return reason


def long_date(day: date) -> str:
    """ "3 December 2026": the service's way of writing a date, without a leading zero."""
    return f"{day.day} {day:%B %Y}"


# Telling auditors what they hold (decision 0120) ---------------------------------------
#
# Every path that gives an auditor a case (the allocation, a reallocation, a replacement,
# a hand-pick) ends here: one notification per auditor and occasion, listing the cases,
# each child ID linking to the page where its audit starts. The occasion is in the dedupe
# key, so a retried request or a second run tells nobody twice. No message says why a
# case moved: the reason is typed text, and may speak of a moderation the first auditor
# must not learn of (qpa.audits.blind).


def _allocation_link(allocation: Allocation) -> Link:
    sampled = allocation.sampled_case
    return Link(
        label=sampled.case.child_id,
        url=reverse(
            "cycles:allocation-audit-start", kwargs={"allocation_id": allocation.public_id}
        ),
        detail=f"{sampled.stratum.service_area.name}, due {long_date(allocation.due_date)}",
    )


def _due_text(allocations: list[Allocation]) -> str:
    days = sorted({a.due_date for a in allocations})
    if len(days) == 1:
        return f"due on {long_date(days[0])}"
    return f"due between {long_date(days[0])} and {long_date(days[-1])}"


def allocation_notices_send(
    *, cycle: Cycle, allocations: Iterable[Allocation], occasion: str, opening: str = ""
) -> int:
    """One notification to each auditor of these allocations, listing their cases of
    this cycle with due dates. Returns how many were written."""
    held: dict[int, list[Allocation]] = {}
    for allocation in allocations:
        held.setdefault(allocation.auditor_id, []).append(allocation)
    people = User.objects.in_bulk(list(held))
    sent = 0
    for auditor_id, theirs in held.items():
        auditor = people[auditor_id]
        if not auditor.is_active:
            continue
        theirs.sort(key=lambda a: (a.due_date, a.sampled_case.case.child_id))
        count = len(theirs)
        cases = f"{count} case{'s' if count != 1 else ''}"
        body = (f"{opening} " if opening else "") + (
            f"You have {cases} to audit in {cycle.name}, {_due_text(theirs)}. Each child ID "
            "below opens the page where you start its audit; they are under My allocations "
            "too. You are reminded a week before a due date."
        )
        notification = notification_send(
            recipient=auditor,
            kind="cycles.allocated",
            subject=f"{cases} to audit in {cycle.name}, {_due_text(theirs)}",
            body=body,
            url=reverse("cycles:my-allocations"),
            links=[_allocation_link(a) for a in theirs],
            dedupe_key=f"cycles:allocated:{cycle.public_id}:{auditor_id}:{occasion}",
        )
        sent += notification is not None
    return sent


def _withdrawal_notice_send(
    *, cycle: Cycle, allocation: Allocation, auditor: User, occasion: str, what: str
) -> None:
    """Tell an auditor that a case is no longer theirs to audit."""
    if not auditor.is_active:
        return
    case = allocation.sampled_case.case
    notification_send(
        recipient=auditor,
        kind="cycles.withdrawn",
        subject=f"Case {case} in {cycle.name} is no longer yours to audit",
        body=f"Case {case} {what}, so you no longer audit it in {cycle.name}. Your other "
        "cases are under My allocations.",
        url=reverse("cycles:my-allocations"),
        links=[
            Link(
                label=case.child_id,
                url=reverse("cases:case-detail", kwargs={"public_id": case.public_id}),
            )
        ],
        dedupe_key=f"cycles:withdrawn:{cycle.public_id}:{auditor.pk}:{occasion}",
    )


# Sampling plans ---------------------------------------------------------------------


@transaction.atomic
def plan_create(
    *,
    acting_user: User | None,
    name: str,
    method: str,
    quotas: Mapping[ServiceArea, int] | None = None,
    total: int | None = None,
    minimum_per_area: int = 0,
    exclude_audited_within_months: int = 12,
) -> SamplingPlan:
    name = name.strip()
    if not name:
        raise ValidationError({"name": "Enter a name for the plan."})
    if SamplingPlan.objects.filter(name__iexact=name).exists():
        raise ValidationError({"name": "A sampling plan with this name already exists."})
    if method == QuotaMethod.PROPORTIONAL:
        if not total or total < 1:
            raise ValidationError({"total": "Enter how many cases to draw in total."})
        quotas = {}
    elif method == QuotaMethod.FIXED:
        total = None
        quotas = {a: n for a, n in (quotas or {}).items() if n}
        if not quotas:
            raise ValidationError({"quotas": "Enter the number of cases for at least one area."})
    else:
        raise ValidationError({"method": "Choose how the sample is shared between areas."})
    if any(n < 0 for n in quotas.values()) or minimum_per_area < 0:
        raise ValidationError("Numbers of cases cannot be negative.")
    if not 0 <= exclude_audited_within_months <= 120:
        raise ValidationError(
            {"exclude_audited_within_months": "Enter a number of months between 0 and 120."}
        )
    plan = SamplingPlan.objects.create(
        name=name,
        method=method,
        total=total,
        minimum_per_area=minimum_per_area if method == QuotaMethod.PROPORTIONAL else 0,
        exclude_audited_within_months=exclude_audited_within_months,
        created_by=acting_user,
        updated_by=acting_user,
    )
    PlanQuota.objects.bulk_create(
        PlanQuota(plan=plan, service_area=area, count=count) for area, count in quotas.items()
    )
    return plan


# Cycles ------------------------------------------------------------------------------


def auditor_candidates() -> Any:
    return User.objects.filter(is_active=True, role__in=AUDITOR_ROLES)


@transaction.atomic
def cycle_create(
    *,
    acting_user: User | None,
    kind: str,
    tool: AuditTool,
    plan: SamplingPlan | None,
    auditors: Mapping[User, int],
    due_date: date,
    month: date | None = None,
    theme: str = "",
    population_filter: Mapping[str, Any] | None = None,
    sample_size: int | None = None,
) -> Cycle:
    """auditors: {person: how many cases they can take}. A themed cycle may have no plan:
    it then draws `sample_size` cases of its population (every eligible case when None)."""
    errors: dict[str, str] = {}
    if kind == CycleKind.MONTHLY:
        if month is None:
            errors["month"] = "Enter the month of the cycle."
        else:
            month = month.replace(day=1)
            if Cycle.objects.filter(kind=CycleKind.MONTHLY, tool=tool, month=month).exists():
                errors["month"] = f"There is already a {tool.name} cycle for {month:%B %Y}."
        theme = ""
    elif kind == CycleKind.THEMED:
        theme = theme.strip()
        month = None
        if not theme:
            errors["theme"] = "Enter the theme of the cycle."
    else:
        errors["kind"] = "Choose a monthly or a themed cycle."
    if not tool.is_active:
        errors["tool"] = f"{tool.name} is retired; choose a tool in use."
    if plan is None:
        if kind == CycleKind.MONTHLY:
            errors["plan"] = "Choose the sampling plan of the monthly cycle."
        elif not population_filter:
            errors["population_filter"] = (
                "A themed cycle without a sampling plan needs a population: say which cases "
                "the theme looks at."
            )
        if sample_size is not None and not 1 <= sample_size <= 5000:
            errors["sample_size"] = "Enter a number of cases between 1 and 5000."
    else:
        if not plan.is_active:
            errors["plan"] = f"The sampling plan {plan.name} is no longer in use."
        if sample_size is not None:
            errors["sample_size"] = "The sampling plan says how many cases to draw."
    if not auditors:
        errors["auditors"] = "Choose at least one auditor."
    eligible = set(auditor_candidates().values_list("pk", flat=True))
    for person, capacity in auditors.items():
        if person.pk not in eligible:
            errors["auditors"] = (
                f"{person} cannot audit: only active Auditors and Heads of Service can."
            )
        elif capacity < 1:
            errors["capacity"] = f"Enter how many cases {person} can take (at least 1)."
    if errors:
        raise ValidationError(errors)
    cleaned_filter = clean_population_filter(population_filter or {})
    cycle = Cycle.objects.create(
        kind=kind,
        month=month,
        theme=theme,
        tool=tool,
        plan=plan,
        sample_size=sample_size,
        population_filter=cleaned_filter,
        due_date=due_date,
        created_by=acting_user,
        updated_by=acting_user,
    )
    CycleAuditor.objects.bulk_create(
        CycleAuditor(cycle=cycle, auditor=person, capacity=capacity)
        for person, capacity in auditors.items()
    )
    return cycle


def _lock(cycle: Cycle) -> Cycle:
    # Lock the cycle's row only: a themed cycle's plan may be empty, and PostgreSQL locks
    # no row of the nullable side of an outer join.
    return (
        Cycle.objects.select_for_update(of=("self",))
        .select_related("plan", "tool")
        .get(pk=cycle.pk)
    )


def own_team_ids(user: User) -> frozenset[int]:
    """Teams a person manages or belongs to: never theirs to audit."""
    return independence.ties_of([user])[user.pk].team_ids


def _auditor_facts(cycle: Cycle, *, with_load: bool = False) -> list[sampling.AuditorFacts]:
    places = list(cycle.auditors.select_related("auditor"))
    ties = independence.ties_of(place.auditor for place in places)
    loads: dict[int, int] = {}
    if with_load:
        for row in Allocation.objects.filter(
            sampled_case__cycle=cycle,
            status__in=[AllocationStatus.ALLOCATED, AllocationStatus.COMPLETED],
        ).values_list("auditor_id", flat=True):
            loads[row] = loads.get(row, 0) + 1
    return [
        sampling.AuditorFacts(
            key=place.auditor_id,
            capacity=place.capacity,
            own_team_ids=ties[place.auditor_id].team_ids,
            own_area_ids=ties[place.auditor_id].area_ids,
            load=loads.get(place.auditor_id, 0),
        )
        for place in places
    ]


def population(cycle: Cycle, reference: date) -> Any:
    """The cycle's population: every case that meets its filter, open or not (closed
    cases are counted, then excluded, so the report shows them)."""
    return population_cases(cycle.population_filter, reference)


def _case_facts(
    cycle: Cycle, reference: date, *, stratum: ServiceArea | None = None
) -> list[sampling.CaseFacts]:
    cases = population(cycle, reference)
    if stratum is not None:
        cases = cases.filter(service_area=stratum)
    rows = cases.annotate(
        last_audited_on=Max("audits__audit_date", filter=Q(audits__status=AuditStatus.SUBMITTED))
    ).values_list(
        "child_id", "service_area__slug", "status", "team_id", "last_audited_on", "service_area_id"
    )
    return [
        sampling.CaseFacts(
            child_id=child_id,
            stratum=slug,
            is_open=status == CaseStatus.OPEN,
            team_id=team_id,
            last_audited_on=last,
            service_area_id=area_id,
        )
        for child_id, slug, status, team_id, last, area_id in rows
    ]


def _quotas(
    plan: SamplingPlan, frames: Mapping[str, sampling.Frame], areas: Iterable[ServiceArea]
) -> dict[str, int]:
    if plan.method == QuotaMethod.FIXED:
        fixed = {q.service_area.slug: q.count for q in plan.quotas.select_related("service_area")}
        return {a.slug: fixed.get(a.slug, 0) for a in areas}
    open_cases = {
        a.slug: frames[a.slug].population - frames[a.slug].excluded[sampling.EXCLUDED_CLOSED]
        for a in areas
    }
    return sampling.proportional_quotas(plan.total or 0, open_cases, plan.minimum_per_area)


def _cycle_quotas(
    cycle: Cycle, frames: Mapping[str, sampling.Frame], areas: Iterable[ServiceArea]
) -> dict[str, int]:
    """The plan's quotas; without a plan (a themed cycle), every eligible case, or
    `sample_size` of them shared in proportion to each area's eligible cases."""
    if cycle.plan is not None:
        return _quotas(cycle.plan, frames, areas)
    eligible = {a.slug: frames[a.slug].size for a in areas}
    if cycle.sample_size is None:
        return eligible
    return sampling.proportional_quotas(cycle.sample_size, eligible, 0)


def _audited_within_months(plan: SamplingPlan | None) -> int:
    """A themed cycle without a plan leaves no case out for a recent audit: its theme
    looks at something the monthly audit does not."""
    return plan.exclude_audited_within_months if plan is not None else 0


def _audited_since(plan: SamplingPlan | None, reference: date) -> date:
    """Cases with an audit submitted on or after this day are left out."""
    months = _audited_within_months(plan)
    if months == 0:
        return reference + timedelta(days=1)
    return sampling.months_before(reference, months)


def _exclusions_applied(plan: SamplingPlan | None, frame: sampling.Frame) -> dict[str, Any]:
    return {
        "rules": list(sampling.EXCLUSION_RULES),
        "audited_within_months": _audited_within_months(plan),
        "excluded": dict(frame.excluded),
        "population": frame.population,
    }


def _frames_and_quotas(
    cycle: Cycle, reference: date, auditors: list[sampling.AuditorFacts]
) -> tuple[list[ServiceArea], dict[str, sampling.Frame], dict[str, int]]:
    """Each active area's frame on `reference` and how many cases the draw takes from it."""
    audited_since = _audited_since(cycle.plan, reference)
    areas = list(ServiceArea.objects.filter(is_active=True))
    in_plan = {a.slug for a in areas}
    facts = [f for f in _case_facts(cycle, reference) if f.stratum in in_plan]
    frames = sampling.build_frames(
        facts, strata=[a.slug for a in areas], audited_since=audited_since, auditors=auditors
    )
    return areas, frames, _cycle_quotas(cycle, frames, areas)


@dataclass(frozen=True)
class DrawPreview:
    """What a draw would find today, per service area, before anything is drawn."""

    service_area: ServiceArea
    population: int
    excluded: list[int]  # in the order of sampling.EXCLUSION_RULES
    frame: int
    to_draw: int


def sample_draw_preview(cycle: Cycle) -> list[DrawPreview]:
    """The population, exclusions, frame and number each area would give if the sample
    were drawn now: shown before the draw. Changes nothing."""
    areas, frames, quotas = _frames_and_quotas(cycle, timezone.localdate(), _auditor_facts(cycle))
    return [
        DrawPreview(
            service_area=area,
            population=frames[area.slug].population,
            excluded=[frames[area.slug].excluded[r] for r in sampling.EXCLUSION_RULES],
            frame=frames[area.slug].size,
            to_draw=min(quotas[area.slug], frames[area.slug].size),
        )
        for area in areas
    ]


@transaction.atomic
def sample_draw(*, acting_user: User | None, cycle: Cycle, seed: str | None = None) -> Cycle:
    """Draws the sample. Refused once drawn: the sample is then frozen. `seed` is for
    recomputing a past draw in tests and checks; normally a fresh one is generated."""
    cycle = _lock(cycle)
    if cycle.status != CycleStatus.DRAFT:
        raise ValidationError(
            "This cycle's sample is already drawn and frozen. Replace a case, with a reason, "
            "if one must change."
        )
    if cycle.algorithm not in sampling.SUPPORTED_ALGORITHMS:
        raise ValidationError(f"Unknown sampling algorithm {cycle.algorithm}.")
    auditors = _auditor_facts(cycle)
    if not auditors:
        raise ValidationError("The cycle has no auditors, so no case could be allocated.")
    reference = timezone.localdate()
    areas, frames, quotas = _frames_and_quotas(cycle, reference, auditors)
    cycle.seed = seed or sampling.new_seed()
    cases = {c.child_id: c for c in population(cycle, reference)}
    for area in areas:
        frame = frames[area.slug]
        chosen = sampling.draw(cycle.seed, area.slug, frame.eligible, quotas[area.slug])
        stratum = Stratum.objects.create(
            cycle=cycle,
            service_area=area,
            population=frame.population,
            excluded=dict(frame.excluded),
            frame_size=frame.size,
            quota=quotas[area.slug],
            drawn=len(chosen),
        )
        exclusions = _exclusions_applied(cycle.plan, frame)
        SampledCase.objects.bulk_create(
            SampledCase(
                cycle=cycle,
                case=cases[child_id],
                stratum=stratum,
                how_chosen=HowChosen.DRAWN,
                rank=rank,
                frame_size=frame.size,
                exclusions=exclusions,
                created_by=acting_user,
                updated_by=acting_user,
            )
            for rank, child_id in enumerate(chosen, start=1)
        )
    cycle.tool_version = cycle.tool.current_version
    cycle.reference_date = reference
    cycle.status = CycleStatus.DRAWN
    cycle.drawn_at = timezone.now()
    cycle.drawn_by = acting_user
    cycle.updated_by = acting_user
    cycle.save()
    event_record(
        action="cycle.drawn",
        actor=acting_user,
        obj=cycle,
        child_ids=list(cycle.sampled_cases.values_list("case__child_id", flat=True)),
        data={"algorithm": cycle.algorithm},
    )
    return cycle


def _log(
    *,
    cycle: Cycle,
    kind: str,
    actor: User | None,
    reason: str,
    summary: str,
    **links: Any,
) -> CycleChange:
    change = CycleChange.objects.create(
        cycle=cycle, kind=kind, actor=actor, reason=reason, summary=summary[:300], **links
    )
    # The event log names the children; the reason stays in the cycle's own change log.
    event_record(
        action=f"cycle.{kind}",
        actor=actor,
        obj=cycle,
        child_ids=[
            linked.case.child_id
            for linked in (links.get("sampled_case"), links.get("replacement"))
            if linked is not None
        ],
        data={"change": change.pk},
    )
    return change


def _place_allocation(
    *,
    acting_user: User | None,
    cycle: Cycle,
    sampled: SampledCase,
    due_date: date,
    prefer: User | None = None,
) -> Allocation:
    """Allocates one case of an allocated cycle: to `prefer` if they may take it, else to
    the auditor with the most room."""
    team_id, area_id = sampled.case.team_id, sampled.case.service_area_id
    auditors = _auditor_facts(cycle, with_load=True)
    auditor_key: int | None = None
    if prefer is not None and any(
        a.key == prefer.pk and sampling.can_audit(a, team_id, area_id) for a in auditors
    ):
        auditor_key = prefer.pk
    else:
        choice = sampling.choose_auditor(auditors, team_id, area_id)
        if choice is None:
            # Capacity is a plan, not a wall: past it, the least loaded independent auditor.
            independent = [a for a in auditors if sampling.can_audit(a, team_id, area_id)]
            if not independent:
                raise ValidationError(
                    "No auditor of this cycle is independent of this case's team and area."
                )
            choice = min(independent, key=lambda a: (a.load / a.capacity, a.load))
        auditor_key = choice.key
    return Allocation.objects.create(
        sampled_case=sampled,
        auditor_id=auditor_key,
        due_date=due_date,
        created_by=acting_user,
        updated_by=acting_user,
    )


@dataclass(frozen=True)
class ReplacementDraw:
    child_id: str
    rank: int
    frame: sampling.Frame


def _next_in_ranking(cycle: Cycle, stratum: Stratum) -> ReplacementDraw:
    auditors = _auditor_facts(cycle)
    reference = cycle.reference_date or timezone.localdate()
    audited_since = _audited_since(cycle.plan, reference)
    # Today's facts: a case closed since the draw must not come back as a replacement.
    facts = _case_facts(cycle, reference, stratum=stratum.service_area)
    frame = sampling.build_frames(
        facts, strata=[stratum.key], audited_since=audited_since, auditors=auditors
    )[stratum.key]
    taken = set(cycle.sampled_cases.values_list("case__child_id", flat=True))
    for rank, child_id in enumerate(sampling.ranked(cycle.seed, stratum.key, frame.eligible), 1):
        if child_id not in taken:
            return ReplacementDraw(child_id=child_id, rank=rank, frame=frame)
    raise ValidationError(
        f"No other eligible case remains in {stratum.service_area.name} to replace it with."
    )


@transaction.atomic
def sample_replace(
    *, acting_user: User | None, sampled_case: SampledCase, reason: str
) -> SampledCase:
    """Takes a case out of a drawn sample and draws its replacement from the same stratum:
    the first case of the stratum's ranking not yet in the sample and still eligible."""
    reason = _need_reason(reason)
    cycle = _lock(sampled_case.cycle)
    sampled = (
        SampledCase.objects.select_for_update()
        .select_related("case", "stratum__service_area")
        .get(pk=sampled_case.pk)
    )
    if cycle.status == CycleStatus.DRAFT:
        raise ValidationError("The sample has not been drawn yet.")
    if sampled.replaced_by_id is not None:
        raise ValidationError(f"{sampled.case} has already been replaced.")
    allocation = Allocation.objects.filter(sampled_case=sampled).first()
    if allocation is not None and allocation.status == AllocationStatus.COMPLETED:
        raise ValidationError(f"{sampled.case} has been audited already, so it cannot be replaced.")
    pick = _next_in_ranking(cycle, sampled.stratum)
    replacement = SampledCase.objects.create(
        cycle=cycle,
        case=Case.objects.get(child_id=pick.child_id),
        stratum=sampled.stratum,
        how_chosen=HowChosen.REPLACEMENT,
        rank=pick.rank,
        frame_size=pick.frame.size,
        exclusions=_exclusions_applied(cycle.plan, pick.frame),
        created_by=acting_user,
        updated_by=acting_user,
    )
    sampled.replaced_by = replacement
    sampled.replacement_reason = reason
    sampled.updated_by = acting_user
    sampled.save(update_fields=["replaced_by", "replacement_reason", "updated_by", "updated_at"])
    placed: Allocation | None = None
    if allocation is not None:
        allocation.status = AllocationStatus.WITHDRAWN
        allocation.updated_by = acting_user
        allocation.save(update_fields=["status", "updated_by", "updated_at"])
        placed = _place_allocation(
            acting_user=acting_user,
            cycle=cycle,
            sampled=replacement,
            due_date=allocation.due_date,
            prefer=allocation.auditor,
        )
    change = _log(
        cycle=cycle,
        kind=ChangeKind.REPLACEMENT,
        actor=acting_user,
        reason=reason,
        summary=f"{sampled.case} replaced by {replacement.case} "
        f"({sampled.stratum.service_area.name}, rank {pick.rank})",
        sampled_case=sampled,
        replacement=replacement,
    )
    if allocation is not None and placed is not None:
        occasion = f"change-{change.pk}"
        same = placed.auditor_id == allocation.auditor_id
        allocation_notices_send(
            cycle=cycle,
            allocations=[placed],
            occasion=occasion,
            opening=f"Case {sampled.case} was replaced in the sample by case {replacement.case}."
            if same
            else "",
        )
        if not same:
            _withdrawal_notice_send(
                cycle=cycle,
                allocation=allocation,
                auditor=allocation.auditor,
                occasion=occasion,
                what="was replaced in the sample by another case",
            )
    return replacement


@transaction.atomic
def cycle_hand_picking_set(*, acting_user: User, cycle: Cycle, allowed: bool, reason: str) -> Cycle:
    if acting_user.role != Role.ADMINISTRATOR:
        raise PermissionDenied("Only an Administrator can turn hand-picking on or off.")
    reason = _need_reason(reason)
    cycle = _lock(cycle)
    if cycle.hand_picking_allowed == allowed:
        return cycle
    cycle.hand_picking_allowed = allowed
    cycle.updated_by = acting_user
    cycle.save(update_fields=["hand_picking_allowed", "updated_by", "updated_at"])
    _log(
        cycle=cycle,
        kind=ChangeKind.HAND_PICKING_SETTING,
        actor=acting_user,
        reason=reason,
        summary=f"Hand-picking turned {'on' if allowed else 'off'}",
    )
    return cycle


@transaction.atomic
def sample_hand_pick(
    *, acting_user: User | None, cycle: Cycle, child_id: str, reason: str
) -> SampledCase:
    """Adds a chosen case to a drawn sample. Only when an Administrator has allowed it for
    this cycle; the case must still pass every exclusion rule."""
    reason = _need_reason(reason)
    cycle = _lock(cycle)
    if not cycle.hand_picking_allowed:
        raise ValidationError("Hand-picking is off for this cycle.")
    if cycle.status == CycleStatus.DRAFT:
        raise ValidationError("Draw the sample before adding hand-picked cases.")
    reference = cycle.reference_date or timezone.localdate()
    case = (
        population(cycle, reference)
        .filter(child_id=child_id.strip())
        .select_related("service_area")
        .first()
    )
    if case is None or case.service_area is None:
        raise ValidationError({"child_id": "No case with this ID is in the cycle's population."})
    if cycle.sampled_cases.filter(case=case).exists():
        raise ValidationError({"child_id": f"{case} is already in this cycle's sample."})
    auditors = _auditor_facts(cycle)
    audited_since = _audited_since(cycle.plan, reference)
    facts = _case_facts(cycle, reference, stratum=case.service_area)
    frame = sampling.build_frames(
        facts, strata=[case.service_area.slug], audited_since=audited_since, auditors=auditors
    )[case.service_area.slug]
    if case.child_id not in frame.eligible:
        raise ValidationError(
            {
                "child_id": f"{case} is excluded from the sample (closed, audited recently, or "
                "every auditor of the cycle works in its team)."
            }
        )
    stratum, _ = Stratum.objects.get_or_create(
        cycle=cycle,
        service_area=case.service_area,
        defaults={
            "population": frame.population,
            "excluded": dict(frame.excluded),
            "frame_size": frame.size,
            "quota": 0,
            "drawn": 0,
        },
    )
    picked = SampledCase.objects.create(
        cycle=cycle,
        case=case,
        stratum=stratum,
        how_chosen=HowChosen.HAND_PICKED,
        frame_size=frame.size,
        exclusions=_exclusions_applied(cycle.plan, frame),
        created_by=acting_user,
        updated_by=acting_user,
    )
    placed: Allocation | None = None
    if cycle.status == CycleStatus.ALLOCATED:
        placed = _place_allocation(
            acting_user=acting_user, cycle=cycle, sampled=picked, due_date=cycle.due_date
        )
    change = _log(
        cycle=cycle,
        kind=ChangeKind.HAND_PICK,
        actor=acting_user,
        reason=reason,
        summary=f"{case} hand-picked ({case.service_area.name})",
        sampled_case=picked,
    )
    if placed is not None:
        allocation_notices_send(
            cycle=cycle,
            allocations=[placed],
            occasion=f"change-{change.pk}",
            opening=f"Case {case} was added to the sample.",
        )
    return picked


@transaction.atomic
def allocation_create(*, acting_user: User | None, cycle: Cycle) -> list[Allocation]:
    """Allocates every case of the drawn sample, balanced against each auditor's capacity,
    never to the auditor's own team. All or nothing: if a case cannot be placed, nothing
    is allocated and the error names the cases."""
    cycle = _lock(cycle)
    if cycle.status == CycleStatus.DRAFT:
        raise ValidationError("Draw the sample before allocating it.")
    if cycle.status == CycleStatus.ALLOCATED:
        raise ValidationError("This cycle is already allocated. Reallocate single cases instead.")
    current = list(
        cycle.sampled_cases.filter(replaced_by__isnull=True)
        .select_related("case", "stratum__service_area")
        .order_by("stratum__service_area__order", "rank", "created_at")
    )
    chosen, unallocated = sampling.balance(
        [
            sampling.ToAllocate(
                key=s.pk, team_id=s.case.team_id, service_area_id=s.case.service_area_id
            )
            for s in current
        ],
        _auditor_facts(cycle),
    )
    if unallocated:
        names = ", ".join(str(s.case) for s in current if s.pk in unallocated)
        raise ValidationError(
            f"{plural(len(unallocated), 'case')} cannot be allocated: the auditors independent of "
            f"their teams have no room left ({names}). Create the cycle again with more auditors "
            "or more capacity."
        )
    allocations = Allocation.objects.bulk_create(
        Allocation(
            sampled_case=s,
            auditor_id=chosen[s.pk],
            due_date=cycle.due_date,
            created_by=acting_user,
            updated_by=acting_user,
        )
        for s in current
    )
    cycle.status = CycleStatus.ALLOCATED
    cycle.allocated_at = timezone.now()
    cycle.updated_by = acting_user
    cycle.save(update_fields=["status", "allocated_at", "updated_by", "updated_at"])
    event_record(
        action="cycle.allocated",
        actor=acting_user,
        obj=cycle,
        child_ids=[a.sampled_case.case.child_id for a in allocations],
        data={"allocations": len(allocations)},
    )
    allocation_notices_send(cycle=cycle, allocations=allocations, occasion="allocation")
    return allocations


def reallocation_candidates(allocation: Allocation) -> list[User]:
    """The cycle's auditors who could take this case instead: not its current auditor,
    independent of the case (its team; a Head of Service's own area), and never the
    case's moderator (qpa.cycles.independence)."""
    cycle = allocation.sampled_case.cycle
    case = allocation.sampled_case.case
    places = list(cycle.auditors.select_related("auditor"))
    ties = independence.ties_of(place.auditor for place in places)
    barred = independence.barred_from_first_audit(allocation) | {allocation.auditor_id}
    return [
        place.auditor
        for place in places
        if place.auditor_id not in barred
        and place.auditor.is_active
        and independence.free_of(
            ties[place.auditor_id], team_id=case.team_id, service_area_id=case.service_area_id
        )
    ]


@transaction.atomic
def allocation_reassign(
    *,
    acting_user: User | None,
    allocation: Allocation,
    auditor: User,
    reason: str,
    due_date: date | None = None,
) -> Allocation:
    reason = _need_reason(reason)
    allocation = (
        Allocation.objects.select_for_update()
        .select_related("sampled_case__cycle", "sampled_case__case", "auditor")
        .get(pk=allocation.pk)
    )
    if allocation.status != AllocationStatus.ALLOCATED:
        raise ValidationError("Only a case still to be audited can be reallocated.")
    if auditor.pk not in {p.pk for p in reallocation_candidates(allocation)}:
        raise ValidationError(
            {
                "auditor": f"{auditor} cannot take this case: choose another auditor of this cycle "
                "who is independent of it (not in its team, not its Head of Service, not its "
                "moderator)."
            }
        )
    previous = allocation.auditor
    allocation.auditor = auditor
    allocation.reallocation_reason = reason
    if due_date is not None:
        allocation.due_date = due_date
    allocation.updated_by = acting_user
    allocation.save(
        update_fields=["auditor", "reallocation_reason", "due_date", "updated_by", "updated_at"]
    )
    cycle = allocation.sampled_case.cycle
    change = _log(
        cycle=cycle,
        kind=ChangeKind.REALLOCATION,
        actor=acting_user,
        reason=reason,
        summary=f"{allocation.sampled_case.case} reallocated from {previous} to {auditor}",
        sampled_case=allocation.sampled_case,
        from_auditor=previous,
        to_auditor=auditor,
    )
    occasion = f"change-{change.pk}"
    allocation_notices_send(
        cycle=cycle,
        allocations=[allocation],
        occasion=occasion,
        opening=f"Case {allocation.sampled_case.case} was reallocated to you.",
    )
    _withdrawal_notice_send(
        cycle=cycle,
        allocation=allocation,
        auditor=previous,
        occasion=occasion,
        what="was reallocated to another auditor",
    )
    return allocation


# Reminders and escalations -----------------------------------------------------------


@dataclass
class ReminderCounts:
    completed: int = 0
    reminders: int = 0
    escalations: int = 0
    overdue_without_manager: int = 0


@transaction.atomic
def allocations_mark_completed() -> int:
    """Allocations whose case has since had an audit of the cycle's tool submitted by
    anyone are done."""
    done = 0
    for allocation in Allocation.objects.filter(status=AllocationStatus.ALLOCATED).select_related(
        "sampled_case__cycle"
    ):
        audited = allocation.sampled_case.case.audits.filter(
            status=AuditStatus.SUBMITTED,
            tool_version__tool_id=allocation.sampled_case.cycle.tool_id,
            submitted_at__gte=allocation.created_at,
            # A moderator's second look or a re-audit is not the allocated audit.
            moderation_of__isnull=True,
            reaudit_of__isnull=True,
        ).exists()
        if audited:
            allocation.status = AllocationStatus.COMPLETED
            allocation.save(update_fields=["status", "updated_at"])
            done += 1
    return done


def allocation_reminders_send(*, today: date | None = None) -> ReminderCounts:
    """Reminds each auditor of allocations due within REMINDER_DAYS, and escalates to the
    auditor's manager those past due. Dedupe keys make every message go once, however
    often cron runs this."""
    today = today or timezone.localdate()
    counts = ReminderCounts(completed=allocations_mark_completed())
    due = Allocation.objects.filter(
        status=AllocationStatus.ALLOCATED, due_date__lte=today + timedelta(days=REMINDER_DAYS)
    ).select_related("auditor__manager", "sampled_case__case", "sampled_case__cycle__tool")
    url = reverse("cycles:my-allocations")
    for allocation in due:
        case = allocation.sampled_case.case
        cycle = allocation.sampled_case.cycle
        # A new auditor or due date is a new message; the same one is never sent twice.
        key = f"cycles:{allocation.public_id}:{allocation.auditor_id}:{allocation.due_date}"
        with transaction.atomic():
            if allocation.due_date >= today:
                sent = notification_send(
                    recipient=allocation.auditor,
                    kind="cycles.allocation_due",
                    subject=f"Audit of {case} due on {long_date(allocation.due_date)}",
                    body=f"You are allocated case {case} in {cycle.name}. The audit is due on "
                    f"{long_date(allocation.due_date)}.",
                    url=url,
                    dedupe_key=f"{key}:reminder",
                )
                counts.reminders += sent is not None
                continue
            manager = allocation.auditor.manager
            sent = notification_send(
                recipient=allocation.auditor,
                kind="cycles.allocation_overdue",
                subject=f"Audit of {case} is overdue",
                body=f"The audit of case {case} in {cycle.name} was due on "
                f"{long_date(allocation.due_date)}.",
                url=url,
                dedupe_key=f"{key}:overdue",
            )
            if manager is None:
                counts.overdue_without_manager += sent is not None
                continue
            escalated = notification_send(
                recipient=manager,
                kind="cycles.allocation_escalated",
                subject=f"Overdue audit: {allocation.auditor} has not audited {case}",
                body=f"{allocation.auditor} was allocated case {case} in {cycle.name}, due on "
                f"{long_date(allocation.due_date)}, and has not submitted the audit.",
                url=reverse("cycles:cycle-sample", kwargs={"cycle_id": cycle.public_id}),
                dedupe_key=f"{key}:escalation",
                urgent=True,
            )
            counts.escalations += escalated is not None
    return counts
