"""The case page's history: every audit of the case the reader may see, with its rating,
and the practitioner's reply (found by CasesConfig.ready)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, time
from typing import Any

from django.urls import reverse
from django.utils import timezone

from qpa.audits.models import Audit
from qpa.audits.selectors import audits_visible_to
from qpa.cases.history import HistoryEntry, history_provider
from qpa.cases.models import Case


def _when(audit: Audit) -> datetime:
    if audit.submitted_at:
        return audit.submitted_at
    if audit.audit_date:
        return timezone.make_aware(datetime.combine(audit.audit_date, time(12)))
    return audit.created_at


def _day(moment: datetime) -> str:
    local = timezone.localtime(moment)
    return f"{local.day} {local:%B %Y}"


@history_provider
def audits_of_case(*, user: Any, case: Case) -> Iterator[HistoryEntry]:
    audits = (
        audits_visible_to(user=user)
        .filter(case=case)
        .select_related(
            "auditor",
            "tool_version__tool",
            "overall_rating__scale",
            "agreed_overall_rating__scale",
            "reply__author",
            "team",
        )
    )
    for audit in audits:
        own_draft = audit.is_draft and audit.auditor_id == user.pk
        url = (
            reverse("audits:audit-tasks", kwargs={"public_id": audit.public_id})
            if own_draft
            else audit.get_absolute_url()
        )
        details = [f"Auditor: {audit.auditor_display or 'Not recorded'}"]
        if audit.is_draft:
            details.append(f"Draft, started {_day(audit.created_at)}")
        else:
            details.append(f"Submitted {_day(_when(audit))}")
        if audit.agreed_at and audit.agreed_overall_rating:
            details.append(f"Agreed after moderation: {audit.agreed_overall_rating.label}")
        yield HistoryEntry(
            at=_when(audit),
            kind="Audit",
            title=audit.tool_version.tool.name,
            url=url,
            details=tuple(details),
            rating=None if audit.is_draft else audit.overall_rating,
            shown=(audit,),
        )
        reply = getattr(audit, "reply", None)
        if reply is not None:
            yield HistoryEntry(
                at=reply.created_at,
                kind="Reply",
                title=f"{reply.author} replied to the {audit.tool_version.tool.name} audit",
                url=audit.get_absolute_url() + "#reply",
                details=(reply.text if len(reply.text) <= 300 else reply.text[:297] + "…",),
                shown=(reply,),
            )
