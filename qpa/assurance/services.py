"""Writes of the assurance loop: draw the quarterly re-audit sample, draw the moderation
share of a cycle, record agreed ratings, and what happens when either kind of second
audit is submitted. docs/reaudit.md, docs/moderation.md, decisions 0070-0072."""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import F, Q, QuerySet
from django.utils import timezone

from qpa.accounts.models import Role, User
from qpa.assurance.models import Moderation, ModerationDraw, ReAudit, ReAuditDraw
from qpa.assurance.selectors import ASSURANCE_MANAGERS, REAUDIT_DRAWERS
from qpa.audits.models import Audit, AuditStatus, DomainRating
from qpa.cases.models import Case
from qpa.core.events import event_record
from qpa.cycles.models import Allocation, AllocationStatus, Cycle, CycleStatus
from qpa.cycles.sampling import new_seed, proportional_quotas, ranked
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
    """Submitted audits that are neither a moderation nor a re-audit."""
    return Audit.objects.filter(
        status=AuditStatus.SUBMITTED,
        audit_date__isnull=False,
        moderation_of__isnull=True,
        reaudit_of__isnull=True,
    )


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


def _own_team(user: User, case: Case) -> bool:
    team = case.team
    if team is None:
        return False
    return team.manager_id == user.pk or user.teams.filter(pk=team.pk).exists()


def _responsible_for(user: User, case: Case) -> bool:
    return (
        case.service_area_id is not None
        and user.service_areas.filter(pk=case.service_area_id).exists()
    )


def independent(user: User, case: Case, *, not_these: Iterable[int | None]) -> bool:
    """May `user` give a case a second look: not one of `not_these` (the first auditor),
    not in or managing the case's team, not the Head of Service for its area."""
    return (
        user.is_active
        and user.pk not in set(not_these)
        and not _own_team(user, case)
        and not _responsible_for(user, case)
    )


def _least_loaded(
    candidates: Sequence[User], load: dict[int, int], case: Case, not_these: Iterable[int | None]
) -> User | None:
    able = [u for u in candidates if independent(u, case, not_these=list(not_these))]
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


def stratum_of(case: Case) -> str:
    """The stratum of a case: its service area's slug, as in the cycle draw."""
    return case.service_area.slug if case.service_area is not None else NO_AREA


def _area_order(case: Case) -> int:
    return case.service_area.order if case.service_area is not None else 10_000


@transaction.atomic
def reaudit_draw(
    *,
    acting_user: User | None,
    quarter: str,
    count: int | None = None,
    share: float | None = None,
    today: date | None = None,
) -> ReAuditDraw:
    """Draw a quarter's re-audit sample from the pool, stratified by service area, and
    give each case to a Head of Service of another area (else an auditor) who neither
    audited it nor belongs to its team. Once per quarter; all or nothing."""
    if acting_user is not None and acting_user.role not in REAUDIT_DRAWERS:
        raise PermissionDenied("Only managers draw the re-audit sample.")
    first_day, last_day = quarter_bounds(quarter)
    quarter = quarter_of(first_day)
    today = today or timezone.localdate()
    if today < last_day:
        raise ValidationError(
            {"quarter": f"{quarter} ends on {last_day:%-d %B %Y}: draw its re-audits then."}
        )
    if count is not None and count < 1:
        raise ValidationError({"count": "Enter a number of cases of 1 or more."})
    if share is not None and not 0 < share <= 1:
        raise ValidationError({"share": "Enter a share between 1% and 100%."})
    if count is None and share is None:
        raise ValidationError("Give a number of cases or a share of the pool.")
    if ReAuditDraw.objects.filter(quarter=quarter).exists():
        raise ValidationError({"quarter": f"The re-audit sample of {quarter} has been drawn."})

    entries = [e for e in reaudit_pool(until=last_day) if not e.pending]
    by_child = {e.case.child_id: e for e in entries}
    frames: dict[str, list[str]] = {}
    for entry in sorted(entries, key=lambda e: (_area_order(e.case), e.case.child_id)):
        frames.setdefault(stratum_of(entry.case), []).append(entry.case.child_id)
    quotas = reaudit_quotas({s: len(ids) for s, ids in frames.items()}, count=count, share=share)
    seed = new_seed()
    chosen = reaudit_choose(seed, frames, quotas)

    now = timezone.now()
    draw = ReAuditDraw.objects.create(
        quarter=quarter,
        seed=seed,
        requested_count=count,
        requested_share=share,
        strata={
            s: {"frame": len(frames[s]), "quota": quotas[s], "drawn": len(chosen[s])}
            for s in frames
        },
        drawn_at=now,
        drawn_by=acting_user,
        created_by=acting_user,
        updated_by=acting_user,
    )
    heads = list(User.objects.filter(role=Role.HEAD_OF_SERVICE, is_active=True).order_by("pk"))
    auditors = list(User.objects.filter(role=Role.AUDITOR, is_active=True).order_by("pk"))
    load: dict[int, int] = {}
    for row in ReAudit.objects.filter(reaudit__status=AuditStatus.DRAFT).values("auditor"):
        load[row["auditor"]] = load.get(row["auditor"], 0) + 1
    nobody: list[str] = []
    due = today + timedelta(days=REAUDIT_DUE_DAYS)
    for stratum, ids in chosen.items():
        for rank, child_id in enumerate(ids, start=1):
            entry = by_child[child_id]
            not_these = {entry.original.auditor_id}
            not_these |= set(
                Audit.objects.filter(case=entry.case).values_list("auditor_id", flat=True)
            )
            auditor = _least_loaded(heads, load, entry.case, not_these) or _least_loaded(
                auditors, load, entry.case, not_these
            )
            if auditor is None:
                nobody.append(child_id)
                continue
            load[auditor.pk] = load.get(auditor.pk, 0) + 1
            second = _second_audit(
                case=entry.case,
                original_version=entry.original.tool_version,
                auditor=auditor,
                acting=acting_user,
            )
            reaudit = ReAudit.objects.create(
                draw=draw,
                original=entry.original,
                reaudit=second,
                auditor=auditor,
                rank=rank,
                due_date=due,
                created_by=acting_user,
                updated_by=acting_user,
            )
            _tell_reauditor(reaudit)
            event_record(
                action="reaudit.allocated",
                actor=acting_user,
                obj=second,
                data={"quarter": quarter, "stratum": stratum, "rank": rank},
            )
    if nobody:
        raise ValidationError(
            "Nobody independent of these cases can re-audit them (every Head of Service "
            "and auditor audited the case, works in its team or holds its area): "
            + ", ".join(sorted(nobody))
            + ". Nothing was drawn."
        )
    event_record(
        action="reaudit.drawn",
        actor=acting_user,
        obj=draw,
        child_ids=[c for ids in chosen.values() for c in ids],
        data={"quarter": quarter, "drawn": sum(len(ids) for ids in chosen.values())},
    )
    return draw


