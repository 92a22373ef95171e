"""The API's operations: thin, like the views. Reads start from the remit-checked
selectors (out of remit is 404) and record what they showed; writes call the services,
which check the person and record the change."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Generic, Literal, TypeVar
from uuid import UUID

from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Model, OuterRef, Prefetch, QuerySet, Subquery, prefetch_related_objects
from django.http import Http404, HttpRequest
from ninja import Router, Status
from ninja.params.functions import Path, Query

from qpa.accounts.models import User
from qpa.accounts.permissions import Permission, acting_user, user_can
from qpa.actions import services as action_services
from qpa.actions.models import ActionStatus
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
    ReportSummary,
    SafetyIn,
    SubmitIn,
    Text,
    VoiceIn,
)
from qpa.assurance.models import Moderation, ReAudit
from qpa.assurance.selectors import moderations_visible_to, reaudits_visible_to
from qpa.assurance.services import (
    ComparisonRow,
    effective_domain,
    effective_overall,
    outcome,
)
from qpa.audits import services as audit_services
from qpa.audits.models import Audit, AuditStatus, DomainRating
from qpa.audits.selectors import audits_visible_to
from qpa.cases.selectors import cases_visible_to
from qpa.core.events import record_view
from qpa.cycles import services as cycle_services
from qpa.cycles.models import Allocation
from qpa.cycles.selectors import allocations_visible_to, cycles_visible_to
from qpa.reports.document import report_document
from qpa.reports.summary import parse_month
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
    user = acting_user(request)
    return user


def _one(queryset: QuerySet[M], public_id: UUID) -> M:
    found = queryset.filter(public_id=public_id).first()
    if found is None:
        raise Http404
    return found


@dataclass(frozen=True)
class Listed(Generic[M]):
    """One page of a list as read; `<Thing>Page.from_orm(listed)` is the answer."""

    count: int
    page: int
    page_size: int
    results: list[M]


def _page(
    request: HttpRequest,
    queryset: QuerySet[M],
    *,
    page: int,
    page_size: int,
    action: str | None,
    shown: Any = None,
) -> Listed[M]:
    """One page of a filtered, ordered queryset: two queries (the count and the page)
    plus the event recording what was shown (`action`; None for what is not case data).
    Whatever each row needs is read with it (select_related, annotations, prefetches
    done once for the page), so a page of 100 costs what a page of 2 does."""
    count = queryset.count()
    start = (page - 1) * page_size
    items = list(queryset[start : start + page_size]) if start < count else []
    if items and action is not None:
        record_view(request, action=action, objects=shown(items) if shown else items)
    return Listed(count, page, page_size, items)


# --- Cases ---------------------------------------------------------------------------


@cases.get("", response={200: CasePage, **READ_ERRORS}, summary="List the cases in your remit")
def case_list(
    request: HttpRequest,
    status: Literal["open", "closed"] | None = None,
    service_area: Text | None = AreaFilter,
    team: Text | None = TeamFilter,
    child_id: Text | None = ChildFilter,
    page: int = Page,
    page_size: int = PageSize,
) -> CasePage:
    found = cases_visible_to(user=_user(request)).select_related("service_area", "team")
    if status:
        found = found.filter(status=status)
    if service_area:
        found = found.filter(service_area__slug=service_area)
    if team:
        found = found.filter(team__name=team)
    if child_id:
        found = found.filter(child_id=child_id)
    listed = _page(request, found, page=page, page_size=page_size, action="cases.listed")
    return CasePage.from_orm(listed)


@cases.get("/{case_id}", response={200: CaseOut, **READ_ERRORS}, summary="Read a case")
def case_detail(request: HttpRequest, case_id: UUID) -> CaseOut:
    case = _one(
        cases_visible_to(user=_user(request)).select_related("service_area", "team"), case_id
    )
    record_view(request, action="case.viewed", objects=[case])
    return CaseOut.from_orm(case)


# --- Cycles and allocations ----------------------------------------------------------


@cycles.get("/cycles", response={200: CyclePage, **READ_ERRORS}, summary="List cycles")
def cycle_list(
    request: HttpRequest,
    status: Literal["draft", "drawn", "allocated"] | None = None,
    page: int = Page,
    page_size: int = PageSize,
) -> CyclePage:
    found = cycles_visible_to(user=_user(request)).order_by("-due_date", "-created_at")
    if status:
        found = found.filter(status=status)
    # A cycle names no child: its listing is not case data, so no event records it.
    listed = _page(request, found, page=page, page_size=page_size, action=None)
    return CyclePage.from_orm(listed)


@cycles.get("/cycles/{cycle_id}", response={200: CycleOut, **READ_ERRORS}, summary="Read a cycle")
def cycle_detail(request: HttpRequest, cycle_id: UUID) -> CycleOut:
    return CycleOut.from_orm(_one(cycles_visible_to(user=_user(request)), cycle_id))


def _allocations(user: User) -> QuerySet[Allocation]:
    """The allocations the person may see, each with its audit's public id read in the
    same query (`AllocationOut.audit`)."""
    audit = Audit.objects.filter(allocation=OuterRef("pk")).values("public_id")[:1]
    return allocations_visible_to(user=user).annotate(audit_public_id=Subquery(audit))


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
) -> AllocationPage:
    user = _user(request)
    found = _allocations(user).order_by("due_date", "created_at")
    if cycle:
        found = found.filter(sampled_case__cycle__public_id=cycle)
    if status:
        found = found.filter(status=status)
    if mine:
        found = found.filter(auditor=user)
    listed = _page(request, found, page=page, page_size=page_size, action="allocations.listed")
    return AllocationPage.from_orm(listed)


@cycles.get(
    "/allocations/{allocation_id}",
    response={200: AllocationOut, **READ_ERRORS},
    summary="Read an allocation",
)
def allocation_detail(request: HttpRequest, allocation_id: UUID) -> AllocationOut:
    allocation = _one(_allocations(_user(request)), allocation_id)
    record_view(request, action="allocation.viewed", objects=[allocation])
    return AllocationOut.from_orm(allocation)


# --- Audits --------------------------------------------------------------------------


def _audits(request: HttpRequest) -> QuerySet[Audit]:
    return audits_visible_to(user=_user(request)).select_related(
        "case", "tool_version__tool", "auditor", "overall_rating", "allocation", "updated_by"
    )


def _audits_in_full(request: HttpRequest) -> QuerySet[Audit]:
    """As `_audits`, with every domain of the tool and the audit's answers (`AuditOut`)."""
    return _audits(request).prefetch_related(
        "tool_version__domains",
        Prefetch("domain_ratings", queryset=DomainRating.objects.select_related("rating")),
        "tool_version__questions",
        "voice_answers",
    )


