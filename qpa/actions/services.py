"""Writes to follow-up actions: a Head of Service plans them on an audit rated
inadequate or critical; owners move them on and complete them with evidence that says
something; those who set actions reopen a completed one, saying why; overdue ones
escalate to the owner's manager."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone

from qpa.accounts.models import Role, User
from qpa.accounts.permissions import Permission, user_can
from qpa.actions.models import Action, ActionReopening, ActionStatus
from qpa.audits.models import Audit, AuditStatus, RecommendationStatus, RecommendedAction
from qpa.audits.services import MAX_TEXT, alert_recipients, audit_severity
from qpa.core.events import event_record
from qpa.notifications.services import notification_send

# The fewest characters of evidence an action is completed with: enough to say what was
# done and where the record of it is ("ok" says neither).
EVIDENCE_MINIMUM = 20
# A reopening's reason: a sentence or two, not a case note.
REOPEN_REASON_MAX = 1000
REOPENED = "action.reopened"

# People an action can be given to: those who work cases or manage them.
OWNER_ROLES = {
    Role.AUDITOR,
    Role.HEAD_OF_SERVICE,
    Role.ASSISTANT_DIRECTOR,
    Role.DEPUTY_DIRECTOR,
    Role.PRACTITIONER,
}


def can_plan(user: User) -> bool:
    return user.role == Role.HEAD_OF_SERVICE and user.is_active


def can_manage(user: User, action: Action) -> bool:
    """The owner moves their action on; a Head of Service manages every action."""
    return user.is_active and (action.owner_id == user.pk or user.role == Role.HEAD_OF_SERVICE)


def can_reopen(user: User) -> bool:
    """Those who set actions reopen a completed one; an owner cannot undo a check on
    their own work."""
    return user_can(user, Permission.SET_ACTIONS)


def evidence_problem(evidence: str) -> str | None:
    """What is wrong with the evidence an action is completed with, or None."""
    written = len(evidence.strip())
    if not written:
        return "Enter the evidence that the action was completed."
    if written < EVIDENCE_MINIMUM:
        return (
            "Say what was done and where the evidence is, in at least "
            f"{EVIDENCE_MINIMUM} characters (you have written {written})"
        )
    if written > MAX_TEXT:
        return f"Keep this to {MAX_TEXT:,} characters or fewer."
    return None


def owner_candidates() -> list[User]:
    return list(
        User.objects.filter(is_active=True, role__in=OWNER_ROLES).order_by(
            "last_name", "first_name", "username"
        )
    )


def _check(*, description: str, owner: User, due_date: date) -> str:
    description = description.strip()
    errors: dict[str, str] = {}
    if not description:
        errors["description"] = "Enter what needs to be done."
    elif len(description) > MAX_TEXT:
        errors["description"] = f"Keep the description to {MAX_TEXT:,} characters or fewer."
    if not owner.is_active or owner.role not in OWNER_ROLES:
        errors["owner"] = "Choose an owner who works with cases."
    if errors:
        raise ValidationError(errors)
    return description


def _child(action: Action) -> str:
    return action.audit.case.child_id


@transaction.atomic
def action_create(
    *,
    acting_user: User,
    audit: Audit,
    description: str,
    owner: User,
    due_date: date,
    recommendation: RecommendedAction | None = None,
) -> Action:
    """A follow-up action on a submitted audit rated inadequate or worse, or on any
    submitted audit when it confirms the auditor's `recommendation` (decision 0126)."""
    if not can_plan(acting_user):
        raise PermissionDenied("Only a Head of Service plans follow-up actions.")
    if audit.status != AuditStatus.SUBMITTED or (
        recommendation is None and audit_severity(audit) is None
    ):
        raise ValidationError("Actions are planned on submitted audits rated inadequate or worse.")
    description = _check(description=description, owner=owner, due_date=due_date)
    action = Action.objects.create(
        audit=audit,
        description=description,
        owner=owner,
        due_date=due_date,
        recommendation=recommendation,
        created_by=acting_user,
        updated_by=acting_user,
    )
    notification_send(
        recipient=owner,
        kind="actions.assigned",
        subject=f"Action for case {audit.case} due on {due_date:%-d %B %Y}",
        body=f"{acting_user} gave you an action following the audit of case {audit.case}: "
        f"{description}",
        url=action.get_absolute_url(),
        dedupe_key=f"actions:assigned:{action.public_id}:{owner.pk}",
    )
    event_record(action="action.created", actor=acting_user, obj=action, child_id=_child(action))
    return action


