"""Subject access (UK GDPR Article 15): everything QPA holds about one child.

QPA holds no names: a child is known by the case-management system's ID. The export holds
the case, every audit with its domain ratings, the child's sampling and allocation
records, and every event-log entry about the child, which says who looked at the record
and when. Entries about a list of several children say only that this child was among
them, never who the others were.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any
from uuid import UUID

from django.db.models import Model
from django.utils import timezone

from qpa.audits.models import Audit
from qpa.cases.models import Case
from qpa.core.events import events_about_child
from qpa.cycles.models import SampledCase

FORMAT = "qpa-subject-export/1"
# Who changed a record is staff data, kept in the event log; the export is about the child.
_SKIP = {"id", "created_by", "updated_by", "version"}


def subject_export(child_id: str) -> dict[str, Any] | None:
    """The export as a JSON-ready dict, or None when QPA holds nothing about the child."""
    case = Case.objects.filter(child_id=child_id).select_related("service_area", "team").first()
    events = list(events_about_child(child_id))
    if case is None and not events:
        return None
    audits = (
        Audit.objects.filter(case=case)
        .select_related("tool_version__tool", "overall_rating", "auditor", "service_area", "team")
        .prefetch_related("domain_ratings__domain", "domain_ratings__rating")
        .order_by("audit_date", "created_at")
        if case is not None
        else Audit.objects.none()
    )
    sampled = (
        SampledCase.objects.filter(case=case)
        .select_related("cycle", "stratum__service_area", "allocation__auditor")
        .order_by("created_at")
        if case is not None
        else SampledCase.objects.none()
    )
    return {
        "format": FORMAT,
        "child_id": child_id,
        "exported_at": timezone.now().isoformat(),
        "case": _record(case, skip={"case"}) if case is not None else None,
        "audits": [_audit(audit) for audit in audits],
        "sampling": [_sampled(entry) for entry in sampled],
        "events": [_event(event, child_id) for event in events],
    }


def _audit(audit: Audit) -> dict[str, Any]:
    record = _record(audit, skip={"case"})
    record["tool"] = audit.tool_version.tool.name
    record["tool_version"] = str(audit.tool_version)
    record["auditor"] = audit.auditor_display
    record["domain_ratings"] = [
        {
            "domain": rating.domain.name,
            "rating": str(rating.rating) if rating.rating else None,
            "not_applicable": rating.not_applicable,
            "evidence": rating.evidence,
            "strengths": rating.strengths,
            "improvements": rating.improvements,
        }
        for rating in audit.domain_ratings.all()
    ]
    return record


def _sampled(entry: SampledCase) -> dict[str, Any]:
    record = _record(entry, skip={"case", "replaced_by", "exclusions"})
    allocation = getattr(entry, "allocation", None)
    record["allocation"] = _record(allocation, skip={"sampled_case"}) if allocation else None
    return record


def _event(event: Any, child_id: str) -> dict[str, Any]:
    entry = {
        "seq": event.seq,
        "occurred_at": event.occurred_at.isoformat(),
        "who": event.actor_username,
        "role": event.actor_role_label,
        "action": event.action,
    }
    if event.child_id == child_id:
        entry.update(object_type=event.object_type, object_id=event.object_id, data=event.data)
    else:
        entry["about"] = "a list of records that included this child"
    return entry


def _record(obj: Model, *, skip: set[str]) -> dict[str, Any]:
    values: dict[str, Any] = {}
    for model_field in obj._meta.concrete_fields:
        if model_field.name in _SKIP or model_field.name in skip:
            continue
        if model_field.is_relation:
            related = getattr(obj, model_field.name)
            values[model_field.name] = str(related) if related is not None else None
        else:
            values[model_field.name] = _plain(model_field.value_from_object(obj))
    return values


def _plain(value: Any) -> Any:
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, UUID | Decimal):
        return str(value)
    return value
