"""The independence policy (qpa.cycles.independence, decision 0105) on every path that
gives a person a case to audit: monthly allocation, hand-picking, reallocation and its
candidates, the moderation draw and the re-audit draw; then a year of cycles, re-audits
and moderations for the demo council, checked allocation by allocation."""

from __future__ import annotations

from collections import defaultdict
from datetime import date, timedelta

import pytest
from django.core.exceptions import ValidationError
from django.test import override_settings
from django.utils import timezone

from qpa.accounts.models import Role, User
from qpa.assurance import services as assurance
from qpa.assurance.models import Moderation, ReAudit, ReAuditDraw
from qpa.audits.models import Audit, AuditSource
from qpa.cases.models import Case
from qpa.cycles import independence
from qpa.cycles import services as cycles
from qpa.cycles.models import Allocation, AllocationStatus, Cycle, CycleKind, QuotaMethod
from qpa.demo.council import build_demo
from qpa.organisation.models import Team
from qpa.tools.models import AuditTool
from tests.support.factories import UserFactory, allocate, area, submitted_audit
from tests.support.worlds import SEED, World, build_world, monthly_cycle


def started_audit(auditor: User, allocation: Allocation) -> Audit:
    """The draft audit of an allocation, as its auditor starts it."""
    cycle = allocation.sampled_case.cycle
    case = allocation.sampled_case.case
    return Audit.objects.create(
        case=case,
        tool_version=cycle.tool_version or cycle.tool.current_version,
        auditor=auditor,
        service_area=case.service_area,
        team=case.team,
        allocation=allocation,
    )


@pytest.fixture
def world(db: None) -> World:
    return build_world(per_team=4)


# --- The rules, checked from the database without the module under test ---------------


class _Ties:
    """Every person's teams and a Head of Service's areas, read straight from the
    database (not through the module under test)."""

    def __init__(self) -> None:
        self.teams: dict[int, set[int]] = defaultdict(set)
        for manager, team in Team.objects.exclude(manager=None).values_list("manager", "pk"):
            self.teams[manager].add(team)
        for user, team in User.teams.through.objects.values_list("user", "team"):
            self.teams[user].add(team)
        self.areas: dict[int, set[int]] = defaultdict(set)
        heads = User.objects.filter(role=Role.HEAD_OF_SERVICE)
        for user, area_id in User.service_areas.through.objects.filter(user__in=heads).values_list(
            "user", "servicearea"
        ):
            self.areas[user].add(area_id)

    def broken(self, person_id: int, case: Case) -> list[str]:
        """Rules 1 and 2."""
        broken = []
        if case.team_id in self.teams[person_id]:
            broken.append(f"person {person_id} manages or belongs to the team of {case}")
        if case.service_area_id in self.areas[person_id]:
            broken.append(f"person {person_id} is Head of Service for the area of {case}")
        return broken


def independence_broken() -> list[str]:
    """Every breach of the four rules in the database, as sentences."""
    ties = _Ties()
    broken: list[str] = []
    moderations = {
        m.allocation_id: m
        for m in Moderation.objects.select_related("allocation__sampled_case__case")
    }
    first_writer = dict(Audit.objects.exclude(allocation=None).values_list("allocation", "auditor"))
    for allocation in Allocation.objects.exclude(status=AllocationStatus.WITHDRAWN).select_related(
        "sampled_case__case"
    ):
        case = allocation.sampled_case.case
        broken += ties.broken(allocation.auditor_id, case)
        moderation = moderations.get(allocation.pk)
        if moderation is not None and moderation.moderator_id == allocation.auditor_id:
            broken.append(f"the moderator of {case} is its first auditor")
    for moderation in moderations.values():
        case = moderation.allocation.sampled_case.case
        broken += ties.broken(moderation.moderator_id, case)
        firsts = {moderation.allocation.auditor_id, first_writer.get(moderation.allocation_id)}
        if moderation.moderator_id in firsts:
            broken.append(f"the moderator of {case} wrote or holds its first audit")
    names = {u.pk: u.get_full_name().casefold() for u in User.objects.all()}
    for reaudit in ReAudit.objects.select_related("original__case"):
        case = reaudit.original.case
        broken += ties.broken(reaudit.auditor_id, case)
        others = Audit.objects.filter(case=case).exclude(pk=reaudit.reaudit_id)
        if others.filter(auditor=reaudit.auditor_id).exists():
            broken.append(f"the re-auditor of {case} audited it before")
        imported = {n.strip().casefold() for n in others.values_list("auditor_name", flat=True)}
        if names[reaudit.auditor_id] in imported:
            broken.append(f"the re-auditor of {case} audited it before, as imported")
    return broken


