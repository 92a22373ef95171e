"""What the API reads and writes. Identifiers are the objects' public UUIDs.

Every answer is one of these schemas, built from the objects the endpoints read
(`Schema.from_orm`; `resolve_<field>` says where a field comes from), never a dict
beside them, so the OpenAPI schema, and every client generated from it, types each
answer as it is."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Annotated, Any, Literal
from uuid import UUID

from ninja import Field, Schema
from pydantic import AfterValidator, ConfigDict

from qpa.actions.models import Action
from qpa.actions.services import EVIDENCE_MINIMUM
from qpa.assurance.models import Moderation, ReAudit
from qpa.assurance.services import ComparisonRow, reaudit_comparison
from qpa.audits.models import Audit, AuditStatus, DomainRating, VoiceAnswer
from qpa.audits.services import MAX_TEXT
from qpa.cases.models import Case
from qpa.cycles.models import Allocation, Cycle
from qpa.tools.models import Domain, VoiceQuestion

Captured = Literal["", "yes", "partly", "no"]
# Version numbers (and the next one) and pages fit the database's integer columns.
MAX_INT = 2**31 - 2


def _no_nul(value: str) -> str:
    # PostgreSQL text cannot hold NUL; refuse it as bad input everywhere.
    if "\x00" in value:
        raise ValueError("Text cannot contain the NUL character.")
    return value


Text = Annotated[str, AfterValidator(_no_nul)]


class Problem(Schema):
    type: str
    title: str
    status: int
    detail: str


class Public(Schema):
    """An object named by its public UUID, as in the web addresses."""

    id: UUID

    @staticmethod
    def resolve_id(obj: Any) -> UUID:
        public_id: UUID = obj.public_id
        return public_id


class CaseOut(Public):
    child_id: str
    status: str
    service_area: str | None = Field(description="The service area's slug.")
    team: str | None = Field(description="The team's name.")
    opened_on: date | None
    closed_on: date | None
    cin_start_date: date | None
    cp_plan_start_date: date | None
    looked_after_start_date: date | None

    @staticmethod
    def resolve_service_area(case: Case) -> str | None:
        return case.service_area.slug if case.service_area else None

    @staticmethod
    def resolve_team(case: Case) -> str | None:
        return case.team.name if case.team else None


class CasePage(Schema):
    count: int
    page: int
    page_size: int
    results: list[CaseOut]


class CycleOut(Public):
    name: str
    kind: str
    month: date | None
    theme: str
    tool: str = Field(description="The audit tool's slug.")
    status: str
    due_date: date
    drawn_at: datetime | None

    @staticmethod
    def resolve_tool(cycle: Cycle) -> str:
        return cycle.tool.slug


class CyclePage(Schema):
    count: int
    page: int
    page_size: int
    results: list[CycleOut]


class AllocationOut(Public):
    cycle: UUID
    case: UUID
    child_id: str
    auditor: str = Field(description="The auditor's username.")
    due_date: date
    status: str
    audit: UUID | None = Field(description="The audit started from it; null until started.")

    @staticmethod
    def resolve_cycle(allocation: Allocation) -> UUID:
        return allocation.sampled_case.cycle.public_id

    @staticmethod
    def resolve_case(allocation: Allocation) -> UUID:
        return allocation.sampled_case.case.public_id

    @staticmethod
    def resolve_child_id(allocation: Allocation) -> str:
        return allocation.sampled_case.case.child_id

    @staticmethod
    def resolve_auditor(allocation: Allocation) -> str:
        return allocation.auditor.username

    @staticmethod
    def resolve_audit(allocation: Allocation) -> UUID | None:
        # Annotated by the query that read the allocations (qpa.api.endpoints), so a page
        # of allocations costs no query per row.
        audit: UUID | None = allocation.audit_public_id  # type: ignore[attr-defined]
        return audit


class AllocationPage(Schema):
    count: int
    page: int
    page_size: int
    results: list[AllocationOut]


class AuditSummary(Public):
    case: UUID
    child_id: str
    status: str
    source: str
    tool: str
    tool_version: int
    auditor: str
    audit_date: date | None
    submitted_at: datetime | None
    overall_rating: str | None
    version: int
    allocation: UUID | None

    @staticmethod
    def resolve_case(audit: Audit) -> UUID:
        return audit.case.public_id

    @staticmethod
    def resolve_child_id(audit: Audit) -> str:
        return audit.case.child_id

    @staticmethod
    def resolve_tool(audit: Audit) -> str:
        return audit.tool_version.tool.slug

    @staticmethod
    def resolve_tool_version(audit: Audit) -> int:
        return audit.tool_version.number

    @staticmethod
    def resolve_auditor(audit: Audit) -> str:
        return audit.auditor_display

    @staticmethod
    def resolve_overall_rating(audit: Audit) -> str | None:
        return audit.overall_rating.label if audit.overall_rating else None

    @staticmethod
    def resolve_allocation(audit: Audit) -> UUID | None:
        return audit.allocation.public_id if audit.allocation else None


@dataclass(frozen=True)
class DomainAnswer:
    """One domain of an audit as the API shows it: the tool's domain, in the tool's
    order from 1, and the audit's answer to it if there is one."""

    position: int
    domain: Domain
    answer: DomainRating | None


