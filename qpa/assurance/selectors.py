"""Reads for the assurance loop, through the remit of the person asking, and the blind
rule of moderation: the one place that decides who may not see whose ratings yet.

The blind rule (docs/moderation.md): while either audit of a moderated case is not
submitted, the moderator may not reach the first audit, and the first auditor may not
reach the moderator's audit. Every page, export and API endpoint that shows an audit
calls `audit_ratings_hidden_from` (one audit) or `audits_not_blind` (a queryset).
"""

from __future__ import annotations

from typing import Any

from django.db.models import Q, QuerySet

from qpa.accounts.models import Role
from qpa.assurance.models import Moderation, ModerationDraw, ReAudit, ReAuditDraw
from qpa.audits.models import Audit, AuditStatus
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


def _both_submitted() -> Q:
    return Q(allocation__audit__status=AuditStatus.SUBMITTED) & Q(
        moderation_audit__status=AuditStatus.SUBMITTED
    )


def blind_audit_ids(*, user: Any) -> QuerySet[Audit, Any]:
    """The audits this person may not reach yet, as a queryset of ids."""
    if not getattr(user, "is_authenticated", False):
        return Audit.objects.none().values("pk")
    open_pairs = Moderation.objects.exclude(_both_submitted())
    # The moderator may not see the first audit.
    firsts = open_pairs.filter(moderator=user).values("allocation__audit")
    # The first auditor (the allocation's, or whoever wrote the audit) may not see the
    # moderator's audit.
    seconds = open_pairs.filter(
        Q(allocation__auditor=user) | Q(allocation__audit__auditor=user)
    ).values("moderation_audit")
    return Audit.objects.filter(Q(pk__in=firsts) | Q(pk__in=seconds)).values("pk")


def audit_ratings_hidden_from(user: Any, audit: Audit) -> bool:
    """True while `user` is the other side of a moderation of `audit` and the two audits
    are not both submitted. Views answer 404, exports leave the audit out."""
    if not getattr(user, "is_authenticated", False):
        return True
    return blind_audit_ids(user=user).filter(pk=audit.pk).exists()


def audits_not_blind(audits: QuerySet[Audit], *, user: Any) -> QuerySet[Audit]:
    """`audits` less those the blind rule hides from `user`."""
    return audits.exclude(pk__in=blind_audit_ids(user=user))


# --- Re-audits -----------------------------------------------------------------------


def reaudits_visible_to(*, user: Any) -> QuerySet[ReAudit]:
    """Re-audits whose re-audit is in the person's remit (their own, or their areas)."""
    if not getattr(user, "is_authenticated", False):
        return ReAudit.objects.none()
    visible = audits_not_blind(audits_visible_to(user=user), user=user)
    return ReAudit.objects.filter(
        Q(reaudit__in=visible.values("pk")) | Q(auditor=user)
    ).select_related(
        "draw",
        "auditor",
        "original__case",
        "original__service_area",
        "original__overall_rating",
        "original__auditor",
        "reaudit__overall_rating",
        "reaudit__case",
    )


def reaudit_draws() -> QuerySet[ReAuditDraw]:
    """Draws hold counts and seeds, not case data: every re-audit drawer sees them."""
    return ReAuditDraw.objects.select_related("drawn_by")


# --- Moderation ----------------------------------------------------------------------


def moderations_visible_to(*, user: Any) -> QuerySet[Moderation]:
    """Moderations of cases in the person's remit, and those they moderate or audited."""
    if not getattr(user, "is_authenticated", False):
        return Moderation.objects.none()
    visible = audits_visible_to(user=user).values("pk")
    return Moderation.objects.filter(
        Q(moderator=user)
        | Q(allocation__auditor=user)
        | Q(moderation_audit__in=visible)
        | Q(allocation__audit__in=visible)
    ).select_related(
        "draw__cycle__tool",
        "moderator",
        "allocation__auditor",
        "allocation__sampled_case__case",
        "moderation_audit",
    )


def moderation_draws() -> QuerySet[ModerationDraw]:
    return ModerationDraw.objects.select_related("cycle__tool", "drawn_by")


def second_look_of(audit: Audit) -> tuple[str, str, str] | None:
    """(sentence, url, link text) when the audit is a re-audit or a moderation audit:
    shown on the audit's page."""
    reaudit = ReAudit.objects.filter(reaudit=audit).select_related("draw").first()
    if reaudit is not None:
        return (
            f"This is a re-audit ({reaudit.draw.quarter}) of an audit rated inadequate or "
            "critical.",
            reaudit.get_absolute_url(),
            "Compare it with the original audit",
        )
    # Only the moderation audit says so: the first auditor is not told their case is
    # being moderated.
    moderation = Moderation.objects.filter(moderation_audit=audit).first()
    if moderation is not None:
        return (
            "This is a blind moderation audit.",
            moderation.get_absolute_url(),
            "See the moderation",
        )
    return None
