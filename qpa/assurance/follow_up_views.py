"""The follow-up queue page: inadequate and critical audits in the reader's areas (the
whole service for directors), and what has been done about each."""

from __future__ import annotations

from typing import Any

from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from qpa.accounts.permissions import Permission, acting_user, permission_required, user_can
from qpa.assurance.follow_up import (
    ROWS_PER_PAGE,
    FollowUpFilterForm,
    follow_up_audits,
    follow_up_rows,
    needing_attention,
    with_columns,
)
from qpa.core.events import record_view


@require_GET
@permission_required(Permission.FOLLOW_UP)
def follow_up(request: HttpRequest) -> HttpResponse:
    user = acting_user(request)
    queue = follow_up_audits(user=user)
    form = FollowUpFilterForm(request.GET if request.GET.keys() - {"page"} else None, user=user)
    audits = with_columns(form.filter(queue), user=user)
    page = Paginator(audits, ROWS_PER_PAGE).get_page(request.GET.get("page"))
    rows = follow_up_rows(page.object_list)
    shown: list[Any] = [row.audit for row in rows]
    if shown:
        record_view(request, action="follow_up.listed", objects=shown)
    return render(
        request,
        "assurance/follow_up.html",
        {
            "form": form,
            "page": page,
            "rows": rows,
            "attention": needing_attention(queue).count(),
            "whole_service": user_can(user, Permission.WHOLE_SERVICE),
            "can_plan": user_can(user, Permission.SET_ACTIONS),
        },
        status=400 if form.errors else 200,
    )
