"""Reads of audits, through the remit of the person asking."""

from __future__ import annotations

from typing import Any

from django.db.models import F, Q, QuerySet

from qpa.accounts.models import Role
from qpa.audits.blind import audits_not_blind
from qpa.audits.models import Audit, AuditAlert, AuditStatus
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
    elif user.role == Role.AUDITOR:
        # Another auditor's draft is unfinished work, perhaps of a case of the reader's
        # own team, which they may not audit (qpa.cycles.independence): an auditor reads
        # it once submitted. A draft that raised a safeguarding alert to them stays open
        # to them: the alert leads to it. Heads of Service oversee drafts in their remit.
        alerted = AuditAlert.objects.filter(notification__recipient=user).values("audit_id")
        audits = audits.filter(
            Q(status=AuditStatus.SUBMITTED) | Q(auditor=user) | Q(pk__in=alerted)
        )
    # The blind rule of moderation (qpa.audits.blind), here so that no page, export or
    # API can miss it: the two audits of a moderated case stay out of each other's
    # auditor's reach until both are submitted (docs/moderation.md).
    return audits_not_blind(audits, user=user)


def inadequate_or_worse(audits: QuerySet[Audit]) -> QuerySet[Audit]:
    return audits.filter(
        status=AuditStatus.SUBMITTED,
        overall_rating__rank__gte=F("overall_rating__scale__inadequate_or_worse_rank"),
    )


def audits_awaiting_reply(audits: QuerySet[Audit], *, user: Any) -> QuerySet[Audit]:
    """Of `audits`, those `user` may still reply to: a practitioner, once, to a submitted
    audit of a case of theirs. The one rule: `services.can_reply` asks it of one audit."""
    if getattr(user, "role", None) != Role.PRACTITIONER:
        return audits.none()
    return audits.filter(status=AuditStatus.SUBMITTED, case__practitioner=user, reply__isnull=True)
