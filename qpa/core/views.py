from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.contrib.auth.decorators import login_not_required
from django.db import connection
from django.db.models import Count
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.http import require_GET

from qpa.accounts.models import Role, User
from qpa.audits.models import Audit, AuditStatus
from qpa.audits.selectors import audits_visible_to, inadequate_or_worse
from qpa.cycles.models import AllocationStatus
from qpa.cycles.selectors import my_allocations
from qpa.organisation.models import ServiceArea, Team
from qpa.tools.models import AuditTool, RatingScale

RECENT_DAYS = 90


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
