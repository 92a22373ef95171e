"""The blind rule of moderation: the one place that decides who may not see whose
ratings yet, for every channel (pages, API, exports, reports, notifications).

While either audit of a moderated case is not submitted, the moderator may not reach the
first audit, and the first auditor may not reach the moderator's audit (decision 0071,
docs/moderation.md). Written against Audit's reverse relations, so that this app never
imports the app that draws moderations (`qpa.assurance`):

- `Audit.allocation` → `Allocation.moderation`: the audit is the **first** audit of a
  moderated case;
- `Audit.moderation_of`: the audit is the **moderator's** audit.

Use `audits_not_blind` on a queryset, `audit_ratings_hidden_from` for one audit (answer
404, as if out of remit), `withheld_from_figures` where figures are counted for many
readers, and `moderation_sides` before telling anyone about an audit.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.db.models import Q, QuerySet

from qpa.audits.models import Audit, AuditStatus

_SUBMITTED = AuditStatus.SUBMITTED


def _first_of_open_moderation() -> Q:
    """An audit that is the first audit of a moderation not yet both submitted."""
    return Q(allocation__moderation__isnull=False) & ~(
        Q(status=_SUBMITTED) & Q(allocation__moderation__moderation_audit__status=_SUBMITTED)
    )


def _second_of_open_moderation() -> Q:
    """An audit that is a moderator's audit whose pair is not yet both submitted."""
    return Q(moderation_of__isnull=False) & ~(
        Q(status=_SUBMITTED) & Q(moderation_of__allocation__audit__status=_SUBMITTED)
    )


def blind_audit_ids(*, user: Any) -> QuerySet[Audit, Any]:
    """The audits this person may not reach yet, as a queryset of ids."""
    if not getattr(user, "is_authenticated", False):
        return Audit.objects.none().values("pk")
    # The moderator may not see the first audit.
    firsts = Q(allocation__moderation__moderator=user) & _first_of_open_moderation()
    # The first auditor (the allocation's, or whoever wrote the first audit) may not see
    # the moderator's audit.
    seconds = (
        Q(moderation_of__allocation__auditor=user)
        | Q(moderation_of__allocation__audit__auditor=user)
    ) & _second_of_open_moderation()
    return Audit.objects.filter(firsts | seconds).values("pk")


def audit_ratings_hidden_from(user: Any, audit: Audit) -> bool:
    """True while `user` is the other side of an open moderation of `audit`. Views
    answer 404, exports leave the audit out."""
    if not getattr(user, "is_authenticated", False):
        return True
    return blind_audit_ids(user=user).filter(pk=audit.pk).exists()


def audits_not_blind(audits: QuerySet[Audit], *, user: Any) -> QuerySet[Audit]:
    """`audits` less those the blind rule hides from `user`."""
    return audits.exclude(pk__in=blind_audit_ids(user=user))


def withheld_from_figures() -> QuerySet[Audit, Any]:
    """The ids of audits blind to somebody now: left out of every figure (reports, their
    exports, charts and the API), which are the same for every reader, so that no reader
    can read a blind audit's ratings in a count (decision 0106)."""
    return Audit.objects.filter(_first_of_open_moderation() | _second_of_open_moderation()).values(
        "pk"
    )


def moderation_sides(audit: Audit) -> set[int]:
    """The people on either side of a moderation of `audit` (the first auditor, the
    allocation's auditor and the moderator) while its ratings are not agreed: nobody
    tells them about the other side's audit. Empty when the audit is not moderated or
    its moderation has agreed ratings."""
    as_first = Audit.objects.filter(
        pk=audit.pk, allocation__moderation__isnull=False, allocation__moderation__agreed_at=None
    ).values_list("auditor_id", "allocation__auditor_id", "allocation__moderation__moderator_id")
    as_second = Audit.objects.filter(
        pk=audit.pk, moderation_of__isnull=False, moderation_of__agreed_at=None
    ).values_list(
        "auditor_id",
        "moderation_of__allocation__auditor_id",
        "moderation_of__allocation__audit__auditor_id",
    )
    return {pk for row in [*as_first, *as_second] for pk in row if pk is not None}


def counted_with(audit_ids: Iterable[int]) -> list[int]:
    """The first audits whose counting follows these audits: when a moderator's audit is
    submitted or reopened, its first audit starts or stops counting in figures. Reports
    recount them with the audits that changed."""
    ids = list(audit_ids)
    if not ids:
        return []
    return list(
        Audit.objects.filter(allocation__moderation__moderation_audit_id__in=ids).values_list(
            "pk", flat=True
        )
    )