@transaction.atomic
def action_update(
    *,
    acting_user: User,
    action: Action,
    status: str,
    description: str | None = None,
    owner: User | None = None,
    due_date: date | None = None,
) -> Action:
    """Move an action to open or in progress; a Head of Service may also change what it
    is, who owns it and when it is due. Completing needs evidence: action_complete."""
    if not can_manage(acting_user, action):
        raise PermissionDenied("Only the action's owner or a Head of Service changes it.")
    if action.status == ActionStatus.COMPLETED:
        raise ValidationError("This action is completed.")
    if status not in {ActionStatus.OPEN, ActionStatus.IN_PROGRESS}:
        raise ValidationError({"status": "Choose open or in progress; complete it with evidence."})
    changes_plan = any(v is not None for v in (description, owner, due_date))
    if changes_plan and acting_user.role != Role.HEAD_OF_SERVICE:
        raise PermissionDenied("Only a Head of Service changes what an action is.")
    new_owner = owner or action.owner
    action.description = _check(
        description=description if description is not None else action.description,
        owner=new_owner,
        due_date=due_date or action.due_date,
    )
    previous_owner = action.owner
    action.owner = new_owner
    action.due_date = due_date or action.due_date
    action.status = status
    action.updated_by = acting_user
    action.save()
    if new_owner.pk != previous_owner.pk:
        notification_send(
            recipient=new_owner,
            kind="actions.assigned",
            subject=f"Action for case {action.audit.case} due on {action.due_date:%-d %B %Y}",
            body=f"{acting_user} gave you an action following the audit of case "
            f"{action.audit.case}: {action.description}",
            url=action.get_absolute_url(),
            dedupe_key=f"actions:assigned:{action.public_id}:{new_owner.pk}",
        )
    event_record(
        action="action.updated",
        actor=acting_user,
        obj=action,
        child_id=_child(action),
        data={"status": status},
    )
    return action


@transaction.atomic
def action_complete(*, acting_user: User, action: Action, evidence: str) -> Action:
    if not can_manage(acting_user, action):
        raise PermissionDenied("Only the action's owner or a Head of Service completes it.")
    if action.status == ActionStatus.COMPLETED:
        raise ValidationError("This action is already completed.")
    problem = evidence_problem(evidence)
    if problem is not None:
        raise ValidationError({"evidence": problem})
    evidence = evidence.strip()
    now = timezone.now()
    action.status = ActionStatus.COMPLETED
    action.evidence = evidence
    action.completed_at = now
    action.completed_by = acting_user
    action.updated_by = acting_user
    action.save()
    event_record(action="action.completed", actor=acting_user, obj=action, child_id=_child(action))
    return action


