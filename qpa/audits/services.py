"""Writes to audits: start, save (optimistic locking), submit, reopen and reply.

Every save names the version it started from and updates with a compare-and-set
(`filter(pk=..., version=v).update(version=v + 1, ...)`): a save from a stale version
changes nothing and raises AuditConflict carrying the version that won. See
docs/audits.md and docs/decisions/0050-audit-optimistic-locking-and-autosave.md.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from qpa.accounts.models import Role, User
from qpa.accounts.permissions import Permission, user_can
from qpa.audits.blind import moderation_sides
from qpa.audits.consistency import consistency_gap, evidence_problem
from qpa.audits.models import (
    SAFEGUARDING_CONCERNS,
    Audit,
    AuditAlert,
    AuditChange,
    AuditReply,
    AuditStatus,
    Captured,
    ChangeKind,
    ChildSafe,
    DomainRating,
    RecommendedAction,
    Severity,
    VoiceAnswer,
)
from qpa.audits.selectors import audits_awaiting_reply
from qpa.audits.signals import audit_submitted, counted_ratings_changed
from qpa.cases.models import Case
from qpa.core.events import event_record
from qpa.notifications.selectors import urgent_unacknowledged
from qpa.notifications.services import notification_send
from qpa.tools.models import Answer, Domain, Rating, RatingScale, ToolVersion, VoiceQuestion

# The longest text one box takes: about ten pages, far beyond any real finding.
MAX_TEXT = 20_000


class AuditConflict(Exception):
    """Someone saved the audit since the version this save started from."""

    def __init__(self, current: Audit) -> None:
        super().__init__(f"The audit is at version {current.version}.")
        self.current = current


class AuditLocked(Exception):
    """The audit has been submitted: nothing changes it but a reopen."""

    def __init__(self, current: Audit) -> None:
        super().__init__("The audit has been submitted and is locked.")
        self.current = current


# --- Severity ------------------------------------------------------------------------


def critical_rank(scale: RatingScale) -> int | None:
    """The rank that counts as critical on this scale: its worst rating, when that lies
    beyond the "inadequate or worse" line. A scale whose worst rating is the line itself
    (ILACS: Inadequate) has no critical rating. Decision 0051."""
    worst = max((r.rank for r in scale.ratings.all()), default=None)
    if worst is None or worst <= scale.inadequate_or_worse_rank:
        return None
    return worst


def audit_severity(audit: Audit) -> Severity | None:
    """Critical when the overall rating or any domain is critical; inadequate when any is
    at or beyond the scale's inadequate line; otherwise None."""
    ratings = [r.rating for r in audit.domain_ratings.select_related("rating__scale") if r.rating]
    if audit.overall_rating is not None:
        ratings.append(audit.overall_rating)
    if not ratings:
        return None
    scale = ratings[0].scale
    critical = critical_rank(scale)
    if critical is not None and any(r.rank >= critical for r in ratings):
        return Severity.CRITICAL
    if any(r.rank >= scale.inadequate_or_worse_rank for r in ratings):
        return Severity.INADEQUATE
    return None


# --- Starting ------------------------------------------------------------------------


@transaction.atomic
def audit_create(
    *, acting_user: User, case: Case, tool_version: ToolVersion, allocation_id: int | None = None
) -> Audit:
    """A new draft audit of `case` by `acting_user`. An allocation has one audit: when a
    racing request created it first, that audit is the answer."""
    try:
        with transaction.atomic():
            audit = Audit.objects.create(
                case=case,
                tool_version=tool_version,
                auditor=acting_user,
                service_area=case.service_area,
                team=case.team,
                allocation_id=allocation_id,
                created_by=acting_user,
                updated_by=acting_user,
            )
    except IntegrityError:
        if allocation_id is None:
            raise
        return Audit.objects.get(allocation_id=allocation_id)
    event_record(action="audit.started", actor=acting_user, obj=audit)
    return audit


# --- Saving --------------------------------------------------------------------------


# The version column is a 32-bit integer on PostgreSQL: no real save gets near this.
MAX_VERSION = 2**31 - 2


def _check_version(version: Any) -> int:
    if isinstance(version, bool) or not isinstance(version, int) or not 1 <= version <= MAX_VERSION:
        raise ValidationError("A save must name the version of the audit it started from.")
    checked: int = version
    return checked


def _check_text(**texts: str) -> None:
    for name, text in texts.items():
        if len(text) > MAX_TEXT:
            raise ValidationError(
                {name: f"Keep this to {MAX_TEXT:,} characters or fewer (it has {len(text):,})."}
            )


def _compare_and_set(*, acting_user: User, audit: Audit, version: int, **fields: Any) -> Audit:
    """Move the audit from `version` to the next, or raise: the one place a save decides
    whether it may write. The UPDATE takes the row's write lock, so of two saves from
    the same version exactly one matches."""
    if audit.auditor_id != acting_user.pk:
        raise PermissionDenied("Only the audit's auditor changes it.")
    now = timezone.now()
    moved = Audit.objects.filter(pk=audit.pk, version=version, status=AuditStatus.DRAFT).update(
        version=version + 1, updated_at=now, updated_by=acting_user, **fields
    )
    current = Audit.objects.select_related("updated_by").get(pk=audit.pk)
    if not moved:
        if current.status != AuditStatus.DRAFT:
            raise AuditLocked(current)
        raise AuditConflict(current)
    return current


