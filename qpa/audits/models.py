"""Audits of cases against a tool version, with a rating per domain."""

from __future__ import annotations

from django.conf import settings
from django.db import models

from qpa.core.models import BaseModel


class AuditStatus(models.TextChoices):
    DRAFT = "draft", "Draft"
    SUBMITTED = "submitted", "Submitted"


class AuditSource(models.TextChoices):
    QPA = "qpa", "Done in QPA"
    IMPORTED = "imported", "Imported from a spreadsheet"


class Captured(models.TextChoices):
    YES = "yes", "Yes"
    PARTLY = "partly", "Partly"
    NO = "no", "No"


class Audit(BaseModel):
    case = models.ForeignKey("cases.Case", on_delete=models.PROTECT, related_name="audits")
    tool_version = models.ForeignKey(
        "tools.ToolVersion", on_delete=models.PROTECT, related_name="audits"
    )
    auditor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="audits",
    )
    # Imported audits may name an auditor who is not a user.
    auditor_name = models.CharField(max_length=160, blank=True)
    status = models.CharField(max_length=12, choices=AuditStatus.choices, default=AuditStatus.DRAFT)
    source = models.CharField(max_length=12, choices=AuditSource.choices, default=AuditSource.QPA)
    # The service area and team when audited: reports count the case where it was then.
    service_area = models.ForeignKey(
        "organisation.ServiceArea", null=True, on_delete=models.PROTECT, related_name="audits"
    )
    team = models.ForeignKey(
        "organisation.Team", null=True, blank=True, on_delete=models.PROTECT, related_name="audits"
    )
    audit_date = models.DateField(null=True, blank=True)
    submitted_at = models.DateTimeField(null=True, blank=True)
    overall_rating = models.ForeignKey(
        "tools.Rating", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    overall_rationale = models.TextField(blank=True)
    child_experience_captured = models.CharField(max_length=8, choices=Captured.choices, blank=True)
    child_experience_text = models.TextField(blank=True)
    family_view_captured = models.CharField(max_length=8, choices=Captured.choices, blank=True)
    family_view_text = models.TextField(blank=True)
    # Optimistic locking: every save names the version it started from.
    version = models.PositiveIntegerField(default=1)

    class Meta:
        ordering = ["-audit_date", "-created_at"]
        indexes = [models.Index(fields=["status", "audit_date"])]
        constraints = [
            models.CheckConstraint(
                condition=~models.Q(status="submitted") | models.Q(overall_rating__isnull=False),
                name="submitted_audit_has_overall_rating",
            )
        ]

    def __str__(self) -> str:
        return f"Audit of {self.case} ({self.get_status_display()})"

    @property
    def auditor_display(self) -> str:
        return str(self.auditor) if self.auditor else self.auditor_name


class DomainRating(models.Model):
    audit = models.ForeignKey(Audit, on_delete=models.CASCADE, related_name="domain_ratings")
    domain = models.ForeignKey("tools.Domain", on_delete=models.PROTECT, related_name="+")
    rating = models.ForeignKey(
        "tools.Rating", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    not_applicable = models.BooleanField(default=False)
    evidence = models.TextField(blank=True)
    strengths = models.TextField(blank=True)
    improvements = models.TextField(blank=True)

    class Meta:
        ordering = ["audit", "domain__order"]
        constraints = [
            models.UniqueConstraint(fields=["audit", "domain"], name="unique_domain_rating"),
            models.CheckConstraint(
                condition=~(models.Q(not_applicable=True) & models.Q(rating__isnull=False)),
                name="not_applicable_has_no_rating",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.domain}: {self.rating or 'not applicable'}"
