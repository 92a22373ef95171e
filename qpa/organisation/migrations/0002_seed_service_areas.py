"""Seeds the six service areas of DOMAIN.md; councils rename or add to them later.

The data lives here, frozen with the migration, so that a later change to the code
cannot change what this migration did; tests that restore seeded rows call these
functions (tests/conftest.py)."""

from typing import Any

from django.db import migrations

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


class Migration(migrations.Migration):
    dependencies = [("organisation", "0001_initial")]
    operations = [migrations.RunPython(seed, unseed)]
