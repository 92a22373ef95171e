"""Writes of the assurance loop: draw the quarterly re-audit sample, draw the moderation
share of a cycle, record agreed ratings, and what happens when either kind of second
audit is submitted. docs/reaudit.md, docs/moderation.md, decisions 0070-0072."""

from __future__ import annotations

import hashlib
import json
import math
import re
import uuid
from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass
from datetime import date, timedelta
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Count, F, Q, QuerySet
from django.urls import reverse
from django.utils import timezone

from qpa.accounts.models import Role, User
from qpa.accounts.permissions import Permission, user_can
from qpa.actions.models import ActionStatus
from qpa.assurance.models import (
    Moderation,
    ModerationDraw,
    ReAudit,
    ReAuditDraw,
    ReAuditSummarySend,
    SummaryOccasion,
)
from qpa.assurance.selectors import ASSURANCE_MANAGERS, reaudits_visible_to
from qpa.audits.blind import withheld_from_figures
from qpa.audits.models import Audit, AuditStatus, DomainRating
from qpa.audits.signals import counted_ratings_changed
from qpa.cases.models import Case
from qpa.core.events import event_record
from qpa.core.wording import plural
from qpa.cycles import independence
from qpa.cycles.models import Allocation, AllocationStatus, Cycle, CycleStatus
from qpa.cycles.sampling import new_seed, proportional_quotas, ranked
from qpa.notifications.services import Link, notification_send
from qpa.organisation.models import ServiceArea
from qpa.tools.models import Domain, Rating, RatingScale

# The stratum name in the HMAC message of a moderation draw: one stratum per cycle.
MODERATION_STRATUM = "moderation"
REAUDIT_DUE_DAYS = 28
MAX_REASON = 5_000


# --- Quarters ------------------------------------------------------------------------

_QUARTER = re.compile(r"(\d{4})-Q([1-4])")


def quarter_bounds(quarter: str) -> tuple[date, date]:
    """The first and last day of a quarter written "2026-Q4"."""
    match = _QUARTER.fullmatch(quarter.strip())
    if match is None:
        raise ValidationError({"quarter": "Enter a quarter like 2026-Q4."})
    year, number = int(match[1]), int(match[2])
    first = date(year, 3 * number - 2, 1)
    following = date(year + 1, 1, 1) if number == 4 else date(year, 3 * number + 1, 1)
    return first, following - timedelta(days=1)


def quarter_of(day: date) -> str:
    return f"{day.year}-Q{(day.month - 1) // 3 + 1}"


def _long(day: date) -> str:
    """ "3 December 2026", without a leading zero."""
    return f"{day.day} {day:%B %Y}"


def previous_quarter(day: date) -> str:
    first, _ = quarter_bounds(quarter_of(day))
    return quarter_of(first - timedelta(days=1))


# --- Ratings -------------------------------------------------------------------------


def clear_rank(scale: RatingScale) -> int:
    """The worst overall rank a re-audit may give for the case to leave the pool: the
    setting QPA_REAUDIT_CLEAR_RANK, or the rating just above the inadequate line."""
    configured = int(getattr(settings, "QPA_REAUDIT_CLEAR_RANK", 0) or 0)
    return configured if configured > 0 else scale.inadequate_or_worse_rank - 1


def _is_inadequate() -> Q:
    """An audit at or beyond the inadequate line overall or in any domain (decision 51)."""
    line = F("tool_version__tool__scale__inadequate_or_worse_rank")
    worse_domain = DomainRating.objects.filter(
        rating__rank__gte=F("audit__tool_version__tool__scale__inadequate_or_worse_rank")
    ).values("audit")
    return Q(overall_rating__rank__gte=line) | Q(pk__in=worse_domain)


def first_round_audits() -> QuerySet[Audit]:
    """Submitted audits that are neither a moderation nor a re-audit, less a first audit
    whose moderation is still blind: the re-audit pool would tell its rating (qpa.audits.
    blind); it joins the pool once the moderator's audit is submitted too."""
    return Audit.objects.filter(
        status=AuditStatus.SUBMITTED,
        audit_date__isnull=False,
        moderation_of__isnull=True,
        reaudit_of__isnull=True,
    ).exclude(pk__in=withheld_from_figures())


# --- The re-audit pool ---------------------------------------------------------------


@dataclass(frozen=True)
class PoolEntry:
    case: Case
    # The audit a re-audit is compared with: the case's latest inadequate audit, or the
    # latest re-audit that left it in the pool.
    original: Audit
    pending: bool


