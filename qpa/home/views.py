"""Each role's home page: what needs doing now, gathered from every app."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.db.models import Count
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.http import require_GET

from qpa.accounts.models import Role, User
from qpa.accounts.permissions import Permission, acting_user, user_can
from qpa.actions.selectors import my_actions, open_actions
from qpa.audits.models import AuditStatus
from qpa.audits.selectors import audits_awaiting_reply, audits_visible_to, inadequate_or_worse
from qpa.core.events import record_view
from qpa.cycles.models import AllocationStatus
from qpa.cycles.selectors import cycles_in_view, my_allocations
from qpa.home.checklist import first_day_steps
from qpa.organisation.models import ServiceArea, Team
from qpa.reports.counting import counted_audits
from qpa.tools.models import AuditTool, RatingScale

RECENT_DAYS = 90
# How many rows a list of the home page shows; the rest are a link away.
LIST_LENGTH = 20
# The practitioner's lists above their audits: what waits for them, kept short.
SHORT_LIST_LENGTH = 5
# The home page's lists of audits, allocations and actions: each names children.
CASE_DATA_LISTS = (
    "allocations_due",
    "drafts",
    "recent_submitted",
    "needs_action",
    "open_actions",
    "awaiting_reply",
    "my_audits",
)
# The lists cut at a length, each told its whole count (`<name>_total`), so that the page
# says "Showing the latest 20 of 37" rather than stopping without a word.
COUNTED_LISTS = {
    "recent_submitted": 10,
    "needs_action": LIST_LENGTH,
    "open_actions": SHORT_LIST_LENGTH,
    "awaiting_reply": SHORT_LIST_LENGTH,
    "my_audits": LIST_LENGTH,
}


@require_GET
def home(request: HttpRequest) -> HttpResponse:
    user = acting_user(request)
    context: dict[str, Any] = {"role": Role(user.role)}
    since = timezone.localdate() - timedelta(days=RECENT_DAYS)
    visible = audits_visible_to(user=user).select_related(
        "case", "overall_rating__scale", "service_area", "tool_version__tool"
    )
    if user.role == Role.AUDITOR:
        context["drafts"] = visible.filter(auditor=user, status=AuditStatus.DRAFT)
        context["recent_submitted"] = visible.filter(
            auditor=user, status=AuditStatus.SUBMITTED, audit_date__gte=since
        )
        context["allocations_due"] = my_allocations(user=user).filter(
            status=AllocationStatus.ALLOCATED
        )[:LIST_LENGTH]
    if user_can(user, Permission.FOLLOW_UP):
        context["needs_action"] = inadequate_or_worse(visible).filter(audit_date__gte=since)
    if user.role == Role.PRACTITIONER:
        # Their own actions, as under My actions, the soonest due first.
        context["open_actions"] = open_actions(my_actions(user=user)).order_by(
            "due_date", "created_at"
        )
        context["my_audits"] = visible
    if user_can(user, Permission.REPLY_TO_AUDITS):
        context["awaiting_reply"] = audits_awaiting_reply(visible, user=user).order_by(
            "-audit_date", "-created_at"
        )
    for name, length in COUNTED_LISTS.items():
        if name in context:
            context[f"{name}_total"] = context[name].count()
            context[name] = context[name][:length]
    context["can_read_reports"] = user_can(user, Permission.READ_REPORTS)
    if user_can(user, Permission.SEE_SERVICE_FIGURES):
        context["figures"] = _this_month_by_area()
    if user_can(user, Permission.MANAGE_CYCLES):
        # Counts only, no child ID: figures-only readers see it too.
        context["cycle_progress"] = cycles_in_view(user=user)
    if user.role == Role.ADMINISTRATOR:
        context["first_day_steps"] = first_day_steps()
        context["first_day_done"] = sum(step.done for step in context["first_day_steps"])
        context["configuration"] = {
            "tools": AuditTool.objects.count(),
            "scales": RatingScale.objects.count(),
            "teams": Team.objects.count(),
            "users": User.objects.filter(is_active=True).count(),
        }
    lists = [name for name in CASE_DATA_LISTS if name in context]
    if lists:
        shown: list[Any] = []
        for name in lists:
            context[name] = list(context[name])
            shown.extend(context[name])
            if name == "open_actions":  # an action names its child through its audit
                shown.extend(action.audit for action in context[name])
        # An audit in two lists is one audit shown.
        record_view(request, action="audits.listed", objects=dict.fromkeys(shown))
    return render(request, "home/home.html", context)


def _this_month_by_area() -> list[dict[str, Any]]:
    """Counts only: this is shown to roles that see figures, not case detail. Counted as
    the report counts: a moderator's audit and a re-audit are not audits of their own."""
    start = timezone.localdate().replace(day=1)
    counts = dict(
        counted_audits()
        .filter(audit_date__gte=start)
        .values_list("service_area")
        .annotate(n=Count("pk"))
        .values_list("service_area", "n")
    )
    return [
        {"service_area": area.name, "count": counts.get(area.pk, 0)}
        for area in ServiceArea.objects.filter(is_active=True)
    ]