def _audit_out(request: HttpRequest, public_id: UUID) -> AuditOut:
    """The audit as it is now, read again after a write."""
    return AuditOut.from_orm(_one(_audits_in_full(request), public_id))


def _domains(audit: Audit) -> list[Domain]:
    return list(audit.tool_version.domains.order_by("order"))


@audits.get("", response={200: AuditPage, **READ_ERRORS}, summary="List the audits in your remit")
def audit_list(
    request: HttpRequest,
    status: Literal["draft", "submitted"] | None = None,
    case: UUID | None = None,
    mine: bool = Mine,
    page: int = Page,
    page_size: int = PageSize,
) -> AuditPage:
    found = _audits(request).order_by("-created_at", "-pk")
    if status:
        found = found.filter(status=status)
    if case:
        found = found.filter(case__public_id=case)
    if mine:
        found = found.filter(auditor=_user(request))
    listed = _page(request, found, page=page, page_size=page_size, action="audits.listed")
    return AuditPage.from_orm(listed)


@audits.get("/{audit_id}", response={200: AuditOut, **READ_ERRORS}, summary="Read an audit")
def audit_detail(request: HttpRequest, audit_id: UUID) -> AuditOut:
    audit = _one(_audits_in_full(request), audit_id)
    record_view(request, action="audit.viewed", objects=[audit])
    return AuditOut.from_orm(audit)


@audits.post(
    "",
    auth=write_auth,
    response={200: AuditOut, 201: AuditOut, **WRITE_ERRORS},
    summary="Start the draft audit of one of your allocations (once: again gives the same)",
)
def audit_create(request: HttpRequest, payload: AuditCreateIn) -> Status[AuditOut]:
    allocation = _one(allocations_visible_to(user=_user(request)), payload.allocation)
    existed = Audit.objects.filter(allocation=allocation).exists()
    audit = cycle_services.allocation_audit_start(acting_user=_user(request), allocation=allocation)
    return Status(200 if existed else 201, _audit_out(request, audit.public_id))


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
) -> AuditOut:
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
    return _audit_out(request, saved.public_id)


@audits.put(
    "/{audit_id}/overall",
    auth=write_auth,
    response={200: AuditOut, **WRITE_ERRORS},
    summary="Save the overall judgement of a draft, from the version you read",
)
def audit_overall_save(request: HttpRequest, audit_id: UUID, payload: OverallIn) -> AuditOut:
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
    return _audit_out(request, saved.public_id)


@audits.put(
    "/{audit_id}/safety",
    auth=write_auth,
    response={200: AuditOut, **WRITE_ERRORS},
    summary="Answer “Is the child safe now?” on a draft; “no” or “not_sure” alerts at once",
)
def audit_safety_save(request: HttpRequest, audit_id: UUID, payload: SafetyIn) -> AuditOut:
    audit = _one(_audits(request), audit_id)
    saved = audit_services.audit_save_safety(
        acting_user=_user(request),
        audit=audit,
        version=payload.version,
        child_safe=payload.child_safe,
        child_safe_reason=payload.child_safe_reason,
    )
    return _audit_out(request, saved.public_id)


