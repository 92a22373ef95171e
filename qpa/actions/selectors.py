"""Reads of actions: a person's own, and those on audits in their remit."""

from __future__ import annotations

from typing import Any

from django.db.models import Q, QuerySet

from qpa.actions.models import Action, ActionStatus
from qpa.audits.blind import withheld_from_figures
from qpa.audits.selectors import audits_visible_to


def actions_visible_to(*, user: Any) -> QuerySet[Action]:
    actions = Action.objects.select_related("audit__case", "owner", "created_by")
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return actions.none()
    mine = Q(owner=user)
    on_audits_in_remit = Q(audit__in=audits_visible_to(user=user).values("pk"))
    return actions.filter(mine | on_audits_in_remit)


def my_actions(*, user: Any) -> QuerySet[Action]:
    """The person's own actions: unfinished first, soonest due first."""
    return (
        actions_visible_to(user=user)
        .filter(owner=user)
        .order_by("-status", "due_date", "created_at")
    )


def open_actions(actions: QuerySet[Action]) -> QuerySet[Action]:
    return actions.exclude(status=ActionStatus.COMPLETED)


def actions_in_figures() -> QuerySet[Action]:
    """The actions a figure may count, for every reader: not those on an audit still
    blind to somebody, since an action tells its audit's rating (decision 0106). The
    report's action figures and the audit-quality figures both count from here."""
    return Action.objects.exclude(audit__in=withheld_from_figures())
