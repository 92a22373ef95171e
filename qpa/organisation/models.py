"""The council, its service areas and teams, and who belongs to which team."""

from __future__ import annotations

from django.conf import settings
from django.db import models

from qpa.core.models import BaseModel


class Council(BaseModel):
    """The one council this installation serves."""

    name = models.CharField(max_length=200)

    def __str__(self) -> str:
        return self.name


class ServiceArea(BaseModel):
    slug = models.SlugField(max_length=60, unique=True)
    name = models.CharField(max_length=120, unique=True)
    order = models.PositiveSmallIntegerField(default=0)
    is_active = models.BooleanField(default=True)
    # Areas no statutory return names (disabilities, the front door): a case is in one
    # of these when its allocated team is, whatever lists the child is on.
    decided_by_team = models.BooleanField(default=False)

    class Meta:
        ordering = ["order", "name"]

    def __str__(self) -> str:
        return self.name


class Team(BaseModel):
    name = models.CharField(max_length=160, unique=True)
    service_area = models.ForeignKey(ServiceArea, on_delete=models.PROTECT, related_name="teams")
    manager = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="managed_teams",
    )
    is_active = models.BooleanField(default=True)

    class Meta:
        ordering = ["service_area__order", "name"]

    def __str__(self) -> str:
        return self.name


class TeamMembership(BaseModel):
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE)
    team = models.ForeignKey(Team, on_delete=models.CASCADE)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "team"], name="unique_team_membership")
        ]

    def __str__(self) -> str:
        return f"{self.user} in {self.team}"
