"""Every read of case data starts here: the remit of the person asking."""

from __future__ import annotations

from typing import Any

from django.db.models import Q, QuerySet

from qpa.accounts.models import Role
from qpa.cases.models import Case

# Roles whose remit is every case.
WHOLE_SERVICE_ROLES = {Role.ASSISTANT_DIRECTOR, Role.DEPUTY_DIRECTOR}


def cases_visible_to(*, user: Any) -> QuerySet[Case]:
    cases = Case.objects.all()
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return cases.none()
    if user.role in WHOLE_SERVICE_ROLES:
        return cases
    if user.role == Role.HEAD_OF_SERVICE:
        return cases.filter(service_area__in=user.service_areas.all())
    if user.role == Role.AUDITOR:
        in_my_teams = Q(team__in=user.teams.all())
        audited_by_me = Q(pk__in=Case.objects.filter(audits__auditor=user).values("pk"))
        allocated = Q(pk__in=Case.objects.filter(sampled__allocation__auditor=user).values("pk"))
        return cases.filter(in_my_teams | audited_by_me | allocated)
    if user.role == Role.PRACTITIONER:
        return cases.filter(practitioner=user)
    # Performance and Administrators see figures and configuration, not case detail.
    return cases.none()
