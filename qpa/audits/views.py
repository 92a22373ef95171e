from __future__ import annotations

import contextlib
import uuid
from datetime import datetime
from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET

from qpa.accounts.models import Role, User
from qpa.accounts.permissions import Permission, acting_user, permission_required, user_can
from qpa.audits import services
from qpa.audits.blind import audit_ratings_hidden_from
from qpa.audits.consistency import consistency_gap, evidence_problem, manager_action
from qpa.audits.forms import (
    NOT_APPLICABLE,
    DomainForm,
    OverallForm,
    ReopenForm,
    ReplyForm,
    SafetyForm,
)
from qpa.audits.imports import template_csv
from qpa.audits.models import (
    SAFEGUARDING_CONCERNS,
    Audit,
    AuditReply,
    AuditStatus,
    Captured,
    ChildSafe,
    DomainRating,
)
from qpa.audits.second_looks import second_look_of
from qpa.audits.selectors import audits_visible_to
from qpa.cases import imports
from qpa.cases.facts import CaseFacts, case_facts
from qpa.cases.forms import PastAuditsUploadForm
from qpa.cases.models import ImportKind
from qpa.core.events import record_view
from qpa.core.forms import add_validation_error
from qpa.tools.models import AuditTool, Rating

importers_only = permission_required(Permission.IMPORT_DATA)


@importers_only
def past_audits_upload(request: HttpRequest) -> HttpResponse:
    form = PastAuditsUploadForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        run = imports.import_run_create(
            acting_user=acting_user(request),
            kind=ImportKind.PAST_AUDITS,
            file_name=upload.name,
            content=upload.read(),
            options={"valid_rows_only": form.cleaned_data["valid_rows_only"]},
        )
        # `qpa worker` carries it out; its page shows its progress.
        return redirect(run)
    return render(
        request,
        "cases/upload.html",
        {
            "form": form,
            "title": "Import past audits",
            "intro": "The audits you did before QPA, one row each, so they count in every report. "
            "Ratings and domains must match the named tool and its scale.",
            "template_url": reverse("audits:import-template"),
        },
    )