def reaudit_pool(*, until: date) -> list[PoolEntry]:
    """Cases in the re-audit pool at the end of `until`: an inadequate or critical audit
    submitted by then, and no later re-audit rating the case at or above the clear line.
    `pending` marks a case whose re-audit is still a draft."""
    flagged = (
        first_round_audits()
        .filter(_is_inadequate(), audit_date__lte=until)
        .select_related("case__team", "case__service_area", "tool_version__tool__scale")
        .order_by("case_id", "-audit_date", "-submitted_at")
    )
    latest: dict[int, Audit] = {}
    for audit in flagged:
        latest.setdefault(audit.case_id, audit)
    if not latest:
        return []
    reaudits = (
        ReAudit.objects.filter(original__case_id__in=latest)
        .select_related("reaudit__overall_rating", "reaudit__tool_version__tool__scale")
        .order_by("reaudit__audit_date", "reaudit__submitted_at", "pk")
    )
    by_case: dict[int, list[ReAudit]] = {}
    for reaudit in reaudits:
        by_case.setdefault(reaudit.reaudit.case_id, []).append(reaudit)
    entries = []
    for case_id, first in latest.items():
        original = first
        pending = False
        cleared = False
        for reaudit in by_case.get(case_id, []):
            second = reaudit.reaudit
            if second.status != AuditStatus.SUBMITTED:
                pending = True
                continue
            # Only re-audits done after the case's latest inadequate audit, by `until`.
            if (
                second.audit_date is None
                or second.audit_date < (first.audit_date or until)
                or second.audit_date > until
            ):
                continue
            rating = second.overall_rating
            if rating is not None and rating.rank <= clear_rank(rating.scale):
                cleared = True
            else:
                cleared = False
                original = second
        if not cleared:
            entries.append(PoolEntry(case=first.case, original=original, pending=pending))
    return entries


def reaudit_choose(
    seed: str, frames: Mapping[str, Iterable[str]], quotas: Mapping[str, int]
) -> dict[str, list[str]]:
    """The child IDs drawn from each stratum: the first `quota` by HMAC rank. Anyone can
    recompute a draw from its seed with this and qpa.cycles.sampling.rank_key."""
    return {
        stratum: ranked(seed, stratum, ids)[: max(quotas.get(stratum, 0), 0)]
        for stratum, ids in frames.items()
    }


def reaudit_quotas(
    frame_sizes: Mapping[str, int], *, count: int | None, share: float | None
) -> dict[str, int]:
    if count is not None:
        quotas = proportional_quotas(count, frame_sizes, 0)
    elif share is not None:
        quotas = {s: math.ceil(share * n - 1e-9) for s, n in frame_sizes.items()}
    else:
        raise ValidationError("Give a number of cases or a share of the pool.")
    return {s: min(q, frame_sizes[s]) for s, q in quotas.items()}


# --- Choosing the second auditor -----------------------------------------------------


def _least_loaded(
    candidates: Sequence[User],
    load: dict[int, int],
    case: Case,
    *,
    ties: Mapping[int, independence.Ties],
    barred: Collection[int],
) -> User | None:
    """The least loaded candidate the independence policy lets give this case a second
    look (qpa.cycles.independence): free of its team and area, and not `barred`."""
    able = [
        u
        for u in candidates
        if u.is_active
        and u.pk not in barred
        and independence.free_of(
            ties[u.pk], team_id=case.team_id, service_area_id=case.service_area_id
        )
    ]
    if not able:
        return None
    return min(able, key=lambda u: (load.get(u.pk, 0), u.pk))


def _second_audit(
    *, case: Case, original_version: Any, auditor: User, acting: User | None
) -> Audit:
    return Audit.objects.create(
        case=case,
        tool_version=original_version,
        auditor=auditor,
        service_area=case.service_area,
        team=case.team,
        created_by=acting,
        updated_by=acting,
    )


# --- Re-audit draw -------------------------------------------------------------------

NO_AREA = "no-service-area"
# The most re-audits of one draw a person is given, unless the drawer says otherwise.
DEFAULT_REAUDIT_CAPACITY = 4


def stratum_of(case: Case) -> str:
    """The stratum of a case: its service area's slug, as in the cycle draw."""
    return case.service_area.slug if case.service_area is not None else NO_AREA


def _area_order(case: Case) -> int:
    return case.service_area.order if case.service_area is not None else 10_000


@dataclass(frozen=True)
class Unplaced:
    """A drawn case nobody may take."""

    entry: PoolEntry
    stratum: str
    rank: int


@dataclass(frozen=True)
class Placement(Unplaced):
    """A drawn case, who re-audits it and by when."""

    auditor: User
    due_date: date


@dataclass(frozen=True)
class AreaPlan:
    """One service area of a draw, by name: its pool, quota and the number drawn."""

    name: str
    pool: int
    quota: int
    drawn: int


@dataclass(frozen=True)
class ReauditorPlan:
    person: User
    due_dates: list[date]

    @property
    def count(self) -> int:
        return len(self.due_dates)


@dataclass
class ReAuditPlan:
    """What a draw would do, computed before anything is written: the preview shows it,
    and the confirmation draws exactly it (the same seed) or, if the pool has changed
    meanwhile, nothing."""

    quarter: str
    seed: str
    count: int | None
    share: float | None
    capacity: int | None
    today: date
    due_until: date
    strata: dict[str, dict[str, int]]
    areas: list[AreaPlan]
    placed: list[Placement]
    unplaced: list[Unplaced]

    @property
    def drawn(self) -> int:
        return len(self.placed) + len(self.unplaced)

    @property
    def by_reauditor(self) -> list[ReauditorPlan]:
        people: dict[int, ReauditorPlan] = {}
        for item in self.placed:
            plan = people.setdefault(item.auditor.pk, ReauditorPlan(item.auditor, []))
            plan.due_dates.append(item.due_date)
        for plan in people.values():
            plan.due_dates.sort()
        return sorted(
            people.values(),
            key=lambda p: (p.person.role != Role.HEAD_OF_SERVICE, str(p.person).casefold()),
        )

    @property
    def fingerprint(self) -> str:
        """What the confirmation must find again to draw: the cases, people and dates."""
        items = sorted(
            [(p.entry.case.child_id, p.auditor.pk, p.due_date.isoformat()) for p in self.placed]
            + [(p.entry.case.child_id, 0, "") for p in self.unplaced]
        )
        text = repr((self.quarter, self.seed, self.capacity, items))
        return hashlib.sha256(text.encode()).hexdigest()