class DomainOut(Schema):
    position: int
    name: str
    rating: str | None
    not_applicable: bool
    evidence: str
    strengths: str
    improvements: str

    @staticmethod
    def resolve_name(row: DomainAnswer) -> str:
        return row.domain.name

    @staticmethod
    def resolve_rating(row: DomainAnswer) -> str | None:
        rating = row.answer.rating if row.answer else None
        return rating.label if rating else None

    @staticmethod
    def resolve_not_applicable(row: DomainAnswer) -> bool:
        return bool(row.answer and row.answer.not_applicable)

    @staticmethod
    def resolve_evidence(row: DomainAnswer) -> str:
        return row.answer.evidence if row.answer else ""

    @staticmethod
    def resolve_strengths(row: DomainAnswer) -> str:
        return row.answer.strengths if row.answer else ""

    @staticmethod
    def resolve_improvements(row: DomainAnswer) -> str:
        return row.answer.improvements if row.answer else ""


@dataclass(frozen=True)
class QuestionAnswer:
    """A question of the tool version about the child's voice or the family's view, and
    the audit's answer to it if there is one."""

    question: VoiceQuestion
    answer: VoiceAnswer | None


class QuestionOut(Schema):
    position: int = Field(description="The question's place in the tool version, from 1.")
    about: Literal["child", "family"]
    text: str
    hint: str
    allows_not_applicable: bool
    text_asked: Literal["never", "yes", "not_yes", "always"] = Field(
        description="When the short text must be written: never, when the answer is yes, "
        "when it is no or not recorded, or always."
    )
    text_label: str
    answer: Literal["", "yes", "no", "not_recorded", "not_applicable"]
    answer_text: str

    @staticmethod
    def resolve_position(row: QuestionAnswer) -> int:
        return row.question.order

    @staticmethod
    def resolve_about(row: QuestionAnswer) -> str:
        return row.question.about

    @staticmethod
    def resolve_text(row: QuestionAnswer) -> str:
        return row.question.text

    @staticmethod
    def resolve_hint(row: QuestionAnswer) -> str:
        return row.question.hint

    @staticmethod
    def resolve_allows_not_applicable(row: QuestionAnswer) -> bool:
        return row.question.allows_not_applicable

    @staticmethod
    def resolve_text_asked(row: QuestionAnswer) -> str:
        return row.question.text_asked

    @staticmethod
    def resolve_text_label(row: QuestionAnswer) -> str:
        return row.question.text_label

    @staticmethod
    def resolve_answer(row: QuestionAnswer) -> str:
        return row.answer.answer if row.answer else ""

    @staticmethod
    def resolve_answer_text(row: QuestionAnswer) -> str:
        return row.answer.text if row.answer else ""


