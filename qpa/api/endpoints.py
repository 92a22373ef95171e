"""The API's operations: thin, like the views. Reads start from the remit-checked
selectors (out of remit is 404) and record what they showed; writes call the services,
which check the person and record the change."""

from __future__ import annotations

from typing import Any, Literal, TypeVar
from uuid import UUID

from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Model, QuerySet
from django.http import Http404, HttpRequest
from ninja import Router, Status
from ninja.params.functions import Path, Query

from qpa.accounts.models import User
from qpa.actions import services as action_services
from qpa.actions.models import Action, ActionStatus
from qpa.actions.selectors import actions_visible_to
from qpa.api.auth import read_auth, write_auth
from qpa.api.schemas import (
    MAX_INT,
    ActionOut,
    ActionPage,
    ActionUpdateIn,
    AllocationOut,
    AllocationPage,
    AuditCreateIn,
    AuditOut,
    AuditPage,
    CaseOut,
    CasePage,
    CycleOut,
    CyclePage,
    DomainIn,
    ModerationOut,
    ModerationPage,
    OverallIn,
    Problem,
    ReAuditOut,
    ReAuditPage,
    SafetyIn,
    SubmitIn,
    Text,
)
from qpa.assurance.models import Moderation, ReAudit
from qpa.assurance.selectors import moderations_visible_to, reaudits_visible_to
from qpa.assurance.services import reaudit_comparison
from qpa.audits import services as audit_services
from qpa.audits.models import Audit, AuditStatus, DomainRating
from qpa.audits.selectors import audits_visible_to
from qpa.cases.models import Case
from qpa.cases.selectors import cases_visible_to
from qpa.core.events import record_view
from qpa.cycles.models import Allocation, Cycle
from qpa.cycles.selectors import allocations_visible_to, cycles_visible_to
from qpa.reports import disclosure
from qpa.tools.models import Domain, Rating

M = TypeVar("M", bound=Model)

MAX_PAGE_SIZE = 100
READ_ERRORS: dict[int, type[Problem]] = {400: Problem, 401: Problem, 404: Problem, 429: Problem}
WRITE_ERRORS: dict[int, type[Problem]] = {**READ_ERRORS, 403: Problem, 409: Problem}

cases = Router(tags=["cases"], auth=read_auth)
cycles = Router(tags=["cycles and allocations"], auth=read_auth)
audits = Router(tags=["audits"], auth=read_auth)
actions = Router(tags=["actions"], auth=read_auth)

Page = Query(1, ge=1, le=MAX_INT, description="The page, from 1.")
PageSize = Query(25, ge=1, le=MAX_PAGE_SIZE, description=f"Up to {MAX_PAGE_SIZE}.")
AreaFilter = Query(None, max_length=60, description="A service area's slug.")
TeamFilter = Query(None, max_length=160, description="A team's name.")
ChildFilter = Query(None, max_length=64, description="The child's ID.")
Mine = Query(False, description="Only your own.")


def _user(request: HttpRequest) -> User:
    user: User = request.user  # type: ignore[assignment]
    return user


def _one(queryset: QuerySet[M], public_id: UUID) -> M:
    found = queryset.filter(public_id=public_id).first()
    if found is None:
        raise Http404
    return found


def _page(
    request: HttpRequest,
    queryset: QuerySet[M],
    *,
    page: int,
    page_size: int,
    action: str,
    shown: Any = None,
) -> tuple[int, list[M]]:
    count = queryset.count()
    start = (page - 1) * page_size
    items = list(queryset[start : start + page_size]) if start < count else []
    if items:
        record_view(request, action=action, objects=shown(items) if shown else items)
    return count, items


def _paged(count: int, page: int, page_size: int, results: list[dict[str, Any]]) -> dict[str, Any]:
    return {"count": count, "page": page, "page_size": page_size, "results": results}


# --- Cases ---------------------------------------------------------------------------


def case_out(case: Case) -> dict[str, Any]:
    return {
        "id": case.public_id,
        "child_id": case.child_id,
        "status": case.status,
        "service_area": case.service_area.slug if case.service_area else None,
        "team": case.team.name if case.team else None,
        "opened_on": case.opened_on,
        "closed_on": case.closed_on,
        "cin_start_date": case.cin_start_date,
        "cp_plan_start_date": case.cp_plan_start_date,
        "looked_after_start_date": case.looked_after_start_date,
    }


