"""Retention: how long a closed case and its audits are kept, legal holds, and the purge.

The rules, per record type (the periods come from settings, the council's schedule):

- a closed case, with its audits and all that followed them (ratings, history, alerts,
  replies, follow-up actions, re-audits, moderations) and its sampling records: kept for
  QPA_RETENTION_CLOSED_CASE_YEARS after it closed, or longer when a longer rule applies:
  QPA_RETENTION_CHILD_PROTECTION_YEARS after closing for a child who had a child protection
  plan, and until the QPA_RETENTION_LOOKED_AFTER_AGE birthday for a child who was looked
  after (that many years after closing when the date of birth is unknown);
- an open case, or a closed one without a closing date: kept;
- a case under legal hold: kept, whatever its dates;
- the event log: kept. `qpa purge` never deletes an entry; the purge itself is recorded.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import ProtectedError, Q, RestrictedError

from qpa.actions.models import Action
from qpa.assurance.models import Moderation, ReAudit
from qpa.audits.models import (
    Audit,
    AuditAlert,
    AuditChange,
    AuditReply,
    DomainRating,
    RecommendedAction,
)
from qpa.cases.models import Case, CaseStatus
from qpa.core.events import event_record
from qpa.cycles.models import Allocation, SampledCase
from qpa.notifications.models import Notification
from qpa.reports.services import report_aggregates_refresh


@dataclass(frozen=True)
class Retention:
    case: Case
    keep_until: date | None  # None: kept while the case is open or undated
    rule: str

    def due(self, today: date) -> bool:
        return self.keep_until is not None and self.keep_until <= today


def retention_of(case: Case) -> Retention:
    if case.status != CaseStatus.CLOSED:
        return Retention(case, None, "open case: kept")
    if case.closed_on is None:
        return Retention(case, None, "closed without a closing date: kept")
    closed_years = settings.QPA_RETENTION_CLOSED_CASE_YEARS
    rules = [(add_years(case.closed_on, closed_years), f"{closed_years} years after closing")]
    if case.cp_plan_start_date:
        years = settings.QPA_RETENTION_CHILD_PROTECTION_YEARS
        rules.append(
            (add_years(case.closed_on, years), f"child protection: {years} years after closing")
        )
    if case.looked_after_start_date:
        age = settings.QPA_RETENTION_LOOKED_AFTER_AGE
        if case.date_of_birth:
            rules.append((add_years(case.date_of_birth, age), f"looked after: to age {age}"))
        else:
            rules.append(
                (
                    add_years(case.closed_on, age),
                    f"looked after, no date of birth: {age} years after closing",
                )
            )
    keep_until, rule = max(rules)
    return Retention(case, keep_until, rule)


def add_years(day: date, years: int) -> date:
    try:
        return day.replace(year=day.year + years)
    except ValueError:  # 29 February in a year that has none
        return day.replace(year=day.year + years, day=28)


@dataclass
class PurgeReport:
    today: date
    applied: bool
    due: list[Retention] = field(default_factory=list)
    held: list[Retention] = field(default_factory=list)
    # child ID -> why the purge could not delete it (a record that must stay points at it).
    blocked: dict[str, str] = field(default_factory=dict)
    deleted: dict[str, int] = field(default_factory=dict)

    @property
    def purged_child_ids(self) -> list[str]:
        return [r.case.child_id for r in self.due if r.case.child_id not in self.blocked]


def purge(*, today: date, apply: bool, acting_user: Any = None) -> PurgeReport:
    """Find the closed cases past retention; with `apply`, delete them with their audits
    and sampling records, and record the purge in the event log, in one transaction."""
    report = PurgeReport(today=today, applied=apply)
    with transaction.atomic():
        closed = Case.objects.filter(status=CaseStatus.CLOSED).order_by("child_id")
        if apply:
            closed = closed.select_for_update()
        for case in closed:
            retention = retention_of(case)
            if not retention.due(today):
                continue
            (report.held if case.legal_hold else report.due).append(retention)
        if not apply:
            return report
        for retention in report.due:
            try:
                with transaction.atomic():
                    for label, count in _delete_case(retention.case).items():
                        report.deleted[label] = report.deleted.get(label, 0) + count
            except (ProtectedError, RestrictedError, ValidationError) as error:
                report.blocked[retention.case.child_id] = _why(error)
        purged = report.purged_child_ids
        event_record(
            action="retention.purged",
            actor=acting_user,
            child_ids=purged,
            data={
                "today": today.isoformat(),
                "deleted": report.deleted,
                "child_ids": purged,
                "kept_under_legal_hold": len(report.held),
                "blocked": sorted(report.blocked),
            },
        )
    return report


def _delete_case(case: Case) -> dict[str, int]:
    """The case with everything about it, each before what it points at (the links are
    PROTECT, so that nothing else deletes an audit's record by accident): the follow-up
    actions and the auditor's recommendations, the alerts and the messages they sent,
    the practitioner's reply, the audit's history, the re-audits and moderations it is
    part of, its ratings, the audits, the sampling records, then the case. Any other
    message that leads to one of its audits or actions goes too; messages that list it
    among other cases, and the event log, stay. A case in an audit cycle's change log
    stays (ProtectedError): that log must."""
    audits = Audit.objects.filter(case=case)
    audit_ids = list(audits.values_list("pk", flat=True))
    actions = Action.objects.filter(audit__case=case)
    alerts = AuditAlert.objects.filter(audit__case=case)
    leads_here = [a.get_absolute_url() for a in audits] + [a.get_absolute_url() for a in actions]
    # The alerts' messages, and any message that leads to one of its audits or actions
    # (or a part of that page).
    about = Q(pk__in=list(alerts.values_list("notification_id", flat=True)))
    for path in leads_here:
        about |= Q(url__startswith=path)
    messages = Notification.objects.filter(about)
    steps: list[Callable[[], tuple[int, dict[str, int]]]] = [
        actions.delete,
        RecommendedAction.objects.filter(audit__case=case).delete,
        alerts.delete,
        messages.delete,
        AuditReply.objects.filter(audit__case=case).delete,
        AuditChange.objects.filter(audit__case=case).with_its_case,
        ReAudit.objects.filter(Q(original__case=case) | Q(reaudit__case=case)).delete,
        Moderation.objects.filter(
            Q(moderation_audit__case=case) | Q(allocation__sampled_case__case=case)
        ).delete,
        DomainRating.objects.filter(audit__case=case).delete,
        audits.delete,
        Allocation.objects.filter(sampled_case__case=case).delete,
        SampledCase.objects.filter(case=case, replaced_by__isnull=False).delete,
        SampledCase.objects.filter(case=case).delete,
        Case.objects.filter(pk=case.pk).delete,
    ]
    deleted: dict[str, int] = {}
    for step in steps:
        _, per_model = step()
        for label, count in per_model.items():
            deleted[label] = deleted.get(label, 0) + count
    # The months those audits were counted in are counted again without them.
    report_aggregates_refresh(audit_ids=audit_ids)
    return deleted


def _why(error: Exception) -> str:
    if isinstance(error, ProtectedError):
        objects = error.protected_objects
    elif isinstance(error, RestrictedError):
        objects = error.restricted_objects
    else:
        return "; ".join(getattr(error, "messages", [str(error)]))
    kinds = sorted({str(obj._meta.verbose_name_plural) for obj in objects})
    return f"still referred to by {', '.join(kinds)}"


def case_legal_hold_set(*, case: Case, hold: bool, reason: str, acting_user: Any = None) -> Case:
    """Put a case under legal hold (or release it); either way, the event log records it."""
    reason = reason.strip()
    if hold and not reason:
        raise ValidationError("Give the reason for the legal hold.")
    with transaction.atomic():
        case.legal_hold = hold
        case.legal_hold_reason = reason if hold else ""
        case.updated_by = acting_user
        case.save(update_fields=["legal_hold", "legal_hold_reason", "updated_by", "updated_at"])
        event_record(
            action="case.legal_hold_set" if hold else "case.legal_hold_released",
            actor=acting_user,
            obj=case,
            data={"reason": reason[:300]},
        )
    return case