# --- The pure rules ------------------------------------------------------------------


def test_the_pure_rules() -> None:
    ties = independence.Ties(person_id=1, team_ids=frozenset({7}), area_ids=frozenset({3}))
    assert not independence.free_of(ties, team_id=7, service_area_id=4)
    assert not independence.free_of(ties, team_id=8, service_area_id=3)
    assert not independence.free_of(ties, team_id=None, service_area_id=3)
    assert independence.free_of(ties, team_id=8, service_area_id=4)
    assert independence.free_of(ties, team_id=None, service_area_id=None)


def test_a_head_of_services_ties_are_their_areas_unless_the_council_turns_it_off(
    world: World,
) -> None:
    cp = area("child-protection")
    assert independence.ties_of([world.head])[world.head.pk].area_ids == {cp.pk}
    assert independence.ties_of([world.amy])[world.amy.pk].team_ids == {world.cp1.pk}
    with override_settings(QPA_HEADS_OF_SERVICE_INDEPENDENT=False):
        assert independence.ties_of([world.head])[world.head.pk].area_ids == frozenset()


# --- Monthly allocation --------------------------------------------------------------


def _harriet_and_amy_cycle(world: World) -> Cycle:
    """harriet is Head of Service for Child Protection; amy manages CP One."""
    plan = cycles.plan_create(
        acting_user=world.lead,
        name="Child protection",
        method=QuotaMethod.FIXED,
        quotas={area("child-protection"): 8},
    )
    return monthly_cycle(world, plan=plan, auditors={world.head: 8, world.amy: 8})


def test_monthly_allocation_never_gives_a_head_of_service_their_own_area(world: World) -> None:
    cycle = _harriet_and_amy_cycle(world)
    cycles.sample_draw(acting_user=world.lead, cycle=cycle, seed=SEED)
    # CP One's cases: amy manages the team and harriet holds the area, so nobody of the
    # cycle is independent of them; they leave the frame, named as such.
    drawn = set(cycle.sampled_cases.values_list("case__team", flat=True))
    assert world.cp1.pk not in drawn
    stratum = cycle.strata.get(service_area=area("child-protection"))
    assert stratum.excluded["no_independent_auditor"] == 4
    allocations = cycles.allocation_create(acting_user=world.lead, cycle=cycle)
    assert allocations and {a.auditor_id for a in allocations} == {world.amy.pk}
    assert independence_broken() == []


@override_settings(QPA_HEADS_OF_SERVICE_INDEPENDENT=False)
def test_a_council_may_let_heads_of_service_audit_their_own_area(world: World) -> None:
    cycle = _harriet_and_amy_cycle(world)
    cycles.sample_draw(acting_user=world.lead, cycle=cycle, seed=SEED)
    cycles.allocation_create(acting_user=world.lead, cycle=cycle)
    cp_one = Allocation.objects.filter(sampled_case__case__team=world.cp1)
    assert cp_one.exists()
    assert set(cp_one.values_list("auditor", flat=True)) == {world.head.pk}


# --- Hand-picking --------------------------------------------------------------------


def test_a_hand_picked_case_goes_to_an_independent_auditor_even_past_capacity(
    world: World,
) -> None:
    plan = cycles.plan_create(
        acting_user=world.lead,
        name="One case",
        method=QuotaMethod.FIXED,
        quotas={area("children-in-care"): 1},
    )
    cycle = monthly_cycle(world, plan=plan, auditors={world.head: 9, world.bob: 1})
    cycles.sample_draw(acting_user=world.lead, cycle=cycle, seed=SEED)
    (allocation,) = cycles.allocation_create(acting_user=world.lead, cycle=cycle)
    if allocation.auditor != world.bob:
        cycles.allocation_reassign(
            acting_user=world.lead, allocation=allocation, auditor=world.bob, reason="Set up"
        )
    # harriet has room and bob none; a CP One case is in harriet's own area, so bob takes
    # it past his capacity.
    cycles.cycle_hand_picking_set(
        acting_user=world.admin, cycle=cycle, allowed=True, reason="Serious case review"
    )
    case = world.cases["CP One"][0]
    picked = cycles.sample_hand_pick(
        acting_user=world.lead, cycle=cycle, child_id=case.child_id, reason="Review"
    )
    assert Allocation.objects.get(sampled_case=picked).auditor == world.bob
    # bob manages CP Two: nobody of the cycle may audit its cases, so none is picked.
    with pytest.raises(ValidationError, match="excluded from the sample"):
        cycles.sample_hand_pick(
            acting_user=world.lead,
            cycle=cycle,
            child_id=world.cases["CP Two"][0].child_id,
            reason="Review",
        )
    assert independence_broken() == []


