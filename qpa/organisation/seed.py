"""The six service areas of DOMAIN.md; councils rename or add to them later."""

from typing import Any

SERVICE_AREAS = [
    ("child-protection", "Child Protection"),
    ("first-response", "First Response"),
    ("children-in-need", "Children in Need and Safeguarding"),
    ("children-in-care", "Children in Care"),
    ("leaving-care", "Leaving Care"),
    ("children-with-disabilities", "Children with Disabilities"),
]


def seed(apps: Any, schema_editor: Any = None) -> None:
    ServiceArea = apps.get_model("organisation", "ServiceArea")
    for order, (slug, name) in enumerate(SERVICE_AREAS, start=1):
        ServiceArea.objects.get_or_create(slug=slug, defaults={"name": name, "order": order})


def unseed(apps: Any, schema_editor: Any = None) -> None:
    ServiceArea = apps.get_model("organisation", "ServiceArea")
    ServiceArea.objects.filter(slug__in=[slug for slug, _ in SERVICE_AREAS]).delete()
