"""Actions in my areas: the follow-up actions on audits of a Head of Service's areas (the
whole service for directors), overdue first, filtered and paged in the database."""

from __future__ import annotations

from typing import Any

from django import forms
from django.db.models import Case, F, IntegerField, Q, QuerySet, Value, When
from django.utils import timezone

from qpa.accounts.models import User
from qpa.accounts.permissions import Permission, user_can
from qpa.accounts.remit_filters import service_area_filter
from qpa.actions.models import Action, ActionStatus
from qpa.actions.selectors import actions_visible_to
from qpa.core.forms import GovukForm

ACTIONS_PER_PAGE = 50
NOT_DONE = ""
OVERDUE = "overdue"
COMPLETED = "completed"
EVERY = "all"


def actions_in_areas(*, user: Any) -> QuerySet[Action]:
    """Overdue first (longest overdue first), then the rest by due date, then the
    completed ones, latest first."""
    actions = actions_visible_to(user=user)
    if not user_can(user, Permission.FOLLOW_UP):
        return actions.none()
    if not user_can(user, Permission.WHOLE_SERVICE):
        areas = user.service_areas.all()
        actions = actions.filter(
            Q(audit__service_area__in=areas)
            | Q(audit__service_area__isnull=True, audit__case__service_area__in=areas)
        )
    today = timezone.localdate()
    done = Q(status=ActionStatus.COMPLETED)
    return actions.annotate(
        urgency=Case(
            When(~done & Q(due_date__lt=today), then=Value(0)),
            When(~done, then=Value(1)),
            default=Value(2),
            output_field=IntegerField(),
        )
    ).order_by("urgency", "due_date", F("completed_at").desc(nulls_last=True), "pk")


class AreaActionsFilterForm(GovukForm):
    show = forms.ChoiceField(
        label="Show",
        required=False,
        initial=NOT_DONE,
        widget=forms.RadioSelect,
        choices=[
            (NOT_DONE, "Not done yet"),
            (OVERDUE, "Overdue"),
            (COMPLETED, "Completed"),
            (EVERY, "Every action"),
        ],
    )

    def __init__(self, *args: Any, user: User, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["area"] = service_area_filter(user=user)

    def filter(self, actions: QuerySet[Action]) -> QuerySet[Action]:
        data: dict[str, Any] = self.cleaned_data if self.is_bound and self.is_valid() else {}
        show = data.get("show") or NOT_DONE
        if show == NOT_DONE:
            actions = actions.exclude(status=ActionStatus.COMPLETED)
        elif show == OVERDUE:
            actions = actions.exclude(status=ActionStatus.COMPLETED).filter(
                due_date__lt=timezone.localdate()
            )
        elif show == COMPLETED:
            actions = actions.filter(status=ActionStatus.COMPLETED)
        if data.get("area"):
            area = data["area"]
            actions = actions.filter(
                Q(audit__service_area=area)
                | Q(audit__service_area__isnull=True, audit__case__service_area=area)
            )
        return actions