@transaction.atomic
def audit_save_domain(
    *,
    acting_user: User,
    audit: Audit,
    domain: Domain,
    version: int,
    rating: Rating | None,
    not_applicable: bool,
    evidence: str,
    strengths: str,
    improvements: str,
) -> Audit:
    """Save one domain of a draft (autosave or a save button): nothing is required yet."""
    version = _check_version(version)
    if domain.version_id != audit.tool_version_id:
        raise ValidationError("That domain is not part of this audit's tool.")
    if not_applicable and not domain.allows_not_applicable:
        raise ValidationError({"rating": f"{domain.name} cannot be not applicable."})
    if rating is not None and rating.scale_id != audit.tool_version.tool.scale_id:
        raise ValidationError({"rating": "Choose a rating of this tool's scale."})
    _check_text(evidence=evidence, strengths=strengths, improvements=improvements)
    current = _compare_and_set(acting_user=acting_user, audit=audit, version=version)
    DomainRating.objects.update_or_create(
        audit=current,
        domain=domain,
        defaults={
            "rating": None if not_applicable else rating,
            "not_applicable": not_applicable,
            "evidence": evidence,
            "strengths": strengths,
            "improvements": improvements,
        },
    )
    event_record(
        action="audit.domain_saved",
        actor=acting_user,
        obj=current,
        data={"domain": domain.order, "version": current.version},
    )
    return current


@transaction.atomic
def audit_save_overall(
    *,
    acting_user: User,
    audit: Audit,
    version: int,
    overall_rating: Rating | None,
    overall_rationale: str,
    child_experience_captured: str,
    child_experience_text: str,
    family_view_captured: str,
    family_view_text: str,
    consistency_reason: str | None = None,
) -> Audit:
    """Save the overall judgement of a draft. `consistency_reason` (why the overall
    rating lies more than a grade from the domains) is left as it is when None."""
    version = _check_version(version)
    if overall_rating is not None and overall_rating.scale_id != audit.tool_version.tool.scale_id:
        raise ValidationError({"overall_rating": "Choose a rating of this tool's scale."})
    for name, value in (
        ("child_experience_captured", child_experience_captured),
        ("family_view_captured", family_view_captured),
    ):
        if value and value not in Captured.values:
            raise ValidationError({name: "Choose yes, partly or no."})
    _check_text(
        overall_rationale=overall_rationale,
        child_experience_text=child_experience_text,
        family_view_text=family_view_text,
        consistency_reason=consistency_reason or "",
    )
    reason = {} if consistency_reason is None else {"consistency_reason": consistency_reason}
    current = _compare_and_set(
        acting_user=acting_user,
        audit=audit,
        version=version,
        overall_rating=overall_rating,
        overall_rationale=overall_rationale,
        child_experience_captured=child_experience_captured,
        child_experience_text=child_experience_text,
        family_view_captured=family_view_captured,
        family_view_text=family_view_text,
        **reason,
    )
    event_record(
        action="audit.overall_saved",
        actor=acting_user,
        obj=current,
        data={"version": current.version},
    )
    return current


# --- Is the child safe now? (decision 0114) ------------------------------------------


@transaction.atomic
def audit_save_safety(
    *, acting_user: User, audit: Audit, version: int, child_safe: str, child_safe_reason: str
) -> Audit:
    """Save the answer to "Is the child safe now?" and its reason. "No" or "not sure"
    alerts the team manager and the area's Heads of Service at once, whatever the
    ratings, in the transaction of the save."""
    version = _check_version(version)
    if child_safe and child_safe not in ChildSafe.values:
        raise ValidationError({"child_safe": "Choose yes, no or not sure."})
    _check_text(child_safe_reason=child_safe_reason)
    current = _compare_and_set(
        acting_user=acting_user,
        audit=audit,
        version=version,
        child_safe=child_safe,
        child_safe_reason=child_safe_reason,
    )
    event_record(
        action="audit.safety_saved",
        actor=acting_user,
        obj=current,
        data={"version": current.version, "child_safe": child_safe},
    )
    safeguarding_alert(audit=current)
    return current