@audits.put(
    "/{audit_id}/voice",
    auth=write_auth,
    response={200: AuditOut, **WRITE_ERRORS},
    summary="Answer questions about the child's voice and the family's view on a draft",
)
def audit_voice_save(request: HttpRequest, audit_id: UUID, payload: VoiceIn) -> AuditOut:
    audit = _one(_audits(request), audit_id)
    positions = [answer.position for answer in payload.answers]
    if len(set(positions)) != len(positions):
        raise ValidationError({"answers": "Answer each question once."})
    saved = audit_services.audit_save_voice(
        acting_user=_user(request),
        audit=audit,
        version=payload.version,
        answers={answer.position: (answer.answer, answer.text) for answer in payload.answers},
    )
    return _audit_out(request, saved.public_id)


@audits.post(
    "/{audit_id}/submit",
    auth=write_auth,
    response={200: AuditOut, **WRITE_ERRORS},
    summary="Submit a completed draft; resending the same token submits once",
)
def audit_submit(request: HttpRequest, audit_id: UUID, payload: SubmitIn) -> AuditOut:
    audit = _one(_audits(request), audit_id)
    submitted = audit_services.audit_submit(
        acting_user=_user(request), audit=audit, version=payload.version, token=payload.token
    )
    return _audit_out(request, submitted.public_id)


# --- Actions -------------------------------------------------------------------------


@actions.get(
    "", response={200: ActionPage, **READ_ERRORS}, summary="List follow-up actions in your remit"
)
def action_list(
    request: HttpRequest,
    status: Literal["open", "in_progress", "completed"] | None = None,
    mine: bool = Mine,
    page: int = Page,
    page_size: int = PageSize,
) -> ActionPage:
    user = _user(request)
    found = actions_visible_to(user=user).order_by("due_date", "created_at", "pk")
    if status:
        found = found.filter(status=status)
    if mine:
        found = found.filter(owner=user)
    listed = _page(
        request,
        found,
        page=page,
        page_size=page_size,
        action="actions.listed",
        shown=lambda shown: [*shown, *(a.audit for a in shown)],
    )
    return ActionPage.from_orm(listed)


@actions.get("/{action_id}", response={200: ActionOut, **READ_ERRORS}, summary="Read an action")
def action_detail(request: HttpRequest, action_id: UUID) -> ActionOut:
    action = _one(actions_visible_to(user=_user(request)), action_id)
    record_view(request, action="action.viewed", objects=[action, action.audit])
    return ActionOut.from_orm(action)


@actions.patch(
    "/{action_id}",
    auth=write_auth,
    response={200: ActionOut, **WRITE_ERRORS},
    summary="Move an action to open or in progress, or complete it with evidence",
)
def action_update(request: HttpRequest, action_id: UUID, payload: ActionUpdateIn) -> ActionOut:
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
    return ActionOut.from_orm(_one(actions_visible_to(user=user), action.public_id))


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
CompareFrom = Query(
    None, pattern=Month, description="A period to compare with (the `comparison` member)."
)
CompareTo = Query(None, pattern=Month, description="The comparison period's last month.")
Teams = Query(False, description="Add the teams side by side (the `teams` member).")
AssuranceFigures = Query(
    False, description="Add the re-audit, agreement and audit-quality figures (`assurance`)."
)


@reports.get(
    "/summary",
    response={200: ReportSummary, **READ_ERRORS, 403: Problem},
    summary="The report's figures: the JSON contract of docs/reports.md",
    # `period.from` is a Python keyword (`from_` inside); `ci95` members are left out
    # unless intervals were asked for, as in the document.
    by_alias=True,
    exclude_unset=True,
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
    compare_from: Text | None = CompareFrom,
    compare_to: Text | None = CompareTo,
    teams: bool = Teams,
    assurance: bool = AssuranceFigures,
) -> ReportSummary:
    if not user_can(_user(request), Permission.READ_REPORTS):
        raise PermissionDenied("Reports are for the roles that read them on the web.")
    if bool(compare_from) != bool(compare_to):
        raise ValidationError({"compare_to": "Give both compare_from and compare_to."})
    # Every member through the one small-number rule (qpa.reports.document).
    shown = report_document(
        reader=_user(request),
        period_from=parse_month(period_from),
        period_to=parse_month(period_to),
        tool=tool or None,
        service_area=service_area or None,
        team=team or None,
        cycle=cycle or None,
        intervals=intervals,
        unsuppressed=unsuppressed,
        compare=(parse_month(compare_from), parse_month(compare_to))
        if compare_from and compare_to
        else None,
        teams=teams,
        assurance=assurance,
    )
    return ReportSummary.model_validate(shown)


