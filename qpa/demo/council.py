"""A fictional council for demonstrations and tests: about 2,500 open cases, staff in
every role, and a year of audits whose mix resembles the briefing's. Deterministic: the
same seed and month give the same council."""

from __future__ import annotations

import contextlib
import random
import uuid
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from django.contrib.auth.hashers import make_password
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from qpa.accounts.models import Role, User
from qpa.actions.models import Action, ActionStatus
from qpa.audits.models import (
    Audit,
    AuditSource,
    AuditStatus,
    Captured,
    DomainRating,
    RecommendationStatus,
    RecommendedAction,
    VoiceAnswer,
)
from qpa.cases.models import Case, CaseStatus
from qpa.demo import evidence
from qpa.demo.queues import build_queues
from qpa.organisation.models import Council, ServiceArea, Team, TeamMembership
from qpa.reports.services import report_aggregates_rebuild
from qpa.tools.models import AuditTool, Domain, Rating, ToolVersion
from qpa.tools.services import tool_questions_suggest

DEMO_PASSWORD = "demo-password-2026"  # noqa: S105 - printed for the demo, never real
COUNCIL_NAME = "Northbridge City Council"

# slug -> (teams, open cases, share of monthly audits as in the briefing's 181)
AREAS: dict[str, tuple[list[str], int, int]] = {
    "child-protection": (["Child Protection Team 1", "Child Protection Team 2"], 300, 34),
    "first-response": (["MASH", "Duty and Assessment Team"], 350, 39),
    "children-in-need": (
        ["Children in Need Team 1", "Children in Need Team 2", "Children in Need Team 3"],
        800,
        40,
    ),
    "children-in-care": (["Children in Care Team 1", "Children in Care Team 2"], 550, 31),
    "leaving-care": (["Leaving Care Team"], 300, 15),
    "children-with-disabilities": (["Disabled Children's Team"], 200, 22),
}
CLOSED_CASES = 200
AUDITS_PER_MONTH = 45
THEMED_AUDITS = 39

# The briefing's overall mix: outstanding, good, adequate, inadequate, critical.
OVERALL_WEIGHTS = [1, 63, 78, 35, 4]
# Domains the briefing found strong (negative bias: better) and weak.
DOMAIN_BIAS = {
    "Supervision/Management Overview": -0.45,
    "Key Assessment Episodes": -0.4,
    "Case Transfer and Closure": -0.35,
    "Key Decisions": 0.45,
    "Child/Young Person focused practice": 0.4,
    "Referral and Response": 0.35,
}
NOT_APPLICABLE_SHARE = {"Case Transfer and Closure": 0.4, "Referral and Response": 0.1}

FIRST_NAMES = [
    "Amara",
    "Ben",
    "Chloe",
    "Dev",
    "Ella",
    "Farid",
    "Grace",
    "Hassan",
    "Isla",
    "Jon",
    "Kemi",
    "Leo",
    "Maya",
    "Nikhil",
    "Olu",
    "Priya",
    "Quinn",
    "Rosa",
    "Sam",
    "Tariq",
    "Uma",
    "Viktor",
    "Wendy",
    "Xander",
    "Yasmin",
    "Zoe",
]
LAST_NAMES = [
    "Adeyemi",
    "Brown",
    "Clarke",
    "Dhillon",
    "Evans",
    "Fraser",
    "Green",
    "Hughes",
    "Iqbal",
    "Jones",
    "Khan",
    "Lewis",
    "Morgan",
    "Nowak",
    "Okafor",
    "Patel",
    "Quigley",
    "Reid",
    "Singh",
    "Taylor",
    "Usman",
    "Vaughan",
    "Walsh",
    "Young",
]
ETHNICITIES = [
    "a) WBRI",
    "b) WIRI",
    "e) WOTH",
    "f) MWBC",
    "j) AIND",
    "l) ABAN",
    "n) BCRB",
    "o) BAFR",
    "r) OOTH",
    "t) NOBT",
]


@dataclass(frozen=True)
class DemoSignIn:
    username: str
    role: str
    about: str


