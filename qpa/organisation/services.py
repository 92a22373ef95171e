"""Writes to the organisation: the council's name and its service areas. Each is in the
event log. `acting_user` is the person making the change (None from a command)."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Max
from django.utils.text import slugify

from qpa.core.events import event_record
from qpa.organisation.models import Council, ServiceArea

NAME_MAX = 120


@transaction.atomic
def council_rename(*, acting_user: Any, name: str) -> Council:
    """Set the council's name, shown in every page's header, emails and reports."""
    name = " ".join(name.split())
    if not name:
        raise ValidationError({"name": "Enter the council’s name"})
    if len(name) > Council._meta.get_field("name").max_length:  # type: ignore[operator]
        raise ValidationError({"name": "The name must be 200 characters or fewer"})
    council = Council.objects.select_for_update().order_by("pk").first()
    if council is None:
        council = Council.objects.create(name=name, created_by=acting_user, updated_by=acting_user)
    elif council.name != name:
        council.name, council.updated_by = name, acting_user
        council.save(update_fields=["name", "updated_by", "updated_at"])
    else:
        return council
    event_record(
        action="organisation.council_named", actor=acting_user, obj=council, data={"council": name}
    )
    return council


def _clean_area_name(name: str, area: ServiceArea | None) -> str:
    name = " ".join(name.split())
    if not name:
        raise ValidationError({"name": "Enter the service area’s name"})
    if len(name) > NAME_MAX:
        raise ValidationError({"name": f"The name must be {NAME_MAX} characters or fewer"})
    others = ServiceArea.objects.filter(name__iexact=name)
    if area is not None:
        others = others.exclude(pk=area.pk)
    if others.exists():
        raise ValidationError({"name": "There is already a service area with this name"})
    return name


@transaction.atomic
def service_area_create(*, acting_user: Any, name: str) -> ServiceArea:
    """Add a service area after the others."""
    name = _clean_area_name(name, None)
    base = slugify(name)[:50] or "area"
    if base == "new":  # the address of the "Add a service area" page
        base = "new-area"
    slug, n = base, 2
    while ServiceArea.objects.filter(slug=slug).exists():
        slug, n = f"{base}-{n}", n + 1
    last = ServiceArea.objects.aggregate(last=Max("order"))["last"] or 0
    area = ServiceArea.objects.create(
        slug=slug, name=name, order=last + 1, created_by=acting_user, updated_by=acting_user
    )
    event_record(
        action="organisation.service_area_added", actor=acting_user, obj=area, data={"count": 1}
    )
    return area


@transaction.atomic
def service_area_update(
    *, acting_user: Any, area: ServiceArea, name: str, is_active: bool
) -> ServiceArea:
    """Rename a service area or switch it off. A switched-off area keeps its cases,
    audits and figures; new cycles and forms no longer offer it."""
    name = _clean_area_name(name, area)
    changed = [
        field
        for field, value in (("name", name), ("is_active", is_active))
        if getattr(area, field) != value
    ]
    if not changed:
        return area
    area.name, area.is_active, area.updated_by = name, is_active, acting_user
    area.save(update_fields=[*changed, "updated_by", "updated_at"])
    event_record(
        action="organisation.service_area_changed",
        actor=acting_user,
        obj=area,
        data={"changed": changed, "is_active": is_active},
    )
    return area