@cases.get("", response={200: CasePage, **READ_ERRORS}, summary="List the cases in your remit")
def case_list(
    request: HttpRequest,
    status: Literal["open", "closed"] | None = None,
    service_area: Text | None = AreaFilter,
    team: Text | None = TeamFilter,
    child_id: Text | None = ChildFilter,
    page: int = Page,
    page_size: int = PageSize,
) -> dict[str, Any]:
    found = cases_visible_to(user=_user(request)).select_related("service_area", "team")
    if status:
        found = found.filter(status=status)
    if service_area:
        found = found.filter(service_area__slug=service_area)
    if team:
        found = found.filter(team__name=team)
    if child_id:
        found = found.filter(child_id=child_id)
    count, items = _page(request, found, page=page, page_size=page_size, action="cases.listed")
    return _paged(count, page, page_size, [case_out(c) for c in items])


@cases.get("/{case_id}", response={200: CaseOut, **READ_ERRORS}, summary="Read a case")
def case_detail(request: HttpRequest, case_id: UUID) -> dict[str, Any]:
    case = _one(
        cases_visible_to(user=_user(request)).select_related("service_area", "team"), case_id
    )
    record_view(request, action="case.viewed", objects=[case])
    return case_out(case)


# --- Cycles and allocations ----------------------------------------------------------


def cycle_out(cycle: Cycle) -> dict[str, Any]:
    return {
        "id": cycle.public_id,
        "name": cycle.name,
        "kind": cycle.kind,
        "month": cycle.month,
        "theme": cycle.theme,
        "tool": cycle.tool.slug,
        "status": cycle.status,
        "due_date": cycle.due_date,
        "drawn_at": cycle.drawn_at,
    }


@cycles.get("/cycles", response={200: CyclePage, **READ_ERRORS}, summary="List cycles")
def cycle_list(
    request: HttpRequest,
    status: Literal["draft", "drawn", "allocated"] | None = None,
    page: int = Page,
    page_size: int = PageSize,
) -> dict[str, Any]:
    found = cycles_visible_to(user=_user(request)).order_by("-due_date", "-created_at")
    if status:
        found = found.filter(status=status)
    count = found.count()
    start = (page - 1) * page_size
    items = list(found[start : start + page_size]) if start < count else []
    return _paged(count, page, page_size, [cycle_out(c) for c in items])


@cycles.get("/cycles/{cycle_id}", response={200: CycleOut, **READ_ERRORS}, summary="Read a cycle")
def cycle_detail(request: HttpRequest, cycle_id: UUID) -> dict[str, Any]:
    return cycle_out(_one(cycles_visible_to(user=_user(request)), cycle_id))


def allocation_out(allocation: Allocation) -> dict[str, Any]:
    audit = Audit.objects.filter(allocation=allocation).values_list("public_id", flat=True).first()
    sampled = allocation.sampled_case
    return {
        "id": allocation.public_id,
        "cycle": sampled.cycle.public_id,
        "case": sampled.case.public_id,
        "child_id": sampled.case.child_id,
        "auditor": allocation.auditor.username,
        "due_date": allocation.due_date,
        "status": allocation.status,
        "audit": audit,
    }


@cycles.get(
    "/allocations",
    response={200: AllocationPage, **READ_ERRORS},
    summary="List allocations: yours, or every one for those who run cycles",
)
def allocation_list(
    request: HttpRequest,
    cycle: UUID | None = None,
    status: Literal["allocated", "completed", "withdrawn"] | None = None,
    mine: bool = Mine,
    page: int = Page,
    page_size: int = PageSize,
) -> dict[str, Any]:
    user = _user(request)
    found = allocations_visible_to(user=user).order_by("due_date", "created_at")
    if cycle:
        found = found.filter(sampled_case__cycle__public_id=cycle)
    if status:
        found = found.filter(status=status)
    if mine:
        found = found.filter(auditor=user)
    count, items = _page(
        request, found, page=page, page_size=page_size, action="allocations.listed"
    )
    return _paged(count, page, page_size, [allocation_out(a) for a in items])