SIGN_INS = [
    DemoSignIn("auditor", Role.AUDITOR.label, "manager of Children in Care Team 1"),
    DemoSignIn("head.of.service", Role.HEAD_OF_SERVICE.label, "Child Protection, First Response"),
    DemoSignIn("assistant.director", Role.ASSISTANT_DIRECTOR.label, "the whole service"),
    DemoSignIn("deputy.director", Role.DEPUTY_DIRECTOR.label, "the whole service"),
    DemoSignIn("performance", Role.PERFORMANCE.label, "figures, no case detail"),
    DemoSignIn("practitioner", Role.PRACTITIONER.label, "social worker, Child Protection Team 1"),
    DemoSignIn("admin", Role.ADMINISTRATOR.label, "tools, scales and configuration"),
]


class DemoDataExists(Exception):
    pass


class _Builder:
    def __init__(self, seed: int, today: date) -> None:
        self.rng = random.Random(seed)
        # What auditors write has its own generator, so that the cases, audits and
        # ratings drawn from `rng` stay as they were before the demo wrote evidence.
        self.words = random.Random(f"{seed}-evidence")
        self.today = today
        self.password = make_password(DEMO_PASSWORD)
        self.name_index = 0

    def uuid(self) -> uuid.UUID:
        return uuid.UUID(int=self.rng.getrandbits(128), version=4)

    def person(self, username: str, role: Role, **extra: object) -> User:
        first = FIRST_NAMES[self.name_index % len(FIRST_NAMES)]
        last = LAST_NAMES[(self.name_index * 7) % len(LAST_NAMES)]
        self.name_index += 1
        return User.objects.create(
            username=username,
            first_name=first,
            last_name=last,
            email=f"{username}@northbridge.example",
            role=role,
            password=self.password,
            **extra,
        )

    def aware(self, day: date) -> datetime:
        return timezone.make_aware(datetime.combine(day, time(10 + self.rng.randrange(7))))


def build_demo(*, seed: int = 2026, today: date | None = None) -> dict[str, int]:
    """Builds the demo council in one transaction. Refuses a database that holds cases."""
    if Case.objects.exists():
        raise DemoDataExists(
            "The database already holds cases; demo data is only for an empty one."
        )
    b = _Builder(seed, today or timezone.localdate())
    with transaction.atomic():
        Council.objects.get_or_create(defaults={"name": COUNCIL_NAME})
        areas = {a.slug: a for a in ServiceArea.objects.all()}
        directors = _build_directors(b, list(areas.values()))
        teams, managers, practitioners = _build_teams(b, areas, directors)
        cases = _build_cases(b, areas, teams, practitioners)
        audits = _build_audits(b, cases, managers)
        build_queues(seed=seed, today=b.today)
        report_aggregates_rebuild()
    return {
        "users": User.objects.count(),
        "teams": sum(len(t) for t in teams.values()),
        "open_cases": sum(1 for c in cases if c.status == CaseStatus.OPEN),
        "audits": audits,
    }


def _build_directors(b: _Builder, areas: list[ServiceArea]) -> dict[str, User]:
    dd = b.person("deputy.director", Role.DEPUTY_DIRECTOR, job_title="Deputy Director")
    ad = b.person(
        "assistant.director", Role.ASSISTANT_DIRECTOR, manager=dd, job_title="Assistant Director"
    )
    b.person("performance", Role.PERFORMANCE, manager=ad, job_title="Performance Analyst")
    b.person("admin", Role.ADMINISTRATOR, manager=ad, job_title="Systems Administrator")
    heads: dict[str, User] = {"ad": ad, "dd": dd}
    # One Head of Service for Child Protection and First Response, one each for the rest.
    pairs = [
        ("child-protection", "first-response"),
        ("children-in-need",),
        ("children-in-care",),
        ("leaving-care",),
        ("children-with-disabilities",),
    ]
    by_slug = {a.slug: a for a in areas}
    for index, slugs in enumerate(pairs):
        username = "head.of.service" if index == 0 else f"hos.{slugs[0]}"
        head = b.person(username, Role.HEAD_OF_SERVICE, manager=ad, job_title="Head of Service")
        head.service_areas.set([by_slug[s] for s in slugs])
        for slug in slugs:
            heads[slug] = head
    return heads