def area_names(slugs: Iterable[str]) -> dict[str, str]:
    """Service areas by name, never by code (a slug)."""
    names = dict(ServiceArea.objects.filter(slug__in=list(slugs)).values_list("slug", "name"))
    names[NO_AREA] = "No service area"
    return names


def reaudit_due_until(quarter: str, today: date) -> date:
    """The last due date of a quarter's re-audits: the end of the quarter after it, when
    they are done, and never sooner than REAUDIT_DUE_DAYS after the draw."""
    _, last = quarter_bounds(quarter)
    _, following_last = quarter_bounds(quarter_of(last + timedelta(days=1)))
    return max(following_last, today + timedelta(days=REAUDIT_DUE_DAYS))


def spread_due_dates(count: int, *, today: date, until: date) -> list[date]:
    """`count` due dates spread evenly from the draw to `until`, the last on `until`:
    a person's re-audits fall due one after another, not all on one day."""
    span = (until - today).days
    return [today + timedelta(days=math.ceil(span * i / count)) for i in range(1, count + 1)]


def _validate_draw(
    quarter: str, *, count: int | None, share: float | None, capacity: int | None, today: date
) -> str:
    first_day, last_day = quarter_bounds(quarter)
    quarter = quarter_of(first_day)
    if today < last_day:
        raise ValidationError(
            {"quarter": f"{quarter} ends on {_long(last_day)}: draw its re-audits then."}
        )
    if count is not None and count < 1:
        raise ValidationError({"count": "Enter a number of cases of 1 or more."})
    if share is not None and not 0 < share <= 1:
        raise ValidationError({"share": "Enter a share between 1% and 100%."})
    if count is None and share is None:
        raise ValidationError("Give a number of cases or a share of the pool.")
    if capacity is not None and capacity < 1:
        raise ValidationError(
            {"capacity": "Enter how many re-audits one person can take (1 or more)."}
        )
    if ReAuditDraw.objects.filter(quarter=quarter).exists():
        raise ValidationError({"quarter": f"The re-audit sample of {quarter} has been drawn."})
    return quarter


def reaudit_draw_plan(
    *,
    quarter: str,
    count: int | None = None,
    share: float | None = None,
    capacity: int | None = None,
    today: date | None = None,
    seed: str | None = None,
) -> ReAuditPlan:
    """The draw a quarter would get, writing nothing: the sample, stratified by service
    area, each case given to a Head of Service of another area (else an auditor) whom the
    independence policy allows (qpa.cycles.independence), least loaded first, at most
    `capacity` each (None: no limit), with their due dates spread to `reaudit_due_until`."""
    today = today or timezone.localdate()
    quarter = _validate_draw(quarter, count=count, share=share, capacity=capacity, today=today)
    _, last_day = quarter_bounds(quarter)
    entries = [e for e in reaudit_pool(until=last_day) if not e.pending]
    by_child = {e.case.child_id: e for e in entries}
    frames: dict[str, list[str]] = {}
    for entry in sorted(entries, key=lambda e: (_area_order(e.case), e.case.child_id)):
        frames.setdefault(stratum_of(entry.case), []).append(entry.case.child_id)
    quotas = reaudit_quotas({s: len(ids) for s, ids in frames.items()}, count=count, share=share)
    seed = seed or new_seed()
    chosen = reaudit_choose(seed, frames, quotas)

    heads = list(User.objects.filter(role=Role.HEAD_OF_SERVICE, is_active=True).order_by("pk"))
    auditors = list(User.objects.filter(role=Role.AUDITOR, is_active=True).order_by("pk"))
    ties = independence.ties_of([*heads, *auditors])
    load: dict[int, int] = {}
    for row in ReAudit.objects.filter(reaudit__status=AuditStatus.DRAFT).values("auditor"):
        load[row["auditor"]] = load.get(row["auditor"], 0) + 1
    given: dict[int, int] = {}
    placed: list[tuple[PoolEntry, str, int, User]] = []
    unplaced: list[Unplaced] = []
    for stratum, ids in chosen.items():
        for rank, child_id in enumerate(ids, start=1):
            entry = by_child[child_id]
            barred = set(independence.barred_from_reauditing(entry.case))
            if capacity is not None:
                barred |= {pk for pk, n in given.items() if n >= capacity}
            auditor = _least_loaded(
                heads, load, entry.case, ties=ties, barred=barred
            ) or _least_loaded(auditors, load, entry.case, ties=ties, barred=barred)
            if auditor is None:
                unplaced.append(Unplaced(entry, stratum, rank))
                continue
            load[auditor.pk] = load.get(auditor.pk, 0) + 1
            given[auditor.pk] = given.get(auditor.pk, 0) + 1
            placed.append((entry, stratum, rank, auditor))
    due_until = reaudit_due_until(quarter, today)
    dates = {pk: spread_due_dates(n, today=today, until=due_until) for pk, n in given.items()}
    dated = [
        Placement(entry, stratum, rank, auditor, dates[auditor.pk].pop(0))
        for entry, stratum, rank, auditor in placed
    ]
    strata = {
        s: {"frame": len(frames[s]), "quota": quotas[s], "drawn": len(chosen[s])} for s in frames
    }
    names = area_names(strata)
    return ReAuditPlan(
        quarter=quarter,
        seed=seed,
        count=count,
        share=share,
        capacity=capacity,
        today=today,
        due_until=due_until,
        strata=strata,
        areas=[
            AreaPlan(names.get(s, s), row["frame"], row["quota"], row["drawn"])
            for s, row in strata.items()
        ],
        placed=dated,
        unplaced=unplaced,
    )