# --- Re-audits and moderation (read) -------------------------------------------------

assurance = Router(tags=["re-audits and moderation"], auth=read_auth)


def _comparisons(reaudits: list[ReAudit]) -> dict[int, list[ComparisonRow]]:
    """`reaudit_comparison` of each submitted re-audit of a page, read together: the
    answers of both audits and the tools' domains in three queries, whatever the page's
    length (tests/test_api.py checks both against the re-audit page's comparison)."""
    submitted = [r for r in reaudits if r.reaudit.status == AuditStatus.SUBMITTED]
    answers = DomainRating.objects.select_related("rating", "agreed_rating")
    prefetch_related_objects(
        [audit for r in submitted for audit in (r.original, r.reaudit)],
        Prefetch("domain_ratings", queryset=answers),
    )
    prefetch_related_objects([r.original for r in submitted], "tool_version__domains")
    comparisons: dict[int, list[ComparisonRow]] = {}
    for reaudit in submitted:
        original, second = reaudit.original, reaudit.reaudit
        before = {row.domain_id: row for row in original.domain_ratings.all()}
        after = {row.domain_id: row for row in second.domain_ratings.all()}
        rows = []
        for domain in original.tool_version.domains.all():
            b = effective_domain(before.get(domain.pk), original)
            a = effective_domain(after.get(domain.pk), second)
            rows.append(ComparisonRow(domain.name, b, a, outcome(b, a)))
        b, a = effective_overall(original), second.overall_rating
        rows.append(ComparisonRow("Overall", b, a, outcome(b, a)))
        comparisons[reaudit.pk] = rows
    return comparisons


@assurance.get(
    "/reaudits", response={200: ReAuditPage, **READ_ERRORS}, summary="List re-audits in your remit"
)
def reaudit_list(
    request: HttpRequest, quarter: str | None = None, page: int = Page, page_size: int = PageSize
) -> ReAuditPage:
    found = (
        reaudits_visible_to(user=_user(request))
        .select_related("draw", "original__case", "reaudit", "auditor")
        .select_related("original__agreed_overall_rating")
        .order_by("-draw__quarter", "rank")
    )
    if quarter:
        found = found.filter(draw__quarter=quarter)
    listed = _page(
        request,
        found,
        page=page,
        page_size=page_size,
        action="api.reaudits.listed",
        shown=lambda rows: [r.original.case for r in rows],
    )
    context = {"comparisons": _comparisons(listed.results)}
    return ReAuditPage.from_orm(listed, context=context)


@assurance.get(
    "/reaudits/{reaudit_id}", response={200: ReAuditOut, **READ_ERRORS}, summary="Read a re-audit"
)
def reaudit_detail(request: HttpRequest, reaudit_id: UUID) -> ReAuditOut:
    reaudit = _one(reaudits_visible_to(user=_user(request)), reaudit_id)
    record_view(request, action="api.reaudit.viewed", objects=[reaudit.original.case])
    # Alone, the comparison is the re-audit page's own (`reaudit_comparison`).
    return ReAuditOut.from_orm(reaudit)


def _moderations(user: User) -> QuerySet[Moderation]:
    """The moderations the person may see, each with the public ids of its two audits
    as far as the person may open them: null while the blind rule hides one. Read in
    the same query (`ModerationOut`), never by loading the ids of every visible audit."""
    visible = audits_visible_to(user=user)
    first = visible.filter(allocation=OuterRef("allocation")).values("public_id")[:1]
    second = visible.filter(pk=OuterRef("moderation_audit")).values("public_id")[:1]
    return moderations_visible_to(user=user).annotate(
        first_audit_shown=Subquery(first), moderation_audit_shown=Subquery(second)
    )


@assurance.get(
    "/moderations",
    response={200: ModerationPage, **READ_ERRORS},
    summary="List moderations in your remit",
)
def moderation_list(
    request: HttpRequest, page: int = Page, page_size: int = PageSize
) -> ModerationPage:
    user = _user(request)
    found = _moderations(user).order_by("-created_at")
    listed = _page(
        request,
        found,
        page=page,
        page_size=page_size,
        action="api.moderations.listed",
        shown=lambda rows: [m.allocation.sampled_case.case for m in rows],
    )
    return ModerationPage.from_orm(listed)


@assurance.get(
    "/moderations/{moderation_id}",
    response={200: ModerationOut, **READ_ERRORS},
    summary="Read a moderation",
)
def moderation_detail(request: HttpRequest, moderation_id: UUID) -> ModerationOut:
    moderation = _one(_moderations(_user(request)), moderation_id)
    record_view(
        request, action="api.moderation.viewed", objects=[moderation.allocation.sampled_case.case]
    )
    return ModerationOut.from_orm(moderation)
