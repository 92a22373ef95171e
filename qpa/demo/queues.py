"""The month in motion, so that every queue has something in it for the demo sign-ins:
last month's cycle with audits submitted and some overdue, this month's and a themed
cycle under way (the demo auditor has cases in both tools), a moderation in progress and
some agreed, the quarter's re-audits due and done, alerts acknowledged or waiting, and a
practitioner's reply. Cycles, draws, moderations, re-audits and the reply go through the
services; what an auditor would type is written as the demo writes its other audits.
Deterministic: fixed seeds and a generator of its own."""

from __future__ import annotations

import random
import uuid
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from django.utils import timezone

from qpa.accounts.models import Role, User
from qpa.actions import services as action_services
from qpa.actions.models import Action
from qpa.assurance import services as assurance
from qpa.assurance.models import Moderation, ModerationDraw, ReAudit, ReAuditDraw
from qpa.audits import services as audit_services
from qpa.audits.models import (
    Audit,
    AuditAlert,
    AuditChange,
    AuditReply,
    AuditSource,
    AuditStatus,
    Captured,
    ChangeKind,
    ChildSafe,
    DomainRating,
    RecommendedAction,
    Severity,
    VoiceAnswer,
)
from qpa.cycles import services as cycles
from qpa.cycles.models import (
    Allocation,
    AllocationStatus,
    Cycle,
    CycleKind,
    QuotaMethod,
    SamplingPlan,
)
from qpa.demo import evidence
from qpa.notifications.models import EmailStatus, Notification
from qpa.tools.models import AuditTool, Rating

QOP = "quality-of-practice"
THEMED = "child-protection-core-assessment"
# The briefing's mix of overall ratings: outstanding, good, adequate, inadequate, critical.
OVERALL_WEIGHTS = [1, 63, 78, 35, 4]
INADEQUATE = 4
AGREED_REASON = "Agreed at the moderation meeting, after reading the case file together."
REPLY = (
    "Thank you for the audit. Since it, I have seen the child alone twice and recorded "
    "their words; the chronology is now up to date and the plan's actions have owners."
)


@dataclass
class _Queues:
    rng: random.Random
    seed: int
    today: date
    lead: User  # the Assistant Director, who runs the cycles and the draws
    managers: list[User]  # the Senior Team Managers, who audit
    ratings: dict[int, Rating]

    def aware(self, day: date) -> datetime:
        return timezone.make_aware(datetime.combine(day, time(9 + self.rng.randrange(8))))


def build_queues(*, seed: int, today: date) -> None:
    """Runs once the demo's people, cases and year of audits exist."""
    tool = AuditTool.objects.get(slug=QOP)
    q = _Queues(
        rng=random.Random(f"{seed}-queues"),  # noqa: S311 - a fictional council, not a secret
        seed=seed,
        today=today,
        lead=User.objects.get(username="assistant.director"),
        managers=list(User.objects.filter(role=Role.AUDITOR).order_by("username")),
        ratings={r.rank: r for r in Rating.objects.filter(scale=tool.scale)},
    )
    last_month = _cycles(q)
    _moderations(q, last_month)
    _reaudits(q)
    _actions(q)
    _alerts(q)
    _reply(q)


# --- Cycles -----------------------------------------------------------------------------


