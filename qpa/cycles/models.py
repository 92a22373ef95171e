"""Audit cycles: a month's or a theme's round of audits, its sampling plan, the sample
drawn for it, the allocations to auditors, and an append-only log of every change."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.urls import reverse
from django.utils import timezone

from qpa.core.models import BaseModel
from qpa.cycles.sampling import ALGORITHM


class QuotaMethod(models.TextChoices):
    FIXED = "fixed", "A fixed number of cases for each service area"
    PROPORTIONAL = "proportional", "A total, split in proportion to each area's open cases"


class SamplingPlan(BaseModel):
    """How many cases to draw from each service area, and which cases to leave out. Saved
    under a name and reused month after month."""

    name = models.CharField(max_length=120, unique=True)
    method = models.CharField(max_length=16, choices=QuotaMethod.choices)
    # Proportional plans: the total to split and the least any area with open cases gets.
    total = models.PositiveIntegerField(null=True, blank=True)
    minimum_per_area = models.PositiveIntegerField(default=0)
    # Cases with an audit submitted in this many months before the draw are left out.
    exclude_audited_within_months = models.PositiveSmallIntegerField(default=12)
    is_active = models.BooleanField(default=True)

    class Meta:
        ordering = ["name"]
        constraints = [
            models.CheckConstraint(
                condition=~models.Q(method="proportional") | models.Q(total__gt=0),
                name="proportional_plan_has_a_total",
            ),
        ]

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("cycles:plan-detail", kwargs={"plan_id": self.public_id})


class PlanQuota(models.Model):
    """A fixed plan's number of cases for one service area."""

    plan = models.ForeignKey(SamplingPlan, on_delete=models.CASCADE, related_name="quotas")
    service_area = models.ForeignKey(
        "organisation.ServiceArea", on_delete=models.PROTECT, related_name="+"
    )
    count = models.PositiveIntegerField()

    class Meta:
        ordering = ["plan", "service_area__order"]
        constraints = [
            models.UniqueConstraint(fields=["plan", "service_area"], name="unique_plan_quota"),
        ]

    def __str__(self) -> str:
        return f"{self.service_area}: {self.count}"


class CycleKind(models.TextChoices):
    MONTHLY = "monthly", "Monthly audit"
    THEMED = "themed", "Themed audit"


class CycleStatus(models.TextChoices):
    DRAFT = "draft", "Not drawn yet"
    DRAWN = "drawn", "Sample drawn"
    ALLOCATED = "allocated", "Allocated"