def _tell_reauditor(reaudit: ReAudit) -> None:
    from qpa.notifications.services import notification_send

    case = reaudit.original.case
    notification_send(
        recipient=reaudit.auditor,
        kind="assurance.reaudit_allocated",
        subject=f"Re-audit case {case} by {reaudit.due_date:%-d %B %Y}",
        body=f"Case {case} was rated inadequate or critical and has been drawn for this "
        "quarter's re-audit. Audit it again with the same tool; the result is compared "
        "domain by domain with the earlier audit and sent to the directors.",
        url=reaudit.get_absolute_url(),
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


def assurance_after_submit(*, audit: Audit) -> None:
    """Called by qpa.audits.services.audit_submit, in its transaction, after its own work:
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
    from qpa.notifications.services import notification_send

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


def _moderation_ready(moderation: Moderation) -> None:
    from qpa.notifications.services import notification_send

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


def reaudit_summary(quarter: str) -> QuarterSummary:
    from qpa.actions.models import ActionStatus

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


@transaction.atomic
def reaudit_summary_send(*, quarter: str, acting_user: User | None = None) -> int:
    """The quarter's re-audit figures to every Assistant and Deputy Director, once each."""
    from django.urls import reverse

    from qpa.notifications.services import notification_send

    summary = reaudit_summary(quarter)
    draw = ReAuditDraw.objects.filter(quarter=summary.quarter).first()
    if draw is None:
        raise ValidationError({"quarter": f"No re-audit sample was drawn for {summary.quarter}."})
    body = (
        f"Re-audits of {summary.quarter}: {summary.drawn} drawn, {summary.completed} "
        f"completed. Overall grade: {summary.improved} improved, {summary.unchanged} "
        f"unchanged, {summary.declined} declined; {summary.cleared} left the re-audit pool. "
        f"Agreed actions on the original audits: {summary.actions_completed} of "
        f"{summary.actions} completed."
    )
    sent = 0
    for person in directors():
        notification = notification_send(
            recipient=person,
            kind="assurance.reaudit_summary",
            subject=f"Re-audit summary for {summary.quarter}",
            body=body,
            url=reverse("assurance:reaudit-list") + f"?quarter={summary.quarter}",
            dedupe_key=f"assurance:reaudit-summary:{summary.quarter}:{person.pk}",
        )
        sent += notification is not None
    ReAuditDraw.objects.filter(pk=draw.pk).update(summary_sent_at=timezone.now())
    event_record(
        action="reaudit.summary_sent",
        actor=acting_user,
        obj=draw,
        data={"quarter": summary.quarter, "sent": sent},
    )
    return sent


# --- Moderation draw -----------------------------------------------------------------


def moderation_share_percent() -> int:
    return int(getattr(settings, "QPA_MODERATION_SHARE_PERCENT", 10))


@transaction.atomic
def moderation_draw(
    *, acting_user: User | None, cycle: Cycle, share_percent: int | None = None
) -> ModerationDraw:
    """Draw a share of an allocated cycle's cases at random (HMAC rank of a stored seed)
    and give each to a moderator independent of the case and its first auditor: the
    cycle's auditors first, least loaded first. Once per cycle; all or nothing."""
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
    seed = new_seed()
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
    load: dict[int, int] = {}
    nobody = []
    version = cycle.tool_version or cycle.tool.current_version
    for rank, child_id in enumerate(chosen, start=1):
        allocation = allocations[child_id]
        case = allocation.sampled_case.case
        not_these = {allocation.auditor_id}
        moderator = _least_loaded(in_cycle, load, case, not_these) or _least_loaded(
            others, load, case, not_these
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
    event_record(
        action="moderation.drawn",
        actor=acting_user,
        obj=draw,
        child_ids=chosen,
        data={"cycle": str(cycle.public_id), "drawn": len(chosen), "percent": percent},
    )
    return draw


def _tell_moderator(moderation: Moderation, case: Case, cycle: Cycle) -> None:
    from qpa.notifications.services import notification_send

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
    from qpa.reports.services import report_aggregates_refresh

    report_aggregates_refresh(audit_ids=[first.pk])
    changed = overall.rating is not None and overall.rating != first.overall_rating
    event_record(
        action="moderation.agreed",
        actor=acting_user,
        obj=first,
        data={"moderation": str(moderation.public_id), "overall_changed": changed},
    )
    moderation.refresh_from_db()
    return moderation