def _cycles(q: _Queues) -> Cycle:
    """Last month's cycle, due nine days ago: most audits in, some overdue. This month's,
    due in a fortnight: some in, some started, most to do. A themed cycle begun."""
    plan = cycles.plan_create(
        acting_user=q.lead,
        name="Monthly sample",
        method=QuotaMethod.PROPORTIONAL,
        total=45,
        minimum_per_area=3,
        exclude_audited_within_months=12,
    )
    tool = AuditTool.objects.get(slug=QOP)
    month = q.today.replace(day=1)
    last = _drawn(
        q,
        kind=CycleKind.MONTHLY,
        tool=tool,
        plan=plan,
        month=(month - timedelta(days=1)).replace(day=1),
        due=q.today - timedelta(days=9),
        on=(month - timedelta(days=1)).replace(day=1),
    )
    late = set(q.rng.sample([m.pk for m in q.managers if m.username != "auditor"], 3))
    for auditor, allocations in _by_auditor(last):
        for k, allocation in enumerate(allocations):
            if auditor.username == "auditor" and k == len(allocations) - 1:
                continue  # the demo auditor's overdue case: not started
            if auditor.pk in late and k == 0:
                _start(q, allocation, last.due_date - timedelta(days=12))  # unfinished: overdue
                continue
            day = last.due_date - timedelta(days=1 + q.rng.randrange(18))
            _submit(q, _start(q, allocation, day - timedelta(days=2)), day=day)
    this = _drawn(
        q,
        kind=CycleKind.MONTHLY,
        tool=tool,
        plan=plan,
        month=month,
        due=q.today + timedelta(days=14),
        on=month,
    )
    for _, allocations in _by_auditor(this):
        for k, allocation in enumerate(allocations):
            day = month + timedelta(q.rng.randrange(q.today.day))
            if k == 0 and q.today > month:
                _submit(q, _start(q, allocation, day), day=day)
            elif k == 1:
                _start(q, allocation, day)
    themed = _drawn(
        q,
        kind=CycleKind.THEMED,
        tool=AuditTool.objects.get(slug=THEMED),
        plan=None,
        theme="Child protection core assessments",
        population={"cp_plan_started_within_months": 12},
        size=12,
        due=q.today + timedelta(days=25),
        on=q.today - timedelta(days=5),
    )
    for index, (auditor, allocations) in enumerate(_by_auditor(themed)):
        if auditor.username == "auditor" or index % 2:
            _start(q, allocations[0], q.today - timedelta(days=q.rng.randrange(3)))
    return last


def _drawn(
    q: _Queues,
    *,
    kind: str,
    tool: AuditTool,
    plan: SamplingPlan | None,
    due: date,
    on: date,
    month: date | None = None,
    theme: str = "",
    population: dict[str, int] | None = None,
    size: int | None = None,
) -> Cycle:
    cycle = cycles.cycle_create(
        acting_user=q.lead,
        kind=kind,
        tool=tool,
        plan=plan,
        auditors={person: 5 for person in q.managers},
        due_date=due,
        month=month,
        theme=theme,
        population_filter=population,
        sample_size=size,
    )
    draw_seed = f"demo-{q.seed}-{kind}-{month or theme}"
    cycles.sample_draw(acting_user=q.lead, cycle=cycle, seed=draw_seed)
    cycles.allocation_create(acting_user=q.lead, cycle=cycle)
    # Drawn and allocated on the day the cycle began, not when the demo was built.
    began = q.aware(min(on, q.today))
    Cycle.objects.filter(pk=cycle.pk).update(
        created_at=began, drawn_at=began, allocated_at=began, updated_at=began
    )
    Allocation.objects.filter(sampled_case__cycle=cycle).update(created_at=began)
    return Cycle.objects.get(pk=cycle.pk)


def _by_auditor(cycle: Cycle) -> list[tuple[User, list[Allocation]]]:
    allocations = (
        Allocation.objects.filter(sampled_case__cycle=cycle)
        .select_related("auditor", "sampled_case__case")
        .order_by("auditor__username", "sampled_case__case__child_id")
    )
    grouped: dict[int, tuple[User, list[Allocation]]] = {}
    for allocation in allocations:
        grouped.setdefault(allocation.auditor_id, (allocation.auditor, []))[1].append(allocation)
    return list(grouped.values())


def _start(q: _Queues, allocation: Allocation, day: date) -> Audit:
    """The allocation's audit, started by its auditor on `day`."""
    audit = cycles.allocation_audit_start(acting_user=allocation.auditor, allocation=allocation)
    started = q.aware(max(min(day, q.today), allocation.sampled_case.cycle.created_at.date()))
    Audit.objects.filter(pk=audit.pk).update(created_at=started, updated_at=started)
    return audit


# --- What an auditor writes -------------------------------------------------------------


def _rank(q: _Queues) -> int:
    return q.rng.choices(range(1, len(OVERALL_WEIGHTS) + 1), weights=OVERALL_WEIGHTS)[0]


