"""Follow-up actions: thin views over qpa.actions.services."""

from __future__ import annotations

import uuid
from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_GET

from qpa.accounts.models import User
from qpa.accounts.permissions import Permission, acting_user, permission_required, user_can
from qpa.actions import services
from qpa.actions.forms import (
    ActionCompleteForm,
    ActionForm,
    ActionReopenForm,
    ActionStatusForm,
)
from qpa.actions.models import Action, ActionStatus
from qpa.actions.selectors import actions_visible_to, my_actions
from qpa.audits.models import AuditStatus
from qpa.audits.selectors import audits_visible_to
from qpa.audits.services import audit_severity
from qpa.core.events import record_view
from qpa.core.forms import add_validation_error


def _acting(request: HttpRequest) -> User:
    return acting_user(request)


def _action_for(request: HttpRequest, public_id: uuid.UUID) -> Action:
    action = actions_visible_to(user=request.user).filter(public_id=public_id).first()
    if action is None:
        raise Http404
    return action


@require_GET
def my_action_list(request: HttpRequest) -> HttpResponse:
    actions = list(my_actions(user=request.user))
    if actions:
        shown: list[Any] = [*actions, *(a.audit for a in actions)]
        record_view(request, action="actions.listed", objects=shown)
    return render(
        request,
        "actions/my_actions.html",
        {"actions": actions, "can_follow_up": user_can(request.user, Permission.FOLLOW_UP)},
    )


@permission_required(Permission.SET_ACTIONS)
def action_create(request: HttpRequest, public_id: uuid.UUID) -> HttpResponse:
    audit = (
        audits_visible_to(user=request.user)
        .select_related("case__team__manager", "overall_rating")
        .filter(public_id=public_id)
        .first()
    )
    if audit is None:
        raise Http404
    if audit.status != AuditStatus.SUBMITTED or audit_severity(audit) is None:
        return render(
            request,
            "audits/rejected.html",
            {
                "message": "Follow-up actions are planned on submitted audits rated "
                "inadequate or critical.",
                "audit": audit,
            },
            status=409,
        )
    form = ActionForm(
        request.POST or None,
        owners=services.owner_candidates(),
        suggested=audit.case.team.manager if audit.case.team else None,
    )
    if request.method == "POST" and form.is_valid():
        try:
            services.action_create(acting_user=_acting(request), audit=audit, **form.cleaned_data)
        except ValidationError as error:
            add_validation_error(form, error)
        else:
            messages.success(request, "Action added. Its owner has been told.")
            return redirect(audit)
    record_view(request, action="audit.viewed", objects=[audit])
    return render(
        request,
        "actions/action_form.html",
        {"audit": audit, "form": form},
        status=400 if form.errors else 200,
    )


def action_detail(request: HttpRequest, public_id: uuid.UUID) -> HttpResponse:
    action = _action_for(request, public_id)
    user = _acting(request)
    manageable = services.can_manage(user, action) and action.status != ActionStatus.COMPLETED
    form = ActionStatusForm(request.POST or None, initial={"status": action.status})
    if request.method == "POST":
        if not manageable:
            raise PermissionDenied("Only the action's owner or a Head of Service changes it.")
        if form.is_valid():
            services.action_update(
                acting_user=user, action=action, status=form.cleaned_data["status"]
            )
            messages.success(request, "Action status saved.")
            return redirect(action)
    record_view(request, action="action.viewed", objects=[action, action.audit])
    return render(
        request,
        "actions/action_detail.html",
        {
            "action": action,
            "form": form,
            "complete_form": ActionCompleteForm(),
            "manageable": manageable,
            "reopenable": services.can_reopen(user) and action.status == ActionStatus.COMPLETED,
            "reopenings": services.action_reopenings(action),
        },
        status=400 if form.errors else 200,
    )


def action_complete(request: HttpRequest, public_id: uuid.UUID) -> HttpResponse:
    action = _action_for(request, public_id)
    user = _acting(request)
    if not services.can_manage(user, action):
        raise PermissionDenied("Only the action's owner or a Head of Service completes it.")
    if action.status == ActionStatus.COMPLETED:
        return redirect(action)
    form = ActionCompleteForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.action_complete(
                acting_user=user, action=action, evidence=form.cleaned_data["evidence"]
            )
        except ValidationError as error:
            add_validation_error(form, error)
        else:
            messages.success(request, "Action completed.")
            return redirect(action)
    record_view(request, action="action.viewed", objects=[action, action.audit])
    return render(
        request,
        "actions/action_complete.html",
        {"action": action, "form": form, "reopenings": services.action_reopenings(action)},
        status=400 if form.errors else 200,
    )


def action_reopen(request: HttpRequest, public_id: uuid.UUID) -> HttpResponse:
    """The confirmation page: a completed action is reopened, with a reason, on POST.
    As on the other pages of an action, out of remit is 404 and the wrong role 403."""
    action = _action_for(request, public_id)
    if not services.can_reopen(_acting(request)):
        raise PermissionDenied("Only a Head of Service reopens a completed action.")
    if action.status != ActionStatus.COMPLETED:
        return redirect(action)
    form = ActionReopenForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.action_reopen(
                acting_user=_acting(request), action=action, reason=form.cleaned_data["reason"]
            )
        except ValidationError as error:
            add_validation_error(form, error)
        else:
            messages.success(request, "Action reopened. Its owner has been told why.")
            return redirect(action)
    record_view(request, action="action.viewed", objects=[action, action.audit])
    return render(
        request,
        "actions/action_reopen.html",
        {"action": action, "form": form, "past_due": action.due_date < timezone.localdate()},
        status=400 if form.errors else 200,
    )
