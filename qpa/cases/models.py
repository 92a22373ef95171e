"""Cases: one per child, keyed by the case-management system's ID. No names are held."""

from __future__ import annotations

from django.conf import settings
from django.db import models

from qpa.core.models import BaseModel


class CaseStatus(models.TextChoices):
    OPEN = "open", "Open"
    CLOSED = "closed", "Closed"


class Case(BaseModel):
    child_id = models.CharField(
        "Child Unique ID", max_length=64, unique=True, help_text="The case-management system's ID."
    )
    status = models.CharField(max_length=8, choices=CaseStatus.choices, default=CaseStatus.OPEN)
    service_area = models.ForeignKey(
        "organisation.ServiceArea",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="cases",
    )
    team = models.ForeignKey(
        "organisation.Team", null=True, blank=True, on_delete=models.PROTECT, related_name="cases"
    )
    worker_name = models.CharField("Allocated worker", max_length=160, blank=True)
    practitioner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="cases",
    )
    # Annex A attributes used to filter themed samples.
    gender = models.CharField(max_length=40, blank=True)
    ethnicity = models.CharField(max_length=40, blank=True)
    date_of_birth = models.DateField(null=True, blank=True)
    has_disability = models.BooleanField(null=True)
    # Key dates.
    opened_on = models.DateField(null=True, blank=True)
    closed_on = models.DateField(null=True, blank=True)
    cin_start_date = models.DateField(null=True, blank=True)
    cp_plan_start_date = models.DateField(null=True, blank=True)
    looked_after_start_date = models.DateField(null=True, blank=True)
    # Every other Annex A column of the lists the child appears on, by list number.
    attributes = models.JSONField(default=dict, blank=True)
    # A legal hold (an inquiry, litigation) keeps the case and its audits past retention.
    legal_hold = models.BooleanField(default=False)
    legal_hold_reason = models.CharField(max_length=300, blank=True)

    class Meta:
        ordering = ["child_id"]
        indexes = [models.Index(fields=["status", "service_area"])]

    def __str__(self) -> str:
        return self.child_id


class PopulationSource(models.TextChoices):
    """Where in the statutory returns a child's open case comes from."""

    LOOKED_AFTER = "looked_after", "Children in care (Annex A List 8, not ceased)"
    CHILD_PROTECTION = "child_protection", "Child protection plan (List 7, not ended)"
    LEAVING_CARE = "leaving_care", "Care leavers (List 9)"
    CHILD_IN_NEED = "child_in_need", "Children in need (List 6, not closed)"


class PopulationRule(models.Model):
    """Which service area each source puts a case in, and which source wins when a child
    is on several lists (lowest precedence number first)."""

    source = models.CharField(max_length=20, choices=PopulationSource.choices, unique=True)
    service_area = models.ForeignKey("organisation.ServiceArea", on_delete=models.PROTECT)
    precedence = models.PositiveSmallIntegerField()

    class Meta:
        ordering = ["precedence"]

    def __str__(self) -> str:
        return f"{self.get_source_display()} → {self.service_area}"


class ImportKind(models.TextChoices):
    ANNEX_A = "annex_a", "Annex A workbook"
    CASE_LIST = "case_list", "Case list"
    PAST_AUDITS = "past_audits", "Past audits"


class ImportStatus(models.TextChoices):
    AWAITING_MAPPING = "mapping", "Waiting for its columns to be matched"
    QUEUED = "queued", "Waiting to start"
    RUNNING = "running", "Running"
    COMPLETED = "completed", "Completed"
    REJECTED = "rejected", "Rejected: nothing was written"
    FAILED = "failed", "Failed: nothing was written"


class ImportRun(BaseModel):
    """One import: who, when, which file (by name and SHA-256), and what it did."""

    kind = models.CharField(max_length=16, choices=ImportKind.choices)
    status = models.CharField(max_length=12, choices=ImportStatus.choices, default="queued")
    file_name = models.CharField(max_length=255)
    file_sha256 = models.CharField(max_length=64)
    file_size = models.PositiveBigIntegerField(default=0)
    # The upload itself, kept until the import has run so any server can run it.
    content = models.BinaryField(null=True, blank=True, editable=False)
    options = models.JSONField(default=dict, blank=True)
    rows_total = models.PositiveIntegerField(default=0)
    rows_done = models.PositiveIntegerField(default=0)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    # `qpa worker` holds a running import until this moment and extends it as rows go by;
    # a run whose worker stopped (a restart) is taken up again once it has passed.
    lease_until = models.DateTimeField(null=True, blank=True)
    attempts = models.PositiveSmallIntegerField(default=0)
    # Counts: created, updated, closed, unchanged, skipped, per service area, etc.
    summary = models.JSONField(default=dict, blank=True)
    error_count = models.PositiveIntegerField(default=0)
    # Every bad row as CSV (row, column, message), for download.
    errors_csv = models.TextField(blank=True)
    message = models.TextField(blank=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.file_name} ({self.get_status_display()})"

    def get_absolute_url(self) -> str:
        from django.urls import reverse

        return reverse("cases:import-detail", kwargs={"public_id": self.public_id})

    @property
    def is_finished(self) -> bool:
        return self.status in {ImportStatus.COMPLETED, ImportStatus.REJECTED, ImportStatus.FAILED}

    @property
    def percent_done(self) -> int:
        if self.is_finished:
            return 100
        if not self.rows_total:
            return 0
        return min(99, self.rows_done * 100 // self.rows_total)


class CaseListMapping(BaseModel):
    """A saved, named column mapping for case lists from another case-management system."""

    name = models.CharField(max_length=120, unique=True)
    # QPA field -> the file's column header.
    columns = models.JSONField(default=dict)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name
