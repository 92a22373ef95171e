"""Reads of notifications. A person only ever reaches their own."""

from __future__ import annotations

import uuid
from datetime import datetime

from django.db.models import BooleanField, Case, QuerySet, Value, When
from django.http import Http404

from qpa.accounts.models import User
from qpa.notifications.models import Notification


def notifications_for(*, user: User) -> QuerySet[Notification]:
    """The person's inbox: urgent ones still to acknowledge first, then newest first."""
    return (
        Notification.objects.filter(recipient=user)
        .annotate(
            awaiting_acknowledgement=Case(
                When(urgent=True, acknowledged_at__isnull=True, then=Value(True)),
                default=Value(False),
                output_field=BooleanField(),
            )
        )
        .order_by("-awaiting_acknowledgement", "-created_at", "-id")
    )


def notification_get_for_user(*, user: User, public_id: uuid.UUID) -> Notification:
    """One of the person's own notifications; anybody else's answers 404."""
    notification = (
        Notification.objects.filter(recipient=user, public_id=public_id)
        .select_related("acknowledged_by")
        .first()
    )
    if notification is None:
        raise Http404
    return notification


def unread_count(*, user: User) -> int:
    return Notification.objects.filter(recipient=user, read_at__isnull=True).count()


def urgent_unacknowledged(*, created_before: datetime) -> QuerySet[Notification]:
    """Urgent notifications nobody has acknowledged, older than `created_before`: what an
    escalation job looks for."""
    return Notification.objects.filter(
        urgent=True, acknowledged_at__isnull=True, created_at__lt=created_before
    ).select_related("recipient")


def navigation_label(*, user: User) -> str:
    """The service navigation's entry, with the unread count in words, not a badge."""
    count = unread_count(user=user)
    return f"Notifications ({count} unread)" if count else "Notifications"