@cycles.get(
    "/allocations/{allocation_id}",
    response={200: AllocationOut, **READ_ERRORS},
    summary="Read an allocation",
)
def allocation_detail(request: HttpRequest, allocation_id: UUID) -> dict[str, Any]:
    allocation = _one(allocations_visible_to(user=_user(request)), allocation_id)
    record_view(request, action="allocation.viewed", objects=[allocation])
    return allocation_out(allocation)


# --- Audits --------------------------------------------------------------------------


def _audits(request: HttpRequest) -> QuerySet[Audit]:
    return audits_visible_to(user=_user(request)).select_related(
        "case", "tool_version__tool", "auditor", "overall_rating", "allocation", "updated_by"
    )


def audit_summary(audit: Audit) -> dict[str, Any]:
    return {
        "id": audit.public_id,
        "case": audit.case.public_id,
        "child_id": audit.case.child_id,
        "status": audit.status,
        "source": audit.source,
        "tool": audit.tool_version.tool.slug,
        "tool_version": audit.tool_version.number,
        "auditor": audit.auditor_display,
        "audit_date": audit.audit_date,
        "submitted_at": audit.submitted_at,
        "overall_rating": audit.overall_rating.label if audit.overall_rating else None,
        "version": audit.version,
        "allocation": audit.allocation.public_id if audit.allocation else None,
    }


def _domains(audit: Audit) -> list[Domain]:
    return list(audit.tool_version.domains.order_by("order"))


def audit_out(audit: Audit) -> dict[str, Any]:
    answers: dict[int, DomainRating] = {
        r.domain_id: r for r in audit.domain_ratings.select_related("rating")
    }
    domains = []
    for position, domain in enumerate(_domains(audit), start=1):
        answer = answers.get(domain.pk)
        domains.append(
            {
                "position": position,
                "name": domain.name,
                "rating": answer.rating.label if answer and answer.rating else None,
                "not_applicable": bool(answer and answer.not_applicable),
                "evidence": answer.evidence if answer else "",
                "strengths": answer.strengths if answer else "",
                "improvements": answer.improvements if answer else "",
            }
        )
    return {
        **audit_summary(audit),
        "overall_rationale": audit.overall_rationale,
        "child_experience_captured": audit.child_experience_captured,
        "child_experience_text": audit.child_experience_text,
        "family_view_captured": audit.family_view_captured,
        "family_view_text": audit.family_view_text,
        "consistency_reason": audit.consistency_reason,
        "child_safe": audit.child_safe,
        "child_safe_reason": audit.child_safe_reason,
        "domains": domains,
    }


@audits.get("", response={200: AuditPage, **READ_ERRORS}, summary="List the audits in your remit")
def audit_list(
    request: HttpRequest,
    status: Literal["draft", "submitted"] | None = None,
    case: UUID | None = None,
    mine: bool = Mine,
    page: int = Page,
    page_size: int = PageSize,
) -> dict[str, Any]:
    found = _audits(request).order_by("-created_at", "-pk")
    if status:
        found = found.filter(status=status)
    if case:
        found = found.filter(case__public_id=case)
    if mine:
        found = found.filter(auditor=_user(request))
    count, items = _page(request, found, page=page, page_size=page_size, action="audits.listed")
    return _paged(count, page, page_size, [audit_summary(a) for a in items])


@audits.get("/{audit_id}", response={200: AuditOut, **READ_ERRORS}, summary="Read an audit")
def audit_detail(request: HttpRequest, audit_id: UUID) -> dict[str, Any]:
    audit = _one(_audits(request), audit_id)
    record_view(request, action="audit.viewed", objects=[audit])
    return audit_out(audit)


@audits.post(
    "",
    auth=write_auth,
    response={200: AuditOut, 201: AuditOut, **WRITE_ERRORS},
    summary="Start the draft audit of one of your allocations (once: again gives the same)",
)
def audit_create(request: HttpRequest, payload: AuditCreateIn) -> Status[dict[str, Any]]:
    allocation = _one(allocations_visible_to(user=_user(request)), payload.allocation)
    existed = Audit.objects.filter(allocation=allocation).exists()
    audit = audit_services.audit_start(acting_user=_user(request), allocation=allocation)
    return Status(200 if existed else 201, audit_out(_one(_audits(request), audit.public_id)))