def _nobody_message(plan: ReAuditPlan) -> str:
    ids = sorted(p.entry.case.child_id for p in plan.unplaced)
    if plan.capacity is not None:
        return (
            f"{len(ids)} of the {plural(plan.drawn, 'case')} drawn cannot be given to anyone: "
            "everybody independent of them already has "
            f"{plan.capacity} re-audit{'s' if plan.capacity != 1 else ''} of this draw, or "
            "audited the case, works in its team or holds its area. Raise the number each "
            "person can take, or draw fewer cases. Nothing was drawn."
        )
    return (
        "Nobody independent of these cases can re-audit them (every Head of Service "
        "and auditor audited the case, works in its team or holds its area): "
        + ", ".join(ids)
        + ". Nothing was drawn."
    )


@transaction.atomic
def reaudit_draw(
    *,
    acting_user: User | None,
    quarter: str,
    count: int | None = None,
    share: float | None = None,
    capacity: int | None = None,
    today: date | None = None,
    seed: str | None = None,
    expected: str | None = None,
) -> ReAuditDraw:
    """Draw a quarter's re-audit sample as `reaudit_draw_plan` plans it, create the
    re-auditors' audits and tell each re-auditor. Once per quarter; all or nothing.
    `seed` and `expected` (the plan's fingerprint) come from the preview the drawer
    confirmed: if the pool changed since, nothing is drawn and they are asked to look
    again."""
    if acting_user is not None and not user_can(acting_user, Permission.DRAW_REAUDITS):
        raise PermissionDenied("Only managers draw the re-audit sample.")
    plan = reaudit_draw_plan(
        quarter=quarter, count=count, share=share, capacity=capacity, today=today, seed=seed
    )
    if expected is not None and plan.fingerprint != expected:
        raise ValidationError(
            "The re-audit pool or the people who can re-audit have changed since the "
            "preview. Nothing was drawn: check the new preview and confirm again."
        )
    if plan.unplaced:
        raise ValidationError(_nobody_message(plan))
    draw = ReAuditDraw.objects.create(
        quarter=plan.quarter,
        seed=plan.seed,
        requested_count=count,
        requested_share=share,
        strata=plan.strata,
        capacity=capacity,
        drawn_at=timezone.now(),
        drawn_by=acting_user,
        created_by=acting_user,
        updated_by=acting_user,
    )
    for item in plan.placed:
        second = _second_audit(
            case=item.entry.case,
            original_version=item.entry.original.tool_version,
            auditor=item.auditor,
            acting=acting_user,
        )
        reaudit = ReAudit.objects.create(
            draw=draw,
            original=item.entry.original,
            reaudit=second,
            auditor=item.auditor,
            rank=item.rank,
            due_date=item.due_date,
            created_by=acting_user,
            updated_by=acting_user,
        )
        _tell_reauditor(reaudit)
        event_record(
            action="reaudit.allocated",
            actor=acting_user,
            obj=second,
            data={"quarter": plan.quarter, "stratum": item.stratum, "rank": item.rank},
        )
    event_record(
        action="reaudit.drawn",
        actor=acting_user,
        obj=draw,
        child_ids=[p.entry.case.child_id for p in plan.placed],
        data={"quarter": plan.quarter, "drawn": plan.drawn, "capacity": capacity},
    )
    return draw


def _tell_reauditor(reaudit: ReAudit) -> None:
    case = reaudit.original.case
    due = reaudit.due_date
    notification_send(
        recipient=reaudit.auditor,
        kind="assurance.reaudit_allocated",
        subject=f"Re-audit case {case} by {_long(due)}",
        body=f"Case {case} was rated inadequate or critical and has been drawn for this "
        "quarter's re-audit. Audit it again with the same tool; the result is compared "
        "domain by domain with the earlier audit and sent to the directors.",
        url=reaudit.get_absolute_url(),
        links=[
            Link(
                label=case.child_id,
                url=reaudit.get_absolute_url(),
                detail=f"due {_long(due)}",
            )
        ],
        dedupe_key=f"assurance:reaudit-allocated:{reaudit.public_id}",
    )


# --- Comparison ----------------------------------------------------------------------

IMPROVED = "Improved"
UNCHANGED = "Unchanged"
DECLINED = "Declined"
NOT_COMPARABLE = "Not comparable"


def outcome(before: Rating | None, after: Rating | None) -> str:
    """By rank, 1 being the best."""
    if before is None or after is None:
        return NOT_COMPARABLE
    if after.rank < before.rank:
        return IMPROVED
    if after.rank > before.rank:
        return DECLINED
    return UNCHANGED


def effective_domain(row: DomainRating | None, audit: Audit) -> Rating | None:
    """The rating that counts: the agreed one once a moderation agreed it."""
    if row is None:
        return None
    if audit.agreed_at is not None:
        return None if row.agreed_not_applicable else row.agreed_rating
    return None if row.not_applicable else row.rating