def _build_teams(
    b: _Builder, areas: dict[str, ServiceArea], heads: dict[str, User]
) -> tuple[dict[str, list[Team]], list[User], dict[int, list[User]]]:
    teams: dict[str, list[Team]] = {}
    managers: list[User] = []
    practitioners: dict[int, list[User]] = {}
    for slug, (team_names, _, _) in AREAS.items():
        teams[slug] = []
        for name in team_names:
            username = "auditor" if name == "Children in Care Team 1" else None
            manager = b.person(
                username or f"stm.{len(managers) + 1}",
                Role.AUDITOR,
                manager=heads[slug],
                job_title="Senior Team Manager",
            )
            team = Team.objects.create(
                public_id=b.uuid(), name=name, service_area=areas[slug], manager=manager
            )
            TeamMembership.objects.create(user=manager, team=team)
            members = []
            for n in range(4):
                is_demo = name == "Child Protection Team 1" and n == 0
                worker = b.person(
                    "practitioner" if is_demo else f"sw.{team.pk}.{n + 1}",
                    Role.PRACTITIONER,
                    manager=manager,
                    job_title="Social Worker",
                )
                TeamMembership.objects.create(user=worker, team=team)
                members.append(worker)
            practitioners[team.pk] = members
            managers.append(manager)
            teams[slug].append(team)
    return teams, managers, practitioners


def _build_cases(
    b: _Builder,
    areas: dict[str, ServiceArea],
    teams: dict[str, list[Team]],
    practitioners: dict[int, list[User]],
) -> list[Case]:
    cases: list[Case] = []
    number = 100000
    plan = [(slug, count, CaseStatus.OPEN) for slug, (_, count, _) in AREAS.items()]
    plan.append(("children-in-need", CLOSED_CASES, CaseStatus.CLOSED))
    for slug, count, status in plan:
        for _ in range(count):
            number += 1
            team = b.rng.choice(teams[slug])
            worker = b.rng.choice(practitioners[team.pk])
            born = b.today - timedelta(days=b.rng.randrange(30, 17 * 365))
            if slug == "leaving-care":
                born = b.today - timedelta(days=b.rng.randrange(18 * 365, 24 * 365))
            # No case opens before its child is born.
            opened = max(born, b.today - timedelta(days=b.rng.randrange(20, 900)))
            cases.append(
                Case(
                    public_id=b.uuid(),
                    child_id=f"NB{number}",
                    status=status,
                    service_area=areas[slug],
                    team=team,
                    worker_name=worker.get_full_name(),
                    practitioner=worker,
                    gender=b.rng.choice(["a) Male", "b) Female"]),
                    ethnicity=b.rng.choice(ETHNICITIES),
                    date_of_birth=born,
                    has_disability=slug == "children-with-disabilities",
                    opened_on=opened,
                    closed_on=max(
                        opened + timedelta(days=1),
                        b.today - timedelta(days=b.rng.randrange(1, 60)),
                    )
                    if status == CaseStatus.CLOSED
                    else None,
                    cin_start_date=opened
                    if slug in ("children-in-need", "first-response")
                    else None,
                    cp_plan_start_date=opened if slug == "child-protection" else None,
                    looked_after_start_date=opened if slug == "children-in-care" else None,
                )
            )
    return Case.objects.bulk_create(cases, batch_size=500)


def _manager_id(case: Case) -> int | None:
    return case.team.manager_id if case.team else None


def _open_by(case: Case, day: date) -> bool:
    """Open for a fortnight or more by `day`: long enough to have work to audit."""
    return case.opened_on is not None and case.opened_on <= day - timedelta(days=14)


def _weighted_rank(b: _Builder, weights: list[int]) -> int:
    return b.rng.choices(range(1, len(weights) + 1), weights=weights)[0]


