"""Walking an audit through the services as its auditor would: start, complete, submit;
and the form's URLs and posts."""

from __future__ import annotations

import uuid
from typing import TYPE_CHECKING, Any

from qpa.audits import services
from qpa.audits.models import Audit
from qpa.cases.models import Case
from qpa.cycles.services import allocation_audit_start
from qpa.tools.models import Domain
from tests.support.factories import CP_CORE, allocate, rating

if TYPE_CHECKING:  # worlds.py builds its worlds with these helpers; the type alone is needed
    from tests.support.worlds import World

JSON_SAVE = {"HTTP_ACCEPT": "application/json", "HTTP_X_QPA_BACKGROUND": "1"}


def cp_case(world: World) -> Case:
    """A case in CP One (team manager: amy; Head of Service: harriet), worked by petra."""
    case = world.cases["CP One"][0]
    case.practitioner = world.practitioner
    case.save()
    return case


def started(world: World, *, tool_slug: str = CP_CORE) -> Audit:
    """cal (an auditor from Children in Care) has started the audit of a CP case."""
    allocation = allocate(world, auditor=world.cal, case=cp_case(world), tool_slug=tool_slug)
    return allocation_audit_start(acting_user=world.cal, allocation=allocation)


def domains_of(audit: Audit) -> list[Domain]:
    return list(audit.tool_version.domains.order_by("order"))


def completed(
    audit: Audit,
    *,
    overall: str = "Good",
    domains: dict[int, str] | None = None,
    child_safe: str = "yes",
) -> Audit:
    """Every section filled in through the services; `domains` maps a position to a
    rating label (the rest take the overall rating). The evidence is long enough for any
    rating, and an overall rating far from a domain says why."""
    auditor = audit.auditor
    assert auditor is not None
    audit = services.audit_save_safety(
        acting_user=auditor,
        audit=audit,
        version=audit.version,
        child_safe=child_safe,
        child_safe_reason="Seen last week; the plan is being followed.",
    )
    for position, domain in enumerate(domains_of(audit), start=1):
        label = (domains or {}).get(position, overall)
        audit = services.audit_save_domain(
            acting_user=auditor,
            audit=audit,
            domain=domain,
            version=audit.version,
            rating=rating(label),
            not_applicable=False,
            evidence=f"Evidence for {domain.name}. The file was read from referral to review.",
            strengths="Visits on time.",
            improvements="Record the child's words.",
        )
    return services.audit_save_overall(
        acting_user=auditor,
        audit=audit,
        version=audit.version,
        overall_rating=rating(overall),
        overall_rationale="The plan is followed but the child's voice is thin.",
        child_experience_captured="partly",
        child_experience_text="Seen alone twice.",
        family_view_captured="yes",
        family_view_text="Mother's view recorded at each review.",
        consistency_reason="The domains differ; the risk to the child decided it.",
    )


def submit(audit: Audit, *, token: uuid.UUID | None = None) -> Audit:
    assert audit.auditor is not None
    return services.audit_submit(
        acting_user=audit.auditor, audit=audit, version=audit.version, token=token or uuid.uuid4()
    )


def domain_url(audit: Audit, position: int = 1) -> str:
    return f"/audits/{audit.public_id}/domains/{position}/"


def domain_post(
    audit: Audit, *, version: int | None, evidence: str, **extra: str
) -> dict[str, Any]:
    data: dict[str, Any] = {
        "rating": str(rating("Good").pk),
        "evidence": evidence,
        "strengths": "",
        "improvements": "",
        "then": "draft",
        **extra,
    }
    if version is not None:
        data["version"] = str(version)
    return data


def fresh(audit: Audit) -> Audit:
    return Audit.objects.get(pk=audit.pk)
