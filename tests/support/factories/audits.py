"""Audits as they stand once submitted, without walking the form."""

from __future__ import annotations

from datetime import date

from qpa.accounts.models import User
from qpa.audits.models import Audit, AuditStatus, DomainRating
from qpa.cases.models import Case
from qpa.tools.models import AuditTool
from tests.support.factories.tools import rating


def submitted_audit(
    *,
    case: Case,
    auditor: User | None = None,
    overall: str = "Good",
    domains: dict[str, str | None] | None = None,
    tool_slug: str = "quality-of-practice",
    audit_date: date | None = None,
) -> Audit:
    """A submitted audit; `domains` maps domain name to rating label (None: not applicable)."""
    version = AuditTool.objects.get(slug=tool_slug).current_version
    audit = Audit.objects.create(
        case=case,
        tool_version=version,
        auditor=auditor,
        status=AuditStatus.SUBMITTED,
        service_area=case.service_area,
        team=case.team,
        audit_date=audit_date or date(2026, 10, 1),
        overall_rating=rating(overall),
    )
    for domain in version.domains.all():
        label = (domains or {}).get(domain.name, overall)
        DomainRating.objects.create(
            audit=audit,
            domain=domain,
            rating=rating(label) if label else None,
            not_applicable=label is None,
        )
    return audit