def effective_overall(audit: Audit) -> Rating | None:
    return audit.agreed_overall_rating if audit.agreed_at is not None else audit.overall_rating


@dataclass(frozen=True)
class ComparisonRow:
    name: str
    before: Rating | None
    after: Rating | None
    outcome: str


def reaudit_comparison(reaudit: ReAudit) -> list[ComparisonRow]:
    """Domain by domain, then overall: the original's counted rating and the re-audit's."""
    original, second = reaudit.original, reaudit.reaudit
    before = {
        r.domain_id: r for r in original.domain_ratings.select_related("rating", "agreed_rating")
    }
    after = {r.domain_id: r for r in second.domain_ratings.select_related("rating")}
    rows = []
    for domain in original.tool_version.domains.order_by("order"):
        b = effective_domain(before.get(domain.pk), original)
        a = effective_domain(after.get(domain.pk), second)
        rows.append(ComparisonRow(domain.name, b, a, outcome(b, a)))
    b, a = effective_overall(original), second.overall_rating
    rows.append(ComparisonRow("Overall", b, a, outcome(b, a)))
    return rows


# --- After a submission --------------------------------------------------------------


def directors() -> list[User]:
    return list(
        User.objects.filter(
            role__in=[Role.ASSISTANT_DIRECTOR, Role.DEPUTY_DIRECTOR], is_active=True
        ).order_by("pk")
    )


def assurance_after_submit(*, audit: Audit, **_: Any) -> None:
    """Receives `audit_submitted` (qpa.audits.signals), in the submission's transaction:
    tell the directors of a completed re-audit; tell the moderator when both audits of a
    moderated case are in."""
    reaudit = ReAudit.objects.filter(reaudit=audit).select_related("original__case").first()
    if reaudit is not None:
        _reaudit_completed(reaudit, audit)
    moderation = (
        Moderation.objects.filter(Q(moderation_audit=audit) | Q(allocation__audit=audit))
        .select_related("moderation_audit", "allocation__audit", "moderator")
        .first()
    )
    if moderation is not None:
        _moderation_ready(moderation)


def _reaudit_completed(reaudit: ReAudit, audit: Audit) -> None:
    reaudit.reaudit = audit
    overall = reaudit_comparison(reaudit)[-1]
    case = reaudit.original.case
    for person in directors():
        notification_send(
            recipient=person,
            kind="assurance.reaudit_completed",
            subject=f"Re-audit of case {case} completed: {overall.outcome.lower()}",
            body=f"{audit.auditor_display} re-audited case {case}. Overall: "
            f"{overall.before or 'not rated'} before, {overall.after or 'not rated'} now "
            f"({overall.outcome.lower()}). The comparison shows each domain and whether the "
            "agreed actions were completed.",
            url=reaudit.get_absolute_url(),
            dedupe_key=f"assurance:reaudit-completed:{reaudit.public_id}:{audit.version}:"
            f"{person.pk}",
        )
    event_record(
        action="reaudit.completed",
        obj=audit,
        actor=audit.auditor,
        data={"outcome": overall.outcome, "quarter": reaudit.draw.quarter},
    )
    # The quarter's last re-audit is in: the directors get the final figures now.
    waiting = ReAudit.objects.filter(draw_id=reaudit.draw_id).exclude(
        reaudit__status=AuditStatus.SUBMITTED
    )
    if not waiting.exists():
        reaudit_summary_send(quarter=reaudit.draw.quarter, occasion=SummaryOccasion.ALL_DONE)


def _moderation_ready(moderation: Moderation) -> None:
    first = Audit.objects.filter(allocation_id=moderation.allocation_id).first()
    second = Audit.objects.get(pk=moderation.moderation_audit_id)
    if first is None or AuditStatus.DRAFT in (first.status, second.status):
        return
    notification_send(
        recipient=moderation.moderator,
        kind="assurance.moderation_ready",
        subject=f"Both audits of case {first.case} are in: record the agreed ratings",
        body="The first audit and your moderation audit have both been submitted. Compare "
        "them and record the agreed rating of each domain, with your reasons.",
        url=moderation.get_absolute_url(),
        dedupe_key=f"assurance:moderation-ready:{moderation.public_id}:{first.version}:"
        f"{second.version}",
    )


# --- Quarterly summary ---------------------------------------------------------------

# Tokens of the sends that carry no form token: the same quarter and figures, once.
SUMMARY_NAMESPACE = uuid.UUID("6c1f4d0e-5b8a-4c11-9d0e-0a9e2b7f3c21")


@dataclass
class QuarterSummary:
    quarter: str
    drawn: int = 0
    completed: int = 0
    improved: int = 0
    unchanged: int = 0
    declined: int = 0
    cleared: int = 0
    actions: int = 0
    actions_completed: int = 0

    @property
    def all_done(self) -> bool:
        return self.drawn > 0 and self.completed == self.drawn


@dataclass(frozen=True)
class AreaProgress:
    name: str
    drawn: int
    completed: int