class Cycle(BaseModel):
    kind = models.CharField(max_length=12, choices=CycleKind.choices)
    # Monthly cycles: the first day of the month.
    month = models.DateField(null=True, blank=True)
    theme = models.CharField(max_length=160, blank=True)
    tool = models.ForeignKey("tools.AuditTool", on_delete=models.PROTECT, related_name="cycles")
    # The tool's current version when the sample was drawn.
    tool_version = models.ForeignKey(
        "tools.ToolVersion", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    # Monthly cycles follow a plan. A themed cycle may have none: it draws `sample_size`
    # cases from its population (every eligible case when empty), shared between service
    # areas in proportion to their eligible cases.
    plan = models.ForeignKey(
        SamplingPlan, null=True, blank=True, on_delete=models.PROTECT, related_name="cycles"
    )
    sample_size = models.PositiveIntegerField(null=True, blank=True)
    # {filter key: value}; see qpa.cycles.population.FILTERS.
    population_filter = models.JSONField(default=dict, blank=True)
    due_date = models.DateField()
    status = models.CharField(max_length=12, choices=CycleStatus.choices, default=CycleStatus.DRAFT)
    seed = models.CharField(max_length=64, blank=True)
    algorithm = models.CharField(max_length=32, default=ALGORITHM)
    # The day the population and exclusions were judged against.
    reference_date = models.DateField(null=True, blank=True)
    drawn_at = models.DateTimeField(null=True, blank=True)
    drawn_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    allocated_at = models.DateTimeField(null=True, blank=True)
    # Only an Administrator turns this on; every pick is then logged and reported.
    hand_picking_allowed = models.BooleanField(default=False)

    class Meta:
        ordering = ["-month", "-created_at"]
        constraints = [
            models.CheckConstraint(
                condition=(models.Q(kind="monthly") & models.Q(month__isnull=False))
                | (models.Q(kind="themed") & ~models.Q(theme="")),
                name="cycle_has_month_or_theme",
            ),
            models.CheckConstraint(
                condition=models.Q(status="draft")
                | (~models.Q(seed="") & models.Q(drawn_at__isnull=False)),
                name="drawn_cycle_has_seed",
            ),
            models.UniqueConstraint(
                fields=["tool", "month"],
                condition=models.Q(kind="monthly"),
                name="one_monthly_cycle_per_tool_and_month",
            ),
            models.CheckConstraint(
                condition=models.Q(kind="themed") | models.Q(plan__isnull=False),
                name="monthly_cycle_has_plan",
            ),
            models.CheckConstraint(
                condition=models.Q(plan__isnull=True) | models.Q(sample_size__isnull=True),
                name="sample_size_only_without_plan",
            ),
        ]

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("cycles:cycle-detail", kwargs={"cycle_id": self.public_id})

    @property
    def name(self) -> str:
        if self.kind == CycleKind.MONTHLY and self.month:
            return f"{self.tool.name}, {self.month:%B %Y}"
        return f"Themed: {self.theme}"

    @property
    def is_frozen(self) -> bool:
        return self.status != CycleStatus.DRAFT


class CycleAuditor(models.Model):
    cycle = models.ForeignKey(Cycle, on_delete=models.CASCADE, related_name="auditors")
    auditor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="cycle_places"
    )
    capacity = models.PositiveSmallIntegerField()

    class Meta:
        ordering = ["cycle", "auditor__last_name", "auditor__first_name", "auditor__username"]
        constraints = [
            models.UniqueConstraint(fields=["cycle", "auditor"], name="unique_cycle_auditor"),
            models.CheckConstraint(condition=models.Q(capacity__gte=1), name="capacity_at_least_1"),
        ]

    def __str__(self) -> str:
        return f"{self.auditor} ({self.capacity})"


class Stratum(models.Model):
    """One service area of a drawn cycle: its population, what the exclusions removed,
    the frame left, the quota and the number drawn. The draw report reads these rows."""

    cycle = models.ForeignKey(Cycle, on_delete=models.CASCADE, related_name="strata")
    service_area = models.ForeignKey(
        "organisation.ServiceArea", on_delete=models.PROTECT, related_name="+"
    )
    population = models.PositiveIntegerField()
    # {exclusion rule: cases removed}; see qpa.cycles.sampling.EXCLUSION_RULES.
    excluded = models.JSONField(default=dict)
    frame_size = models.PositiveIntegerField()
    quota = models.PositiveIntegerField()
    drawn = models.PositiveIntegerField()

    class Meta:
        ordering = ["cycle", "service_area__order"]
        constraints = [
            models.UniqueConstraint(fields=["cycle", "service_area"], name="unique_cycle_stratum"),
        ]

    def __str__(self) -> str:
        return f"{self.service_area}: {self.drawn} of {self.frame_size}"

    @property
    def key(self) -> str:
        return self.service_area.slug

    @property
    def shortfall(self) -> int:
        return max(self.quota - self.drawn, 0)


class HowChosen(models.TextChoices):
    DRAWN = "drawn", "Drawn at random"
    REPLACEMENT = "replacement", "Drawn at random as a replacement"
    HAND_PICKED = "hand_picked", "Hand-picked"


