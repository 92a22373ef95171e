"""Follow-up actions on audits rated inadequate or critical: what, who, by when, and the
evidence that it was done."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.urls import reverse
from django.utils import timezone

from qpa.core.models import BaseModel


class ActionStatus(models.TextChoices):
    OPEN = "open", "Open"
    IN_PROGRESS = "in_progress", "In progress"
    COMPLETED = "completed", "Completed"


class Action(BaseModel):
    audit = models.ForeignKey("audits.Audit", on_delete=models.PROTECT, related_name="actions")
    description = models.TextField()
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="actions"
    )
    due_date = models.DateField()
    status = models.CharField(
        max_length=12, choices=ActionStatus.choices, default=ActionStatus.OPEN
    )
    evidence = models.TextField(blank=True)
    completed_at = models.DateTimeField(null=True, blank=True)
    completed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    # The auditor's recommended action this one was confirmed from (decision 0126).
    recommendation = models.OneToOneField(
        "audits.RecommendedAction",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="action",
    )

    class Meta:
        ordering = ["due_date", "created_at"]
        indexes = [
            models.Index(fields=["owner", "status"]),
            models.Index(fields=["status", "due_date"]),
        ]
        constraints = [
            models.CheckConstraint(
                condition=~models.Q(description=""), name="action_has_description"
            ),
            models.CheckConstraint(
                condition=~models.Q(status="completed")
                | (~models.Q(evidence="") & models.Q(completed_at__isnull=False)),
                name="completed_action_has_evidence",
            ),
        ]

    def __str__(self) -> str:
        return self.description[:60]

    def get_absolute_url(self) -> str:
        return reverse("actions:action-detail", kwargs={"public_id": self.public_id})

    @property
    def is_overdue(self) -> bool:
        return self.status != ActionStatus.COMPLETED and self.due_date < timezone.localdate()


class ActionReopening(models.Model):
    """A completed action reopened by a Head of Service: who, when and why. Kept with the
    action, as an audit's reopening reason is kept in its history, rather than in the
    event log, which is never purged."""

    action = models.ForeignKey(Action, on_delete=models.CASCADE, related_name="reopenings")
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    at = models.DateTimeField(default=timezone.now)
    reason = models.TextField()

    class Meta:
        ordering = ["-at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=~models.Q(reason=""), name="action_reopening_has_reason"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.action} reopened"