def _rating(audit: Audit, label: str | None, field: str) -> Rating | None:
    if label is None or label == "":
        return None
    rating = Rating.objects.filter(scale_id=audit.tool_version.tool.scale_id, label=label).first()
    if rating is None:
        labels = ", ".join(
            Rating.objects.filter(scale_id=audit.tool_version.tool.scale_id).values_list(
                "label", flat=True
            )
        )
        raise ValidationError({field: f"Choose a rating of this tool's scale: {labels}."})
    return rating


@audits.put(
    "/{audit_id}/domains/{position}",
    auth=write_auth,
    response={200: AuditOut, **WRITE_ERRORS},
    summary="Save one domain of a draft, from the version you read",
)
def audit_domain_save(
    request: HttpRequest,
    audit_id: UUID,
    payload: DomainIn,
    position: int = Path(..., ge=1, le=1000),
) -> dict[str, Any]:
    audit = _one(_audits(request), audit_id)
    domains = _domains(audit)
    if position > len(domains):
        raise Http404
    saved = audit_services.audit_save_domain(
        acting_user=_user(request),
        audit=audit,
        domain=domains[position - 1],
        version=payload.version,
        rating=_rating(audit, payload.rating, "rating"),
        not_applicable=payload.not_applicable,
        evidence=payload.evidence,
        strengths=payload.strengths,
        improvements=payload.improvements,
    )
    return audit_out(_one(_audits(request), saved.public_id))


@audits.put(
    "/{audit_id}/overall",
    auth=write_auth,
    response={200: AuditOut, **WRITE_ERRORS},
    summary="Save the overall judgement of a draft, from the version you read",
)
def audit_overall_save(request: HttpRequest, audit_id: UUID, payload: OverallIn) -> dict[str, Any]:
    audit = _one(_audits(request), audit_id)
    saved = audit_services.audit_save_overall(
        acting_user=_user(request),
        audit=audit,
        version=payload.version,
        overall_rating=_rating(audit, payload.overall_rating, "overall_rating"),
        overall_rationale=payload.overall_rationale,
        child_experience_captured=payload.child_experience_captured,
        child_experience_text=payload.child_experience_text,
        family_view_captured=payload.family_view_captured,
        family_view_text=payload.family_view_text,
        consistency_reason=payload.consistency_reason,
    )
    return audit_out(_one(_audits(request), saved.public_id))


@audits.put(
    "/{audit_id}/safety",
    auth=write_auth,
    response={200: AuditOut, **WRITE_ERRORS},
    summary="Answer “Is the child safe now?” on a draft; “no” or “not_sure” alerts at once",
)
def audit_safety_save(request: HttpRequest, audit_id: UUID, payload: SafetyIn) -> dict[str, Any]:
    audit = _one(_audits(request), audit_id)
    saved = audit_services.audit_save_safety(
        acting_user=_user(request),
        audit=audit,
        version=payload.version,
        child_safe=payload.child_safe,
        child_safe_reason=payload.child_safe_reason,
    )
    return audit_out(_one(_audits(request), saved.public_id))


@audits.post(
    "/{audit_id}/submit",
    auth=write_auth,
    response={200: AuditOut, **WRITE_ERRORS},
    summary="Submit a completed draft; resending the same token submits once",
)
def audit_submit(request: HttpRequest, audit_id: UUID, payload: SubmitIn) -> dict[str, Any]:
    audit = _one(_audits(request), audit_id)
    submitted = audit_services.audit_submit(
        acting_user=_user(request), audit=audit, version=payload.version, token=payload.token
    )
    return audit_out(_one(_audits(request), submitted.public_id))


# --- Actions -------------------------------------------------------------------------


def action_out(action: Action) -> dict[str, Any]:
    return {
        "id": action.public_id,
        "audit": action.audit.public_id,
        "child_id": action.audit.case.child_id,
        "description": action.description,
        "owner": action.owner.username,
        "due_date": action.due_date,
        "status": action.status,
        "evidence": action.evidence,
        "completed_at": action.completed_at,
    }


