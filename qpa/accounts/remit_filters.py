"""Filters that narrow a list to part of a person's remit."""

from __future__ import annotations

from django import forms

from qpa.accounts.models import User
from qpa.accounts.permissions import Permission, user_can
from qpa.organisation.models import ServiceArea


def service_area_filter(*, user: User) -> forms.ModelChoiceField:  # type: ignore[type-arg]
    """A choice of the person's own service areas, or of every area for the directors, who
    see the whole service."""
    whole_service = user_can(user, Permission.WHOLE_SERVICE)
    return forms.ModelChoiceField(
        label="Service area",
        required=False,
        queryset=ServiceArea.objects.all() if whole_service else user.service_areas.all(),
        empty_label="The whole service" if whole_service else "All my service areas",
        to_field_name="slug",
    )
