"""Audits of cases against a tool version, with a rating per domain."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.urls import reverse
from django.utils import timezone

from qpa.core.models import BaseModel
from qpa.tools.models import Answer


class AuditStatus(models.TextChoices):
    DRAFT = "draft", "Draft"
    SUBMITTED = "submitted", "Submitted"


class AuditSource(models.TextChoices):
    QPA = "qpa", "Done in QPA"
    IMPORTED = "imported", "Imported from a spreadsheet"


class ChildSafe(models.TextChoices):
    """Is the child safe now? Asked on every audit; "no" and "not sure" raise a
    safeguarding alert at once (docs/audits.md, decision 0114)."""

    YES = "yes", "Yes"
    NO = "no", "No"
    NOT_SURE = "not_sure", "Not sure"


SAFEGUARDING_CONCERNS = frozenset({ChildSafe.NO, ChildSafe.NOT_SURE})


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
    # An imported audit's auditor, as the file names them: never linked to an account.
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
    # Is the child safe now? The auditor's answer and why (decision 0114).
    child_safe = models.CharField(max_length=10, choices=ChildSafe.choices, blank=True)
    child_safe_reason = models.TextField(blank=True)
    # Why the overall rating lies more than a grade from the domains (decision 0115).
    consistency_reason = models.TextField(blank=True)
    # Optimistic locking: every save names the version it started from.
    version = models.PositiveIntegerField(default=1)
    # The allocation the audit answers, when it was started from one: one audit each.
    allocation = models.OneToOneField(
        "cycles.Allocation",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="audit",
    )
    # Moderation (qpa.assurance): the ratings the moderator recorded as agreed, with the
    # reason. Set only by moderation_agree; reports count them when agreed_at is set.
    agreed_overall_rating = models.ForeignKey(
        "tools.Rating", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    agreed_overall_reason = models.TextField(blank=True)
    agreed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-audit_date", "-created_at"]
        indexes = [models.Index(fields=["status", "audit_date"])]
        # A submitted audit has an overall rating unless its tool version makes it
        # optional (ToolVersion.overall_rating_optional): audit_problems checks it, since
        # a check constraint cannot look at the version.
        constraints = [
            # An imported audit names its auditor as text and links no account, which
            # would open the case to it ("cases audited by me"): decision 0107.
            models.CheckConstraint(
                condition=~models.Q(source="imported") | models.Q(auditor__isnull=True),
                name="imported_audit_links_no_account",
            ),
        ]

    def __str__(self) -> str:
        return f"Audit of {self.case} ({self.get_status_display()})"

    def get_absolute_url(self) -> str:
        return reverse("audits:audit-detail", kwargs={"public_id": self.public_id})

    @property
    def is_draft(self) -> bool:
        return self.status == AuditStatus.DRAFT

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
    # Moderation: the agreed rating (or not applicable) and why; see Audit.agreed_at.
    agreed_rating = models.ForeignKey(
        "tools.Rating", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    agreed_not_applicable = models.BooleanField(default=False)
    agreed_reason = models.TextField(blank=True)

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


class ChangeKind(models.TextChoices):
    SUBMITTED = "submitted", "Submitted"
    REOPENED = "reopened", "Reopened"


class AuditChangeQuerySet(models.QuerySet["AuditChange"]):
    def update(self, **kwargs: Any) -> int:
        raise ValidationError("The audit history is append-only.")

    def delete(self) -> tuple[int, dict[str, int]]:
        raise ValidationError("The audit history is append-only.")

    def with_its_case(self) -> tuple[int, dict[str, int]]:
        """Deletes these entries with the case they are about, once it is past retention:
        the one way they are ever deleted (qpa.dataprotection.retention)."""
        return super().delete()


class AuditChange(models.Model):
    """Append-only: every submission and every reopen of an audit, who, when and why.

    A submission carries the one-time token of the form that sent it; the unique
    constraint makes a second POST of the same form find the first instead of submitting
    twice. Moderation and re-audit add their own kinds here.
    """

    audit = models.ForeignKey(Audit, on_delete=models.PROTECT, related_name="changes")
    kind = models.CharField(max_length=16, choices=ChangeKind.choices)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    at = models.DateTimeField(default=timezone.now)
    reason = models.TextField(blank=True)
    token = models.UUIDField(null=True, blank=True, unique=True)
    # The audit's version once the change was made.
    version = models.PositiveIntegerField()

    objects = AuditChangeQuerySet.as_manager()

    class Meta:
        ordering = ["at", "id"]
        constraints = [
            models.CheckConstraint(
                condition=~models.Q(kind="reopened") | ~models.Q(reason=""),
                name="audit_reopen_has_reason",
            ),
            models.CheckConstraint(
                condition=~models.Q(kind="submitted") | models.Q(token__isnull=False),
                name="audit_submission_has_token",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.audit}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        if self.pk is not None:
            raise ValidationError("The audit history is append-only.")
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> tuple[int, dict[str, int]]:
        raise ValidationError("The audit history is append-only.")


class AuditReply(BaseModel):
    """The practitioner's right of reply: once per audit, shown with it."""

    audit = models.OneToOneField(Audit, on_delete=models.PROTECT, related_name="reply")
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="audit_replies"
    )
    text = models.TextField()

    class Meta:
        constraints = [
            models.CheckConstraint(condition=~models.Q(text=""), name="audit_reply_has_text"),
        ]

    def __str__(self) -> str:
        return f"Reply to {self.audit}"