def _build_audits(b: _Builder, cases: list[Case], managers: list[User]) -> int:
    qop_tool = AuditTool.objects.get(slug="quality-of-practice")
    # The demo's tool asks QPA's suggested questions about the child's voice and the
    # family's view (an empty database: they land on the version the audits use).
    with contextlib.suppress(ValidationError):  # asked already
        tool_questions_suggest(acting_user=None, tool=qop_tool)
    qop = qop_tool.current_version
    questions = list(qop.questions.order_by("order"))
    themed = AuditTool.objects.get(slug="child-protection-core-assessment").current_version
    ratings = {r.rank: r for r in Rating.objects.filter(scale=qop.tool.scale)}
    qop_domains = list(qop.domains.all())
    themed_domains = list(themed.domains.all())
    open_by_area: dict[int, list[Case]] = {}
    for case in cases:
        if case.status == CaseStatus.OPEN and case.service_area_id is not None:
            open_by_area.setdefault(case.service_area_id, []).append(case)
    area_ids = {a.slug: a.pk for a in ServiceArea.objects.all()}
    shares = [(area_ids[slug], share) for slug, (_, _, share) in AREAS.items()]
    audits: list[Audit] = []
    domain_sets: list[list[DomainRating]] = []
    answer_sets: list[list[tuple[str, str]]] = []

    def add(
        case: Case,
        version_domains: list[Domain],
        version: ToolVersion,
        day: date,
        overall: int,
        status: str = AuditStatus.SUBMITTED,
    ) -> None:
        auditor = b.rng.choice([m for m in managers if m.pk != _manager_id(case)])
        submitted = status == AuditStatus.SUBMITTED
        audit = Audit(
            public_id=b.uuid(),
            case=case,
            tool_version=version,
            auditor=auditor,
            status=status,
            source=AuditSource.QPA,
            service_area_id=case.service_area_id,
            team_id=case.team_id,
            audit_date=day,
            submitted_at=b.aware(day) if submitted else None,
            overall_rating=ratings[overall] if submitted else None,
            overall_rationale="Demo rationale: the overall judgement weighs the domains above."
            if submitted
            else "",
            child_experience_captured=b.rng.choice(list(Captured.values)) if submitted else "",
            family_view_captured=b.rng.choice(list(Captured.values)) if submitted else "",
            created_by=auditor,
            updated_by=auditor,
        )
        rows = []
        for domain in version_domains:
            if not submitted:
                break
            na = b.rng.random() < NOT_APPLICABLE_SHARE.get(domain.name, 0.0)
            rank = overall + max(
                -1, min(1, round(b.rng.gauss(DOMAIN_BIAS.get(domain.name, 0), 0.7)))
            )
            rank = max(1, min(len(ratings), rank))
            not_applicable = na and domain.allows_not_applicable
            rows.append(
                DomainRating(
                    domain=domain,
                    not_applicable=not_applicable,
                    rating=None if not_applicable else ratings[rank],
                    evidence="Nothing to judge in this domain yet."
                    if not_applicable
                    else evidence.evidence(
                        b.words,
                        domain=domain.name,
                        rank=rank,
                        worker=case.worker_name,
                        child_id=case.child_id,
                        day=day,
                    ),
                )
            )
        audits.append(audit)
        domain_sets.append(rows)
        asked = version == qop and submitted
        answer_sets.append(
            evidence.voice_answers(b.words, overall_rank=overall, questions=len(questions))
            if asked
            else []
        )

    month_start = b.today.replace(day=1)
    # Ten full months. Last month's audits and this month's so far are those of their
    # cycles (qpa/demo/queues.py), as a council's monthly audits are.
    for months_back in range(11, 1, -1):
        first = (month_start - timedelta(days=28 * months_back)).replace(day=1)
        days = 27 if months_back else b.today.day
        for area_id, share in shares:
            count = round(AUDITS_PER_MONTH * share / 181 * days / 27)
            # A case is audited once it has been open a fortnight.
            opened = [c for c in open_by_area[area_id] if _open_by(c, first)]
            for case in b.rng.sample(opened, count):
                day = first + timedelta(days=b.rng.randrange(days))
                add(case, qop_domains, qop, day, _weighted_rank(b, OVERALL_WEIGHTS))
    # The themed child protection audit, ten months ago, as in the briefing's January.
    themed_day = (month_start - timedelta(days=28 * 10)).replace(day=15)
    themed_cases = [
        c for c in open_by_area[area_ids["child-protection"]] if _open_by(c, themed_day)
    ]
    for case in b.rng.sample(themed_cases, THEMED_AUDITS):
        add(case, themed_domains, themed, themed_day, _weighted_rank(b, [0, 30, 40, 28, 2]))
    # Two drafts for the demo auditor's home page.
    demo_auditor = next(m for m in managers if m.username == "auditor")
    cp_cases = [
        c for c in open_by_area[area_ids["child-protection"]] if _manager_id(c) != demo_auditor.pk
    ]
    for case in cp_cases[:2]:
        add(case, qop_domains, qop, b.today, 3, status=AuditStatus.DRAFT)
        audits[-1].auditor = demo_auditor
        audits[-1].created_by = audits[-1].updated_by = demo_auditor

    Audit.objects.bulk_create(audits, batch_size=500)
    for audit, rows in zip(audits, domain_sets, strict=True):
        for row in rows:
            row.audit = audit
    DomainRating.objects.bulk_create([row for rows in domain_sets for row in rows], batch_size=1000)
    VoiceAnswer.objects.bulk_create(
        [
            VoiceAnswer(audit=audit, question=question, answer=answer, text=text)
            for audit, answers in zip(audits, answer_sets, strict=True)
            if answers
            for question, (answer, text) in zip(questions, answers, strict=True)
        ],
        batch_size=1000,
    )
    _build_recommendations(b, audits, ratings)
    return len(audits)