class SampledCase(BaseModel):
    cycle = models.ForeignKey(Cycle, on_delete=models.CASCADE, related_name="sampled_cases")
    case = models.ForeignKey("cases.Case", on_delete=models.PROTECT, related_name="sampled")
    stratum = models.ForeignKey(Stratum, on_delete=models.PROTECT, related_name="sampled_cases")
    how_chosen = models.CharField(max_length=16, choices=HowChosen.choices)
    # Position in the stratum's HMAC ranking (1 = first); empty when hand-picked.
    rank = models.PositiveIntegerField(null=True, blank=True)
    # The frame the case was chosen from and the exclusions that shaped it, when chosen.
    frame_size = models.PositiveIntegerField()
    exclusions = models.JSONField(default=dict)
    replaced_by = models.OneToOneField(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="replaces"
    )
    replacement_reason = models.TextField(blank=True)

    class Meta:
        ordering = ["cycle", "stratum__service_area__order", "rank", "created_at"]
        constraints = [
            # A case is sampled once in a cycle: a replaced case is never drawn again.
            models.UniqueConstraint(fields=["cycle", "case"], name="unique_case_per_cycle"),
            models.CheckConstraint(
                condition=models.Q(replaced_by__isnull=True) | ~models.Q(replacement_reason=""),
                name="replacement_has_reason",
            ),
            models.CheckConstraint(
                condition=models.Q(how_chosen="hand_picked") | models.Q(rank__isnull=False),
                name="drawn_case_has_rank",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.case} in {self.cycle}"

    @property
    def is_current(self) -> bool:
        return self.replaced_by_id is None


class AllocationStatus(models.TextChoices):
    ALLOCATED = "allocated", "To do"
    COMPLETED = "completed", "Audit submitted"
    WITHDRAWN = "withdrawn", "Withdrawn: case replaced"


class Allocation(BaseModel):
    sampled_case = models.OneToOneField(
        SampledCase, on_delete=models.PROTECT, related_name="allocation"
    )
    auditor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="allocations"
    )
    due_date = models.DateField()
    status = models.CharField(
        max_length=12, choices=AllocationStatus.choices, default=AllocationStatus.ALLOCATED
    )
    # The latest reallocation's reason; the change log keeps every one.
    reallocation_reason = models.TextField(blank=True)

    class Meta:
        ordering = ["due_date", "sampled_case__case__child_id"]
        indexes = [models.Index(fields=["auditor", "status"])]

    def __str__(self) -> str:
        return f"{self.sampled_case.case} to {self.auditor}"

    @property
    def is_overdue(self) -> bool:
        return self.status == AllocationStatus.ALLOCATED and self.due_date < timezone.localdate()


class ChangeKind(models.TextChoices):
    REPLACEMENT = "replacement", "Case replaced"
    REALLOCATION = "reallocation", "Case reallocated"
    HAND_PICK = "hand_pick", "Case hand-picked"
    HAND_PICKING_SETTING = "hand_picking_setting", "Hand-picking turned on or off"


class ChangeLogQuerySet(models.QuerySet["CycleChange"]):
    def update(self, **kwargs: Any) -> int:
        raise ValidationError("The cycle change log is append-only.")

    def delete(self) -> tuple[int, dict[str, int]]:
        raise ValidationError("The cycle change log is append-only.")


class CycleChange(models.Model):
    """Append-only: who changed a frozen sample or its allocations, when, and why."""

    cycle = models.ForeignKey(Cycle, on_delete=models.PROTECT, related_name="changes")
    kind = models.CharField(max_length=24, choices=ChangeKind.choices)
    # Empty when the change came from a command run by cron.
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    at = models.DateTimeField(default=timezone.now)
    reason = models.TextField()
    sampled_case = models.ForeignKey(
        SampledCase, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    replacement = models.ForeignKey(
        SampledCase, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    from_auditor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    to_auditor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    summary = models.CharField(max_length=300)

    objects = ChangeLogQuerySet.as_manager()

    class Meta:
        ordering = ["at", "id"]
        constraints = [
            models.CheckConstraint(condition=~models.Q(reason=""), name="change_has_reason"),
        ]

    def __str__(self) -> str:
        return self.summary

    def save(self, *args: Any, **kwargs: Any) -> None:
        if self.pk is not None:
            raise ValidationError("The cycle change log is append-only.")
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> tuple[int, dict[str, int]]:
        raise ValidationError("The cycle change log is append-only.")
