from __future__ import annotations

from datetime import timedelta
from typing import Any

from django import forms
from django.contrib.auth.decorators import login_not_required
from django.core.paginator import Paginator
from django.db import connection
from django.db.models import Count
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.http import require_GET

from qpa.accounts.access import role_required
from qpa.accounts.models import Role, User
from qpa.audits.models import Audit, AuditStatus
from qpa.audits.selectors import audits_visible_to, inadequate_or_worse
from qpa.core.events import event_record, events_search, record_view
from qpa.core.forms import GovukForm
from qpa.core.models import Event
from qpa.cycles.models import AllocationStatus
from qpa.cycles.selectors import my_allocations
from qpa.organisation.models import ServiceArea, Team
from qpa.tools.models import AuditTool, RatingScale

RECENT_DAYS = 90
# The home page's lists of audits and allocations: each names children.
CASE_DATA_LISTS = ("allocations_due", "drafts", "recent_submitted", "needs_action", "my_audits")
EVENTS_PER_PAGE = 50


@require_GET
def home(request: HttpRequest) -> HttpResponse:
    user: User = request.user  # type: ignore[assignment]
    context: dict[str, Any] = {"role": Role(user.role)}
    since = timezone.localdate() - timedelta(days=RECENT_DAYS)
    visible = audits_visible_to(user=user).select_related(
        "case", "overall_rating", "service_area", "tool_version__tool"
    )
    if user.role == Role.AUDITOR:
        context["drafts"] = visible.filter(auditor=user, status=AuditStatus.DRAFT)
        context["recent_submitted"] = visible.filter(
            auditor=user, status=AuditStatus.SUBMITTED, audit_date__gte=since
        )[:10]
        context["allocations_due"] = my_allocations(user=user).filter(
            status=AllocationStatus.ALLOCATED
        )[:20]
    if user.role in {Role.HEAD_OF_SERVICE, Role.ASSISTANT_DIRECTOR, Role.DEPUTY_DIRECTOR}:
        context["needs_action"] = inadequate_or_worse(visible).filter(audit_date__gte=since)[:20]
    if user.role == Role.PRACTITIONER:
        context["my_audits"] = visible[:20]
    if user.role in {Role.PERFORMANCE, Role.ASSISTANT_DIRECTOR, Role.DEPUTY_DIRECTOR}:
        context["figures"] = _this_month_by_area()
    if user.role == Role.ADMINISTRATOR:
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
        record_view(request, action="audits.listed", objects=shown)
    return render(request, "core/home.html", context)


def _this_month_by_area() -> list[dict[str, Any]]:
    """Counts only: this is shown to roles that see figures, not case detail."""
    start = timezone.localdate().replace(day=1)
    counts = dict(
        Audit.objects.filter(status=AuditStatus.SUBMITTED, audit_date__gte=start)
        .values_list("service_area")
        .annotate(n=Count("pk"))
        .values_list("service_area", "n")
    )
    return [
        {"service_area": area.name, "count": counts.get(area.pk, 0)}
        for area in ServiceArea.objects.filter(is_active=True)
    ]


@login_not_required
@require_GET
def health(request: HttpRequest) -> JsonResponse:
    """For load balancers and monitoring: answers 200 when the database answers."""
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except Exception:
        return JsonResponse({"status": "unavailable", "database": "unreachable"}, status=503)
    return JsonResponse({"status": "ok", "database": "ok"})


class EventSearchForm(GovukForm):
    username = forms.CharField(label="Username", required=False, max_length=150)
    action = forms.CharField(
        label="Action",
        required=False,
        max_length=64,
        help_text="For example case.viewed, or auth. for every sign-in event",
    )
    child_id = forms.CharField(label="Child ID", required=False, max_length=64)
    date_from = forms.DateField(
        label="From (UTC)",
        required=False,
        help_text="For example, 1/11/2026",
        input_formats=["%d/%m/%Y", "%Y-%m-%d"],
        widget=forms.TextInput(attrs={"class": "govuk-input govuk-input--width-10"}),
        error_messages={"invalid": "Enter a real date, for example 1/11/2026."},
    )
    date_to = forms.DateField(
        label="To (UTC)",
        required=False,
        help_text="For example, 30/11/2026",
        input_formats=["%d/%m/%Y", "%Y-%m-%d"],
        widget=forms.TextInput(attrs={"class": "govuk-input govuk-input--width-10"}),
        error_messages={"invalid": "Enter a real date, for example 30/11/2026."},
    )

    def clean(self) -> dict[str, Any]:
        cleaned: dict[str, Any] = super().clean() or {}
        start, end = cleaned.get("date_from"), cleaned.get("date_to")
        if start and end and end < start:
            self.add_error("date_to", "The end date must be the same as or after the start date.")
        for name in ("username", "action", "child_id"):
            cleaned[name] = (cleaned.get(name) or "").strip()
        return cleaned


@require_GET
@role_required(Role.ADMINISTRATOR)
def event_list(request: HttpRequest) -> HttpResponse:
    """Administrators search the event log. Read-only: no view changes an entry."""
    form = EventSearchForm(request.GET if request.GET.keys() - {"page"} else None)
    filters: dict[str, Any] = {}
    if form.is_bound and form.is_valid():
        filters = {name: value for name, value in form.cleaned_data.items() if value}
    events = events_search(**filters) if not form.errors else Event.objects.none()
    page = Paginator(events, EVENTS_PER_PAGE).get_page(request.GET.get("page"))
    page.object_list = list(page.object_list)
    # Searching the log is itself recorded, after the page is read so it does not shift it.
    event_record(
        action="event_log.searched",
        request=request,
        data={"filters": {name: str(value) for name, value in filters.items()}},
    )
    return render(request, "core/events.html", {"form": form, "page": page})