class Severity(models.TextChoices):
    INADEQUATE = "inadequate", "Inadequate"
    CRITICAL = "critical", "Critical"
    # The auditor answered "no" or "not sure" to "Is the child safe now?".
    SAFEGUARDING = "safeguarding", "Safeguarding concern"


class AuditAlert(models.Model):
    """One alert an audit sent to a manager; escalation finds the audit through it. A
    safeguarding alert is raised when the answer is saved, before any submission."""

    audit = models.ForeignKey(Audit, on_delete=models.PROTECT, related_name="alerts")
    submission = models.ForeignKey(
        AuditChange, null=True, blank=True, on_delete=models.PROTECT, related_name="alerts"
    )
    notification = models.OneToOneField(
        "notifications.Notification", on_delete=models.PROTECT, related_name="audit_alert"
    )
    severity = models.CharField(max_length=12, choices=Severity.choices)

    class Meta:
        ordering = ["audit", "id"]

    def __str__(self) -> str:
        return f"{self.get_severity_display()} alert for {self.audit}"


class VoiceAnswer(models.Model):
    """The answer to one of the tool version's questions about the child's voice and the
    family's view (`tools.VoiceQuestion`), with its short text (decision 0125)."""

    audit = models.ForeignKey(Audit, on_delete=models.CASCADE, related_name="voice_answers")
    question = models.ForeignKey(
        "tools.VoiceQuestion", on_delete=models.PROTECT, related_name="answers"
    )
    # Blank until answered: a draft keeps a text written before its answer.
    answer = models.CharField(max_length=16, choices=Answer.choices, blank=True)
    text = models.TextField(blank=True)

    class Meta:
        ordering = ["audit", "question__order"]
        constraints = [
            models.UniqueConstraint(fields=["audit", "question"], name="unique_voice_answer"),
        ]

    def __str__(self) -> str:
        return f"{self.question}: {self.get_answer_display() or 'not answered'}"


class RecommendationStatus(models.TextChoices):
    PROPOSED = "proposed", "Waiting for a decision"
    CONFIRMED = "confirmed", "Confirmed"
    DECLINED = "declined", "Declined"


class RecommendedAction(BaseModel):
    """An action the auditor recommends while auditing: what, a suggested owner, by when.
    A Head of Service confirms it (it becomes a follow-up action, `actions.Action`,
    perhaps changed), or declines it with a reason (decision 0126)."""

    audit = models.ForeignKey(Audit, on_delete=models.PROTECT, related_name="recommendations")
    description = models.TextField()
    suggested_owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    due_date = models.DateField()
    status = models.CharField(
        max_length=12, choices=RecommendationStatus.choices, default=RecommendationStatus.PROPOSED
    )
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    decline_reason = models.TextField(blank=True)

    class Meta:
        ordering = ["audit", "created_at", "id"]
        constraints = [
            models.CheckConstraint(
                condition=~models.Q(description=""), name="recommendation_has_description"
            ),
            models.CheckConstraint(
                condition=~models.Q(status="declined") | ~models.Q(decline_reason=""),
                name="declined_recommendation_has_reason",
            ),
            models.CheckConstraint(
                condition=models.Q(status="proposed") | models.Q(decided_at__isnull=False),
                name="decided_recommendation_has_time",
            ),
        ]

    def __str__(self) -> str:
        return self.description[:60]

    @property
    def is_proposed(self) -> bool:
        return self.status == RecommendationStatus.PROPOSED
