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


# No statutory return names these: the allocated team decides them.
DECIDED_BY_TEAM = {"first-response", "children-with-disabilities"}


def seed(apps: Any, schema_editor: Any = None) -> None:
    ServiceArea = apps.get_model("organisation", "ServiceArea")
    for order, (slug, name) in enumerate(SERVICE_AREAS, start=1):
        ServiceArea.objects.get_or_create(slug=slug, defaults={"name": name, "order": order})


def seed_decided_by_team(apps: Any, schema_editor: Any = None) -> None:
    ServiceArea = apps.get_model("organisation", "ServiceArea")
    ServiceArea.objects.filter(slug__in=DECIDED_BY_TEAM).update(decided_by_team=True)


def unseed(apps: Any, schema_editor: Any = None) -> None:
    ServiceArea = apps.get_model("organisation", "ServiceArea")
    ServiceArea.objects.filter(slug__in=[slug for slug, _ in SERVICE_AREAS]).delete()
