"""Reads of audits, through the remit of the person asking."""

from __future__ import annotations

from typing import Any

from django.db.models import F, Q, QuerySet

from qpa.accounts.models import Role
from qpa.audits.blind import audits_not_blind
from qpa.audits.models import Audit, AuditStatus
from qpa.cases.selectors import cases_visible_to


def audits_visible_to(*, user: Any) -> QuerySet[Audit]:
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return Audit.objects.none()
    visible_case = Q(case__in=cases_visible_to(user=user).values("pk"))
    my_own = Q(auditor=user)
    audits = Audit.objects.filter(visible_case | my_own)
    if user.role == Role.PRACTITIONER:
        # A practitioner reads findings once submitted, never a draft.
        audits = audits.filter(status=AuditStatus.SUBMITTED)
    # The blind rule of moderation (qpa.audits.blind), here so that no page, export or
    # API can miss it: the two audits of a moderated case stay out of each other's
    # auditor's reach until both are submitted (docs/moderation.md).
    return audits_not_blind(audits, user=user)


def inadequate_or_worse(audits: QuerySet[Audit]) -> QuerySet[Audit]:
    return audits.filter(
        status=AuditStatus.SUBMITTED,
        overall_rating__rank__gte=F("overall_rating__scale__inadequate_or_worse_rank"),
    )
