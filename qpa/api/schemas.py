"""What the API reads and writes. Identifiers are the objects' public UUIDs."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Literal
from uuid import UUID

from ninja import Field, Schema
from pydantic import AfterValidator

from qpa.audits.services import MAX_TEXT

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


class CaseOut(Schema):
    id: UUID
    child_id: str
    status: str
    service_area: str | None = Field(description="The service area's slug.")
    team: str | None
    opened_on: date | None
    closed_on: date | None
    cin_start_date: date | None
    cp_plan_start_date: date | None
    looked_after_start_date: date | None


class CasePage(Schema):
    count: int
    page: int
    page_size: int
    results: list[CaseOut]


class CycleOut(Schema):
    id: UUID
    name: str
    kind: str
    month: date | None
    theme: str
    tool: str = Field(description="The audit tool's slug.")
    status: str
    due_date: date
    drawn_at: datetime | None


class CyclePage(Schema):
    count: int
    page: int
    page_size: int
    results: list[CycleOut]


class AllocationOut(Schema):
    id: UUID
    cycle: UUID
    case: UUID
    child_id: str
    auditor: str = Field(description="The auditor's username.")
    due_date: date
    status: str
    audit: UUID | None


class AllocationPage(Schema):
    count: int
    page: int
    page_size: int
    results: list[AllocationOut]


class AuditSummary(Schema):
    id: UUID
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


class DomainOut(Schema):
    position: int
    name: str
    rating: str | None
    not_applicable: bool
    evidence: str
    strengths: str
    improvements: str


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


class SubmitIn(Schema):
    version: int = Field(ge=1, le=MAX_INT)
    token: UUID = Field(description="A fresh UUID per submission: resending it submits once.")


class ActionOut(Schema):
    id: UUID
    audit: UUID
    child_id: str
    description: str
    owner: str
    due_date: date
    status: str
    evidence: str
    completed_at: datetime | None


class ActionPage(Schema):
    count: int
    page: int
    page_size: int
    results: list[ActionOut]


class ActionUpdateIn(Schema):
    status: Literal["open", "in_progress", "completed"]
    evidence: Text = Field("", max_length=MAX_TEXT, description="Required to complete the action.")


class ComparisonOut(Schema):
    domain: str
    original: str | None
    reaudit: str | None
    outcome: str = Field(description="Improved, Unchanged, Declined or Not comparable")


class ReAuditOut(Schema):
    id: UUID
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


class ReAuditPage(Schema):
    count: int
    page: int
    page_size: int
    results: list[ReAuditOut]


class ModerationOut(Schema):
    id: UUID
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


class ModerationPage(Schema):
    count: int
    page: int
    page_size: int
    results: list[ModerationOut]