@actions.get(
    "", response={200: ActionPage, **READ_ERRORS}, summary="List follow-up actions in your remit"
)
def action_list(
    request: HttpRequest,
    status: Literal["open", "in_progress", "completed"] | None = None,
    mine: bool = Mine,
    page: int = Page,
    page_size: int = PageSize,
) -> dict[str, Any]:
    user = _user(request)
    found = actions_visible_to(user=user).order_by("due_date", "created_at", "pk")
    if status:
        found = found.filter(status=status)
    if mine:
        found = found.filter(owner=user)
    count, items = _page(
        request,
        found,
        page=page,
        page_size=page_size,
        action="actions.listed",
        shown=lambda shown: [*shown, *(a.audit for a in shown)],
    )
    return _paged(count, page, page_size, [action_out(a) for a in items])


@actions.get("/{action_id}", response={200: ActionOut, **READ_ERRORS}, summary="Read an action")
def action_detail(request: HttpRequest, action_id: UUID) -> dict[str, Any]:
    action = _one(actions_visible_to(user=_user(request)), action_id)
    record_view(request, action="action.viewed", objects=[action, action.audit])
    return action_out(action)


@actions.patch(
    "/{action_id}",
    auth=write_auth,
    response={200: ActionOut, **WRITE_ERRORS},
    summary="Move an action to open or in progress, or complete it with evidence",
)
def action_update(request: HttpRequest, action_id: UUID, payload: ActionUpdateIn) -> dict[str, Any]:
    user = _user(request)
    action = _one(actions_visible_to(user=user), action_id)
    if payload.status == ActionStatus.COMPLETED.value:
        action = action_services.action_complete(
            acting_user=user, action=action, evidence=payload.evidence
        )
    else:
        action = action_services.action_update(
            acting_user=user, action=action, status=payload.status
        )
    return action_out(_one(actions_visible_to(user=user), action.public_id))


# --- Reports -------------------------------------------------------------------------

reports = Router(tags=["reports"], auth=read_auth)
Month = r"^(19|20)\d{2}-(0[1-9]|1[0-2])$"
PeriodFrom = Query(..., alias="from", pattern=Month, description="The first month: 2026-04.")
PeriodTo = Query(..., alias="to", pattern=Month, description="The last month: 2027-03.")
ToolFilter = Query(None, max_length=160, description="A tool's slug or name.")
ReportAreaFilter = Query(None, max_length=160, description="A service area's slug or name.")
ReportTeamFilter = Query(None, max_length=160, description="A team's name.")
CycleFilter = Query(None, max_length=64, description="A cycle's id.")
Unsuppressed = Query(
    False,
    description=(
        "Show numbers from 1 to 4, and those from which they could be worked out. Honoured"
        " only when you may open every audit the report counts; otherwise the figures stay"
        " suppressed and suppression.unsuppressed_refused says so."
    ),
)
Intervals = Query(False, description="Add confidence intervals.")


@reports.get(
    "/summary",
    response={200: dict[str, Any], **READ_ERRORS, 403: Problem},
    summary="The report's figures: the JSON contract of docs/reports.md",
)
def report_summary_read(
    request: HttpRequest,
    period_from: Text = PeriodFrom,
    period_to: Text = PeriodTo,
    tool: Text | None = ToolFilter,
    service_area: Text | None = ReportAreaFilter,
    team: Text | None = ReportTeamFilter,
    cycle: Text | None = CycleFilter,
    unsuppressed: bool = Unsuppressed,
    intervals: bool = Intervals,
) -> dict[str, Any]:
    from qpa.reports.summary import parse_month, report_summary
    from qpa.reports.views import READER_ROLES

    if _user(request).role not in READER_ROLES:
        raise PermissionDenied("Reports are for the roles that read them on the web.")
    summary = report_summary(
        period_from=parse_month(period_from),
        period_to=parse_month(period_to),
        tool=tool or None,
        service_area=service_area or None,
        team=team or None,
        cycle=cycle or None,
        intervals=intervals,
    )
    return disclosure.figures_for_reader(summary, reader=_user(request), unsuppressed=unsuppressed)