def reaudit_summary(quarter: str) -> QuarterSummary:
    first_day, _ = quarter_bounds(quarter)
    quarter = quarter_of(first_day)
    summary = QuarterSummary(quarter=quarter)
    for reaudit in ReAudit.objects.filter(draw__quarter=quarter).select_related(
        "original", "reaudit__overall_rating__scale"
    ):
        summary.drawn += 1
        statuses = list(reaudit.original.actions.values_list("status", flat=True))
        summary.actions += len(statuses)
        summary.actions_completed += sum(s == ActionStatus.COMPLETED for s in statuses)
        if reaudit.reaudit.status != AuditStatus.SUBMITTED:
            continue
        summary.completed += 1
        result = reaudit_comparison(reaudit)[-1].outcome
        summary.improved += result == IMPROVED
        summary.unchanged += result == UNCHANGED
        summary.declined += result == DECLINED
        rating = reaudit.reaudit.overall_rating
        summary.cleared += rating is not None and rating.rank <= clear_rank(rating.scale)
    return summary


def reaudit_progress_by_area(quarter: str) -> list[AreaProgress]:
    """Each service area's re-audits of a quarter, drawn and done, by name: one query."""
    rows = (
        ReAudit.objects.filter(draw__quarter=quarter)
        .values("original__case__service_area__name", "original__case__service_area__order")
        .annotate(
            drawn=Count("pk"),
            completed=Count("pk", filter=Q(reaudit__status=AuditStatus.SUBMITTED)),
        )
        .order_by("original__case__service_area__order")
    )
    return [
        AreaProgress(
            name=row["original__case__service_area__name"] or "No service area",
            drawn=row["drawn"],
            completed=row["completed"],
        )
        for row in rows
    ]


def summary_text(summary: QuarterSummary, areas: list[AreaProgress]) -> str:
    by_area = "; ".join(f"{a.name}: {a.completed} of {a.drawn} done" for a in areas)
    return (
        f"Re-audits of {summary.quarter}: {summary.drawn} drawn, {summary.completed} "
        f"completed{f' ({by_area})' if by_area else ''}. Overall grade: {summary.improved} "
        f"improved, {summary.unchanged} unchanged, {summary.declined} declined; "
        f"{summary.cleared} left the re-audit pool. Agreed actions on the original audits: "
        f"{summary.actions_completed} of {summary.actions} completed. Each child ID below "
        "opens the comparison of the two audits."
    )


def _comparison_links(quarter: str, person: User) -> list[Link]:
    """The quarter's re-audits this person may open, each linking to its comparison."""
    links = []
    for reaudit in (
        reaudits_visible_to(user=person).filter(draw__quarter=quarter).order_by("rank", "pk")
    ):
        if reaudit.reaudit.status == AuditStatus.SUBMITTED:
            before = reaudit.original.overall_rating
            after = reaudit.reaudit.overall_rating
            result = outcome(before, after).lower()
            detail = f"{before or 'not rated'} before, {after or 'not rated'} now ({result})"
        else:
            detail = f"not done yet, due {_long(reaudit.due_date)}"
        links.append(
            Link(
                label=reaudit.original.case.child_id, url=reaudit.get_absolute_url(), detail=detail
            )
        )
    return links


def _figures_token(summary: QuarterSummary) -> uuid.UUID:
    return uuid.uuid5(SUMMARY_NAMESPACE, json.dumps(asdict(summary), sort_keys=True))


@transaction.atomic
def reaudit_summary_send(
    *,
    quarter: str,
    acting_user: User | None = None,
    token: uuid.UUID | None = None,
    occasion: str = SummaryOccasion.COMMAND,
) -> int:
    """The quarter's re-audit figures to every active Assistant and Deputy Director, with
    a link to each re-audit's comparison page they may open. Returns how many were told.

    Each send is one send: `token` is the page's one-time form token (a double click sends
    once; pressing the button again later sends again, with the figures of the moment).
    Without a token (the command, the automatic send when the last re-audit is in) the
    token comes from the quarter and its figures: the same figures go once, new ones go.
    """
    if acting_user is not None and not user_can(acting_user, Permission.DRAW_REAUDITS):
        raise PermissionDenied("Only managers send the re-audit summary.")
    summary = reaudit_summary(quarter)
    draw = ReAuditDraw.objects.filter(quarter=summary.quarter).first()
    if draw is None:
        raise ValidationError({"quarter": f"No re-audit sample was drawn for {summary.quarter}."})
    token = token or _figures_token(summary)
    if ReAuditSummarySend.objects.filter(token=token).exists():
        return 0
    now = timezone.now()
    try:
        with transaction.atomic():
            send = ReAuditSummarySend.objects.create(
                draw=draw,
                token=token,
                occasion=occasion,
                sent_at=now,
                sent_by=acting_user,
                figures=asdict(summary),
                created_by=acting_user,
                updated_by=acting_user,
            )
    except IntegrityError:
        return 0  # the same send, racing
    body = summary_text(summary, reaudit_progress_by_area(summary.quarter))
    url = reverse("assurance:reaudit-quarter", kwargs={"quarter": summary.quarter})
    sent = 0
    for person in directors():
        notification = notification_send(
            recipient=person,
            kind="assurance.reaudit_summary",
            subject=f"Re-audit summary for {summary.quarter}: {summary.completed} of "
            f"{summary.drawn} done",
            body=body,
            url=url,
            links=_comparison_links(summary.quarter, person),
            dedupe_key=f"assurance:reaudit-summary:{send.token}:{person.pk}",
        )
        sent += notification is not None
    ReAuditSummarySend.objects.filter(pk=send.pk).update(recipients=sent)
    ReAuditDraw.objects.filter(pk=draw.pk).update(summary_sent_at=now)
    event_record(
        action="reaudit.summary_sent",
        actor=acting_user,
        obj=draw,
        data={"quarter": summary.quarter, "sent": sent, "occasion": occasion},
    )
    return sent


