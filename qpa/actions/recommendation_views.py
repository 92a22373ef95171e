"""A Head of Service decides on the actions an auditor recommended: confirm (as written
or changed) and it becomes a follow-up action, or decline with a reason (decision 0126).
Thin views over qpa.actions.services."""

from __future__ import annotations

import uuid
from typing import Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse

from qpa.accounts.models import User
from qpa.accounts.permissions import Permission, acting_user, permission_required
from qpa.actions import services
from qpa.actions.forms import ActionForm, DeclineForm
from qpa.audits.models import Audit, AuditStatus, RecommendedAction
from qpa.audits.selectors import audits_visible_to
from qpa.audits.services import recommendations_of
from qpa.core.events import record_view
from qpa.core.forms import add_validation_error

CONFIRM, DECLINE = "confirm", "decline"


def _audit(request: HttpRequest, public_id: uuid.UUID) -> Audit:
    audit = (
        audits_visible_to(user=request.user)
        .select_related("case__team__manager", "tool_version__tool")
        .filter(public_id=public_id)
        .first()
    )
    if audit is None:
        raise Http404
    return audit


def _team_manager(audit: Audit) -> User | None:
    return audit.case.team.manager if audit.case.team else None


def _item(audit: Audit, value: str | None) -> RecommendedAction | None:
    if not value:
        return None
    try:
        key = uuid.UUID(value)
    except ValueError:
        raise Http404 from None
    found = (
        RecommendedAction.objects.filter(audit=audit, public_id=key)
        .select_related("suggested_owner")
        .first()
    )
    if found is None:
        raise Http404
    return found


@permission_required(Permission.SET_ACTIONS)
def recommendations_decide(request: HttpRequest, public_id: uuid.UUID) -> HttpResponse:
    """The audit's recommended actions; `?item=<id>` opens one to confirm, change or
    decline."""
    audit = _audit(request, public_id)
    user = acting_user(request)
    if audit.status != AuditStatus.SUBMITTED:
        return render(
            request,
            "audits/rejected.html",
            {
                "message": "The auditor is still writing this audit: decide on its recommended "
                "actions once it is submitted.",
                "audit": audit,
            },
            status=409,
        )
    source = request.POST if request.method == "POST" else request.GET
    item = _item(audit, source.get("item"))
    page = reverse("actions:recommendations-decide", kwargs={"public_id": audit.public_id})
    confirm_form: ActionForm | None = None
    decline_form: DeclineForm | None = None
    if item is not None and item.is_proposed:
        owners = services.owner_candidates()
        initial: dict[str, Any] = {
            "description": item.description,
            "due_date": item.due_date.strftime("%d/%m/%Y"),
        }
        if item.suggested_owner_id:
            initial["owner"] = item.suggested_owner_id
        posted = request.POST if request.method == "POST" else None
        decision = request.POST.get("decision") if posted else None
        confirm_form = ActionForm(
            posted if decision == CONFIRM else None,
            initial=initial,
            owners=owners,
            suggested=None if item.suggested_owner else _team_manager(audit),
        )
        if item.suggested_owner is not None:
            confirm_form.fields["owner"].help_text = (
                f"{item.suggested_owner}, whom the auditor suggested, is chosen for you. "
                "People are listed by team: type a name to find someone else."
            )
        decline_form = DeclineForm(posted if decision == DECLINE else None)
        if decision == CONFIRM and confirm_form.is_valid():
            try:
                services.recommendation_confirm(
                    acting_user=user, recommendation=item, **confirm_form.cleaned_data
                )
            except ValidationError as error:
                add_validation_error(confirm_form, error)
            else:
                messages.success(
                    request,
                    "Recommended action confirmed. It is a follow-up action now, and "
                    "its owner has been told.",
                )
                return redirect(page)
        elif decision == DECLINE and decline_form.is_valid():
            try:
                services.recommendation_decline(
                    acting_user=user,
                    recommendation=item,
                    reason=decline_form.cleaned_data["reason"],
                )
            except ValidationError as error:
                add_validation_error(decline_form, error)
            else:
                messages.success(
                    request, "Recommended action declined. The auditor has been told why."
                )
                return redirect(page)
    record_view(request, action="audit.viewed", objects=[audit])
    errors = bool((confirm_form and confirm_form.errors) or (decline_form and decline_form.errors))
    return render(
        request,
        "actions/recommendations_decide.html",
        {
            "audit": audit,
            "recommendations": recommendations_of(audit),
            "item": item,
            "confirm_form": confirm_form,
            "decline_form": decline_form,
            "decide_url": page,
        },
        status=400 if errors else 200,
    )
