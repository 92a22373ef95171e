"""Writes to case configuration: the population rules, and teams' areas and managers."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import QuerySet

from qpa.accounts.models import User
from qpa.accounts.permissions import Permission, user_can
from qpa.cases.models import PopulationRule
from qpa.core.events import event_record
from qpa.organisation.models import ServiceArea, Team


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


def team_managers() -> QuerySet[User]:
    """Everyone who may be named a team's manager, by name."""
    return User.objects.filter(is_active=True, role__in=Permission.MANAGE_A_TEAM.roles).order_by(
        "last_name", "first_name", "username"
    )


@transaction.atomic
def team_change(
    *, acting_user: User, team: Team, service_area: ServiceArea, manager: User | None
) -> Team:
    """Put the team in a service area and name its manager (or nobody). The manager is
    told of the team's audits and alerted on its inadequate and critical ones, and is
    never allocated its cases (qpa.cycles.independence); recorded in the event log."""
    if manager is not None and not (
        manager.is_active and user_can(manager, Permission.MANAGE_A_TEAM)
    ):
        raise ValidationError({"manager": "Choose an auditor or a Head of Service."})
    changed = []
    if team.service_area_id != service_area.pk:
        team.service_area = service_area
        changed.append("service_area")
    if team.manager_id != (manager.pk if manager else None):
        team.manager = manager
        changed.append("manager")
    if changed:
        team.updated_by = acting_user
        team.save(update_fields=[*changed, "updated_by", "updated_at"])
        event_record(
            action="team.changed",
            actor=acting_user,
            obj=team,
            data={
                "changed": changed,
                "teams": team.name,
                "service_areas": service_area.name,
                "username": manager.username if manager else "",
            },
        )
    return team
