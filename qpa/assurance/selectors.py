"""Reads for the assurance loop, through the remit of the person asking. The blind rule
of moderation lives in `qpa.audits.blind` (decision 0071); these selectors apply it to
re-audits and moderations, and keep the first auditor from learning that their case is
moderated, or by whom, until both audits are submitted."""

from __future__ import annotations

from typing import Any

from django.db.models import Q, QuerySet

from qpa.accounts.models import Role
from qpa.assurance.models import Moderation, ModerationDraw, ReAudit, ReAuditDraw
from qpa.audits.blind import blind_audit_ids
from qpa.audits.models import AuditStatus
from qpa.audits.selectors import audits_visible_to

# Roles that draw samples and read the assurance figures (no case detail).
ASSURANCE_MANAGERS = {
    Role.ADMINISTRATOR,
    Role.HEAD_OF_SERVICE,
    Role.ASSISTANT_DIRECTOR,
    Role.DEPUTY_DIRECTOR,
    Role.PERFORMANCE,
}
# Roles that draw the quarterly re-audit sample.
REAUDIT_DRAWERS = {
    Role.ADMINISTRATOR,
    Role.HEAD_OF_SERVICE,
    Role.ASSISTANT_DIRECTOR,
    Role.DEPUTY_DIRECTOR,
}


# --- Re-audits -----------------------------------------------------------------------


def reaudits_visible_to(*, user: Any) -> QuerySet[ReAudit]:
    """Re-audits whose re-audit is in the person's remit (their own, or their areas),
    less any whose original or re-audit is blind to them: a re-audit shows the original's
    ratings, so the blind rule reaches it on the page and in the API alike."""
    if not getattr(user, "is_authenticated", False):
        return ReAudit.objects.none()
    visible = audits_visible_to(user=user)
    blind = blind_audit_ids(user=user)
    return (
        ReAudit.objects.filter(Q(reaudit__in=visible.values("pk")) | Q(auditor=user))
        .exclude(original__in=blind)
        .exclude(reaudit__in=blind)
        .select_related(
            "draw",
            "auditor",
            "original__case",
            "original__service_area",
            "original__overall_rating",
            "original__auditor",
            "reaudit__overall_rating",
            "reaudit__case",
        )
    )


def reaudit_draws() -> QuerySet[ReAuditDraw]:
    """Draws hold counts and seeds, not case data: every re-audit drawer sees them."""
    return ReAuditDraw.objects.select_related("drawn_by")


# --- Moderation ----------------------------------------------------------------------


def moderations_visible_to(*, user: Any) -> QuerySet[Moderation]:
    """Moderations of cases in the person's remit, and those they moderate. The first
    auditor is not told that their case is moderated, nor by whom, until both audits are
    submitted (decision 0071): until then their moderations are left out, whatever
    else their remit holds."""
    if not getattr(user, "is_authenticated", False):
        return Moderation.objects.none()
    visible = audits_visible_to(user=user).values("pk")
    first_auditor = Q(allocation__auditor=user) | Q(allocation__audit__auditor=user)
    both_in = Q(allocation__audit__status=AuditStatus.SUBMITTED) & Q(
        moderation_audit__status=AuditStatus.SUBMITTED
    )
    return (
        Moderation.objects.filter(
            Q(moderator=user) | Q(moderation_audit__in=visible) | Q(allocation__audit__in=visible)
        )
        .exclude(first_auditor & ~both_in)
        .select_related(
            "draw__cycle__tool",
            "moderator",
            "allocation__auditor",
            "allocation__sampled_case__case",
            "moderation_audit",
        )
    )


def moderation_draws() -> QuerySet[ModerationDraw]:
    return ModerationDraw.objects.select_related("cycle__tool", "drawn_by")
