"""A small council for the cycle tests: two areas, three teams, three auditors, and
open cases in each team. Built through the services, as users would build it."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta

from django.utils import timezone

from qpa.accounts.models import Role, User
from qpa.cases.models import Case
from qpa.cycles import services
from qpa.cycles.models import Cycle, CycleKind, QuotaMethod, SamplingPlan
from qpa.organisation.models import Team
from qpa.tools.models import AuditTool
from tests.factories import CaseFactory, TeamFactory, UserFactory, area

SEED = "5eed" * 16


@dataclass
class World:
    cp1: Team
    cp2: Team
    cic: Team
    head: User  # Head of Service, manages nobody's team, manager of the auditors
    amy: User  # Auditor, manages CP Team 1
    bob: User  # Auditor, manages CP Team 2
    cal: User  # Auditor, member of Children in Care Team
    lead: User  # Assistant Director who runs cycles
    admin: User
    practitioner: User
    tool: AuditTool
    plan: SamplingPlan
    cases: dict[str, list[Case]] = field(default_factory=dict)


def build_world(*, per_team: int = 6) -> World:
    cp1 = TeamFactory(name="CP One", service_area=area("child-protection"))
    cp2 = TeamFactory(name="CP Two", service_area=area("child-protection"))
    cic = TeamFactory(name="CiC One", service_area=area("children-in-care"))
    lead = UserFactory(username="lena", role=Role.ASSISTANT_DIRECTOR)
    head = UserFactory(
        username="harriet",
        role=Role.HEAD_OF_SERVICE,
        manager=lead,
        areas=[area("child-protection")],
    )
    amy = UserFactory(username="amy", role=Role.AUDITOR, manager=head, teams=[cp1])
    bob = UserFactory(username="bob", role=Role.AUDITOR, manager=head)
    cal = UserFactory(username="cal", role=Role.AUDITOR, manager=head, teams=[cic])
    cp1.manager, cp2.manager = amy, bob
    cp1.save()
    cp2.save()
    # Child IDs that do not depend on row ids, so a seed draws the same on every database.
    cases = {
        team.name: [CaseFactory(child_id=f"{code}{i:02d}", team=team) for i in range(per_team)]
        for code, team in (("CPA", cp1), ("CPB", cp2), ("CIC", cic))
    }
    plan = services.plan_create(
        acting_user=lead,
        name="Monthly",
        method=QuotaMethod.FIXED,
        quotas={area("child-protection"): 3, area("children-in-care"): 2},
    )
    return World(
        cp1=cp1,
        cp2=cp2,
        cic=cic,
        head=head,
        amy=amy,
        bob=bob,
        cal=cal,
        lead=lead,
        admin=UserFactory(username="adam", role=Role.ADMINISTRATOR),
        practitioner=UserFactory(username="petra", role=Role.PRACTITIONER, teams=[cp1]),
        tool=AuditTool.objects.get(slug="quality-of-practice"),
        plan=plan,
        cases=cases,
    )


def monthly_cycle(
    world: World,
    *,
    month: date = date(2026, 12, 1),
    auditors: dict[User, int] | None = None,
    plan: SamplingPlan | None = None,
) -> Cycle:
    return services.cycle_create(
        acting_user=world.lead,
        kind=CycleKind.MONTHLY,
        month=month,
        tool=world.tool,
        plan=plan or world.plan,
        auditors=auditors or {world.amy: 3, world.bob: 3, world.cal: 3},
        due_date=timezone.localdate() + timedelta(days=28),
    )


def own_team_auditor(world: World, team: Team) -> User:
    return {world.cp1.pk: world.amy, world.cp2.pk: world.bob, world.cic.pk: world.cal}[team.pk]


def sampled_ids(cycle: Cycle) -> list[str]:
    return sorted(
        cycle.sampled_cases.filter(replaced_by__isnull=True).values_list(
            "case__child_id", flat=True
        )
    )