def safeguarding_alert(*, audit: Audit) -> int:
    """Urgent alerts to the people `alert_recipients` names when the auditor answered
    "no" or "not sure": once per answer and person, however often it is saved (an answer
    that turns from "not sure" to "no" alerts again). Acknowledge the same day, or
    `qpa audits escalate` tells the Assistant Director. Returns the alerts sent."""
    if audit.child_safe not in SAFEGUARDING_CONCERNS:
        return 0
    answer = ChildSafe(audit.child_safe)
    case = audit.case
    sent = 0
    for person in alert_recipients(audit):
        notification = notification_send(
            recipient=person,
            kind="audits.safeguarding",
            subject=f"Safeguarding concern from the audit of case {case}: act today",
            body=f"{audit.auditor_display} is auditing case {case} and answered "
            f"“{answer.label}” to “Is the child safe now?”. Read their reason on the audit "
            "and decide today what the child needs. Acknowledge this today: if nobody does, "
            "it goes to the Assistant Director.",
            url=audit.get_absolute_url(),
            dedupe_key=f"audits:safeguarding:{audit.public_id}:{answer.value}:{person.pk}",
            urgent=True,
            # One alert to several people: one acknowledgement answers for all.
            alert_key=f"audits:safeguarding:{audit.public_id}:{answer.value}",
        )
        if notification is not None:
            AuditAlert.objects.create(
                audit=audit, notification=notification, severity=Severity.SAFEGUARDING
            )
            sent += 1
    if sent:
        event_record(
            action="audit.safeguarding_alerted",
            obj=audit,
            data={"child_safe": answer.value, "alerts": sent},
        )
    return sent


def safeguarding_alerts(audit: Audit) -> list[AuditAlert]:
    """The safeguarding alerts an audit raised, oldest first, with whom they went to."""
    return list(
        AuditAlert.objects.filter(audit=audit, severity=Severity.SAFEGUARDING)
        .select_related("notification__recipient", "notification__acknowledged_by")
        .order_by("notification__created_at", "id")
    )


@dataclass(frozen=True)
class CriticalAlertState:
    """Where the critical alert of an audit's latest submission stands, for one reader:
    the alert sent to them (to acknowledge on the audit's page), and who acknowledged it
    for everyone, if anyone has. ``sent`` is false when it went to nobody."""

    sent: bool
    mine: Any  # the reader's own Notification of it, or None
    acknowledged_by: Any
    acknowledged_at: Any


def critical_alert_state(audit: Audit, user: User) -> CriticalAlertState:
    alerts = list(
        AuditAlert.objects.filter(audit=audit, severity=Severity.CRITICAL)
        .select_related("notification__acknowledged_by", "submission")
        .order_by("-notification__created_at", "-id")
    )
    if not alerts:
        return CriticalAlertState(False, None, None, None)
    latest = alerts[0].submission_id
    current = [alert.notification for alert in alerts if alert.submission_id == latest]
    mine = next((n for n in current if n.recipient_id == user.pk), None)
    done = next((n for n in current if n.acknowledged_at is not None), None)
    return CriticalAlertState(
        sent=True,
        mine=mine,
        acknowledged_by=done.acknowledged_by if done else None,
        acknowledged_at=done.acknowledged_at if done else None,
    )


# --- Progress ------------------------------------------------------------------------


class TaskStatus:
    NOT_STARTED = "Not yet started"
    IN_PROGRESS = "In progress"
    COMPLETED = "Completed"


def _evidence_problem(domain_rating: DomainRating) -> str | None:
    return evidence_problem(
        domain_name=domain_rating.domain.name,
        rating=domain_rating.rating,
        evidence=domain_rating.evidence,
    )


def domain_status(domain_rating: DomainRating | None) -> str:
    """Completed when not applicable, or rated with evidence — at least
    QPA_MIN_EVIDENCE_CHARS of it for a rating of inadequate or worse."""
    if domain_rating is None:
        return TaskStatus.NOT_STARTED
    if domain_rating.not_applicable or (
        domain_rating.rating_id is not None
        and domain_rating.evidence.strip()
        and _evidence_problem(domain_rating) is None
    ):
        return TaskStatus.COMPLETED
    written = (domain_rating.evidence, domain_rating.strengths, domain_rating.improvements)
    if domain_rating.rating_id is not None or any(t.strip() for t in written):
        return TaskStatus.IN_PROGRESS
    return TaskStatus.NOT_STARTED


def _overall_filled(audit: Audit) -> bool:
    """A tool version whose overall rating is optional completes without one; a rating,
    when given, always needs its rationale."""
    rated = audit.overall_rating_id is not None
    return bool(
        (rated or audit.tool_version.overall_rating_optional)
        and (not rated or audit.overall_rationale.strip())
        and audit.child_experience_captured
        and audit.family_view_captured
    )


def audit_consistency_gap(audit: Audit) -> str | None:
    """Why the overall rating needs a reason, when it lies more than a grade from the
    domains (qpa.audits.consistency.consistency_gap); None when it does not."""
    if audit.overall_rating_id is None:
        return None
    answers = audit.domain_ratings.select_related("rating__scale", "domain")
    return consistency_gap(audit.overall_rating, [(a.domain.name, a.rating) for a in answers])


def _consistency_missing(audit: Audit) -> str | None:
    """The gap, when it has no reason yet."""
    if audit.consistency_reason.strip():
        return None
    return audit_consistency_gap(audit)


def overall_status(audit: Audit) -> str:
    """Completed when filled in and, when the overall rating lies more than a grade
    from the domains, the reason is given."""
    if _overall_filled(audit) and _consistency_missing(audit) is None:
        return TaskStatus.COMPLETED
    texts = (
        audit.overall_rationale,
        audit.child_experience_text,
        audit.family_view_text,
        audit.consistency_reason,
    )
    if (
        audit.overall_rating_id is not None
        or audit.child_experience_captured
        or audit.family_view_captured
        or any(t.strip() for t in texts)
    ):
        return TaskStatus.IN_PROGRESS
    return TaskStatus.NOT_STARTED