# --- Moderation draw -----------------------------------------------------------------


def moderation_share_percent() -> int:
    return int(getattr(settings, "QPA_MODERATION_SHARE_PERCENT", 10))


@transaction.atomic
def moderation_draw(
    *,
    acting_user: User | None,
    cycle: Cycle,
    share_percent: int | None = None,
    seed: str | None = None,
) -> ModerationDraw:
    """Draw a share of an allocated cycle's cases at random (HMAC rank of a stored seed)
    and give each to a moderator independent of the case and its first auditor: the
    cycle's auditors first, least loaded first. Once per cycle; all or nothing. `seed`
    is for a draw that must come out the same again (the demo council, tests); normally
    a fresh one is generated."""
    if acting_user is not None and acting_user.role not in ASSURANCE_MANAGERS:
        raise PermissionDenied("Only cycle managers draw the moderation sample.")
    percent = share_percent if share_percent is not None else moderation_share_percent()
    if not 1 <= percent <= 100:
        raise ValidationError({"share_percent": "Enter a share between 1% and 100%."})
    if cycle.status != CycleStatus.ALLOCATED:
        raise ValidationError("Allocate the cycle before drawing its moderation sample.")
    if ModerationDraw.objects.filter(cycle=cycle).exists():
        raise ValidationError("This cycle's moderation sample has been drawn.")
    allocations = {
        a.sampled_case.case.child_id: a
        for a in Allocation.objects.filter(sampled_case__cycle=cycle)
        .exclude(status=AllocationStatus.WITHDRAWN)
        .select_related("sampled_case__case__team", "sampled_case__case__service_area", "auditor")
    }
    seed = seed or new_seed()
    k = math.ceil(len(allocations) * percent / 100 - 1e-9)
    chosen = ranked(seed, MODERATION_STRATUM, allocations)[:k]
    now = timezone.now()
    draw = ModerationDraw.objects.create(
        cycle=cycle,
        share=percent / 100,
        seed=seed,
        frame_size=len(allocations),
        drawn_at=now,
        drawn_by=acting_user,
        created_by=acting_user,
        updated_by=acting_user,
    )
    in_cycle = [
        place.auditor for place in cycle.auditors.select_related("auditor").order_by("auditor_id")
    ]
    others = list(
        User.objects.filter(role__in=[Role.AUDITOR, Role.HEAD_OF_SERVICE], is_active=True)
        .exclude(pk__in=[u.pk for u in in_cycle])
        .order_by("pk")
    )
    ties = independence.ties_of([*in_cycle, *others])
    load: dict[int, int] = {}
    nobody = []
    version = cycle.tool_version or cycle.tool.current_version
    for rank, child_id in enumerate(chosen, start=1):
        allocation = allocations[child_id]
        case = allocation.sampled_case.case
        barred = independence.barred_from_moderating(allocation)
        moderator = _least_loaded(in_cycle, load, case, ties=ties, barred=barred) or _least_loaded(
            others, load, case, ties=ties, barred=barred
        )
        if moderator is None:
            nobody.append(child_id)
            continue
        load[moderator.pk] = load.get(moderator.pk, 0) + 1
        second = _second_audit(
            case=case, original_version=version, auditor=moderator, acting=acting_user
        )
        moderation = Moderation.objects.create(
            draw=draw,
            allocation=allocation,
            moderator=moderator,
            moderation_audit=second,
            rank=rank,
            created_by=acting_user,
            updated_by=acting_user,
        )
        _tell_moderator(moderation, case, cycle)
        event_record(
            action="moderation.allocated", actor=acting_user, obj=second, data={"rank": rank}
        )
    if nobody:
        raise ValidationError(
            "Nobody independent of these cases can moderate them: "
            + ", ".join(sorted(nobody))
            + ". Nothing was drawn."
        )
    # A first audit submitted before the draw is blind to its moderator now: reports
    # stop counting it until the moderator's audit is in (qpa.audits.blind).
    counted_ratings_changed.send(
        sender=Moderation,
        audit_ids=list(
            Audit.objects.filter(
                allocation__moderation__draw=draw, status=AuditStatus.SUBMITTED
            ).values_list("pk", flat=True)
        ),
    )
    event_record(
        action="moderation.drawn",
        actor=acting_user,
        obj=draw,
        child_ids=chosen,
        data={"cycle": str(cycle.public_id), "drawn": len(chosen), "percent": percent},
    )
    return draw


def _tell_moderator(moderation: Moderation, case: Case, cycle: Cycle) -> None:
    notification_send(
        recipient=moderation.moderator,
        kind="assurance.moderation_allocated",
        subject=f"Moderate case {case} by {cycle.due_date:%-d %B %Y}",
        body=f"Case {case} of {cycle} has been drawn for blind moderation. Audit it "
        "yourself: you will see the first auditor's ratings once both audits are "
        "submitted, and then record the agreed ratings.",
        url=moderation.get_absolute_url(),
        dedupe_key=f"assurance:moderation-allocated:{moderation.public_id}",
    )


# --- Agreeing ------------------------------------------------------------------------


@dataclass(frozen=True)
class Agreed:
    rating: Rating | None
    not_applicable: bool
    reason: str