class AuditOut(AuditSummary):
    overall_rationale: str
    child_experience_captured: str
    child_experience_text: str
    family_view_captured: str
    family_view_text: str
    consistency_reason: str
    child_safe: str
    child_safe_reason: str
    domains: list[DomainOut]
    questions: list[QuestionOut] = Field(
        description="The tool version's questions about the child's voice and the family's "
        "view, with the audit's answers (often none)."
    )

    @staticmethod
    def resolve_domains(audit: Audit) -> list[DomainAnswer]:
        # `.all()`, so that the prefetched domains and answers (qpa.api.endpoints) serve.
        answers = {answer.domain_id: answer for answer in audit.domain_ratings.all()}
        return [
            DomainAnswer(position, domain, answers.get(domain.pk))
            for position, domain in enumerate(audit.tool_version.domains.all(), start=1)
        ]

    @staticmethod
    def resolve_questions(audit: Audit) -> list[QuestionAnswer]:
        # `.all()`, so that the prefetched questions and answers serve.
        answers = {answer.question_id: answer for answer in audit.voice_answers.all()}
        return [
            QuestionAnswer(question, answers.get(question.pk))
            for question in audit.tool_version.questions.all()
        ]


class AuditPage(Schema):
    count: int
    page: int
    page_size: int
    results: list[AuditSummary]


class AuditCreateIn(Schema):
    allocation: UUID


class DomainIn(Schema):
    version: int = Field(
        ge=1, le=MAX_INT, description="The audit's version this save started from."
    )
    rating: Text | None = Field(None, max_length=80, description="A rating label of the scale.")
    not_applicable: bool = False
    evidence: Text = Field("", max_length=MAX_TEXT)
    strengths: Text = Field("", max_length=MAX_TEXT)
    improvements: Text = Field("", max_length=MAX_TEXT)


class OverallIn(Schema):
    version: int = Field(
        ge=1, le=MAX_INT, description="The audit's version this save started from."
    )
    overall_rating: Text | None = Field(None, max_length=80)
    overall_rationale: Text = Field("", max_length=MAX_TEXT)
    child_experience_captured: Captured = ""
    child_experience_text: Text = Field("", max_length=MAX_TEXT)
    family_view_captured: Captured = ""
    family_view_text: Text = Field("", max_length=MAX_TEXT)
    consistency_reason: Text | None = Field(
        None,
        max_length=MAX_TEXT,
        description="Why the overall rating lies more than a grade from the domains; "
        "left as it is when absent.",
    )


class SafetyIn(Schema):
    version: int = Field(
        ge=1, le=MAX_INT, description="The audit's version this save started from."
    )
    child_safe: Literal["", "yes", "no", "not_sure"] = Field(
        "", description='Is the child safe now? "no" and "not_sure" alert the managers at once.'
    )
    child_safe_reason: Text = Field("", max_length=MAX_TEXT)


class VoiceAnswerIn(Schema):
    position: int = Field(ge=1, le=MAX_INT, description="The question's position (`questions`).")
    answer: Literal["", "yes", "no", "not_recorded", "not_applicable"] = ""
    text: Text = Field("", max_length=MAX_TEXT, description="The short text the answer asks for.")


class VoiceIn(Schema):
    version: int = Field(
        ge=1, le=MAX_INT, description="The audit's version this save started from."
    )
    answers: list[VoiceAnswerIn] = Field(
        max_length=50, description="Answers to some or all of the questions, each once."
    )


class SubmitIn(Schema):
    version: int = Field(ge=1, le=MAX_INT)
    token: UUID = Field(description="A fresh UUID per submission: resending it submits once.")


class ActionOut(Public):
    audit: UUID
    child_id: str
    description: str
    owner: str = Field(description="The owner's username.")
    due_date: date
    status: str
    evidence: str
    completed_at: datetime | None

    @staticmethod
    def resolve_audit(action: Action) -> UUID:
        return action.audit.public_id

    @staticmethod
    def resolve_child_id(action: Action) -> str:
        return action.audit.case.child_id

    @staticmethod
    def resolve_owner(action: Action) -> str:
        return action.owner.username


class ActionPage(Schema):
    count: int
    page: int
    page_size: int
    results: list[ActionOut]