@importers_only
@require_GET
def past_audits_template(request: HttpRequest) -> HttpResponse:
    tool = get_object_or_404(AuditTool, slug=request.GET.get("tool", "quality-of-practice"))
    response = HttpResponse(template_csv(tool), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="past-audits-{tool.slug}.csv"'
    return response


# --- The audit itself ----------------------------------------------------------------

auditors_only = permission_required(Permission.HOLD_ALLOCATIONS)


def _acting(request: HttpRequest) -> User:
    return acting_user(request)


def _wants_json(request: HttpRequest) -> bool:
    return request.headers.get("Accept", "").startswith("application/json")


def _local_time(moment: datetime | None) -> str:
    return timezone.localtime(moment).strftime("%H:%M") if moment else ""


def _audit_for(request: HttpRequest, public_id: uuid.UUID) -> Audit:
    """The audit, if it is in the person's remit; otherwise 404."""
    audit = (
        audits_visible_to(user=request.user)
        .select_related(
            "case__team",
            "case__practitioner",
            "service_area",
            "team",
            "auditor",
            "updated_by",
            "overall_rating__scale",
            "tool_version__tool__scale",
        )
        .filter(public_id=public_id)
        .first()
    )
    # The blind rule of moderation: the other side of a moderation cannot reach the
    # audit until both are submitted (docs/moderation.md).
    if audit is None or audit_ratings_hidden_from(request.user, audit):
        raise Http404
    return audit


def _locked(request: HttpRequest, audit: Audit) -> HttpResponse:
    if _wants_json(request):
        return JsonResponse(
            {"status": "locked", "message": "This audit has been submitted and is locked."},
            status=409,
        )
    return render(request, "audits/locked.html", {"audit": audit}, status=409)


def _editable(request: HttpRequest, audit: Audit) -> HttpResponse | None:
    """Only the audit's own auditor edits it, and only while it is a draft."""
    if audit.auditor_id != request.user.pk:
        raise PermissionDenied("Only the audit's auditor changes it.")
    if audit.status != AuditStatus.DRAFT:
        return _locked(request, audit)
    return None


def _posted_version(request: HttpRequest) -> int | None:
    try:
        version = int(request.POST.get("version", ""))
    except ValueError:
        return None
    return version if 1 <= version <= services.MAX_VERSION else None


def _no_version(request: HttpRequest) -> HttpResponse:
    message = (
        "This save did not say which version of the audit it started from, so nothing was "
        "saved. Go back, reload the page and save again."
    )
    if _wants_json(request):
        return JsonResponse({"status": "rejected", "message": message}, status=400)
    return render(request, "audits/rejected.html", {"message": message}, status=400)


def _saved(request: HttpRequest, audit: Audit, next_url: str) -> HttpResponse:
    at = _local_time(audit.updated_at)
    if _wants_json(request):
        return JsonResponse({"status": "saved", "version": audit.version, "saved_at": at})
    if request.POST.get("then") == "continue":
        messages.success(request, f"Saved at {at}.")
        return redirect("audits:audit-tasks", public_id=audit.public_id)
    messages.success(request, f"Your draft was saved at {at}.")
    return redirect(next_url)


def _invalid(request: HttpRequest, form: Any) -> JsonResponse:
    return JsonResponse(
        {
            "status": "invalid",
            "message": "Not saved: " + " ".join(str(e) for e in form.errors.values()),
            "errors": form.errors.get_json_data(),
        },
        status=400,
    )


def _conflict(
    request: HttpRequest,
    *,
    audit: Audit,
    current: Audit,
    rows: list[tuple[str, str, str]],
    context: dict[str, Any],
) -> HttpResponse:
    """Nothing was saved: show the person their text beside the version that won."""
    saved_by = str(current.updated_by or "Someone")
    if _wants_json(request):
        return JsonResponse(
            {
                "status": "conflict",
                "version": current.version,
                "saved_by": saved_by,
                "saved_at": _local_time(current.updated_at),
                "message": f"Not saved: {saved_by} saved this audit at "
                f"{_local_time(current.updated_at)}, after you opened it. Choose “Save as "
                "draft” to compare your text with theirs.",
                "theirs": {label: theirs for label, _, theirs in rows},
            },
            status=409,
        )
    return render(
        request,
        "audits/conflict.html",
        {
            "audit": audit,
            "current": current,
            "saved_by": saved_by,
            "rows": rows,
            "version": current.version,
            **context,
        },
        status=409,
    )


def _rating_label(rating: Rating | None, not_applicable: bool = False) -> str:
    if not_applicable:
        return "Not applicable"
    return rating.label if rating else "Not rated"


def _facts(audit: Audit, domain_name: str = "") -> CaseFacts:
    """What QPA holds about the child, as it stands today; one domain's facts when named."""
    facts = case_facts(audit.case, today=timezone.localdate())
    return facts.for_domain(domain_name) if domain_name else facts


def _domain_ratings(tasks: list[services.Task]) -> list[tuple[str, Rating | None]]:
    return [
        (t.name, t.answer.rating if t.answer and not t.answer.not_applicable else None)
        for t in tasks
        if t.domain is not None
    ]


def _safety_context(audit: Audit) -> dict[str, Any]:
    """The safety question's answer, and the safeguarding alerts it raised."""
    return {
        "safety_status": services.safety_status(audit),
        "safeguarding_alerts": services.safeguarding_alerts(audit),
        "concern": audit.child_safe in SAFEGUARDING_CONCERNS,
    }


def _voice_context(audit: Audit) -> dict[str, Any]:
    """The answers about the child's voice and the family's view, and the recommended
    actions (decisions 0125 and 0126)."""
    return {
        "voice_rows": services.voice_rows(audit),
        "recommendations": services.recommendations_of(audit),
    }


@require_GET
def audit_detail(request: HttpRequest, public_id: uuid.UUID) -> HttpResponse:
    audit = _audit_for(request, public_id)
    user = _acting(request)
    tasks = services.audit_tasks(audit)
    severity = services.audit_severity(audit) if not audit.is_draft else None
    action = None
    if severity is not None:
        action = manager_action(
            audit.overall_rating,
            _domain_ratings(tasks),
            critical_rank=services.critical_rank(audit.tool_version.tool.scale),
        )
    reply = AuditReply.objects.filter(audit=audit).select_related("author").first()
    actions = list(audit.actions.select_related("owner").order_by("due_date", "created_at"))
    record_view(request, action="audit.viewed", objects=[audit])
    return render(
        request,
        "audits/detail.html",
        {
            "audit": audit,
            "tasks": tasks[:-1],
            "severity": severity,
            "reply": reply,
            "can_reply": services.can_reply(user, audit),
            "can_reopen": services.can_reopen(user) and not audit.is_draft,
            "can_plan": severity is not None and user.role == Role.HEAD_OF_SERVICE,
            "can_edit": audit.is_draft and audit.auditor_id == user.pk,
            "actions": actions,
            "history": audit.changes.select_related("actor").all(),
            "second_look": second_look_of(audit),
            "manager_action": action,
            # Only those the critical alert went to are asked to acknowledge it, here.
            "critical_alert": services.critical_alert_state(audit, user)
            if severity == "critical"
            else None,
            "facts": _facts(audit),
            "gap": consistency_gap(audit.overall_rating, _domain_ratings(tasks)),
            **_safety_context(audit),
            **_voice_context(audit),
            "decide_url": reverse(
                "actions:recommendations-decide", kwargs={"public_id": audit.public_id}
            )
            if not audit.is_draft and user_can(user, Permission.SET_ACTIONS)
            else "",
        },
    )


@auditors_only
@require_GET
def audit_tasks(request: HttpRequest, public_id: uuid.UUID) -> HttpResponse:
    audit = _audit_for(request, public_id)
    refusal = _editable(request, audit)
    if refusal:
        return refusal
    tasks = services.audit_tasks(audit)
    safety = services.safety_status(audit)
    voice = services.voice_status(audit)
    statuses = [safety, *(t.status for t in tasks), *([voice] if voice else [])]
    record_view(request, action="audit.viewed", objects=[audit])
    return render(
        request,
        "audits/tasks.html",
        {
            "audit": audit,
            "domain_tasks": tasks[:-1],
            "overall_task": tasks[-1],
            "completed": sum(s == services.TaskStatus.COMPLETED for s in statuses),
            "total": len(statuses),
            "facts": _facts(audit),
            "voice_status": voice,
            "recommendation_count": audit.recommendations.count(),
            **_safety_context(audit),
        },
    )


@auditors_only
def audit_domain(request: HttpRequest, public_id: uuid.UUID, position: int) -> HttpResponse:
    audit = _audit_for(request, public_id)
    refusal = _editable(request, audit)
    if refusal:
        return refusal
    domains = list(audit.tool_version.domains.order_by("order"))
    if not 1 <= position <= len(domains):
        raise Http404
    domain = domains[position - 1]
    ratings = list(audit.tool_version.tool.scale.ratings.all())
    answer = DomainRating.objects.filter(audit=audit, domain=domain).first()
    version = audit.version
    if request.method == "POST":
        posted = _posted_version(request)
        if posted is None:
            return _no_version(request)
        version = posted
        form = DomainForm(request.POST, domain=domain, ratings=ratings)
        if form.is_valid() and not _wants_json(request):
            # The buttons refuse too little evidence for an inadequate or critical
            # rating; autosave keeps the draft while it is being written (decision 0115).
            short = evidence_problem(
                domain_name=domain.name,
                rating=form.rating_value()[0],
                evidence=form.cleaned_data["evidence"],
            )
            if short:
                form.add_error("evidence", f"{short}.")
        if form.is_valid():
            rating, not_applicable = form.rating_value()
            try:
                saved = services.audit_save_domain(
                    acting_user=_acting(request),
                    audit=audit,
                    domain=domain,
                    version=posted,
                    rating=rating,
                    not_applicable=not_applicable,
                    evidence=form.cleaned_data["evidence"],
                    strengths=form.cleaned_data["strengths"],
                    improvements=form.cleaned_data["improvements"],
                )
            except services.AuditLocked as locked:
                return _locked(request, locked.current)
            except services.AuditConflict as conflict:
                theirs = DomainRating.objects.filter(audit=audit, domain=domain).first()
                rows = [
                    (
                        "Rating",
                        _rating_label(rating, not_applicable),
                        _rating_label(
                            theirs.rating if theirs else None,
                            bool(theirs and theirs.not_applicable),
                        ),
                    ),
                    *[
                        (
                            str(form.fields[name].label),
                            form.cleaned_data[name],
                            getattr(theirs, name, "") if theirs else "",
                        )
                        for name in ("evidence", "strengths", "improvements")
                    ],
                ]
                return _conflict(
                    request,
                    audit=audit,
                    current=conflict.current,
                    rows=rows,
                    context={"form": form, "domain": domain, "position": position},
                )
            except ValidationError as error:
                add_validation_error(form, error)
            else:
                return _saved(request, saved, request.path)
        if _wants_json(request):
            return _invalid(request, form)
    else:
        initial: dict[str, Any] = {}
        if answer is not None:
            initial = {
                "rating": NOT_APPLICABLE if answer.not_applicable else str(answer.rating_id or ""),
                "evidence": answer.evidence,
                "strengths": answer.strengths,
                "improvements": answer.improvements,
            }
        form = DomainForm(initial=initial, domain=domain, ratings=ratings)
    record_view(request, action="audit.viewed", objects=[audit])
    return render(
        request,
        "audits/domain.html",
        {
            "audit": audit,
            "domain": domain,
            "position": position,
            "count": len(domains),
            "form": form,
            "version": version,
            "saved_at": _local_time(audit.updated_at) if answer is not None else "",
            "facts": _facts(audit, domain.name),
        },
        status=400 if form.errors else 200,
    )


@auditors_only
def audit_overall(request: HttpRequest, public_id: uuid.UUID) -> HttpResponse:
    audit = _audit_for(request, public_id)
    refusal = _editable(request, audit)
    if refusal:
        return refusal
    ratings = list(audit.tool_version.tool.scale.ratings.all())
    optional = audit.tool_version.overall_rating_optional
    answers = _domain_ratings(services.audit_tasks(audit))
    version = audit.version
    fields = (
        "overall_rationale",
        "child_experience_captured",
        "child_experience_text",
        "family_view_captured",
        "family_view_text",
    )
    if request.method == "POST":
        posted = _posted_version(request)
        if posted is None:
            return _no_version(request)
        version = posted
        form = OverallForm(request.POST, ratings=ratings, optional=optional)
        posted_rating = form.ratings.get(request.POST.get("overall_rating", ""))
        gap = consistency_gap(posted_rating, answers)
        form.show_consistency(gap)
        if (
            form.is_valid()
            and gap
            and not _wants_json(request)
            and not form.cleaned_data["consistency_reason"].strip()
        ):
            form.add_error(
                "consistency_reason",
                "Say why the overall rating differs from the domains, or change it.",
            )
        if form.is_valid():
            try:
                saved = services.audit_save_overall(
                    acting_user=_acting(request),
                    audit=audit,
                    version=posted,
                    overall_rating=form.rating(),
                    **{name: form.cleaned_data[name] for name in fields},
                    consistency_reason=form.cleaned_data["consistency_reason"] if gap else None,
                )
            except services.AuditLocked as locked:
                return _locked(request, locked.current)
            except services.AuditConflict as conflict:
                current = Audit.objects.select_related("overall_rating").get(pk=audit.pk)
                rows = [
                    (
                        "Overall rating",
                        _rating_label(form.rating()),
                        _rating_label(current.overall_rating),
                    ),
                    *[
                        (
                            str(form.fields[name].label),
                            str(dict(Captured.choices).get(form.cleaned_data[name], ""))
                            if name.endswith("_captured")
                            else form.cleaned_data[name],
                            getattr(current, f"get_{name}_display")()
                            if name.endswith("_captured")
                            else getattr(current, name),
                        )
                        for name in fields
                    ],
                ]
                return _conflict(
                    request,
                    audit=audit,
                    current=conflict.current,
                    rows=rows,
                    context={"form": form, "overall": True},
                )
            except ValidationError as error:
                add_validation_error(form, error)
            else:
                return _saved(request, saved, request.path)
        if _wants_json(request):
            return _invalid(request, form)
    else:
        initial = {name: getattr(audit, name) for name in fields}
        initial["overall_rating"] = str(audit.overall_rating_id or "")
        initial["consistency_reason"] = audit.consistency_reason
        form = OverallForm(initial=initial, ratings=ratings, optional=optional)
        form.show_consistency(consistency_gap(audit.overall_rating, answers))
    record_view(request, action="audit.viewed", objects=[audit])
    return render(
        request,
        "audits/overall.html",
        {
            "audit": audit,
            "form": form,
            "version": version,
            "saved_at": _local_time(audit.updated_at) if audit.version > 1 else "",
            "facts": _facts(audit),
        },
        status=400 if form.errors else 200,
    )


@auditors_only
def audit_safety(request: HttpRequest, public_id: uuid.UUID) -> HttpResponse:
    """Is the child safe now? "No" or "not sure" alerts the managers as soon as it is
    saved, by the buttons or by autosave (decision 0114)."""
    audit = _audit_for(request, public_id)
    refusal = _editable(request, audit)
    if refusal:
        return refusal
    version = audit.version
    if request.method == "POST":
        posted = _posted_version(request)
        if posted is None:
            return _no_version(request)
        version = posted
        form = SafetyForm(request.POST)
        if form.is_valid() and not _wants_json(request):
            if not form.cleaned_data["child_safe"]:
                form.add_error("child_safe", "Choose yes, no or not sure.")
            if not form.cleaned_data["child_safe_reason"].strip():
                form.add_error("child_safe_reason", "Say why you think so.")
        if form.is_valid():
            answer = form.cleaned_data["child_safe"]
            reason = form.cleaned_data["child_safe_reason"]
            try:
                saved = services.audit_save_safety(
                    acting_user=_acting(request),
                    audit=audit,
                    version=posted,
                    child_safe=answer,
                    child_safe_reason=reason,
                )
            except services.AuditLocked as locked:
                return _locked(request, locked.current)
            except services.AuditConflict as conflict:
                current = conflict.current
                answers = dict(ChildSafe.choices)
                rows = [
                    (
                        str(form.fields["child_safe"].label),
                        str(answers.get(answer, "")),
                        str(answers.get(current.child_safe, "")),
                    ),
                    (
                        str(form.fields["child_safe_reason"].label),
                        reason,
                        current.child_safe_reason,
                    ),
                ]
                return _conflict(
                    request,
                    audit=audit,
                    current=current,
                    rows=rows,
                    context={"form": form, "safety": True},
                )
            except ValidationError as error:
                add_validation_error(form, error)
            else:
                return _saved(request, saved, request.path)
        if _wants_json(request):
            return _invalid(request, form)
    else:
        form = SafetyForm(
            initial={"child_safe": audit.child_safe, "child_safe_reason": audit.child_safe_reason}
        )
    record_view(request, action="audit.viewed", objects=[audit])
    return render(
        request,
        "audits/safety.html",
        {
            "audit": audit,
            "form": form,
            "version": version,
            "saved_at": _local_time(audit.updated_at) if audit.child_safe else "",
            "facts": _facts(audit),
            **_safety_context(audit),
        },
        status=400 if form.errors else 200,
    )


@auditors_only
def audit_check(request: HttpRequest, public_id: uuid.UUID) -> HttpResponse:
    """Check your answers, then submit. The form carries a one-time token: a second POST
    of it lands on the same page as the first and submits nothing more."""
    audit = _audit_for(request, public_id)
    if audit.auditor_id != request.user.pk:
        raise PermissionDenied("Only the audit's auditor submits it.")
    problems: list[tuple[str, str]] = []
    conflict: Audit | None = None
    if request.method == "POST":
        posted = _posted_version(request)
        token: uuid.UUID | None = None
        with contextlib.suppress(ValueError):
            token = uuid.UUID(request.POST.get("token", ""))
        if posted is None or token is None:
            return _no_version(request)
        was_draft = audit.is_draft
        try:
            submitted = services.audit_submit(
                acting_user=_acting(request), audit=audit, version=posted, token=token
            )
        except services.AuditLocked as locked:
            return _locked(request, locked.current)
        except services.AuditConflict as error:
            conflict = error.current
            audit = _audit_for(request, public_id)
        except ValidationError:
            problems = services.audit_problems(audit)
        else:
            if was_draft:
                messages.success(request, "Audit submitted. It is now locked.")
            return redirect(submitted)
    elif audit.status != AuditStatus.DRAFT:
        return _locked(request, audit)
    tasks = services.audit_tasks(audit)
    record_view(request, action="audit.viewed", objects=[audit])
    return render(
        request,
        "audits/check.html",
        {
            "audit": audit,
            "domain_tasks": tasks[:-1],
            "problems": problems,
            "conflict": conflict,
            "token": uuid.uuid4(),
            "version": audit.version,
            "facts": _facts(audit),
            "gap": consistency_gap(audit.overall_rating, _domain_ratings(tasks)),
            **_safety_context(audit),
            **_voice_context(audit),
        },
        status=409 if conflict else 400 if problems else 200,
    )


@permission_required(Permission.REOPEN_AUDITS)
def audit_reopen(request: HttpRequest, public_id: uuid.UUID) -> HttpResponse:
    audit = _audit_for(request, public_id)
    if audit.is_draft:
        return render(
            request,
            "audits/rejected.html",
            {"message": "This audit is a draft: only a submitted audit can be reopened."},
            status=409,
        )
    form = ReopenForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.audit_reopen(
                acting_user=_acting(request), audit=audit, reason=form.cleaned_data["reason"]
            )
        except ValidationError as error:
            add_validation_error(form, error)
        else:
            messages.success(request, "Audit reopened. Its auditor has been told why.")
            return redirect(audit)
    record_view(request, action="audit.viewed", objects=[audit])
    return render(
        request,
        "audits/reopen.html",
        {"audit": audit, "form": form},
        status=400 if form.errors else 200,
    )


@permission_required(Permission.REPLY_TO_AUDITS)
def audit_reply(request: HttpRequest, public_id: uuid.UUID) -> HttpResponse:
    audit = _audit_for(request, public_id)
    if audit.case.practitioner_id != request.user.pk:
        raise PermissionDenied("Only the case's practitioner replies to its audit.")
    if AuditReply.objects.filter(audit=audit).exists():
        return render(
            request,
            "audits/rejected.html",
            {"message": "You have already replied to this audit.", "audit": audit},
            status=409,
        )
    form = ReplyForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.audit_reply(
                acting_user=_acting(request), audit=audit, text=form.cleaned_data["text"]
            )
        except ValidationError as error:
            add_validation_error(form, error)
        else:
            messages.success(request, "Your reply has been saved. It is shown with the audit.")
            return redirect(audit)
    record_view(request, action="audit.viewed", objects=[audit])
    return render(
        request,
        "audits/reply.html",
        {"audit": audit, "form": form},
        status=400 if form.errors else 200,
    )
