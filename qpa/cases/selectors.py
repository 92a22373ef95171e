"""Every read of case data starts here: the remit of the person asking."""

from __future__ import annotations

from typing import Any

from django.db.models import Q, QuerySet

from qpa.accounts.models import Role
from qpa.accounts.permissions import Permission, user_can
from qpa.cases.models import Case


def cases_visible_to(*, user: Any) -> QuerySet[Case]:
    cases = Case.objects.all()
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return cases.none()
    if user_can(user, Permission.WHOLE_SERVICE):
        return cases
    # Everyone who audits sees the cases allocated to them and the cases they audited.
    allocated_to_me = Q(pk__in=Case.objects.filter(sampled__allocation__auditor=user).values("pk"))
    audited_by_me = Q(pk__in=Case.objects.filter(audits__auditor=user).values("pk"))
    if user.role == Role.HEAD_OF_SERVICE:
        in_my_areas = Q(service_area__in=user.service_areas.all())
        return cases.filter(in_my_areas | allocated_to_me | audited_by_me)
    if user.role == Role.AUDITOR:
        in_my_teams = Q(team__in=user.teams.all())
        return cases.filter(in_my_teams | allocated_to_me | audited_by_me)
    if user.role == Role.PRACTITIONER:
        return cases.filter(practitioner=user)
    # Performance and Administrators see figures and configuration, not case detail.
    return cases.none()
