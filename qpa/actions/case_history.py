"""The case page's history: the follow-up actions on its audits the reader may see
(found by CasesConfig.ready)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from qpa.actions.models import ActionStatus
from qpa.actions.selectors import actions_visible_to
from qpa.cases.history import HistoryEntry, history_provider
from qpa.cases.models import Case


@history_provider
def actions_on_case(*, user: Any, case: Case) -> Iterator[HistoryEntry]:
    for action in actions_visible_to(user=user).filter(audit__case=case):
        due = f"{action.due_date.day} {action.due_date:%B %Y}"
        if action.status == ActionStatus.COMPLETED:
            state = "Completed"
        elif action.is_overdue:
            state = f"Overdue: it was due on {due}"
        else:
            state = f"{action.get_status_display()}, due on {due}"
        description = action.description
        yield HistoryEntry(
            at=action.created_at,
            kind="Follow-up action",
            title=description if len(description) <= 120 else description[:117] + "…",
            url=action.get_absolute_url(),
            details=(f"Owner: {action.owner}", state),
            shown=(action,),
        )
