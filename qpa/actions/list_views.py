"""Actions in my areas, for Heads of Service and directors: overdue first."""

from __future__ import annotations

from typing import Any

from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from qpa.accounts.permissions import Permission, acting_user, permission_required, user_can
from qpa.actions.listing import ACTIONS_PER_PAGE, AreaActionsFilterForm, actions_in_areas
from qpa.core.events import record_view


@require_GET
@permission_required(Permission.FOLLOW_UP)
def area_actions(request: HttpRequest) -> HttpResponse:
    user = acting_user(request)
    form = AreaActionsFilterForm(request.GET if request.GET.keys() - {"page"} else None, user=user)
    actions = form.filter(actions_in_areas(user=user)).select_related(
        "audit__case", "owner", "audit__overall_rating__scale"
    )
    page = Paginator(actions, ACTIONS_PER_PAGE).get_page(request.GET.get("page"))
    shown: list[Any] = list(page.object_list)
    page.object_list = shown
    if shown:
        record_view(request, action="actions.listed", objects=shown)
    return render(
        request,
        "actions/area_actions.html",
        {
            "form": form,
            "page": page,
            "actions": shown,
            "whole_service": user_can(user, Permission.WHOLE_SERVICE),
        },
        status=400 if form.errors else 200,
    )
