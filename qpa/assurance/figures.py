"""The figures of the assurance pages, read from the database: agreement between first
audits and their blind moderation, and the quality of the audit process itself. Counts
and names of staff only: no case detail."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Collection
from dataclasses import dataclass
from datetime import date, datetime, time

from django.db.models import Count, Q
from django.utils import timezone

from qpa.actions.models import ActionStatus
from qpa.actions.selectors import actions_in_figures
from qpa.assurance.agreement import Agreement, agreement, share_changed
from qpa.assurance.models import Moderation, ReAudit
from qpa.audits.blind import withheld_from_figures
from qpa.audits.models import Audit, AuditStatus, Captured
from qpa.cycles.models import Allocation, AllocationStatus


@dataclass(frozen=True)
class AgreementRow:
    label: str
    figures: Agreement


@dataclass(frozen=True)
class AgreementFigures:
    overall_grade: Agreement
    all_domains: Agreement
    by_domain: list[AgreementRow]
    by_auditor: list[AgreementRow]
    by_cycle: list[AgreementRow]
    moderated: int
    agreed: int
    changed: float | None


def agreement_figures(*, cycle_ids: Collection[int] | None = None) -> AgreementFigures:
    """Pairs from every moderation whose two audits are both submitted; only those of
    these cycles when `cycle_ids` is given (a report's period or theme)."""
    moderations = Moderation.objects.filter(
        allocation__audit__status=AuditStatus.SUBMITTED,
        moderation_audit__status=AuditStatus.SUBMITTED,
    )
    if cycle_ids is not None:
        moderations = moderations.filter(draw__cycle_id__in=list(cycle_ids))
    moderations = moderations.select_related(
        "draw__cycle__tool",
        "allocation__audit__overall_rating",
        "allocation__audit__agreed_overall_rating",
        "allocation__audit__auditor",
        "allocation__audit__tool_version__tool__scale",
        "moderation_audit__overall_rating",
    ).order_by("draw__cycle__month", "pk")
    k = 0
    overall: list[tuple[int, int]] = []
    domains: list[tuple[int, int]] = []
    by_domain: dict[str, list[tuple[int, int]]] = defaultdict(list)
    by_auditor: dict[str, list[tuple[int, int]]] = defaultdict(list)
    by_cycle: dict[str, list[tuple[int, int]]] = defaultdict(list)
    changes: list[tuple[int, int]] = []
    count = 0
    for moderation in moderations:
        first, second = moderation.allocation.audit, moderation.moderation_audit
        count += 1
        k = max(k, first.tool_version.tool.scale.ratings.count())
        if first.overall_rating and second.overall_rating:
            overall.append((first.overall_rating.rank, second.overall_rating.rank))
        if first.agreed_at is not None and first.overall_rating and first.agreed_overall_rating:
            changes.append((first.overall_rating.rank, first.agreed_overall_rating.rank))
        twos = {
            r.domain_id: r.rating.rank
            for r in second.domain_ratings.select_related("rating")
            if r.rating is not None
        }
        auditor = first.auditor_display
        cycle = str(moderation.draw.cycle)
        for row in first.domain_ratings.select_related("rating", "domain").order_by(
            "domain__order"
        ):
            if row.rating is None or row.domain_id not in twos:
                continue
            pair = (row.rating.rank, twos[row.domain_id])
            domains.append(pair)
            by_domain[row.domain.name].append(pair)
            by_auditor[auditor].append(pair)
            by_cycle[cycle].append(pair)
    k = max(k, 2)

    def rows(groups: dict[str, list[tuple[int, int]]]) -> list[AgreementRow]:
        return [AgreementRow(label, agreement(pairs, k)) for label, pairs in groups.items()]

    return AgreementFigures(
        overall_grade=agreement(overall, k),
        all_domains=agreement(domains, k),
        by_domain=rows(by_domain),
        by_auditor=sorted(rows(by_auditor), key=lambda r: r.label),
        by_cycle=rows(by_cycle),
        moderated=count,
        agreed=len(changes),
        changed=share_changed(changes),
    )


@dataclass(frozen=True)
class OverdueRow:
    auditor: str
    overdue: int


@dataclass(frozen=True)
class QualityFigures:
    due: int
    on_time: int
    overdue_by_auditor: list[OverdueRow]
    overdue_actions: int
    open_actions: int
    voice_recorded: int
    voice_captured: int

    @property
    def on_time_share(self) -> float | None:
        return self.on_time / self.due if self.due else None

    @property
    def voice_share(self) -> float | None:
        return self.voice_captured / self.voice_recorded if self.voice_recorded else None


def quality_figures(
    *,
    today: date | None = None,
    period_from: date | None = None,
    period_to: date | None = None,
) -> QualityFigures:
    """Allocations and re-audits whose due date has passed or that are done: how many
    were submitted by their due date; what is overdue, per auditor; overdue actions; and
    the share of audits done in QPA that captured the child's lived experience.

    With a period (a report's), the figures of that period as they stood at its end (or
    today, if sooner): allocations and re-audits due in it, audits submitted in it, and
    actions open and overdue at its end."""
    today = today or timezone.localdate()
    as_at = min(today, period_to) if period_to else today
    in_period = period_from is not None and period_to is not None

    def done_by(audit: Audit | None) -> bool:
        return (
            audit is not None
            and audit.status == AuditStatus.SUBMITTED
            and (not in_period or (audit.audit_date is not None and audit.audit_date <= as_at))
        )

    due = 0
    on_time = 0
    overdue: dict[str, int] = defaultdict(int)
    allocations = Allocation.objects.exclude(status=AllocationStatus.WITHDRAWN)
    reaudits = ReAudit.objects.all()
    if in_period:
        allocations = allocations.filter(due_date__range=(period_from, period_to))
        reaudits = reaudits.filter(due_date__range=(period_from, period_to))
    for allocation in allocations.select_related("auditor", "audit"):
        audit: Audit | None = getattr(allocation, "audit", None)
        submitted = done_by(audit)
        if not submitted and allocation.due_date >= as_at:
            continue
        due += 1
        if submitted and audit is not None and audit.audit_date is not None:
            on_time += audit.audit_date <= allocation.due_date
        elif not submitted:
            overdue[str(allocation.auditor)] += 1
    for reaudit in reaudits.select_related("auditor", "reaudit"):
        second = reaudit.reaudit
        submitted = done_by(second)
        if not submitted and reaudit.due_date >= as_at:
            continue
        due += 1
        if submitted and second.audit_date is not None:
            on_time += second.audit_date <= reaudit.due_date
        elif not submitted:
            overdue[str(reaudit.auditor)] += 1
    # Like every figure, not the actions and audits still blind to somebody (decision 0106).
    open_actions = actions_in_figures().exclude(status=ActionStatus.COMPLETED)
    audits = Audit.objects.filter(status=AuditStatus.SUBMITTED, moderation_of__isnull=True).exclude(
        pk__in=withheld_from_figures()
    )
    if in_period:
        end = timezone.make_aware(datetime.combine(as_at, time.max))
        open_actions = (
            actions_in_figures()
            .filter(created_at__lte=end)
            .filter(Q(completed_at__isnull=True) | Q(completed_at__gt=end))
        )
        audits = audits.filter(audit_date__range=(period_from, as_at))
    voice = (
        audits.exclude(child_experience_captured="")
        .values("child_experience_captured")
        .annotate(n=Count("pk"))
        .order_by()
    )
    recorded = sum(row["n"] for row in voice)
    captured = sum(
        row["n"]
        for row in voice
        if row["child_experience_captured"] in (Captured.YES, Captured.PARTLY)
    )
    return QualityFigures(
        due=due,
        on_time=on_time,
        overdue_by_auditor=[
            OverdueRow(name, n) for name, n in sorted(overdue.items(), key=lambda i: (-i[1], i[0]))
        ],
        overdue_actions=open_actions.filter(due_date__lt=as_at).count(),
        open_actions=open_actions.count(),
        voice_recorded=recorded,
        voice_captured=captured,
    )