def _submit(
    q: _Queues, audit: Audit, *, day: date, overall: int | None = None, like: Audit | None = None
) -> Audit:
    """Fills a draft as its auditor would and submits it on `day`: every domain rated
    near the overall judgement (near `like`'s ratings for a second look at a case)."""
    overall = overall or _rank(q)
    opened = audit.case.opened_on
    if opened is not None:
        day = min(q.today, max(day, opened + timedelta(days=7)))
    earlier = {}
    if like is not None:
        earlier = {r.domain_id: r for r in like.domain_ratings.select_related("rating")}
    rows = []
    for domain in audit.tool_version.domains.order_by("order"):
        before = earlier.get(domain.pk)
        if before is not None and before.rating is not None:
            rank = before.rating.rank + q.rng.choice([0, 0, 0, 1, -1])
        else:
            rank = overall + q.rng.choice([0, 0, 1, -1])
        rank = max(1, min(len(q.ratings), rank))
        written = evidence.evidence(
            q.rng,
            domain=domain.name,
            rank=rank,
            worker=audit.case.worker_name,
            child_id=audit.case.child_id,
            day=day,
        )
        rows.append(
            DomainRating(audit=audit, domain=domain, rating=q.ratings[rank], evidence=written)
        )
    audit.domain_ratings.all().delete()
    DomainRating.objects.bulk_create(rows)
    questions = list(audit.tool_version.questions.order_by("order"))
    answers = evidence.voice_answers(q.rng, overall_rank=overall, questions=len(questions))
    audit.voice_answers.all().delete()
    VoiceAnswer.objects.bulk_create(
        VoiceAnswer(audit=audit, question=question, answer=answer, text=text)
        for question, (answer, text) in zip(questions, answers, strict=True)
    )
    submitted = q.aware(day)
    Audit.objects.filter(pk=audit.pk).update(
        status=AuditStatus.SUBMITTED,
        source=AuditSource.QPA,
        audit_date=day,
        submitted_at=submitted,
        overall_rating=q.ratings[overall],
        overall_rationale="The overall judgement weighs the domains above and the child's "
        "experience of the help they receive.",
        child_experience_captured=q.rng.choice(list(Captured.values)),
        family_view_captured=q.rng.choice(list(Captured.values)),
        child_safe=ChildSafe.YES,
    )
    AuditChange.objects.create(
        audit=audit,
        kind=ChangeKind.SUBMITTED,
        actor=audit.auditor,
        at=submitted,
        token=uuid.UUID(int=q.rng.getrandbits(128), version=4),
        version=audit.version,
    )
    if audit.allocation_id is not None:
        Allocation.objects.filter(pk=audit.allocation_id).update(status=AllocationStatus.COMPLETED)
    if overall >= INADEQUATE and not hasattr(audit, "moderation_of"):
        # The auditor recommends what should be done; the Head of Service has yet to decide.
        manager = audit.case.team.manager if audit.case.team else None
        RecommendedAction.objects.bulk_create(
            RecommendedAction(
                public_id=uuid.UUID(int=q.rng.getrandbits(128), version=4),
                audit=audit,
                description=text,
                suggested_owner=manager,
                due_date=max(day + timedelta(days=28), q.today),
                created_by=audit.auditor,
                updated_by=audit.auditor,
            )
            for text in q.rng.sample(evidence.RECOMMENDATIONS, q.rng.randint(1, 2))
        )
    audit.refresh_from_db()
    return audit


# --- Moderation -------------------------------------------------------------------------