def safety_status(audit: Audit) -> str:
    """The question "Is the child safe now?" is completed with an answer and its reason."""
    if audit.child_safe and audit.child_safe_reason.strip():
        return TaskStatus.COMPLETED
    if audit.child_safe or audit.child_safe_reason.strip():
        return TaskStatus.IN_PROGRESS
    return TaskStatus.NOT_STARTED


@dataclass(frozen=True)
class Task:
    position: int
    name: str
    status: str
    domain: Domain | None
    answer: DomainRating | None


def audit_tasks(audit: Audit) -> list[Task]:
    """The task list: each domain of the tool in order, then the overall judgement."""
    answers = {
        r.domain_id: r for r in audit.domain_ratings.select_related("rating__scale", "domain").all()
    }
    tasks = [
        Task(
            position=position,
            name=domain.name,
            status=domain_status(answers.get(domain.pk)),
            domain=domain,
            answer=answers.get(domain.pk),
        )
        for position, domain in enumerate(audit.tool_version.domains.order_by("order"), start=1)
    ]
    tasks.append(
        Task(
            position=0,
            name="Overall judgement",
            status=overall_status(audit),
            domain=None,
            answer=None,
        )
    )
    return tasks


def audit_problems(audit: Audit) -> list[tuple[str, str]]:
    """What stops the audit being submitted: (message, the page that fixes it: "safety",
    "voice", "overall" or a domain's position)."""
    problems = []
    for task in audit_tasks(audit):
        if task.status == TaskStatus.COMPLETED:
            continue
        if task.domain is None and _overall_filled(audit):
            gap = _consistency_missing(audit)
            problems.append(
                (f"Say why the overall rating differs from the domains. {gap}", "overall")
            )
        elif task.domain is None:
            problems.append(
                (
                    "Complete the overall judgement: whether the child's lived experience and "
                    "the family's view were captured, and the rationale of any overall rating "
                    "(this tool's overall rating is optional)"
                    if audit.tool_version.overall_rating_optional
                    else "Complete the overall judgement: the rating, its rationale, and "
                    "whether the child's lived experience and the family's view were captured",
                    "overall",
                )
            )
        else:
            short = None
            if task.answer is not None and task.answer.evidence.strip():
                short = _evidence_problem(task.answer)
            problems.append(
                (
                    short
                    or f"Complete {task.name}: choose a rating and write the evidence and findings",
                    str(task.position),
                )
            )
    if safety_status(audit) != TaskStatus.COMPLETED:
        problems.append(
            (
                "Answer “Is the child safe now?” and say why: it is asked on every audit",
                "safety",
            )
        )
    if voice_status(audit) not in (None, TaskStatus.COMPLETED):
        problems.append(
            (
                "Answer every question about the child’s voice and the family’s view, with "
                "the short text each answer asks for",
                "voice",
            )
        )
    return problems


# --- Submitting ----------------------------------------------------------------------


def _team_manager(audit: Audit) -> User | None:
    team = audit.team or audit.case.team
    manager = team.manager if team else None
    return manager if manager is not None and manager.is_active else None


def alert_recipients(audit: Audit) -> list[User]:
    """Who is alerted when an audit is inadequate or critical: the case's team manager
    and the Heads of Service for the case's service area. Nobody else, and never a side
    of the audit's moderation until its ratings are agreed: the alert would tell them the
    other side's rating (qpa.audits.blind)."""
    people: dict[int, User] = {}
    manager = _team_manager(audit)
    if manager is not None:
        people[manager.pk] = manager
    area = audit.service_area or audit.case.service_area
    if area is not None:
        heads = User.objects.filter(
            role=Role.HEAD_OF_SERVICE, is_active=True, service_areas=area
        ).order_by("pk")
        for head in heads:
            people.setdefault(head.pk, head)
    sides = moderation_sides(audit)
    return [person for pk, person in people.items() if pk not in sides]


def _alert(audit: Audit, submission: AuditChange, severity: Severity) -> int:
    case = audit.case
    urgent = severity == Severity.CRITICAL
    sent = 0
    for person in alert_recipients(audit):
        if urgent:
            subject = f"Critical audit of case {case}: acknowledge today"
            body = (
                f"The audit of case {case} by {audit.auditor_display} was rated critical. "
                "A child may be at risk: acknowledge this today and plan the follow-up "
                "actions. If nobody acknowledges it today it goes to the Assistant Director."
            )
        else:
            subject = f"Inadequate audit of case {case}: manager action needed"
            body = (
                f"The audit of case {case} by {audit.auditor_display} was rated inadequate. "
                "It needs immediate manager action: read the findings and plan the "
                "follow-up actions."
            )
        notification = notification_send(
            recipient=person,
            kind=f"audits.{severity.value}",
            subject=subject,
            body=body,
            url=audit.get_absolute_url(),
            dedupe_key=f"audits:{severity.value}:{submission.token}:{person.pk}",
            urgent=urgent,
            # One alert to several people: one acknowledgement answers for all.
            alert_key=f"audits:{severity.value}:{submission.token}" if urgent else "",
        )
        if notification is not None:
            AuditAlert.objects.create(
                audit=audit, submission=submission, notification=notification, severity=severity
            )
            sent += 1
    return sent