class ActionUpdateIn(Schema):
    status: Literal["open", "in_progress", "completed"]
    evidence: Text = Field(
        "",
        max_length=MAX_TEXT,
        description="Required to complete the action: what was done and where the evidence"
        f" is, in at least {EVIDENCE_MINIMUM} characters.",
    )


class ComparisonOut(Schema):
    domain: str
    original: str | None
    reaudit: str | None
    outcome: str = Field(description="Improved, Unchanged, Declined or Not comparable")

    @staticmethod
    def resolve_domain(row: ComparisonRow) -> str:
        return row.name

    @staticmethod
    def resolve_original(row: ComparisonRow) -> str | None:
        return row.before.label if row.before else None

    @staticmethod
    def resolve_reaudit(row: ComparisonRow) -> str | None:
        return row.after.label if row.after else None


class ReAuditOut(Public):
    quarter: str
    original_audit: UUID
    reaudit_audit: UUID
    child_id: str
    auditor: str
    due_date: date
    status: str = Field(description="The re-audit's status: draft or submitted.")
    comparison: list[ComparisonOut] = Field(
        description="Domain by domain, once the re-audit is submitted; empty before."
    )

    @staticmethod
    def resolve_quarter(reaudit: ReAudit) -> str:
        return reaudit.draw.quarter

    @staticmethod
    def resolve_original_audit(reaudit: ReAudit) -> UUID:
        return reaudit.original.public_id

    @staticmethod
    def resolve_reaudit_audit(reaudit: ReAudit) -> UUID:
        return reaudit.reaudit.public_id

    @staticmethod
    def resolve_child_id(reaudit: ReAudit) -> str:
        return reaudit.original.case.child_id

    @staticmethod
    def resolve_auditor(reaudit: ReAudit) -> str:
        return str(reaudit.auditor)

    @staticmethod
    def resolve_status(reaudit: ReAudit) -> str:
        return reaudit.reaudit.status

    @staticmethod
    def resolve_comparison(reaudit: ReAudit, context: Any) -> list[ComparisonRow]:
        # A page's comparisons are read together (`comparisons` in the validation
        # context, qpa.api.endpoints); alone, the re-audit's own.
        if reaudit.reaudit.status != AuditStatus.SUBMITTED:
            return []
        read: dict[int, list[ComparisonRow]] | None = (context or {}).get("comparisons")
        if read is None:
            return reaudit_comparison(reaudit)
        return read[reaudit.pk]


class ReAuditPage(Schema):
    count: int
    page: int
    page_size: int
    results: list[ReAuditOut]


class ModerationOut(Public):
    cycle: UUID
    child_id: str
    moderator: str
    first_audit: UUID | None = Field(
        description="Hidden (null) from either auditor until both audits are submitted."
    )
    moderation_audit: UUID | None = Field(
        description="Hidden (null) from either auditor until both audits are submitted."
    )
    agreed_at: datetime | None

    @staticmethod
    def resolve_cycle(moderation: Moderation) -> UUID:
        return moderation.draw.cycle.public_id

    @staticmethod
    def resolve_child_id(moderation: Moderation) -> str:
        return moderation.allocation.sampled_case.case.child_id

    @staticmethod
    def resolve_moderator(moderation: Moderation) -> str:
        return str(moderation.moderator)

    # The blind rule: an audit the reader may not reach yet is not even named. The query
    # that read the moderations (qpa.api.endpoints) annotates each with the public ids of
    # its two audits as far as the reader may open them, null otherwise.
    @staticmethod
    def resolve_first_audit(moderation: Moderation) -> UUID | None:
        shown: UUID | None = moderation.first_audit_shown  # type: ignore[attr-defined]
        return shown

    @staticmethod
    def resolve_moderation_audit(moderation: Moderation) -> UUID | None:
        shown: UUID | None = moderation.moderation_audit_shown  # type: ignore[attr-defined]
        return shown


class ModerationPage(Schema):
    count: int
    page: int
    page_size: int
    results: list[ModerationOut]


# --- The report summary (docs/reports.md, "The JSON contract") -----------------------
# `qpa.reports.summary.report_summary` builds the document; these classes type it for the
# OpenAPI schema and the clients generated from it, field for field. A figure that small-
# number suppression hides is null. `ci95` members are there only with intervals=true
# (the operation leaves unset members out, so the document is unchanged).

