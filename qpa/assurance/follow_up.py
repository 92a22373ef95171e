"""The follow-up queue: audits rated inadequate or critical, with what has been done
about each — the alert seen, the actions planned and done, the quarterly re-audit.

Heads of Service follow up the audits of their service areas; Assistant and Deputy
Directors see the whole service (Permission.FOLLOW_UP, Permission.WHOLE_SERVICE). Every
row comes from `audits_visible_to`; the columns are counted and fetched in the database,
a fixed number of queries whatever the number of rows.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from django import forms
from django.db.models import Count, F, Prefetch, Q, QuerySet
from django.utils import timezone

from qpa.accounts.models import User
from qpa.accounts.permissions import Permission, user_can
from qpa.accounts.remit_filters import service_area_filter
from qpa.actions.models import ActionStatus
from qpa.assurance.models import ReAudit
from qpa.assurance.selectors import reaudits_visible_to
from qpa.audits.models import Audit, AuditAlert, AuditStatus
from qpa.audits.selectors import audits_visible_to, inadequate_or_worse
from qpa.core.forms import GovukForm

ROWS_PER_PAGE = 50
ALL = ""
NO_ACTION = "no-action"
OVERDUE = "overdue"


def _not_done() -> Q:
    return ~Q(actions__status=ActionStatus.COMPLETED)


def follow_up_audits(*, user: Any) -> QuerySet[Audit]:
    """The reader's queue, newest first: inadequate and critical audits in their areas
    (the whole service for directors), each counted for its actions."""
    audits = inadequate_or_worse(audits_visible_to(user=user))
    if not user_can(user, Permission.FOLLOW_UP):
        return audits.none()
    if not user_can(user, Permission.WHOLE_SERVICE):
        areas = user.service_areas.all()
        audits = audits.filter(
            Q(service_area__in=areas) | Q(service_area__isnull=True, case__service_area__in=areas)
        )
    today = timezone.localdate()
    return audits.annotate(
        actions_total=Count("actions"),
        actions_open=Count("actions", filter=_not_done()),
        actions_overdue=Count("actions", filter=_not_done() & Q(actions__due_date__lt=today)),
    ).order_by(F("audit_date").desc(nulls_last=True), "-submitted_at", "pk")


def needing_attention(audits: QuerySet[Audit]) -> QuerySet[Audit]:
    """Audits with no action planned yet, or with an action past its due date."""
    return audits.filter(Q(actions_total=0) | Q(actions_overdue__gt=0))


def follow_up_count(*, user: Any) -> int:
    """How many audits in the queue need the reader now: for the navigation."""
    if not user_can(user, Permission.FOLLOW_UP):
        return 0
    return needing_attention(follow_up_audits(user=user)).count()


class FollowUpFilterForm(GovukForm):
    show = forms.ChoiceField(
        label="Show",
        required=False,
        initial=ALL,
        widget=forms.RadioSelect,
        choices=[
            (ALL, "Every inadequate or critical audit"),
            (NO_ACTION, "No action yet"),
            (OVERDUE, "An action is overdue"),
        ],
    )

    def __init__(self, *args: Any, user: User, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["area"] = service_area_filter(user=user)

    def filter(self, audits: QuerySet[Audit]) -> QuerySet[Audit]:
        data: dict[str, Any] = self.cleaned_data if self.is_bound and self.is_valid() else {}
        if data.get("show") == NO_ACTION:
            audits = audits.filter(Q(actions_total=0))
        elif data.get("show") == OVERDUE:
            audits = audits.filter(Q(actions_overdue__gt=0))
        if data.get("area"):
            area = data["area"]
            audits = audits.filter(
                Q(service_area=area) | Q(service_area__isnull=True, case__service_area=area)
            )
        return audits


@dataclass(frozen=True)
class AlertSeen:
    """Who first saw to the audit's alert: an acknowledgement (critical) or a reading
    (inadequate)."""

    by: User
    at: datetime
    acknowledged: bool


@dataclass(frozen=True)
class FollowUpRow:
    audit: Audit
    alerted: bool
    seen: AlertSeen | None
    reaudit: ReAudit | None

    @property
    def actions_state(self) -> str:
        audit: Any = self.audit
        if not audit.actions_total:
            return "none"
        if audit.actions_overdue:
            return "overdue"
        if audit.actions_open:
            return "open"
        return "done"

    @property
    def reaudit_done(self) -> bool:
        return self.reaudit is not None and self.reaudit.reaudit.status == AuditStatus.SUBMITTED

    @property
    def reaudit_quarter(self) -> str:
        """The quarter the re-audit is due in, as "2027-Q1"."""
        if self.reaudit is None:
            return ""
        due: date = self.reaudit.due_date
        return f"{due.year}-Q{(due.month - 1) // 3 + 1}"


def with_columns(audits: QuerySet[Audit], *, user: Any) -> QuerySet[Audit]:
    """`audits` with everything the queue's columns show: one query for the rows, one for
    their alerts and one for their re-audits, however many rows."""
    alerts = AuditAlert.objects.select_related(
        "notification__recipient", "notification__acknowledged_by"
    ).order_by("id")
    reaudits = (
        reaudits_visible_to(user=user)
        .select_related("reaudit__overall_rating__scale")
        .order_by("-draw__quarter", "-due_date")
    )
    return audits.select_related(
        "case__team", "team", "auditor", "service_area", "overall_rating__scale"
    ).prefetch_related(
        Prefetch("alerts", queryset=alerts, to_attr="alert_list"),
        Prefetch("reaudits", queryset=reaudits, to_attr="reaudit_list"),
    )


def follow_up_rows(audits: Iterable[Audit]) -> list[FollowUpRow]:
    """The rows of audits fetched `with_columns`."""
    rows = []
    for audit in audits:
        alert_list: list[AuditAlert] = getattr(audit, "alert_list", [])
        reaudit_list: list[ReAudit] = getattr(audit, "reaudit_list", [])
        rows.append(
            FollowUpRow(
                audit=audit,
                alerted=bool(alert_list),
                seen=_first_seen(alert_list),
                reaudit=reaudit_list[0] if reaudit_list else None,
            )
        )
    return rows


def _first_seen(alerts: list[AuditAlert]) -> AlertSeen | None:
    seen = []
    for alert in alerts:
        note = alert.notification
        if note.acknowledged_at and note.acknowledged_by:
            seen.append(
                AlertSeen(by=note.acknowledged_by, at=note.acknowledged_at, acknowledged=True)
            )
        elif note.read_at and not note.urgent:
            seen.append(AlertSeen(by=note.recipient, at=note.read_at, acknowledged=False))
    return min(seen, key=lambda s: s.at, default=None)
