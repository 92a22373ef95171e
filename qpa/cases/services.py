"""Writes to case configuration: the population rules."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import transaction

from qpa.accounts.models import User
from qpa.cases.models import PopulationRule
from qpa.organisation.models import ServiceArea


@transaction.atomic
def population_rules_set(
    *, acting_user: User | None, rules: dict[str, tuple[int, ServiceArea]]
) -> None:
    """rules: source -> (precedence, service area). Precedences must differ."""
    if len({precedence for precedence, _ in rules.values()}) != len(rules):
        raise ValidationError("Give each source a different precedence.")
    for rule in PopulationRule.objects.select_for_update().filter(source__in=rules):
        rule.precedence, rule.service_area = rules[rule.source]
        rule.save(update_fields=["precedence", "service_area"])