@transaction.atomic
def action_reopen(*, acting_user: User, action: Action, reason: str) -> Action:
    """Reopen a completed action, saying why: it is open again, its owner is told, and
    the reason is kept with the action (`ActionReopening`), shown on the action's page;
    the event log records that it was reopened. The evidence it was completed with
    stays until it is completed again."""
    if not can_reopen(acting_user):
        raise PermissionDenied("Only a Head of Service reopens a completed action.")
    reason = reason.strip()
    if not reason:
        raise ValidationError({"reason": "Enter why you are reopening the action."})
    if len(reason) > REOPEN_REASON_MAX:
        raise ValidationError(
            {"reason": f"Keep the reason to {REOPEN_REASON_MAX} characters or fewer."}
        )
    fresh = (
        Action.objects.select_for_update().select_related("audit__case", "owner").get(pk=action.pk)
    )
    if fresh.status != ActionStatus.COMPLETED:
        raise ValidationError("This action is not completed: there is nothing to reopen.")
    fresh.status = ActionStatus.OPEN
    fresh.completed_at = None
    fresh.completed_by = None
    fresh.updated_by = acting_user
    fresh.save()
    reopening = ActionReopening.objects.create(action=fresh, by=acting_user, reason=reason)
    event_record(action=REOPENED, actor=acting_user, obj=fresh, child_id=_child(fresh))
    case = fresh.audit.case
    if fresh.owner.is_active and fresh.owner.pk != acting_user.pk:
        notification_send(
            recipient=fresh.owner,
            kind="actions.reopened",
            subject=f"Your action for case {case} was reopened",
            body=f"{acting_user} reopened your action following the audit of case {case}, "
            f"due on {fresh.due_date:%-d %B %Y}: {fresh.description} Their reason: {reason}",
            url=fresh.get_absolute_url(),
            dedupe_key=f"actions:reopened:{fresh.public_id}:{reopening.pk}",
        )
    return fresh


def action_reopenings(action: Action) -> list[ActionReopening]:
    """Every reopening of the action, latest first, with who reopened it."""
    return list(action.reopenings.select_related("by"))


@dataclass
class OverdueCounts:
    reminders: int = 0
    escalations: int = 0
    without_manager: int = 0


def actions_escalate_overdue(*, today: date | None = None) -> OverdueCounts:
    """Every unfinished action past its due date: the owner is reminded and their manager
    (the next manager up) told, once per action, due date and person."""
    today = today or timezone.localdate()
    counts = OverdueCounts()
    overdue = (
        Action.objects.exclude(status=ActionStatus.COMPLETED)
        .filter(due_date__lt=today)
        .select_related("owner__manager", "audit__case", "created_by")
    )
    for action in overdue:
        case = action.audit.case
        key = f"actions:overdue:{action.public_id}:{action.due_date}"
        with transaction.atomic():
            reminded = notification_send(
                recipient=action.owner,
                kind="actions.overdue",
                subject=f"Action for case {case} is overdue",
                body=f"Your action following the audit of case {case} was due on "
                f"{action.due_date:%-d %B %Y}: {action.description}",
                url=action.get_absolute_url(),
                dedupe_key=f"{key}:{action.owner_id}:owner",
            )
            counts.reminders += reminded is not None
            manager = action.owner.manager
            if manager is None or not manager.is_active:
                # Nobody above the owner: the Head of Service who planned it hears instead.
                planner = action.created_by
                if planner is None or planner.pk == action.owner_id:
                    counts.without_manager += reminded is not None
                    continue
                manager = planner
            escalated = notification_send(
                recipient=manager,
                kind="actions.overdue_escalated",
                subject=f"Overdue action: {action.owner} on case {case}",
                body=f"{action.owner} has an action following the audit of case {case}, due "
                f"on {action.due_date:%-d %B %Y}, not yet completed: {action.description}",
                url=action.get_absolute_url(),
                dedupe_key=f"{key}:{manager.pk}:escalation",
            )
            counts.escalations += escalated is not None
    return counts


# --- Recommended actions (decision 0126) ---------------------------------------------


def _undecided(recommendation: RecommendedAction) -> RecommendedAction:
    """The recommendation, locked, while it waits for a decision on a submitted audit."""
    # Locked alone: PostgreSQL locks no nullable side of a join (the suggested owner).
    fresh = RecommendedAction.objects.select_for_update().get(pk=recommendation.pk)
    if fresh.audit.status != AuditStatus.SUBMITTED:
        raise ValidationError("A recommendation is decided on once its audit is submitted.")
    if not fresh.is_proposed:
        raise ValidationError("This recommendation has been decided on already.")
    return fresh


def _decided(fresh: RecommendedAction, acting_user: User, status: str) -> None:
    fresh.status = status
    fresh.decided_by = acting_user
    fresh.decided_at = timezone.now()
    fresh.updated_by = acting_user