# --- Reallocation ----------------------------------------------------------------------


def _allocated_cp_one_case(world: World) -> Allocation:
    """A CP One case allocated to cal, in a cycle whose auditors are everyone."""
    plan = cycles.plan_create(
        acting_user=world.lead,
        name="CP",
        method=QuotaMethod.FIXED,
        quotas={area("child-protection"): 8},
    )
    cycle = monthly_cycle(
        world,
        plan=plan,
        auditors={world.amy: 8, world.bob: 8, world.cal: 8, world.head: 8},
    )
    cycles.sample_draw(acting_user=world.lead, cycle=cycle, seed=SEED)
    cycles.allocation_create(acting_user=world.lead, cycle=cycle)
    allocation = Allocation.objects.filter(sampled_case__case__team=world.cp1).first()
    assert allocation is not None
    if allocation.auditor != world.cal:
        allocation = cycles.allocation_reassign(
            acting_user=world.lead, allocation=allocation, auditor=world.cal, reason="Set up"
        )
    return allocation


def test_reallocation_candidates_are_independent_of_the_case(world: World) -> None:
    allocation = _allocated_cp_one_case(world)
    # Not cal (has it), not amy (manages CP One), not harriet (holds Child Protection).
    assert cycles.reallocation_candidates(allocation) == [world.bob]
    with pytest.raises(ValidationError, match="cannot take this case"):
        cycles.allocation_reassign(
            acting_user=world.lead, allocation=allocation, auditor=world.head, reason="Leave"
        )


def test_a_moderated_case_is_never_reallocated_to_its_moderator(world: World) -> None:
    allocation = _allocated_cp_one_case(world)
    # Only bob is independent of a CP One case audited by cal: he moderates it.
    cycle = allocation.sampled_case.cycle
    assurance.moderation_draw(acting_user=world.lead, cycle=cycle, share_percent=100)
    moderation = Moderation.objects.get(allocation=allocation)
    assert moderation.moderator == world.bob
    assert world.bob not in cycles.reallocation_candidates(allocation)
    with pytest.raises(ValidationError, match="cannot take this case"):
        cycles.allocation_reassign(
            acting_user=world.lead, allocation=allocation, auditor=world.bob, reason="Leave"
        )
    allocation.refresh_from_db()
    assert allocation.auditor == world.cal
    assert independence_broken() == []


# --- The moderation draw ---------------------------------------------------------------


def test_the_moderator_is_never_whoever_wrote_the_first_audit(world: World) -> None:
    dan = UserFactory(username="dan", role=Role.AUDITOR)
    allocation = allocate(world, auditor=world.cal, case=world.cases["CP One"][0])
    started_audit(world.cal, allocation)
    # Reallocated after cal started: the audit is still cal's, the allocation bob's.
    Allocation.objects.filter(pk=allocation.pk).update(auditor=world.bob)
    assurance.moderation_draw(
        acting_user=world.lead, cycle=allocation.sampled_case.cycle, share_percent=100
    )
    assert Moderation.objects.get().moderator == dan
    assert independence_broken() == []


def test_a_head_of_service_never_moderates_their_own_area(world: World) -> None:
    allocation = allocate(world, auditor=world.cal, case=world.cases["CP Two"][0])
    User.objects.filter(pk__in=[world.amy.pk]).update(is_active=False)
    # bob manages CP Two, harriet holds Child Protection, cal audits it: nobody is left.
    with pytest.raises(ValidationError, match="Nobody independent"):
        assurance.moderation_draw(
            acting_user=world.lead, cycle=allocation.sampled_case.cycle, share_percent=100
        )


# --- The re-audit draw -----------------------------------------------------------------


def _ended_quarter() -> tuple[str, date]:
    today = timezone.localdate()
    quarter = assurance.previous_quarter(today)
    _, last = assurance.quarter_bounds(quarter)
    return quarter, last