def _tell_practitioner(audit: Audit, submission: AuditChange) -> None:
    practitioner = audit.case.practitioner
    if practitioner is None or not practitioner.is_active:
        return
    notification_send(
        recipient=practitioner,
        kind="audits.findings",
        subject=f"Your case {audit.case} has been audited",
        body=f"{audit.auditor_display} has audited case {audit.case}. Read the findings and, "
        "if you wish, reply to them: your reply is shown with the audit.",
        url=audit.get_absolute_url(),
        dedupe_key=f"audits:findings:{submission.token}:{practitioner.pk}",
    )


@transaction.atomic
def audit_submit(*, acting_user: User, audit: Audit, version: int, token: uuid.UUID) -> Audit:
    """Submit a completed draft, once. The same form's token a second time (a double
    click, a resend after a timeout) finds the first submission and changes nothing."""
    version = _check_version(version)
    if not isinstance(token, uuid.UUID):
        raise ValidationError("The submission has no token: reload the page and submit again.")
    if audit.auditor_id != acting_user.pk:
        raise PermissionDenied("Only the audit's auditor submits it.")
    earlier = AuditChange.objects.filter(token=token).first()
    if earlier is not None:
        if earlier.audit_id != audit.pk:
            raise ValidationError("That token belongs to another audit.")
        return Audit.objects.get(pk=audit.pk)
    fresh = Audit.objects.get(pk=audit.pk)
    if fresh.status != AuditStatus.DRAFT:
        raise AuditLocked(fresh)
    if fresh.version != version:
        raise AuditConflict(fresh)
    problems = audit_problems(fresh)
    if problems:
        raise ValidationError([message for message, _ in problems])
    now = timezone.now()
    try:
        current = _compare_and_set(
            acting_user=acting_user,
            audit=fresh,
            version=version,
            status=AuditStatus.SUBMITTED,
            submitted_at=now,
            audit_date=timezone.localdate(now),
        )
    except (AuditConflict, AuditLocked):
        # A racing POST of the same form got there first: answer as it did.
        if AuditChange.objects.filter(token=token, audit=audit).exists():
            return Audit.objects.get(pk=audit.pk)
        raise
    submission = AuditChange.objects.create(
        audit=current,
        kind=ChangeKind.SUBMITTED,
        actor=acting_user,
        at=now,
        token=token,
        version=current.version,
    )
    severity = audit_severity(current)
    if severity is not None:
        _alert(current, submission, severity)
    # Raised when the answer was saved; at the latest now (a no-op when it was).
    safeguarding_alert(audit=current)
    _tell_practitioner(current, submission)
    event_record(
        action="audit.submitted",
        actor=acting_user,
        obj=current,
        data={"version": current.version, "severity": severity.value if severity else ""},
    )
    audit_submitted.send(sender=Audit, audit=current)
    counted_ratings_changed.send(sender=Audit, audit_ids=[current.pk])
    return current


# --- After submission ----------------------------------------------------------------


def can_reopen(user: Any) -> bool:
    return bool(getattr(user, "role", None) == Role.HEAD_OF_SERVICE and user.is_active)


@transaction.atomic
def audit_reopen(*, acting_user: User, audit: Audit, reason: str) -> Audit:
    """A Head of Service sends a submitted audit back to its auditor as a draft, with a
    reason that stays in the audit's history."""
    if not can_reopen(acting_user):
        raise PermissionDenied("Only a Head of Service reopens a submitted audit.")
    reason = reason.strip()
    if not reason:
        raise ValidationError({"reason": "Enter the reason for reopening the audit."})
    _check_text(reason=reason)
    fresh = Audit.objects.get(pk=audit.pk)
    now = timezone.now()
    moved = Audit.objects.filter(
        pk=audit.pk, version=fresh.version, status=AuditStatus.SUBMITTED
    ).update(
        status=AuditStatus.DRAFT,
        submitted_at=None,
        version=fresh.version + 1,
        updated_at=now,
        updated_by=acting_user,
    )
    if not moved:
        raise ValidationError("Only a submitted audit can be reopened.")
    current = Audit.objects.get(pk=audit.pk)
    AuditChange.objects.create(
        audit=current,
        kind=ChangeKind.REOPENED,
        actor=acting_user,
        at=now,
        reason=reason,
        version=current.version,
    )
    if current.auditor is not None and current.auditor.is_active:
        notification_send(
            recipient=current.auditor,
            kind="audits.reopened",
            subject=f"Your audit of case {current.case} was reopened",
            body=f"{acting_user} reopened your audit of case {current.case}. Their reason: "
            f"{reason}",
            url=current.get_absolute_url(),
            dedupe_key=f"audits:reopened:{current.public_id}:{current.version}",
        )
    event_record(
        action="audit.reopened", actor=acting_user, obj=current, data={"version": current.version}
    )
    # A reopened audit no longer counts until it is submitted again.
    counted_ratings_changed.send(sender=Audit, audit_ids=[current.pk])
    return current