def _moderations(q: _Queues, cycle: Cycle) -> None:
    """A fifth of last month's cycle moderated: most agreed, one with both audits in,
    the rest with the moderator still auditing."""
    draw = assurance.moderation_draw(
        acting_user=q.lead, cycle=cycle, share_percent=20, seed=f"demo-{q.seed}-moderation"
    )
    drawn = min(q.today, cycle.due_date - timedelta(days=14))
    ModerationDraw.objects.filter(pk=draw.pk).update(drawn_at=q.aware(drawn))
    Audit.objects.filter(moderation_of__draw=draw).update(created_at=q.aware(drawn))
    moderations = Moderation.objects.filter(draw__cycle=cycle).select_related(
        "allocation__audit", "moderation_audit", "moderator"
    )
    ready = [
        (moderation, moderation.allocation.audit)
        for moderation in moderations.order_by("rank")
        if getattr(moderation.allocation, "audit", None) is not None
        and moderation.allocation.audit.status == AuditStatus.SUBMITTED
    ]
    # The last one the moderator is still auditing; the one before has both audits in.
    for n, (moderation, first) in enumerate(ready[:-1]):
        if first.audit_date is None or first.overall_rating is None:
            continue
        day = min(q.today, max(drawn, first.audit_date) + timedelta(days=3 + q.rng.randrange(6)))
        rank = first.overall_rating.rank + q.rng.choice([0, 0, 0, 1, -1])
        second = _submit(
            q,
            moderation.moderation_audit,
            day=day,
            overall=max(1, min(len(q.ratings), rank)),
            like=first,
        )
        if n == len(ready) - 2:
            continue  # both audits in: the moderator has yet to record the agreed ratings
        agreed = {
            r.domain_id: assurance.Agreed(r.rating, r.not_applicable, AGREED_REASON)
            for r in second.domain_ratings.all()
        }
        assurance.moderation_agree(
            acting_user=moderation.moderator,
            moderation=moderation,
            domains=agreed,
            overall=assurance.Agreed(second.overall_rating, False, AGREED_REASON),
        )


# --- Re-audits --------------------------------------------------------------------------


def _reaudits(q: _Queues) -> None:
    """Last quarter's re-audits, drawn three days into this quarter and due through it:
    those already due are mostly done, one is overdue, a few were done early."""
    quarter = assurance.previous_quarter(q.today)
    this_quarter = assurance.quarter_bounds(assurance.quarter_of(q.today))[0]
    drawn = min(q.today, this_quarter + timedelta(days=3))
    draw = assurance.reaudit_draw(
        acting_user=q.lead,
        quarter=quarter,
        count=16,
        capacity=4,
        today=drawn,
        seed=f"demo-{q.seed}-{quarter}",
    )
    ReAuditDraw.objects.filter(pk=draw.pk).update(drawn_at=q.aware(drawn))
    overdue = 0
    for reaudit in (
        ReAudit.objects.filter(draw=draw)
        .select_related("original__overall_rating", "reaudit")
        .order_by("due_date", "original__case__child_id")
    ):
        early = reaudit.due_date > q.today and q.rng.random() < 0.25
        if reaudit.due_date > q.today and not early:
            continue
        if reaudit.due_date <= q.today and overdue == 0:
            overdue += 1
            continue
        done = max(drawn, min(q.today, reaudit.due_date - timedelta(q.rng.randrange(10))))
        outcome = q.rng.choices([2, 3, 4], weights=[10, 55, 35])[0]
        _submit(q, reaudit.reaudit, day=done, overall=outcome, like=reaudit.original)


# --- Actions planned this month ----------------------------------------------------------

ACTIONS = [
    "See the child alone within ten working days and record their words.",
    "Hold a strategy discussion with police and health, and record the decisions.",
    "Bring the chronology up to date and use it at the next supervision.",
    "Review the plan with the family: actions with owners and dates.",
]


def _actions(q: _Queues) -> None:
    """The Head of Service planned actions, not yet due, on the latest inadequate audits
    of their areas, and gave one to the demo practitioner for their own case."""
    head = User.objects.get(username="head.of.service")
    practitioner = User.objects.get(username="practitioner")
    first_round = Audit.objects.filter(
        status=AuditStatus.SUBMITTED,
        overall_rating__rank__gte=INADEQUATE,
        moderation_of__isnull=True,
        reaudit_of__isnull=True,
        audit_date__lte=q.today - timedelta(days=5),
    ).select_related("case__team__manager")
    recent = first_round.filter(
        actions__isnull=True,
        service_area__in=head.service_areas.all(),
        audit_date__gte=q.today - timedelta(days=30),
        case__team__manager__isnull=False,
    ).order_by("-audit_date", "pk")[:3]
    own = first_round.filter(case__practitioner=practitioner).order_by("-audit_date", "pk")[:1]
    plans = [(audit, audit.case.team.manager) for audit in recent if audit.case.team]
    plans += [(audit, practitioner) for audit in own]
    for n, (audit, owner) in enumerate(plans):
        if owner is None or audit.audit_date is None:
            continue
        action = action_services.action_create(
            acting_user=head,
            audit=audit,
            description=ACTIONS[n % len(ACTIONS)],
            owner=owner,
            due_date=q.today + timedelta(days=10 + 7 * n),
        )
        Action.objects.filter(pk=action.pk).update(
            created_at=q.aware(min(q.today, audit.audit_date + timedelta(days=2)))
        )