def test_a_reauditor_never_audited_the_case_even_under_an_imported_name(world: World) -> None:
    quarter, last = _ended_quarter()
    case = world.cases["CiC One"][0]
    original = submitted_audit(case=case, overall="Inadequate", audit_date=last)
    Audit.objects.filter(pk=original.pk).update(
        source=AuditSource.IMPORTED, auditor_name=f"  {world.amy.get_full_name().upper()} "
    )
    # harriet (Head of Service of another area) is busy; amy, bob and cal are free, and
    # amy, first by id, did the imported audit: bob re-audits it.
    User.objects.filter(pk=world.head.pk).update(is_active=False)
    assurance.reaudit_draw(acting_user=world.lead, quarter=quarter, share=1.0)
    reaudit = ReAudit.objects.get()
    assert reaudit.auditor == world.bob
    assert independence_broken() == []


def test_a_moderator_never_reaudits_the_case(world: World) -> None:
    quarter, last = _ended_quarter()
    case = world.cases["CiC One"][0]
    allocation = allocate(world, auditor=world.amy, case=case)
    assurance.moderation_draw(
        acting_user=world.lead, cycle=allocation.sampled_case.cycle, share_percent=100
    )
    moderator = Moderation.objects.get().moderator
    submitted_audit(case=case, auditor=world.bob, overall="Inadequate", audit_date=last)
    assurance.reaudit_draw(acting_user=world.lead, quarter=quarter, share=1.0)
    reauditor = ReAudit.objects.get().auditor
    assert reauditor not in (moderator, world.bob, world.cal)
    assert independence_broken() == []


# --- A year for the demo council -------------------------------------------------------


@pytest.mark.django_db
def test_a_year_of_cycles_reaudits_and_moderations_keeps_every_rule() -> None:
    today = timezone.localdate()
    build_demo(today=today)
    lead = User.objects.get(username="assistant.director")
    admin = User.objects.get(username="admin")
    auditors = {
        person: 6 for person in User.objects.filter(role__in=[Role.AUDITOR, Role.HEAD_OF_SERVICE])
    }
    plan = cycles.plan_create(
        acting_user=lead, name="Monthly", method=QuotaMethod.PROPORTIONAL, total=45
    )
    tool = AuditTool.objects.get(slug="quality-of-practice")
    # Twelve months before the demo's own cycles (last month's and this month's).
    first_month = (today.replace(day=1) - timedelta(days=390)).replace(day=1)
    reallocated = hand_picked = 0
    for number in range(12):
        month = (first_month + timedelta(days=31 * number)).replace(day=1)
        cycle = cycles.cycle_create(
            acting_user=lead,
            kind=CycleKind.MONTHLY,
            month=month,
            tool=tool,
            plan=plan,
            auditors=auditors,
            due_date=today + timedelta(days=28),
        )
        cycles.sample_draw(acting_user=lead, cycle=cycle, seed=f"{number:02d}" * 32)
        cycles.allocation_create(acting_user=lead, cycle=cycle)
        cycle.refresh_from_db()
        assurance.moderation_draw(acting_user=lead, cycle=cycle, share_percent=10)
        # Each month someone moves a case on, and someone hand-picks one.
        for allocation in Allocation.objects.filter(sampled_case__cycle=cycle)[:2]:
            candidates = cycles.reallocation_candidates(allocation)
            cycles.allocation_reassign(
                acting_user=lead, allocation=allocation, auditor=candidates[-1], reason="Leave"
            )
            reallocated += 1
        cycles.cycle_hand_picking_set(acting_user=admin, cycle=cycle, allowed=True, reason="Q")
        taken = set(cycle.sampled_cases.values_list("case_id", flat=True))
        team = Team.objects.order_by("pk")[number % Team.objects.count()]
        case = (
            Case.objects.filter(team=team, status="open", audits__isnull=True)
            .exclude(pk__in=taken)
            .order_by("child_id")
            .first()
        )
        assert case is not None
        cycles.sample_hand_pick(acting_user=lead, cycle=cycle, child_id=case.child_id, reason="Q")
        hand_picked += 1
    quarter = assurance.previous_quarter(today)
    for _ in range(4):
        first, _last = assurance.quarter_bounds(quarter)
        drawn = ReAuditDraw.objects.filter(quarter=quarter).exists()  # by the demo council
        if not drawn and any(True for _ in assurance.reaudit_pool(until=_last)):
            assurance.reaudit_draw(acting_user=lead, quarter=quarter, share=0.5)
        quarter = assurance.previous_quarter(first)

    assert Allocation.objects.count() >= 12 * 45
    assert Moderation.objects.count() >= 12 * 4
    assert ReAudit.objects.count() >= 20
    assert reallocated == 24 and hand_picked == 12
    assert independence_broken() == []
