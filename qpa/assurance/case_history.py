"""The case page's history: the re-audits and moderations of the case the reader may see
(found by CasesConfig.ready). The blind rule holds: a first auditor is not told
of a moderation of their audit until both audits are submitted."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from qpa.accounts.permissions import Permission, user_can
from qpa.assurance.selectors import moderations_visible_to, reaudits_visible_to
from qpa.audits.models import AuditStatus
from qpa.cases.history import HistoryEntry, history_provider
from qpa.cases.models import Case


def _day(value: Any) -> str:
    return f"{value.day} {value:%B %Y}"


@history_provider
def reaudits_of_case(*, user: Any, case: Case) -> Iterator[HistoryEntry]:
    may_open = user_can(user, Permission.OPEN_REAUDITS)
    for reaudit in reaudits_visible_to(user=user).filter(original__case=case):
        done = reaudit.reaudit.status == AuditStatus.SUBMITTED
        details = [f"Re-auditor: {reaudit.auditor}"]
        details.append(
            "Done: the re-audit is submitted" if done else f"To do by {_day(reaudit.due_date)}"
        )
        yield HistoryEntry(
            at=reaudit.draw.drawn_at,
            kind="Re-audit",
            title=f"drawn for {reaudit.draw.quarter}",
            url=reaudit.get_absolute_url() if may_open else "",
            details=tuple(details),
            rating=reaudit.reaudit.overall_rating if done else None,
            shown=(reaudit,),
        )


@history_provider
def moderations_of_case(*, user: Any, case: Case) -> Iterator[HistoryEntry]:
    moderations = moderations_visible_to(user=user).filter(allocation__sampled_case__case=case)
    for moderation in moderations.select_related("draw__cycle__tool", "allocation__audit"):
        first = getattr(moderation.allocation, "audit", None)
        first_auditor = moderation.allocation.auditor_id == user.pk or (
            first is not None and first.auditor_id == user.pk
        )
        if first_auditor and moderation.agreed_at is None:
            continue
        state = (
            f"Agreed on {_day(moderation.agreed_at)}" if moderation.agreed_at else "Not agreed yet"
        )
        yield HistoryEntry(
            at=moderation.draw.drawn_at,
            kind="Moderation",
            title=str(moderation.draw.cycle),
            url=moderation.get_absolute_url(),
            details=(f"Moderator: {moderation.moderator}", state),
            shown=(moderation,),
        )
