"""Writes to notifications. Other apps call `notification_send` inside the transaction of
the event that causes the message: the row is the in-app notification and the email
outbox entry at once, so a rolled-back event leaves no notification behind."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from qpa.accounts.models import User
from qpa.notifications.models import EmailStatus, Notification

SUBJECT_MAX_LENGTH = Notification._meta.get_field("subject").max_length or 200


@dataclass(frozen=True)
class Link:
    """One thing a notification lists: its label (a child ID, say) links to its page."""

    label: str
    url: str
    detail: str = ""

    def as_json(self) -> dict[str, str]:
        return {"label": _one_line(self.label), "url": self.url, "detail": _one_line(self.detail)}


def _links(links: Iterable[Link] | None) -> list[dict[str, str]]:
    cleaned = []
    for link in links or ():
        if not link.label.strip() or not link.url.startswith("/"):
            raise ValidationError("A notification's link needs a label and a path on this site.")
        cleaned.append(link.as_json())
    return cleaned


def _already_sent(dedupe_key: str | None) -> bool:
    return dedupe_key is not None and Notification.objects.filter(dedupe_key=dedupe_key).exists()


def _one_line(text: str) -> str:
    # Email headers cannot carry line breaks; the inbox shows the subject on one line too.
    return " ".join(text.split())


@transaction.atomic
def notification_send(
    *,
    recipient: User,
    kind: str,
    subject: str,
    body: str,
    url: str = "",
    dedupe_key: str | None = None,
    urgent: bool = False,
    links: Iterable[Link] | None = None,
    alert_key: str = "",
) -> Notification | None:
    """Notify one person in the app and, when they have an email address, by email.

    Returns None and writes nothing when a notification with `dedupe_key` exists already;
    the unique constraint decides, so two racing callers cannot both write one.
    `links` lists what the message is about, each a link to its page (a path on this
    site). Urgent notifications of one alert to several people share an `alert_key`: one
    acknowledgement answers for all of them.
    """
    subject = _one_line(subject)
    if not kind or not subject:
        raise ValidationError("A notification needs a kind and a subject.")
    if len(subject) > SUBJECT_MAX_LENGTH:
        subject = subject[: SUBJECT_MAX_LENGTH - 1] + "…"
    link_rows = _links(links)
    if alert_key and not urgent:
        raise ValidationError("Only an urgent notification is part of an alert to acknowledge.")
    if _already_sent(dedupe_key):
        return None
    try:
        # A savepoint, so that losing the race does not break the caller's transaction.
        with transaction.atomic():
            return Notification.objects.create(
                recipient=recipient,
                kind=kind,
                subject=subject,
                body=body,
                url=url,
                links=link_rows,
                dedupe_key=dedupe_key,
                urgent=urgent,
                alert_key=alert_key,
                email_status=EmailStatus.PENDING if recipient.email else EmailStatus.NO_ADDRESS,
                next_attempt_at=timezone.now(),
            )
    except IntegrityError:
        # Another transaction wrote the same key between our check and our insert.
        if _already_sent(dedupe_key):
            return None
        raise


def _require_recipient(acting_user: User, notification: Notification) -> None:
    if notification.recipient_id != acting_user.pk:
        raise PermissionDenied("Only the person notified can do this.")


@transaction.atomic
def notification_mark_read(*, acting_user: User, notification: Notification) -> Notification:
    """Mark a notification read. Reading again keeps the first time it was read."""
    _require_recipient(acting_user, notification)
    now = timezone.now()
    Notification.objects.filter(pk=notification.pk, read_at__isnull=True).update(
        read_at=now, updated_at=now, updated_by=acting_user
    )
    notification.refresh_from_db()
    return notification


@transaction.atomic
def notification_acknowledge(*, acting_user: User, notification: Notification) -> Notification:
    """Record that the person notified has seen an urgent notification and is acting on it:
    who and when. Acknowledging also marks it read; acknowledging twice keeps the first.

    An alert sent to several people (one `alert_key`) is acknowledged for all of them at
    once, by this person: the others see who acknowledged it and when, and are no longer
    asked to; escalations, which look for unacknowledged alerts, stop too."""
    _require_recipient(acting_user, notification)
    if not notification.urgent:
        raise ValidationError("Only urgent notifications are acknowledged.")
    now = timezone.now()
    same_alert = Notification.objects.filter(pk=notification.pk)
    if notification.alert_key:
        same_alert = Notification.objects.filter(alert_key=notification.alert_key, urgent=True)
    same_alert.filter(acknowledged_at__isnull=True).update(
        acknowledged_at=now, acknowledged_by=acting_user, updated_at=now, updated_by=acting_user
    )
    Notification.objects.filter(pk=notification.pk, read_at__isnull=True).update(read_at=now)
    notification.refresh_from_db()
    return notification


@transaction.atomic
def notifications_mark_all_read(*, acting_user: User) -> int:
    """Mark every unread notification of the acting person read; returns how many."""
    now = timezone.now()
    return Notification.objects.filter(recipient=acting_user, read_at__isnull=True).update(
        read_at=now, updated_at=now, updated_by=acting_user
    )
