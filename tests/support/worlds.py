"""Worlds built through the services, as people would build them.

`World`: a small council for the cycle tests: two areas, three teams, three auditors,
and open cases in each team. `RemitWorld`: a council with something of every kind, in
and out of each person's remit, for the matrix test of every URL."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from django.utils import timezone

from qpa.accounts.models import Role, User
from qpa.actions import services as action_services
from qpa.actions.models import Action
from qpa.audits.models import Audit
from qpa.cases.imports import import_run_create
from qpa.cases.models import Case, ImportKind, ImportRun
from qpa.cycles import services as cycle_services
from qpa.cycles.models import Cycle, CycleKind, QuotaMethod, SamplingPlan
from qpa.cycles.services import allocation_audit_start
from qpa.notifications.models import Notification
from qpa.organisation.models import Team
from qpa.tools.models import AuditTool
from tests.support.audits import completed, started, submit
from tests.support.factories import CaseFactory, TeamFactory, UserFactory, allocate, area

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
    plan = cycle_services.plan_create(
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
    return cycle_services.cycle_create(
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


# --- The remit matrix's world ----------------------------------------------------


@dataclass
class RemitWorld:
    base: World
    people: dict[str, User]  # one person a role
    cycle: Cycle
    draft: Audit  # cal's draft of a CP case
    inadequate: Audit  # submitted, CP, with an action planned by harriet
    elsewhere: Audit  # submitted, Children in Care: outside harriet's and petra's remit
    action: Action
    import_run: ImportRun
    team: Team

    def objects(self, kind: str) -> list[Any]:
        """Every object of a kind the URLs can name."""
        from qpa.assurance.models import Moderation, ReAudit
        from qpa.cycles.models import Allocation, SampledCase

        found: dict[str, list[Any]] = {
            "reaudit": list(ReAudit.objects.all()),
            "moderation": list(Moderation.objects.all()),
            "cycle": list(Cycle.objects.all()),
            "sampled": list(SampledCase.objects.filter(replaced_by__isnull=True)),
            "allocation": list(Allocation.objects.all()),
            "draft": list(Audit.objects.filter(status="draft")),
            "submitted": list(Audit.objects.filter(status="submitted")),
            "action": list(Action.objects.all()),
            "notification": list(Notification.objects.all()),
            "case": list(Case.objects.all()),
        }
        return found[kind]


def build_remit_world() -> RemitWorld:
    base = build_world()
    people = {
        Role.AUDITOR: base.cal,
        Role.HEAD_OF_SERVICE: base.head,
        Role.ASSISTANT_DIRECTOR: base.lead,
        Role.DEPUTY_DIRECTOR: UserFactory(username="dee", role=Role.DEPUTY_DIRECTOR),
        Role.PERFORMANCE: UserFactory(username="pam", role=Role.PERFORMANCE),
        Role.PRACTITIONER: base.practitioner,
        Role.ADMINISTRATOR: base.admin,
    }
    # cal manages Children in Care, so the critical audit below alerts someone urgently.
    base.cic.manager = base.cal
    base.cic.save()
    cycle = monthly_cycle(base)
    cycle_services.sample_draw(acting_user=base.lead, cycle=cycle)
    cycle_services.allocation_create(acting_user=base.lead, cycle=cycle)
    cycle_services.cycle_hand_picking_set(
        acting_user=base.admin, cycle=cycle, allowed=True, reason="A theme needs two cases."
    )
    # A draft by cal, and an inadequate audit of petra's case with an action on it.
    draft = started(base)
    inadequate = submit(completed(started(base), overall="Inadequate"))
    action = action_services.action_create(
        acting_user=base.head,
        audit=inadequate,
        description="Hold a strategy discussion and record it.",
        owner=base.amy,
        due_date=inadequate.audit_date,
    )
    # An audit in Children in Care, by bob: nothing to do with harriet or petra.
    cic_case = base.cases["CiC One"][0]
    elsewhere = submit(
        completed(
            allocation_audit_start(
                acting_user=base.bob, allocation=allocate(base, auditor=base.bob, case=cic_case)
            ),
            overall="Critical",
        )
    )
    # bob's draft in Children in Care: outside harriet's remit.
    allocation_audit_start(
        acting_user=base.bob,
        allocation=allocate(base, auditor=base.bob, case=base.cases["CiC One"][1]),
    )
    _assurance(base, cycle, inadequate, elsewhere)
    run = import_run_create(
        acting_user=base.admin,
        kind=ImportKind.CASE_LIST,
        file_name="list.csv",
        content=b"Child,Team\nX1,CP One\n",
    )
    return RemitWorld(
        base=base,
        people={str(role): user for role, user in people.items()},
        cycle=cycle,
        draft=draft,
        inadequate=inadequate,
        elsewhere=elsewhere,
        action=action,
        import_run=run,
        team=base.cp1,
    )


def _assurance(base: World, cycle: Cycle, inadequate: Audit, elsewhere: Audit) -> None:
    """Re-audits of the inadequate (CP) and the critical (Children in Care) audits, and
    a moderation of one of the cycle's allocations by someone other than its auditor, as
    their draws leave them."""
    from django.utils import timezone

    from qpa.assurance.models import Moderation, ModerationDraw, ReAudit, ReAuditDraw
    from qpa.audits.models import Audit as AuditModel

    now = timezone.now()
    draw = ReAuditDraw.objects.create(
        quarter="2026-Q3", seed="5eed" * 16, requested_count=1, drawn_at=now, drawn_by=base.lead
    )

    def second_audit(case: Any, auditor: User) -> AuditModel:
        return AuditModel.objects.create(
            case=case,
            tool_version=inadequate.tool_version,
            auditor=auditor,
            service_area=case.service_area,
            team=case.team,
        )

    for rank, (original, auditor) in enumerate(
        ((inadequate, base.bob), (elsewhere, base.amy)), start=1
    ):
        ReAudit.objects.create(
            draw=draw,
            original=original,
            reaudit=second_audit(original.case, auditor),
            auditor=auditor,
            rank=rank,
            due_date=timezone.localdate(),
        )
    allocation = cycle.sampled_cases.filter(allocation__isnull=False).first().allocation  # type: ignore[union-attr]
    moderator = base.bob if allocation.auditor != base.bob else base.amy
    Moderation.objects.create(
        draw=ModerationDraw.objects.create(
            cycle=cycle,
            share=0.1,
            seed="5eed" * 16,
            frame_size=1,
            drawn_at=now,
            drawn_by=base.lead,
        ),
        allocation=allocation,
        moderator=moderator,
        moderation_audit=second_audit(allocation.sampled_case.case, moderator),
        rank=1,
    )