Count = Annotated[int | None, Field(ge=0, description="Null when suppressed.")]
Percent = Annotated[
    float | None, Field(description="One decimal, halves rounded up; null when suppressed.")
]
Interval = Annotated[
    list[float] | None,
    Field(
        min_length=2,
        max_length=2,
        description="With intervals=true only: the 95% Wilson score interval [low, high], "
        "in percent; null when suppressed.",
    ),
]


class ReportFilters(Schema):
    service_area: str | None = Field(description="The service area's name; null: every one.")
    team: str | None = Field(description="The team's name; null: every one.")
    cycle: UUID | None = Field(description="The cycle's id; null: every cycle and none.")
    cycle_name: str | None


class ReportPeriod(Schema):
    from_: date = Field(alias="from", description="The first day of the first month.")
    to: date = Field(description="The last day of the last month.")


class ServiceAreaCount(Schema):
    service_area: str = Field(description='A service area\'s name, or "Not recorded".')
    count: Count


class RatingFigures(Schema):
    rating: str
    code: str
    count: Count
    percent: Percent
    ci95: Interval = None


class VoiceFigures(Schema):
    evident: Count = Field(description="Audits where the theme is evident.")
    n: Count = Field(description="Audits that answered the theme's questions.")
    percent: Percent


class ChildAndFamily(Schema):
    """The child's voice and the family's view: one member per theme."""

    model_config = ConfigDict(extra="allow")

    child_lived_experience: VoiceFigures
    family_view: VoiceFigures


class DomainFigures(Schema):
    domain: str
    rated: Count
    not_applicable: Count
    ratings: list[RatingFigures] = Field(description="As overall, percent of rated.")
    good_or_better: Count
    good_or_better_percent: Percent
    inadequate_or_worse: Count
    inadequate_or_worse_percent: Percent
    good_or_better_ci95: Interval = None
    inadequate_or_worse_ci95: Interval = None


class MonthFigures(Schema):
    month: str = Field(pattern=r"^\d{4}-\d{2}$", description="YYYY-MM.")
    audits: Count
    ratings: list[RatingFigures] = Field(description="As overall, percent of the month's audits.")


class RatingKey(Schema):
    code: str
    rating: str
    good_or_better: bool
    inadequate_or_worse: bool


class Suppression(Schema):
    applied: bool
    threshold: int
    too_few: bool = Field(description="From 1 to threshold - 1 audits: no figure is shown.")
    unsuppressed_refused: bool = Field(
        description="Figures in full were asked for by a reader who may not see them."
    )


# --- The members a report adds when asked for ------------------------------------------

Difference = Annotated[
    float | None,
    Field(
        description="This report's percentage minus the comparison period's, in percentage "
        "points; null when either is hidden."
    ),
]


class ComparedFigures(Schema):
    rated: Count
    good_or_better: Count
    good_or_better_percent: Percent
    good_or_better_difference: Difference
    inadequate_or_worse: Count
    inadequate_or_worse_percent: Percent
    inadequate_or_worse_difference: Difference


class ComparedDomain(Schema):
    domain: str
    rated: Count
    good_or_better: Count
    good_or_better_percent: Percent
    good_or_better_difference: Difference
    inadequate_or_worse: Count
    inadequate_or_worse_percent: Percent
    inadequate_or_worse_difference: Difference


class PeriodComparison(Schema):
    """compare_from and compare_to: the earlier period's figures under the same filters."""

    period: ReportPeriod
    audits_completed: Count
    overall: ComparedFigures = Field(
        description="The overall ratings good or better and inadequate or worse, of the "
        "audits with an overall rating."
    )
    domains: list[ComparedDomain]


class Funnel(Schema):
    position: str = Field(description='Against the control limits: "within the limits", ...')
    limits_95: list[float] = Field(min_length=2, max_length=2, description="In percent.")
    limits_998: list[float] = Field(min_length=2, max_length=2, description="In percent.")