# --- Alerts and a reply -----------------------------------------------------------------


def _alerts(q: _Queues) -> None:
    """The alerts every inadequate or critical audit (a re-audit's too; not a moderator's
    second look) sent its team manager and Heads of Service. Critical ones were
    acknowledged the next day by one of them, for all; inadequate ones were read, but for
    those of the last week."""
    audits = (
        Audit.objects.filter(
            status=AuditStatus.SUBMITTED,
            overall_rating__rank__gte=INADEQUATE,
            moderation_of__isnull=True,
        )
        .exclude(source=AuditSource.IMPORTED)
        .select_related("case__team__manager", "service_area", "overall_rating", "auditor")
        .order_by("audit_date", "pk")
    )
    heads: dict[int, list[User]] = {}
    for head in User.objects.filter(role=Role.HEAD_OF_SERVICE).prefetch_related("service_areas"):
        for area in head.service_areas.all():
            heads.setdefault(area.pk, []).append(head)
    for audit in audits:
        if audit.submitted_at is None or audit.audit_date is None:
            continue
        submission = AuditChange.objects.filter(audit=audit, kind=ChangeKind.SUBMITTED).first()
        if submission is None:
            submission = AuditChange.objects.create(
                audit=audit,
                kind=ChangeKind.SUBMITTED,
                actor=audit.auditor,
                at=audit.submitted_at,
                token=uuid.UUID(int=q.rng.getrandbits(128), version=4),
                version=audit.version,
            )
        critical = audit.overall_rating is not None and audit.overall_rating.rank >= 5
        severity = Severity.CRITICAL if critical else Severity.INADEQUATE
        people = [audit.case.team.manager] if audit.case.team and audit.case.team.manager else []
        people += heads.get(audit.service_area_id or 0, [])
        people = [p for p in dict.fromkeys(people) if p.pk != audit.auditor_id]
        age = (q.today - audit.audit_date).days
        seen_at = audit.submitted_at + timedelta(days=1, hours=q.rng.randrange(1, 6))
        seen_by = people[-1] if people else None  # the Head of Service, when there is one
        key = f"audits:{severity.value}:{submission.token}"
        for person in people:
            note = Notification.objects.create(
                recipient=person,
                kind=f"audits.{severity.value}",
                subject=f"Critical audit of case {audit.case}: acknowledge today"
                if critical
                else f"Inadequate audit of case {audit.case}: manager action needed",
                body=f"The audit of case {audit.case} by {audit.auditor} was rated "
                f"{audit.overall_rating.label.lower() if audit.overall_rating else ''}.",
                url=audit.get_absolute_url(),
                dedupe_key=f"{key}:{person.pk}",
                urgent=critical,
                alert_key=key if critical else "",
                email_status=EmailStatus.DELIVERED,
                delivered_at=audit.submitted_at,
            )
            update: dict[str, object] = {"created_at": audit.submitted_at}
            if critical and age >= 2:
                update.update(acknowledged_at=seen_at, acknowledged_by=seen_by, read_at=seen_at)
            elif not critical and age >= 7:
                update["read_at"] = seen_at
            Notification.objects.filter(pk=note.pk).update(**update)
            AuditAlert.objects.create(
                audit=audit, submission=submission, notification=note, severity=severity
            )


def _reply(q: _Queues) -> None:
    """The demo practitioner replied to the latest audit of one of their cases."""
    practitioner = User.objects.get(username="practitioner")
    audit = (
        Audit.objects.filter(
            case__practitioner=practitioner,
            status=AuditStatus.SUBMITTED,
            moderation_of__isnull=True,
            reaudit_of__isnull=True,
            audit_date__lte=q.today - timedelta(days=3),
        )
        .order_by("-audit_date", "pk")
        .first()
    )
    if audit is None or audit.audit_date is None:
        return
    reply = audit_services.audit_reply(acting_user=practitioner, audit=audit, text=REPLY)
    AuditReply.objects.filter(pk=reply.pk).update(
        created_at=q.aware(audit.audit_date + timedelta(days=2))
    )