def can_reply(user: Any, audit: Audit) -> bool:
    return audits_awaiting_reply(Audit.objects.filter(pk=audit.pk), user=user).exists()


@transaction.atomic
def audit_reply(*, acting_user: User, audit: Audit, text: str) -> AuditReply:
    """The case's practitioner replies to the findings, once."""
    if acting_user.role != Role.PRACTITIONER or audit.case.practitioner_id != acting_user.pk:
        raise PermissionDenied("Only the case's practitioner replies to its audit.")
    if audit.status != AuditStatus.SUBMITTED:
        raise ValidationError("You can reply once the audit has been submitted.")
    text = text.strip()
    if not text:
        raise ValidationError({"text": "Enter your reply."})
    _check_text(text=text)
    if AuditReply.objects.filter(audit=audit).exists():
        raise ValidationError("You have already replied to this audit.")
    try:
        with transaction.atomic():
            reply = AuditReply.objects.create(
                audit=audit, author=acting_user, text=text, created_by=acting_user
            )
    except IntegrityError:
        raise ValidationError("You have already replied to this audit.") from None
    event_record(action="audit.replied", actor=acting_user, obj=audit)
    _tell_of_reply(audit, reply)
    return reply


def reply_recipients(audit: Audit) -> list[User]:
    """Who is told of a practitioner's reply: the audit's auditor and the Heads of Service
    of the case's area. Never the other side of an open moderation of the audit: the
    message leads to an audit that is blind to them (qpa.audits.blind)."""
    people: dict[int, User] = {}
    if audit.auditor is not None and audit.auditor.is_active:
        people[audit.auditor.pk] = audit.auditor
    area = audit.service_area or audit.case.service_area
    if area is not None:
        heads = User.objects.filter(
            role=Role.HEAD_OF_SERVICE, is_active=True, service_areas=area
        ).order_by("pk")
        for head in heads:
            people.setdefault(head.pk, head)
    barred = moderation_sides(audit) - {audit.auditor_id}
    return [person for pk, person in people.items() if pk not in barred]


def _tell_of_reply(audit: Audit, reply: AuditReply) -> None:
    case = audit.case
    for person in reply_recipients(audit):
        notification_send(
            recipient=person,
            kind="audits.replied",
            subject=f"{reply.author} replied to the audit of case {case}",
            body=f"{reply.author}, the case's worker, replied to the findings of the audit of "
            f"case {case} by {audit.auditor_display}. The reply is shown with the audit.",
            url=audit.get_absolute_url(),
            dedupe_key=f"audits:replied:{reply.public_id}:{person.pk}",
        )


# --- Escalation ----------------------------------------------------------------------


def escalation_recipients(audit: Audit) -> list[User]:
    """The Assistant Directors for the audit's service area; when none holds the area,
    every active Assistant Director."""
    directors = User.objects.filter(role=Role.ASSISTANT_DIRECTOR, is_active=True).order_by("pk")
    area = audit.service_area or audit.case.service_area
    if area is not None:
        for_area = directors.filter(service_areas=area)
        if for_area.exists():
            return list(for_area)
    return list(directors)


def _start_of_day(now: Any) -> Any:
    local = timezone.localtime(now)
    return local.replace(hour=0, minute=0, second=0, microsecond=0)


def critical_alerts_escalate(*, now: Any = None) -> int:
    """Critical alerts still unacknowledged from before today go to the Assistant
    Director(s), once per submission and director. Returns the escalations sent."""
    now = now or timezone.now()
    waiting = urgent_unacknowledged(created_before=_start_of_day(now))
    alerts = (
        AuditAlert.objects.filter(severity=Severity.CRITICAL, notification__in=waiting)
        .select_related("audit__case", "submission", "notification__recipient")
        .order_by("audit_id", "id")
    )
    by_submission: dict[int, list[AuditAlert]] = {}
    for alert in alerts:
        # Every critical alert comes of a submission (safeguarding ones need none).
        if alert.submission_id is not None:
            by_submission.setdefault(alert.submission_id, []).append(alert)
    sent = 0
    for group in by_submission.values():
        audit = group[0].audit
        submission = group[0].submission
        if submission is None:  # pragma: no cover - filtered above
            continue
        waiting_for = ", ".join(sorted(str(a.notification.recipient) for a in group))
        with transaction.atomic():
            for director in escalation_recipients(audit):
                escalated = notification_send(
                    recipient=director,
                    kind="audits.critical_escalated",
                    subject=f"Critical audit of case {audit.case} not acknowledged",
                    body=f"The audit of case {audit.case} was rated critical on "
                    f"{timezone.localtime(submission.at):%-d %B %Y at %H:%M} and has not been "
                    f"acknowledged by {waiting_for}. Make sure a manager acts today.",
                    url=audit.get_absolute_url(),
                    dedupe_key=f"audits:critical-escalated:{submission.token}:{director.pk}",
                    urgent=True,
                    alert_key=f"audits:critical-escalated:{submission.token}",
                )
                sent += escalated is not None
    return sent


