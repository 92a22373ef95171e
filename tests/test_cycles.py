"""Cycle services against the database: the draw, its exclusions and report, the frozen
sample, allocation, reallocation, hand-picking, reminders and the auditor's remit."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from qpa.cases.models import CaseStatus
from qpa.cases.selectors import cases_visible_to
from qpa.cycles import services
from qpa.cycles.models import (
    Allocation,
    AllocationStatus,
    ChangeKind,
    CycleChange,
    CycleKind,
    CycleStatus,
    HowChosen,
    QuotaMethod,
)
from qpa.cycles.sampling import ALGORITHM
from qpa.notifications.models import Notification
from tests.support.factories import CaseFactory, area, submitted_audit
from tests.support.worlds import (
    SEED,
    World,
    build_world,
    monthly_cycle,
    own_team_auditor,
    sampled_ids,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def world() -> World:
    return build_world()


def test_the_same_seed_and_population_give_the_same_sample(world: World) -> None:
    first = services.sample_draw(acting_user=world.lead, cycle=monthly_cycle(world), seed=SEED)
    second = services.sample_draw(
        acting_user=world.lead,
        cycle=monthly_cycle(world, month=date(2027, 1, 1)),
        seed=SEED,
    )
    other = services.sample_draw(
        acting_user=world.lead, cycle=monthly_cycle(world, month=date(2027, 2, 1))
    )
    assert sampled_ids(first) == sampled_ids(second)
    assert len(sampled_ids(first)) == 5
    assert first.algorithm == ALGORITHM and first.seed == SEED
    assert len(other.seed) == 64 and other.seed != SEED


def test_each_sampled_case_keeps_why_it_was_chosen(world: World) -> None:
    cycle = services.sample_draw(acting_user=world.lead, cycle=monthly_cycle(world), seed=SEED)
    cp = cycle.strata.get(service_area=area("child-protection"))
    assert (cp.population, cp.frame_size, cp.quota, cp.drawn) == (12, 12, 3, 3)
    ranks = []
    for sampled in cycle.sampled_cases.filter(stratum=cp):
        assert sampled.how_chosen == HowChosen.DRAWN
        assert sampled.frame_size == 12
        assert sampled.exclusions["audited_within_months"] == 12
        assert sampled.exclusions["excluded"] == {
            "closed": 0,
            "recently_audited": 0,
            "no_independent_auditor": 0,
        }
        ranks.append(sampled.rank)
    assert sorted(ranks) == [1, 2, 3]
    assert cycle.tool_version == world.tool.current_version
    assert cycle.status == CycleStatus.DRAWN


def test_the_draw_leaves_out_closed_recent_and_own_team_cases(world: World) -> None:
    closed = world.cases["CP One"][0]
    closed.status = CaseStatus.CLOSED
    closed.save()
    recent, old = world.cases["CP One"][1], world.cases["CP One"][2]
    today = timezone.localdate()
    submitted_audit(case=recent, audit_date=today - timedelta(days=200))
    submitted_audit(case=old, audit_date=today - timedelta(days=400))
    # Only Amy audits: her own team's cases (CP One) cannot be sampled at all.
    cycle = monthly_cycle(world, auditors={world.amy: 10})
    cycle = services.sample_draw(acting_user=world.lead, cycle=cycle, seed=SEED)
    cp = cycle.strata.get(service_area=area("child-protection"))
    assert cp.population == 12
    assert cp.excluded == {"closed": 1, "recently_audited": 1, "no_independent_auditor": 4}
    assert cp.frame_size == 6
    chosen = set(sampled_ids(cycle))
    assert not chosen & {c.child_id for c in world.cases["CP One"]}


def test_an_audit_older_than_the_plans_window_does_not_exclude(world: World) -> None:
    today = timezone.localdate()
    plan = services.plan_create(
        acting_user=world.lead,
        name="All of CP",
        method=QuotaMethod.FIXED,
        quotas={area("child-protection"): 12},
        exclude_audited_within_months=6,
    )
    submitted_audit(case=world.cases["CP Two"][0], audit_date=today - timedelta(days=200))
    submitted_audit(case=world.cases["CP Two"][1], audit_date=today - timedelta(days=20))
    cycle = services.sample_draw(
        acting_user=world.lead, cycle=monthly_cycle(world, plan=plan), seed=SEED
    )
    chosen = sampled_ids(cycle)
    assert world.cases["CP Two"][0].child_id in chosen
    assert world.cases["CP Two"][1].child_id not in chosen
    cp = cycle.strata.get(service_area=area("child-protection"))
    assert cp.drawn == 11 and cp.shortfall == 1


def test_a_proportional_plan_splits_its_total_by_open_cases(world: World) -> None:
    plan = services.plan_create(
        acting_user=world.lead,
        name="Proportional",
        method=QuotaMethod.PROPORTIONAL,
        total=6,
        minimum_per_area=1,
    )
    cycle = services.sample_draw(
        acting_user=world.lead, cycle=monthly_cycle(world, plan=plan), seed=SEED
    )
    quotas = {s.service_area.slug: s.quota for s in cycle.strata.select_related("service_area")}
    # 12 open CP cases and 6 in care: 4 and 2; the areas with no case get none.
    assert quotas["child-protection"] == 4
    assert quotas["children-in-care"] == 2
    assert quotas["leaving-care"] == 0


def test_a_themed_cycle_samples_only_its_population(world: World) -> None:
    today = timezone.localdate()
    recent_plan = CaseFactory(
        team=world.cp2,
        cp_plan_start_date=today - timedelta(days=30),
        date_of_birth=today - timedelta(days=365 * 5),
    )
    CaseFactory(  # plan started too long ago
        team=world.cp2,
        cp_plan_start_date=today - timedelta(days=200),
        date_of_birth=today - timedelta(days=365 * 5),
    )
    CaseFactory(  # too old for the theme
        team=world.cp2,
        cp_plan_start_date=today - timedelta(days=30),
        date_of_birth=today - timedelta(days=365 * 15),
    )
    cycle = services.cycle_create(
        acting_user=world.lead,
        kind=CycleKind.THEMED,
        theme="CP core assessment",
        tool=world.tool,
        plan=world.plan,
        auditors={world.amy: 5},
        due_date=today + timedelta(days=20),
        population_filter={"cp_plan_started_within_months": 3, "age_to": 10},
    )
    cycle = services.sample_draw(acting_user=world.lead, cycle=cycle, seed=SEED)
    assert sampled_ids(cycle) == [recent_plan.child_id]


def test_a_bad_population_filter_is_refused_with_a_message(world: World) -> None:
    with pytest.raises(ValidationError) as error:
        services.cycle_create(
            acting_user=world.lead,
            kind=CycleKind.THEMED,
            theme="Nonsense",
            tool=world.tool,
            plan=world.plan,
            auditors={world.amy: 5},
            due_date=date(2027, 1, 1),
            population_filter={"shoe_size": 9, "age_from": 12, "age_to": 3},
        )
    assert "There is no population filter called shoe_size." in error.value.messages
    assert "The upper age must not be below the lower age." in error.value.messages


def test_a_second_cycle_for_the_same_month_and_tool_is_refused(world: World) -> None:
    monthly_cycle(world)
    with pytest.raises(ValidationError, match="already a Quality of Practice cycle"):
        monthly_cycle(world)


def test_a_practitioner_cannot_be_an_auditor(world: World) -> None:
    with pytest.raises(ValidationError, match="cannot audit"):
        monthly_cycle(world, auditors={world.practitioner: 3})


def test_a_drawn_sample_cannot_be_drawn_again(world: World) -> None:
    cycle = services.sample_draw(acting_user=world.lead, cycle=monthly_cycle(world), seed=SEED)
    before = sampled_ids(cycle)
    with pytest.raises(ValidationError, match="already drawn and frozen"):
        services.sample_draw(acting_user=world.lead, cycle=cycle, seed="0" * 64)
    cycle.refresh_from_db()
    assert cycle.seed == SEED and sampled_ids(cycle) == before


def test_a_frozen_sample_cannot_change_without_a_logged_reason(world: World) -> None:
    cycle = services.sample_draw(acting_user=world.lead, cycle=monthly_cycle(world), seed=SEED)
    services.allocation_create(acting_user=world.lead, cycle=cycle)
    target = cycle.sampled_cases.get(stratum__service_area=area("child-protection"), rank=1)
    before = sampled_ids(cycle)

    with pytest.raises(ValidationError, match="Enter the reason"):
        services.sample_replace(acting_user=world.lead, sampled_case=target, reason="   ")
    assert sampled_ids(cycle) == before
    assert not CycleChange.objects.exists()

    replacement = services.sample_replace(
        acting_user=world.head, sampled_case=target, reason="Child moved out of the area"
    )
    target.refresh_from_db()
    assert target.replaced_by == replacement
    assert replacement.how_chosen == HowChosen.REPLACEMENT
    assert replacement.stratum == target.stratum
    assert replacement.rank == 4  # the next case of the same stratum's ranking
    change = CycleChange.objects.get()
    assert (change.kind, change.actor, change.reason) == (
        ChangeKind.REPLACEMENT,
        world.head,
        "Child moved out of the area",
    )
    assert change.sampled_case == target and change.replacement == replacement
    # The old allocation is withdrawn, and the replacement is allocated.
    assert Allocation.objects.get(sampled_case=target).status == AllocationStatus.WITHDRAWN
    assert Allocation.objects.get(sampled_case=replacement).status == AllocationStatus.ALLOCATED
    with pytest.raises(ValidationError, match="already been replaced"):
        services.sample_replace(acting_user=world.head, sampled_case=target, reason="Again")


def test_the_replacement_is_the_next_case_of_the_recomputable_ranking(world: World) -> None:
    from qpa.cycles import sampling

    cycle = services.sample_draw(acting_user=world.lead, cycle=monthly_cycle(world), seed=SEED)
    cp_ids = [c.child_id for c in world.cases["CP One"] + world.cases["CP Two"]]
    expected = sampling.ranked(SEED, "child-protection", cp_ids)
    first = cycle.sampled_cases.get(stratum__service_area=area("child-protection"), rank=1)
    assert first.case.child_id == expected[0]
    replacement = services.sample_replace(
        acting_user=world.lead, sampled_case=first, reason="Duplicate record"
    )
    assert replacement.case.child_id == expected[3]


def test_the_change_log_is_append_only(world: World) -> None:
    cycle = services.sample_draw(acting_user=world.lead, cycle=monthly_cycle(world), seed=SEED)
    target = cycle.sampled_cases.first()
    assert target is not None
    services.sample_replace(acting_user=world.lead, sampled_case=target, reason="Wrong area")
    change = CycleChange.objects.get()
    change.reason = "Something else"
    with pytest.raises(ValidationError, match="append-only"):
        change.save()
    with pytest.raises(ValidationError, match="append-only"):
        change.delete()
    with pytest.raises(ValidationError, match="append-only"):
        CycleChange.objects.filter(pk=change.pk).update(reason="Edited")
    with pytest.raises(ValidationError, match="append-only"):
        CycleChange.objects.all().delete()
    assert CycleChange.objects.get().reason == "Wrong area"


def test_hand_picking_is_off_until_an_administrator_turns_it_on(world: World) -> None:
    cycle = services.sample_draw(acting_user=world.lead, cycle=monthly_cycle(world), seed=SEED)
    outside = next(c for c in world.cases["CiC One"] if c.child_id not in sampled_ids(cycle))
    with pytest.raises(ValidationError, match="Hand-picking is off"):
        services.sample_hand_pick(
            acting_user=world.lead, cycle=cycle, child_id=outside.child_id, reason="Concern"
        )
    with pytest.raises(PermissionDenied):
        services.cycle_hand_picking_set(
            acting_user=world.lead, cycle=cycle, allowed=True, reason="Please"
        )
    services.cycle_hand_picking_set(
        acting_user=world.admin, cycle=cycle, allowed=True, reason="Serious case review"
    )
    picked = services.sample_hand_pick(
        acting_user=world.lead, cycle=cycle, child_id=outside.child_id, reason="Review concern"
    )
    assert picked.how_chosen == HowChosen.HAND_PICKED and picked.rank is None
    kinds = list(CycleChange.objects.values_list("kind", "actor__username", "reason"))
    assert kinds == [
        (ChangeKind.HAND_PICKING_SETTING, "adam", "Serious case review"),
        (ChangeKind.HAND_PICK, "lena", "Review concern"),
    ]
    with pytest.raises(ValidationError, match="already in this cycle"):
        services.sample_hand_pick(
            acting_user=world.lead, cycle=cycle, child_id=outside.child_id, reason="Again"
        )


def test_allocation_never_goes_to_the_auditors_own_team_and_is_balanced(world: World) -> None:
    plan = services.plan_create(
        acting_user=world.lead,
        name="Everything",
        method=QuotaMethod.FIXED,
        quotas={area("child-protection"): 12, area("children-in-care"): 6},
    )
    cycle = monthly_cycle(world, plan=plan, auditors={world.amy: 6, world.bob: 6, world.cal: 6})
    services.sample_draw(acting_user=world.lead, cycle=cycle, seed=SEED)
    allocations = services.allocation_create(acting_user=world.lead, cycle=cycle)
    assert len(allocations) == 18
    loads: dict[str, int] = {}
    for allocation in Allocation.objects.select_related("auditor", "sampled_case__case"):
        own = services.own_team_ids(allocation.auditor)
        assert allocation.sampled_case.case.team_id not in own
        assert allocation.due_date == cycle.due_date
        loads[allocation.auditor.username] = loads.get(allocation.auditor.username, 0) + 1
    assert loads == {"amy": 6, "bob": 6, "cal": 6}
    cycle.refresh_from_db()
    assert cycle.status == CycleStatus.ALLOCATED
    with pytest.raises(ValidationError, match="already allocated"):
        services.allocation_create(acting_user=world.lead, cycle=cycle)


def test_allocation_is_all_or_nothing_when_capacity_runs_out(world: World) -> None:
    cycle = monthly_cycle(world, auditors={world.amy: 1, world.bob: 1})
    services.sample_draw(acting_user=world.lead, cycle=cycle, seed=SEED)
    with pytest.raises(ValidationError, match="3 cases cannot be allocated"):
        services.allocation_create(acting_user=world.lead, cycle=cycle)
    assert not Allocation.objects.exists()
    cycle.refresh_from_db()
    assert cycle.status == CycleStatus.DRAWN


def test_reallocation_needs_a_reason_and_an_independent_auditor(world: World) -> None:
    cycle = monthly_cycle(world)
    services.sample_draw(acting_user=world.lead, cycle=cycle, seed=SEED)
    services.allocation_create(acting_user=world.lead, cycle=cycle)
    allocation = Allocation.objects.select_related("sampled_case__case__team").first()
    assert allocation is not None
    team = allocation.sampled_case.case.team
    assert team is not None
    owner = own_team_auditor(world, team)
    other = next(
        p for p in (world.amy, world.bob, world.cal) if p not in (owner, allocation.auditor)
    )
    with pytest.raises(ValidationError, match="Enter the reason"):
        services.allocation_reassign(
            acting_user=world.lead, allocation=allocation, auditor=other, reason=""
        )
    with pytest.raises(ValidationError, match="cannot take this case"):
        services.allocation_reassign(
            acting_user=world.lead, allocation=allocation, auditor=owner, reason="Leave"
        )
    services.allocation_reassign(
        acting_user=world.lead, allocation=allocation, auditor=other, reason="On leave"
    )
    allocation.refresh_from_db()
    assert allocation.auditor == other and allocation.reallocation_reason == "On leave"
    change = CycleChange.objects.get(kind=ChangeKind.REALLOCATION)
    assert change.to_auditor == other and change.reason == "On leave"


def test_an_auditors_remit_includes_the_cases_allocated_to_them(world: World) -> None:
    cycle = monthly_cycle(world, auditors={world.cal: 10})
    services.sample_draw(acting_user=world.lead, cycle=cycle, seed=SEED)
    visible_before = set(cases_visible_to(user=world.cal).values_list("child_id", flat=True))
    services.allocation_create(acting_user=world.lead, cycle=cycle)
    visible = set(cases_visible_to(user=world.cal).values_list("child_id", flat=True))
    cp_sampled = set(sampled_ids(cycle))
    assert cp_sampled and not cp_sampled & visible_before
    assert cp_sampled <= visible
    assert cases_visible_to(user=world.cal).count() == len(visible)  # no duplicates
    # Bob, an auditor of no team and of no allocation, still sees nothing.
    assert not cases_visible_to(user=world.bob).exists()


def test_reminders_go_once_and_overdue_audits_escalate_to_the_manager(world: World) -> None:
    cycle = monthly_cycle(world, auditors={world.cal: 10})
    services.sample_draw(acting_user=world.lead, cycle=cycle, seed=SEED)
    services.allocation_create(acting_user=world.lead, cycle=cycle)
    due = cycle.due_date
    # Cal is in the Children in Care team, so only the 3 CP cases are drawn.
    assert len(sampled_ids(cycle)) == 3
    quiet = services.allocation_reminders_send(today=due - timedelta(days=20))
    assert (quiet.reminders, quiet.escalations) == (0, 0)

    first = services.allocation_reminders_send(today=due - timedelta(days=3))
    again = services.allocation_reminders_send(today=due - timedelta(days=2))
    assert first.reminders == 3 and again.reminders == 0
    reminders = Notification.objects.filter(recipient=world.cal, kind="cycles.allocation_due")
    assert reminders.count() == 3

    late = services.allocation_reminders_send(today=due + timedelta(days=1))
    later = services.allocation_reminders_send(today=due + timedelta(days=5))
    assert late.escalations == 3 and later.escalations == 0
    escalations = Notification.objects.filter(kind="cycles.allocation_escalated")
    assert set(escalations.values_list("recipient__username", flat=True)) == {"harriet"}
    assert all(n.urgent for n in escalations)


def test_a_submitted_audit_completes_the_allocation_and_stops_reminders(world: World) -> None:
    cycle = monthly_cycle(world, auditors={world.cal: 10})
    services.sample_draw(acting_user=world.lead, cycle=cycle, seed=SEED)
    services.allocation_create(acting_user=world.lead, cycle=cycle)
    allocation = Allocation.objects.select_related("sampled_case__case").first()
    assert allocation is not None
    audit = submitted_audit(case=allocation.sampled_case.case, auditor=world.cal)
    audit.submitted_at = timezone.now()
    audit.save()
    counts = services.allocation_reminders_send(today=cycle.due_date + timedelta(days=1))
    assert counts.completed == 1 and counts.escalations == 2
    allocation.refresh_from_db()
    assert allocation.status == AllocationStatus.COMPLETED
    with pytest.raises(ValidationError, match="audited already"):
        services.sample_replace(
            acting_user=world.lead, sampled_case=allocation.sampled_case, reason="Too late"
        )