def _build_recommendations(b: _Builder, audits: list[Audit], ratings: dict[int, Rating]) -> None:
    """Actions the auditors recommended on audits rated inadequate or worse: those of the
    last four weeks wait for the Head of Service's decision; older ones were confirmed
    (follow-up actions, done when older than three months) or, now and then, declined."""
    inadequate = next(r for r in ratings.values() if r.is_inadequate_or_worse)
    recent = b.today - timedelta(days=28)
    heads = {
        area.pk: head
        for head in User.objects.filter(role=Role.HEAD_OF_SERVICE).prefetch_related("service_areas")
        for area in head.service_areas.all()
    }
    recommendations: list[RecommendedAction] = []
    actions: list[Action] = []
    for audit in audits:
        if (
            audit.status != AuditStatus.SUBMITTED
            or audit.overall_rating is None
            or audit.overall_rating.rank < inadequate.rank
            or audit.audit_date is None
        ):
            continue
        manager_id = _manager_id(audit.case)
        for text in b.words.sample(evidence.RECOMMENDATIONS, b.words.randint(1, 2)):
            due = audit.audit_date + timedelta(days=28)
            recommendation = RecommendedAction(
                public_id=uuid.UUID(int=b.words.getrandbits(128), version=4),
                audit=audit,
                description=text,
                suggested_owner_id=manager_id,
                due_date=max(due, b.today) if audit.audit_date >= recent else due,
                created_by=audit.auditor,
                updated_by=audit.auditor,
            )
            recommendations.append(recommendation)
            if audit.audit_date >= recent or manager_id is None:
                continue
            decided_at = _written_at(b, audit.audit_date + timedelta(days=2))
            head = heads.get(audit.service_area_id) if audit.service_area_id else None
            recommendation.decided_at = decided_at
            recommendation.decided_by = head
            if b.words.random() < 0.1:
                recommendation.status = RecommendationStatus.DECLINED
                recommendation.decline_reason = "Already covered by the child protection plan."
                continue
            recommendation.status = RecommendationStatus.CONFIRMED
            done = due < b.today - timedelta(days=60)
            actions.append(
                Action(
                    public_id=uuid.UUID(int=b.words.getrandbits(128), version=4),
                    audit=audit,
                    description=text,
                    owner_id=manager_id,
                    due_date=due,
                    status=ActionStatus.COMPLETED if done else ActionStatus.OPEN,
                    evidence="Done and recorded on the case file." if done else "",
                    completed_at=_written_at(b, due) if done else None,
                    completed_by_id=manager_id if done else None,
                    recommendation=recommendation,
                    created_by=head,
                    updated_by=head,
                )
            )
    RecommendedAction.objects.bulk_create(recommendations, batch_size=500)
    Action.objects.bulk_create(actions, batch_size=500)
    # Creation times are "now" in a bulk insert: give each the day it happened.
    for recommendation in recommendations:
        RecommendedAction.objects.filter(pk=recommendation.pk).update(
            created_at=_written_at(b, recommendation.audit.audit_date or b.today)
        )
    for action in actions:
        decided = action.recommendation.decided_at if action.recommendation else None
        Action.objects.filter(pk=action.pk).update(created_at=decided or timezone.now())


def _written_at(b: _Builder, day: date) -> datetime:
    """A time on `day` from the words' generator, leaving the audits' one alone."""
    return timezone.make_aware(datetime.combine(day, time(10 + b.words.randrange(7))))
