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

    class Meta:
        ordering = ["child_id"]
        indexes = [models.Index(fields=["status", "service_area"])]

    def __str__(self) -> str:
        return self.child_id