@transaction.atomic
def recommendation_confirm(
    *,
    acting_user: User,
    recommendation: RecommendedAction,
    description: str,
    owner: User,
    due_date: date,
) -> Action:
    """A Head of Service confirms the auditor's recommended action, as it is or changed
    (what, who, by when): it becomes a follow-up action, and its owner is told."""
    if not can_plan(acting_user):
        raise PermissionDenied("Only a Head of Service decides on recommended actions.")
    fresh = _undecided(recommendation)
    _decided(fresh, acting_user, RecommendationStatus.CONFIRMED)
    fresh.save()
    action = action_create(
        acting_user=acting_user,
        audit=fresh.audit,
        description=description,
        owner=owner,
        due_date=due_date,
        recommendation=fresh,
    )
    changed = [
        name
        for name, same in (
            ("description", action.description == fresh.description),
            ("owner", action.owner_id == fresh.suggested_owner_id),
            ("due_date", action.due_date == fresh.due_date),
        )
        if not same
    ]
    event_record(
        action="recommendation.confirmed",
        actor=acting_user,
        obj=fresh,
        child_id=_child(action),
        data={"action": str(action.public_id), "changed": changed},
    )
    return action


@transaction.atomic
def recommendation_decline(
    *, acting_user: User, recommendation: RecommendedAction, reason: str
) -> RecommendedAction:
    """A Head of Service declines the auditor's recommended action, saying why; the
    auditor is told."""
    if not can_plan(acting_user):
        raise PermissionDenied("Only a Head of Service decides on recommended actions.")
    reason = reason.strip()
    if not reason:
        raise ValidationError({"reason": "Say why the recommended action is declined."})
    if len(reason) > MAX_TEXT:
        raise ValidationError({"reason": f"Keep this to {MAX_TEXT:,} characters or fewer."})
    fresh = _undecided(recommendation)
    _decided(fresh, acting_user, RecommendationStatus.DECLINED)
    fresh.decline_reason = reason
    fresh.save()
    audit = fresh.audit
    if audit.auditor is not None and audit.auditor.is_active:
        notification_send(
            recipient=audit.auditor,
            kind="actions.recommendation_declined",
            subject=f"Your recommended action for case {audit.case} was declined",
            body=f"{acting_user} declined the action you recommended in the audit of case "
            f"{audit.case}: {fresh.description} Their reason: {reason}",
            url=audit.get_absolute_url(),
            dedupe_key=f"actions:recommendation-declined:{fresh.public_id}",
        )
    event_record(
        action="recommendation.declined",
        actor=acting_user,
        obj=fresh,
        child_id=audit.case.child_id,
        data={"audit": str(audit.public_id)},
    )
    return fresh


def recommendations_waiting(audit: Audit) -> int:
    return RecommendedAction.objects.filter(
        audit=audit, status=RecommendationStatus.PROPOSED
    ).count()


def recommendations_announce(*, audit: Audit, **_: object) -> int:
    """When an audit with recommended actions is submitted, the Heads of Service of its
    area hear that they wait for a decision (a receiver of `audit_submitted`). Never a
    side of an open moderation of the audit: the blind rule (qpa.audits.blind)."""
    waiting = recommendations_waiting(audit)
    if not waiting:
        return 0
    sent = 0
    plural = "action waits" if waiting == 1 else "actions wait"
    for person in alert_recipients(audit):
        if not can_plan(person):
            continue
        notification = notification_send(
            recipient=person,
            kind="actions.recommended",
            subject=f"Recommended {plural} for your decision: case {audit.case}",
            body=f"{audit.auditor_display} audited case {audit.case} and recommends "
            f"{waiting} follow-up {'action' if waiting == 1 else 'actions'}. Confirm, "
            "change or decline each on the audit's page.",
            url=f"{audit.get_absolute_url()}#recommendations",
            dedupe_key=f"actions:recommended:{audit.public_id}:{audit.version}:{person.pk}",
        )
        sent += notification is not None
    return sent