@dataclass(frozen=True)
class PairRow:
    domain: Domain | None  # None: the overall judgement
    first: DomainRating | None
    second: DomainRating | None
    first_rating: Rating | None
    second_rating: Rating | None
    first_na: bool
    second_na: bool

    @property
    def name(self) -> str:
        return self.domain.name if self.domain else "Overall"

    @property
    def agree(self) -> bool:
        return (self.first_rating, self.first_na) == (self.second_rating, self.second_na)


def moderation_pairs(moderation: Moderation) -> list[PairRow]:
    """Each domain of the tool, then overall: the first and the moderator's ratings.
    Callers must have checked the blind rule; this reads both audits."""
    first = moderation.allocation.audit
    second = moderation.moderation_audit
    ones = {r.domain_id: r for r in first.domain_ratings.select_related("rating", "agreed_rating")}
    twos = {r.domain_id: r for r in second.domain_ratings.select_related("rating")}
    rows = []
    for domain in first.tool_version.domains.order_by("order"):
        a, b = ones.get(domain.pk), twos.get(domain.pk)
        rows.append(
            PairRow(
                domain=domain,
                first=a,
                second=b,
                first_rating=a.rating if a else None,
                second_rating=b.rating if b else None,
                first_na=bool(a and a.not_applicable),
                second_na=bool(b and b.not_applicable),
            )
        )
    rows.append(
        PairRow(
            domain=None,
            first=None,
            second=None,
            first_rating=first.overall_rating,
            second_rating=second.overall_rating,
            first_na=False,
            second_na=False,
        )
    )
    return rows


def both_submitted(moderation: Moderation) -> bool:
    first = Audit.objects.filter(allocation_id=moderation.allocation_id).first()
    return (
        first is not None
        and first.status == AuditStatus.SUBMITTED
        and moderation.moderation_audit.status == AuditStatus.SUBMITTED
    )


@transaction.atomic
def moderation_agree(
    *,
    acting_user: User,
    moderation: Moderation,
    domains: Mapping[int, Agreed],
    overall: Agreed,
) -> Moderation:
    """The moderator records the agreed rating of every domain and overall, once both
    audits are submitted. A reason is required wherever the two audits differ or the
    agreed rating differs from the first audit's. The agreed ratings go on the first
    audit (the one reports count); neither audit's own ratings change."""
    if acting_user.pk != moderation.moderator_id:
        raise PermissionDenied("Only the moderator records the agreed ratings.")
    moderation = Moderation.objects.select_related(
        "allocation__audit__tool_version__tool__scale", "moderation_audit"
    ).get(pk=moderation.pk)
    if not both_submitted(moderation):
        raise ValidationError("Both audits must be submitted before the ratings are agreed.")
    if moderation.agreed_at is not None:
        raise ValidationError("The agreed ratings of this moderation have been recorded.")
    first = moderation.allocation.audit
    scale_id = first.tool_version.tool.scale_id
    errors: dict[str, list[str]] = {}
    rows = moderation_pairs(moderation)
    for row in rows:
        key = f"domain_{row.domain.pk}" if row.domain else "overall"
        agreed = domains.get(row.domain.pk) if row.domain else overall
        if agreed is None or (agreed.rating is None and not agreed.not_applicable):
            errors.setdefault(key, []).append(f"Choose the agreed rating of {row.name}.")
            continue
        if agreed.rating is not None and agreed.rating.scale_id != scale_id:
            errors.setdefault(key, []).append("Choose a rating of this tool's scale.")
        if agreed.not_applicable and (row.domain is None or not row.domain.allows_not_applicable):
            errors.setdefault(key, []).append(f"{row.name} cannot be not applicable.")
        chosen = (agreed.rating, agreed.not_applicable)
        needs_reason = not row.agree or chosen != (row.first_rating, row.first_na)
        if needs_reason and not agreed.reason.strip():
            errors.setdefault(key, []).append(
                f"Give the reason for the agreed rating of {row.name}."
            )
        if len(agreed.reason) > MAX_REASON:
            errors.setdefault(key, []).append(f"Keep the reason to {MAX_REASON:,} characters.")
    if errors:
        raise ValidationError(errors)
    now = timezone.now()
    moved = Moderation.objects.filter(pk=moderation.pk, agreed_at__isnull=True).update(
        agreed_at=now, agreed_by=acting_user, updated_at=now, updated_by=acting_user
    )
    if not moved:
        raise ValidationError("The agreed ratings of this moderation have been recorded.")
    for row in rows:
        if row.domain is None:
            continue
        agreed = domains[row.domain.pk]
        DomainRating.objects.filter(audit=first, domain=row.domain).update(
            agreed_rating=None if agreed.not_applicable else agreed.rating,
            agreed_not_applicable=agreed.not_applicable,
            agreed_reason=agreed.reason.strip(),
        )
    Audit.objects.filter(pk=first.pk).update(
        agreed_overall_rating=overall.rating,
        agreed_overall_reason=overall.reason.strip(),
        agreed_at=now,
    )
    # The agreed ratings are what reports count: recount the first audit's month now.
    counted_ratings_changed.send(sender=Moderation, audit_ids=[first.pk])
    changed = overall.rating is not None and overall.rating != first.overall_rating
    event_record(
        action="moderation.agreed",
        actor=acting_user,
        obj=first,
        data={"moderation": str(moderation.public_id), "overall_changed": changed},
    )
    moderation.refresh_from_db()
    return moderation