def safeguarding_alerts_escalate(*, now: Any = None) -> int:
    """Safeguarding alerts still unacknowledged from before today go to the Assistant
    Director(s), once per audit and director, as critical alerts do. Returns the
    escalations sent."""
    now = now or timezone.now()
    waiting = urgent_unacknowledged(created_before=_start_of_day(now))
    alerts = (
        AuditAlert.objects.filter(severity=Severity.SAFEGUARDING, notification__in=waiting)
        .select_related("audit__case", "notification__recipient")
        .order_by("audit_id", "id")
    )
    by_audit: dict[int, list[AuditAlert]] = {}
    for alert in alerts:
        by_audit.setdefault(alert.audit_id, []).append(alert)
    sent = 0
    for group in by_audit.values():
        audit = group[0].audit
        raised = timezone.localtime(group[0].notification.created_at)
        waiting_for = ", ".join(sorted({str(a.notification.recipient) for a in group}))
        with transaction.atomic():
            for director in escalation_recipients(audit):
                escalated = notification_send(
                    recipient=director,
                    kind="audits.safeguarding_escalated",
                    subject=f"Safeguarding concern on case {audit.case} not acknowledged",
                    body=f"On {raised:%-d %B %Y at %H:%M} the auditor of case {audit.case} was "
                    "not sure the child is safe now, or said the child is not, and "
                    f"{waiting_for} has not acknowledged it. Make sure a manager acts today.",
                    url=audit.get_absolute_url(),
                    dedupe_key=f"audits:safeguarding-escalated:{audit.public_id}:{director.pk}",
                    urgent=True,
                    alert_key=f"audits:safeguarding-escalated:{audit.public_id}",
                )
                sent += escalated is not None
    return sent


# --- The child's voice and the family's view (decision 0125) -------------------------


def voice_questions(audit: Audit) -> list[VoiceQuestion]:
    """The questions the audit's tool version asks, in order (often none)."""
    return list(audit.tool_version.questions.order_by("order"))


def voice_answers(audit: Audit) -> dict[int, VoiceAnswer]:
    """{question id: answer} of one audit."""
    return {a.question_id: a for a in VoiceAnswer.objects.filter(audit=audit)}


def _voice_done(question: VoiceQuestion, answer: VoiceAnswer | None) -> bool:
    return bool(
        answer is not None
        and answer.answer
        and (not question.text_needed(answer.answer) or answer.text.strip())
    )


def voice_status(audit: Audit) -> str | None:
    """Completed when every question is answered, with the short text its answer asks
    for; None when the tool version asks no question."""
    questions = voice_questions(audit)
    if not questions:
        return None
    answers = voice_answers(audit)
    if all(_voice_done(q, answers.get(q.pk)) for q in questions):
        return TaskStatus.COMPLETED
    if any(a.answer or a.text.strip() for a in answers.values()):
        return TaskStatus.IN_PROGRESS
    return TaskStatus.NOT_STARTED


@dataclass(frozen=True)
class VoiceRow:
    """One question and its answer, as the pages show them."""

    question: VoiceQuestion
    answer: VoiceAnswer | None

    @property
    def text_missing(self) -> bool:
        return bool(
            self.answer
            and self.question.text_needed(self.answer.answer)
            and not self.answer.text.strip()
        )

    @property
    def text_heading(self) -> str:
        """The question's label for its text where the answer asks for it ("What is
        missing" beside a no); beside another answer, the text kept is a plain note,
        never under a label that contradicts the answer."""
        if self.answer and self.question.text_needed(self.answer.answer):
            return self.question.text_label
        return "Note"


def voice_rows(audit: Audit) -> list[VoiceRow]:
    answers = voice_answers(audit)
    return [VoiceRow(q, answers.get(q.pk)) for q in voice_questions(audit)]


@transaction.atomic
def audit_save_voice(
    *,
    acting_user: User,
    audit: Audit,
    version: int,
    answers: Mapping[int, tuple[str, str]],
) -> Audit:
    """Save the answers to the tool version's questions about the child's voice and the
    family's view: {question position: (answer, short text)}. A draft saves whatever is
    there; submission asks for every answer and the texts they need."""
    version = _check_version(version)
    questions = {q.order: q for q in voice_questions(audit)}
    errors: dict[str, str] = {}
    for position, (answer, text) in answers.items():
        question = questions.get(position)
        if question is None:
            raise ValidationError("That question is not part of this audit's tool.")
        if answer and answer not in Answer.values:
            errors[f"answer_{position}"] = "Choose one of the answers."
        elif answer == Answer.NOT_APPLICABLE and not question.allows_not_applicable:
            errors[f"answer_{position}"] = "This question cannot be answered not applicable."
        if len(text) > MAX_TEXT:
            errors[f"text_{position}"] = f"Keep this to {MAX_TEXT:,} characters or fewer."
    if errors:
        raise ValidationError(errors)
    current = _compare_and_set(acting_user=acting_user, audit=audit, version=version)
    for position, (answer, text) in answers.items():
        VoiceAnswer.objects.update_or_create(
            audit=current,
            question=questions[position],
            defaults={"answer": answer, "text": text},
        )
    event_record(
        action="audit.voice_saved",
        actor=acting_user,
        obj=current,
        data={"version": current.version, "answers": len(answers)},
    )
    return current