class TeamFigures(Schema):
    team: str
    service_area: str
    audits: Count
    good_or_better: Count
    good_or_better_percent: Percent
    inadequate_or_worse: Count
    inadequate_or_worse_percent: Percent
    funnel: Funnel | None = Field(description="Null for a team not on the funnel plot.")


class TeamsTable(Schema):
    """teams=true: every team of the scope side by side, with the funnel plot's verdict."""

    scope: str = Field(description="The service area's name, or the whole service.")
    audits: Count
    good_or_better: Count
    good_or_better_percent: Percent
    inadequate_or_worse: Count
    inadequate_or_worse_percent: Percent
    teams: list[TeamFigures]
    suppression: Suppression


class ReAuditQuarter(Schema):
    quarter: str = Field(description="2026-Q3.")
    drawn: Count
    completed: Count
    improved: Count
    unchanged: Count
    declined: Count
    cleared: Count
    actions: Count
    actions_completed: Count


Kappa = Annotated[float | None, Field(description="Null when not measured, or not defined.")]
KappaInterval = Annotated[
    list[float] | None,
    Field(min_length=2, max_length=2, description="Its 95% interval [low, high]."),
]


class PairFigures(Schema):
    """One group of pairs of first and moderation audits."""

    pairs: Count
    same: Count
    measured: bool = Field(description="False under five pairs: no statistic is shown.")
    exact_percent: Percent
    linear_kappa: Kappa
    linear_kappa_ci95: KappaInterval
    quadratic_kappa: Kappa
    quadratic_kappa_ci95: KappaInterval


class DomainPairs(Schema):
    domain: str
    pairs: Count
    same: Count
    measured: bool
    exact_percent: Percent
    linear_kappa: Kappa
    linear_kappa_ci95: KappaInterval
    quadratic_kappa: Kappa
    quadratic_kappa_ci95: KappaInterval


class CyclePairs(Schema):
    cycle: str
    pairs: Count
    same: Count
    measured: bool
    exact_percent: Percent
    linear_kappa: Kappa
    linear_kappa_ci95: KappaInterval
    quadratic_kappa: Kappa
    quadratic_kappa_ci95: KappaInterval


class AgreementFigures(Schema):
    moderated: Count
    agreed: Count
    changed: Count
    changed_measured: bool
    changed_percent: Percent
    overall_grade: PairFigures
    all_domains: PairFigures
    by_domain: list[DomainPairs]
    by_cycle: list[CyclePairs]


class QualityFigures(Schema):
    due: Count
    on_time: Count
    on_time_percent: Percent
    open_actions: Count
    overdue_actions: Count
    voice_recorded: Count
    voice_captured: Count
    voice_percent: Percent


class ProcessFigures(Schema):
    """assurance=true: re-audit outcomes, agreement between auditors, audit quality."""

    period: ReportPeriod
    reaudits: list[ReAuditQuarter]
    agreement: AgreementFigures
    quality: QualityFigures
    suppression: Suppression


class ReportSummary(Schema):
    """The report's figures: the JSON contract of docs/reports.md."""

    tool: str
    tool_kind: str = Field(description="standard or themed.")
    scale: str
    filters: ReportFilters
    period: ReportPeriod
    audits_completed: Count
    by_service_area: list[ServiceAreaCount]
    overall: list[RatingFigures] = Field(description="In scale order, best first.")
    not_comparable: Count
    no_overall_rating: Count
    safeguarding_concerns: Count
    child_and_family: ChildAndFamily
    domains: list[DomainFigures]
    areas_of_good_practice: list[str]
    areas_of_poor_practice: list[str]
    by_month: list[MonthFigures]
    ratings_key: list[RatingKey]
    suppression: Suppression
    # Only when asked for (compare_from and compare_to, teams, assurance): each member is
    # suppressed by the same rule; docs/reports.md gives its fields.
    comparison: PeriodComparison | None = Field(None, description="Another period's figures.")
    teams: TeamsTable | None = Field(None, description="The teams side by side.")
    assurance: ProcessFigures | None = Field(
        None, description="Re-audit outcomes, agreement between auditors, audit quality."
    )