# --- Re-audits and moderation (read) -------------------------------------------------

assurance = Router(tags=["re-audits and moderation"], auth=read_auth)


def reaudit_out(reaudit: ReAudit) -> dict[str, Any]:
    submitted = reaudit.reaudit.status == AuditStatus.SUBMITTED
    return {
        "id": reaudit.public_id,
        "quarter": reaudit.draw.quarter,
        "original_audit": reaudit.original.public_id,
        "reaudit_audit": reaudit.reaudit.public_id,
        "child_id": reaudit.original.case.child_id,
        "auditor": str(reaudit.auditor),
        "due_date": reaudit.due_date,
        "status": reaudit.reaudit.status,
        "comparison": [
            {
                "domain": row.name,
                "original": row.before.label if row.before else None,
                "reaudit": row.after.label if row.after else None,
                "outcome": row.outcome,
            }
            for row in reaudit_comparison(reaudit)
        ]
        if submitted
        else [],
    }


@assurance.get(
    "/reaudits", response={200: ReAuditPage, **READ_ERRORS}, summary="List re-audits in your remit"
)
def reaudit_list(
    request: HttpRequest, quarter: str | None = None, page: int = Page, page_size: int = PageSize
) -> dict[str, Any]:
    found = (
        reaudits_visible_to(user=_user(request))
        .select_related("draw", "original__case", "reaudit", "auditor")
        .order_by("-draw__quarter", "rank")
    )
    if quarter:
        found = found.filter(draw__quarter=quarter)
    count, items = _page(
        request,
        found,
        page=page,
        page_size=page_size,
        action="api.reaudits.listed",
        shown=lambda rows: [r.original.case for r in rows],
    )
    return _paged(count, page, page_size, [reaudit_out(r) for r in items])


@assurance.get(
    "/reaudits/{reaudit_id}", response={200: ReAuditOut, **READ_ERRORS}, summary="Read a re-audit"
)
def reaudit_detail(request: HttpRequest, reaudit_id: UUID) -> dict[str, Any]:
    reaudit = _one(reaudits_visible_to(user=_user(request)), reaudit_id)
    record_view(request, action="api.reaudit.viewed", objects=[reaudit.original.case])
    return reaudit_out(reaudit)


def moderation_out(moderation: Moderation, visible: set[int]) -> dict[str, Any]:
    first = getattr(moderation.allocation, "audit", None)
    second = moderation.moderation_audit
    return {
        "id": moderation.public_id,
        "cycle": moderation.draw.cycle.public_id,
        "child_id": moderation.allocation.sampled_case.case.child_id,
        "moderator": str(moderation.moderator),
        # The blind rule: an audit the person may not reach yet is not even named.
        "first_audit": first.public_id if first is not None and first.pk in visible else None,
        "moderation_audit": second.public_id if second.pk in visible else None,
        "agreed_at": moderation.agreed_at,
    }


@assurance.get(
    "/moderations",
    response={200: ModerationPage, **READ_ERRORS},
    summary="List moderations in your remit",
)
def moderation_list(
    request: HttpRequest, page: int = Page, page_size: int = PageSize
) -> dict[str, Any]:
    user = _user(request)
    found = moderations_visible_to(user=user).order_by("-created_at")
    count, items = _page(
        request,
        found,
        page=page,
        page_size=page_size,
        action="api.moderations.listed",
        shown=lambda rows: [m.allocation.sampled_case.case for m in rows],
    )
    visible = set(audits_visible_to(user=user).values_list("pk", flat=True))
    return _paged(count, page, page_size, [moderation_out(m, visible) for m in items])


@assurance.get(
    "/moderations/{moderation_id}",
    response={200: ModerationOut, **READ_ERRORS},
    summary="Read a moderation",
)
def moderation_detail(request: HttpRequest, moderation_id: UUID) -> dict[str, Any]:
    user = _user(request)
    moderation = _one(moderations_visible_to(user=user), moderation_id)
    record_view(
        request, action="api.moderation.viewed", objects=[moderation.allocation.sampled_case.case]
    )
    visible = set(audits_visible_to(user=user).values_list("pk", flat=True))
    return moderation_out(moderation, visible)
