"""The default population rules: in care > child protection > leaving care > children in
need (DOMAIN.md). Used by the data migration and by tests that restore seeded rows."""

from typing import Any

DEFAULT_RULES = [
    ("looked_after", "children-in-care", 1),
    ("child_protection", "child-protection", 2),
    ("leaving_care", "leaving-care", 3),
    ("child_in_need", "children-in-need", 4),
]


def seed_population_rules(apps: Any, schema_editor: Any = None) -> None:
    PopulationRule = apps.get_model("cases", "PopulationRule")
    ServiceArea = apps.get_model("organisation", "ServiceArea")
    for source, slug, precedence in DEFAULT_RULES:
        area = ServiceArea.objects.filter(slug=slug).first()
        if area is not None:
            PopulationRule.objects.get_or_create(
                source=source, defaults={"service_area": area, "precedence": precedence}
            )


def unseed_population_rules(apps: Any, schema_editor: Any = None) -> None:
    apps.get_model("cases", "PopulationRule").objects.all().delete()
