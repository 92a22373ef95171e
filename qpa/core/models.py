"""Base model and shared model pieces."""

from __future__ import annotations

import uuid

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import models


class BaseModel(models.Model):
    """Who created and last changed a record, and when; an opaque id for URLs."""

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    updated_at = models.DateTimeField(auto_now=True)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )

    class Meta:
        abstract = True


class Event(models.Model):
    """One entry in the account of every look: append-only, hash-chained and signed.

    Written only by qpa.core.events.event_record. Who acted is stored as plain values,
    not a foreign key, so deleting a user (or a case) never cascades into the log.
    Database triggers refuse UPDATE and DELETE (docs/decisions/0030-hash-chained-event-log.md).
    """

    seq = models.PositiveBigIntegerField(primary_key=True)
    occurred_at = models.DateTimeField()
    actor_id = models.BigIntegerField(null=True, blank=True)
    actor_username = models.CharField(max_length=150, blank=True)
    actor_role = models.CharField(max_length=32, blank=True)
    action = models.CharField(max_length=64)
    object_type = models.CharField(max_length=64, blank=True)
    object_id = models.CharField(max_length=64, blank=True)
    # The one child the entry is about, when it is about one.
    child_id = models.CharField(max_length=64, blank=True)
    # Every child the entry is about, space-separated with a space at each end, so that
    # "who looked at this child" is one portable LIKE query on SQLite and PostgreSQL.
    child_ids = models.TextField(blank=True)
    ip = models.CharField(max_length=45, blank=True)
    request_id = models.CharField(max_length=64, blank=True)
    # Identifiers and counts only: never case-note text.
    data = models.JSONField(default=dict, blank=True)
    prev_hash = models.CharField(max_length=64)
    # The key that signed the entry (settings.QPA_EVENT_LOG_KEYS): `hash` is then an
    # HMAC-SHA256 under it. Blank only for entries written before the log was signed.
    key_id = models.CharField(max_length=16, blank=True, default="")
    hash = models.CharField(max_length=64, unique=True)

    class Meta:
        ordering = ["-seq"]
        indexes = [
            models.Index(fields=["child_id"], name="event_child_idx"),
            models.Index(fields=["actor_username", "occurred_at"], name="event_actor_idx"),
            models.Index(fields=["action", "occurred_at"], name="event_action_idx"),
            models.Index(fields=["occurred_at"], name="event_time_idx"),
        ]

    def __str__(self) -> str:
        return f"#{self.seq} {self.action} by {self.actor_username or 'system'}"

    @property
    def actor_role_label(self) -> str:
        # The role's label from the user model's choices: core imports no QPA app.
        labels = dict(get_user_model()._meta.get_field("role").choices or [])
        return str(labels.get(self.actor_role, self.actor_role))
