"""The assurance loop: quarterly re-audits of inadequate and critical audits, and blind
moderation of a share of each cycle. See docs/reaudit.md and docs/moderation.md."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.urls import reverse
from django.utils import timezone

from qpa.core.models import BaseModel
from qpa.cycles.sampling import ALGORITHM


class ReAuditDraw(BaseModel):
    """One quarter's draw of the re-audit sample: its seed, so anyone can recompute it."""

    quarter = models.CharField(max_length=7, unique=True)  # "2026-Q4"
    seed = models.CharField(max_length=64)
    algorithm = models.CharField(max_length=32, default=ALGORITHM)
    # What was asked for: a total split across areas, or a share of each area's frame.
    requested_count = models.PositiveIntegerField(null=True, blank=True)
    requested_share = models.FloatField(null=True, blank=True)
    # {area slug: {"frame": n, "quota": n, "drawn": n}}
    strata = models.JSONField(default=dict)
    # The most re-audits of this draw one person was given; empty for draws made before
    # there was a limit.
    capacity = models.PositiveSmallIntegerField(null=True, blank=True)
    drawn_at = models.DateTimeField()
    drawn_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    summary_sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-quarter"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(requested_count__isnull=False)
                | models.Q(requested_share__isnull=False),
                name="reaudit_draw_has_count_or_share",
            ),
        ]

    def __str__(self) -> str:
        return f"Re-audit sample {self.quarter}"


class SummaryOccasion(models.TextChoices):
    ON_DEMAND = "on_demand", "Sent from the page"
    ALL_DONE = "all_done", "Sent when the last re-audit was submitted"
    COMMAND = "command", "Sent by the qpa reaudit summary command"


class ReAuditSummarySend(BaseModel):
    """One sending of a quarter's summary to the Assistant and Deputy Directors, with the
    figures it carried. A quarter's summary may be sent again with newer figures: each
    send is deduplicated by its own token, never by the quarter (decision 0121)."""

    draw = models.ForeignKey(ReAuditDraw, on_delete=models.PROTECT, related_name="summary_sends")
    # The page's one-time form token, or for the command and the automatic send a token
    # derived from the quarter and its figures: the same figures go once.
    token = models.UUIDField(unique=True)
    occasion = models.CharField(max_length=16, choices=SummaryOccasion.choices)
    sent_at = models.DateTimeField()
    sent_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    figures = models.JSONField(default=dict)
    recipients = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["-sent_at", "-id"]

    def __str__(self) -> str:
        return f"Summary of {self.draw.quarter} sent {self.sent_at:%Y-%m-%d %H:%M}"


class ReAudit(BaseModel):
    """A second audit of a case rated inadequate or critical, by someone else, with the
    same tool version; compared domain by domain with the original."""

    draw = models.ForeignKey(ReAuditDraw, on_delete=models.PROTECT, related_name="reaudits")
    original = models.ForeignKey("audits.Audit", on_delete=models.PROTECT, related_name="reaudits")
    reaudit = models.OneToOneField(
        "audits.Audit", on_delete=models.PROTECT, related_name="reaudit_of"
    )
    auditor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="reaudits"
    )
    # Position in the stratum's HMAC ranking (1 = first).
    rank = models.PositiveIntegerField()
    due_date = models.DateField()

    class Meta:
        ordering = ["draw", "original__service_area__order", "rank"]
        constraints = [
            models.UniqueConstraint(fields=["draw", "original"], name="one_reaudit_per_draw"),
        ]

    def __str__(self) -> str:
        return f"Re-audit of {self.original.case}"

    def get_absolute_url(self) -> str:
        return reverse("assurance:reaudit-detail", kwargs={"public_id": self.public_id})

    @property
    def is_overdue(self) -> bool:
        """Not submitted, and its due date is past (as an allocation's is_overdue)."""
        return self.reaudit.status != "submitted" and self.due_date < timezone.localdate()


class ModerationDraw(BaseModel):
    """The share of one cycle drawn for blind moderation, with its seed."""

    cycle = models.OneToOneField(
        "cycles.Cycle", on_delete=models.PROTECT, related_name="moderation_draw"
    )
    share = models.FloatField()
    seed = models.CharField(max_length=64)
    algorithm = models.CharField(max_length=32, default=ALGORITHM)
    frame_size = models.PositiveIntegerField()
    drawn_at = models.DateTimeField()
    drawn_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        ordering = ["-drawn_at"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(share__gt=0) & models.Q(share__lte=1),
                name="moderation_share_between_0_and_1",
            ),
        ]

    def __str__(self) -> str:
        return f"Moderation of {self.cycle}"


class Moderation(BaseModel):
    """A case of a cycle audited a second time, blind, by a moderator. The first audit is
    the allocation's audit; neither auditor sees the other's ratings until both are
    submitted. The agreed ratings go on the first audit (Audit.agreed_*), which reports
    count; both audits keep their own ratings."""

    draw = models.ForeignKey(ModerationDraw, on_delete=models.PROTECT, related_name="moderations")
    allocation = models.OneToOneField(
        "cycles.Allocation", on_delete=models.PROTECT, related_name="moderation"
    )
    moderator = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="moderations"
    )
    moderation_audit = models.OneToOneField(
        "audits.Audit", on_delete=models.PROTECT, related_name="moderation_of"
    )
    rank = models.PositiveIntegerField()
    agreed_at = models.DateTimeField(null=True, blank=True)
    agreed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        ordering = ["draw", "rank"]

    def __str__(self) -> str:
        return f"Moderation of {self.allocation.sampled_case.case}"

    def get_absolute_url(self) -> str:
        return reverse("assurance:moderation-detail", kwargs={"public_id": self.public_id})
