"""Notifications: one row per message to one person, read in the inbox and delivered by
email from the same row (the outbox). See docs/decisions/0020-notification-outbox.md."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.urls import reverse
from django.utils import timezone

from qpa.core.models import BaseModel


class EmailStatus(models.TextChoices):
    PENDING = "pending", "Waiting to be sent"
    DELIVERED = "delivered", "Sent"
    FAILED = "failed", "Not sent: gave up after repeated failures"
    NO_ADDRESS = "no_address", "Not sent: no email address"


class Notification(BaseModel):
    """A message to one person. The email columns make this table the outbox: the row is
    written in the transaction of the event that causes it, and `qpa worker` sends it."""

    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="notifications"
    )
    kind = models.CharField(max_length=64)
    subject = models.CharField(max_length=200)
    body = models.TextField(blank=True)
    url = models.CharField(max_length=500, blank=True)
    # What the message lists, each a link: [{"label": "CP001", "url": "/…", "detail": "due
    # 3 December 2026"}]. The inbox shows them as links; the email as lines with addresses.
    links = models.JSONField(default=list, blank=True)
    # Unique when set: the same event cannot notify twice, even from racing requests.
    dedupe_key = models.CharField(max_length=200, null=True, blank=True, unique=True)
    urgent = models.BooleanField(default=False)
    # One alert sent to several people shares a key: when one of them acknowledges it,
    # it is acknowledged for all, by that person (decision 0120).
    alert_key = models.CharField(max_length=200, blank=True, default="", db_index=True)
    read_at = models.DateTimeField(null=True, blank=True)
    acknowledged_at = models.DateTimeField(null=True, blank=True)
    acknowledged_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )

    email_status = models.CharField(
        max_length=16, choices=EmailStatus.choices, default=EmailStatus.PENDING
    )
    attempts = models.PositiveIntegerField(default=0)
    next_attempt_at = models.DateTimeField(default=timezone.now)
    # The lease: a worker that claims the row owns it until then; after that, another may.
    claimed_until = models.DateTimeField(null=True, blank=True)
    claim_token = models.UUIDField(null=True, blank=True)
    delivered_at = models.DateTimeField(null=True, blank=True)
    last_error = models.TextField(blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["recipient", "read_at"], name="notification_inbox_idx"),
            models.Index(fields=["email_status", "next_attempt_at"], name="notification_due_idx"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(urgent=True) | models.Q(acknowledged_at__isnull=True),
                name="notification_only_urgent_acknowledged",
            ),
            models.CheckConstraint(
                condition=~models.Q(email_status="delivered")
                | models.Q(delivered_at__isnull=False),
                name="notification_delivered_has_time",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.subject} (to {self.recipient_id})"

    def get_absolute_url(self) -> str:
        return reverse("notifications:inbox") + f"#notification-{self.public_id}"

    @property
    def is_read(self) -> bool:
        return self.read_at is not None

    @property
    def needs_acknowledgement(self) -> bool:
        return self.urgent and self.acknowledged_at is None
