"""People who use QPA: one role each, and the teams and service areas they belong to."""

from __future__ import annotations

from django.contrib.auth.models import AbstractUser
from django.db import models


class Role(models.TextChoices):
    AUDITOR = "auditor", "Auditor (Senior Team Manager)"
    HEAD_OF_SERVICE = "head_of_service", "Head of Service"
    ASSISTANT_DIRECTOR = "assistant_director", "Assistant Director"
    DEPUTY_DIRECTOR = "deputy_director", "Deputy Director"
    PERFORMANCE = "performance", "Performance team"
    PRACTITIONER = "practitioner", "Practitioner"
    ADMINISTRATOR = "administrator", "Administrator"


class User(AbstractUser):
    """A member of staff. Names are kept; no child's name is ever stored in QPA."""

    role = models.CharField(max_length=32, choices=Role.choices, default=Role.PRACTITIONER)
    job_title = models.CharField(max_length=120, blank=True)
    # The next manager up: where escalations go when this person's work is overdue.
    manager = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.SET_NULL, related_name="reports"
    )
    teams = models.ManyToManyField(
        "organisation.Team",
        through="organisation.TeamMembership",
        through_fields=("user", "team"),
        related_name="members",
    )
    # A Head of Service's or director's areas of responsibility.
    service_areas = models.ManyToManyField(
        "organisation.ServiceArea", blank=True, related_name="responsible_people"
    )

    class Meta:
        ordering = ["last_name", "first_name"]

    def __str__(self) -> str:
        return self.get_full_name() or self.username

    @property
    def role_label(self) -> str:
        return Role(self.role).label


class RecoveryCode(models.Model):
    """A single-use code for the second sign-in step when the authenticator app is lost.

    Only a salted SHA-256 hash is kept (qpa.accounts.mfa): the code itself is shown once,
    when it is made. The codes carry about 72 bits of chance, so a fast hash is enough.
    """

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="recovery_codes")
    salt = models.CharField(max_length=32)
    code_hash = models.CharField(max_length=64)
    created_at = models.DateTimeField(auto_now_add=True)
    used_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [models.Index(fields=["user", "used_at"])]

    def __str__(self) -> str:
        return f"Recovery code {self.pk} of {self.user}"