# --- Recommended actions (decision 0126) ---------------------------------------------

# More than this on one audit is a plan, not a recommendation.
MAX_RECOMMENDATIONS = 20


def recommendation_owner_candidates() -> list[User]:
    """People an auditor may suggest as the owner: those who may own an action."""
    return list(
        User.objects.filter(is_active=True, role__in=Permission.OWN_ACTIONS.roles).order_by(
            "last_name", "first_name", "username"
        )
    )


def _draft_of(acting_user: User, audit: Audit) -> Audit:
    """The audit, locked, when `acting_user` is its auditor and it is a draft."""
    locked = Audit.objects.select_for_update().get(pk=audit.pk)
    if locked.auditor_id != acting_user.pk:
        raise PermissionDenied("Only the audit's auditor recommends actions on it.")
    if locked.status != AuditStatus.DRAFT:
        raise AuditLocked(locked)
    return locked


def _checked_recommendation(
    *, description: str, suggested_owner: User | None, due_date: date
) -> str:
    description = description.strip()
    errors: dict[str, str] = {}
    if not description:
        errors["description"] = "Enter what needs to be done."
    elif len(description) > MAX_TEXT:
        errors["description"] = f"Keep this to {MAX_TEXT:,} characters or fewer."
    if suggested_owner is not None and not (
        suggested_owner.is_active and user_can(suggested_owner, Permission.OWN_ACTIONS)
    ):
        errors["suggested_owner"] = "Choose someone who may own a follow-up action."
    if not isinstance(due_date, date) or due_date < timezone.localdate():
        errors["due_date"] = "The date must be today or later."
    if errors:
        raise ValidationError(errors)
    return description


def _recommendation_event(
    action: str, acting_user: User, recommendation: RecommendedAction, audit: Audit
) -> None:
    event_record(
        action=action,
        actor=acting_user,
        obj=recommendation,
        child_id=audit.case.child_id,
        data={"audit": str(audit.public_id)},
    )


@transaction.atomic
def recommendation_add(
    *,
    acting_user: User,
    audit: Audit,
    description: str,
    suggested_owner: User | None,
    due_date: date,
) -> RecommendedAction:
    """The auditor recommends an action while auditing: what, who, by when. A Head of
    Service decides on it once the audit is submitted."""
    locked = _draft_of(acting_user, audit)
    description = _checked_recommendation(
        description=description, suggested_owner=suggested_owner, due_date=due_date
    )
    if locked.recommendations.count() >= MAX_RECOMMENDATIONS:
        raise ValidationError(
            f"An audit recommends at most {MAX_RECOMMENDATIONS} actions: combine some."
        )
    recommendation = RecommendedAction.objects.create(
        audit=locked,
        description=description,
        suggested_owner=suggested_owner,
        due_date=due_date,
        created_by=acting_user,
        updated_by=acting_user,
    )
    _recommendation_event("audit.recommendation_added", acting_user, recommendation, locked)
    return recommendation


def _proposed(audit: Audit, recommendation: RecommendedAction) -> RecommendedAction:
    fresh = RecommendedAction.objects.select_for_update().get(pk=recommendation.pk)
    if fresh.audit_id != audit.pk:
        raise ValidationError("That recommendation belongs to another audit.")
    if not fresh.is_proposed:
        raise ValidationError("A Head of Service has decided on this recommendation already.")
    return fresh


@transaction.atomic
def recommendation_update(
    *,
    acting_user: User,
    recommendation: RecommendedAction,
    description: str,
    suggested_owner: User | None,
    due_date: date,
) -> RecommendedAction:
    locked = _draft_of(acting_user, recommendation.audit)
    fresh = _proposed(locked, recommendation)
    fresh.description = _checked_recommendation(
        description=description, suggested_owner=suggested_owner, due_date=due_date
    )
    fresh.suggested_owner = suggested_owner
    fresh.due_date = due_date
    fresh.updated_by = acting_user
    fresh.save()
    _recommendation_event("audit.recommendation_changed", acting_user, fresh, locked)
    return fresh


@transaction.atomic
def recommendation_remove(*, acting_user: User, recommendation: RecommendedAction) -> None:
    locked = _draft_of(acting_user, recommendation.audit)
    fresh = _proposed(locked, recommendation)
    _recommendation_event("audit.recommendation_removed", acting_user, fresh, locked)
    fresh.delete()


def recommendations_of(audit: Audit) -> list[RecommendedAction]:
    """The audit's recommended actions, oldest first, with whom they suggest and, once
    confirmed, the follow-up action each became."""
    return list(
        RecommendedAction.objects.filter(audit=audit)
        .select_related("suggested_owner", "decided_by", "action__owner")
        .order_by("created_at", "id")
    )
