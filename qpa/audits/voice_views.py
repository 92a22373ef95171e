"""The audit's pages for the child's voice and the family's view (decision 0125) and for
recommended actions (decision 0126). Thin views over qpa.audits.services, sharing the
audit pages' helpers (remit, locking, autosave answers) with qpa.audits.views."""

from __future__ import annotations

import uuid
from typing import Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse

from qpa.audits import services
from qpa.audits.forms import RecommendationForm, VoiceForm
from qpa.audits.models import Audit, RecommendedAction
from qpa.audits.views import (
    _acting,
    _audit_for,
    _conflict,
    _editable,
    _facts,
    _invalid,
    _local_time,
    _locked,
    _no_version,
    _posted_version,
    _saved,
    _wants_json,
    auditors_only,
)
from qpa.core.events import record_view
from qpa.core.forms import add_validation_error
from qpa.tools.models import Answer


def _answer_label(value: str) -> str:
    return str(dict(Answer.choices).get(value, "")) if value else ""


@auditors_only
def audit_voice(request: HttpRequest, public_id: uuid.UUID) -> HttpResponse:
    """The tool version's questions about the child's voice and the family's view, all
    on one page, saved like the other sections (buttons and autosave)."""
    audit = _audit_for(request, public_id)
    refusal = _editable(request, audit)
    if refusal:
        return refusal
    questions = services.voice_questions(audit)
    version = audit.version
    if request.method == "POST":
        posted = _posted_version(request)
        if posted is None:
            return _no_version(request)
        version = posted
        form = VoiceForm(request.POST, questions=questions)
        if form.is_valid():
            try:
                saved = services.audit_save_voice(
                    acting_user=_acting(request),
                    audit=audit,
                    version=posted,
                    answers=form.answers(),
                )
            except services.AuditLocked as locked:
                return _locked(request, locked.current)
            except services.AuditConflict as conflict:
                theirs = services.voice_answers(conflict.current)
                rows: list[tuple[str, str, str]] = []
                for question in questions:
                    answer, text = form.answers()[question.order]
                    saved_answer = theirs.get(question.pk)
                    rows.append(
                        (
                            question.text,
                            _answer_label(answer),
                            _answer_label(saved_answer.answer) if saved_answer else "",
                        )
                    )
                    if question.text_label:
                        rows.append(
                            (question.text_label, text, saved_answer.text if saved_answer else "")
                        )
                return _conflict(
                    request,
                    audit=audit,
                    current=conflict.current,
                    rows=rows,
                    context={"form": form, "voice": True},
                )
            except ValidationError as error:
                add_validation_error(form, error)
            else:
                return _saved(request, saved, request.path)
        if _wants_json(request):
            return _invalid(request, form)
    else:
        answers = services.voice_answers(audit)
        initial: dict[str, Any] = {}
        for question in questions:
            given = answers.get(question.pk)
            if given is not None:
                initial[f"answer_{question.order}"] = given.answer
                initial[f"text_{question.order}"] = given.text
        form = VoiceForm(initial=initial, questions=questions)
    record_view(request, action="audit.viewed", objects=[audit])
    return render(
        request,
        "audits/voice.html",
        {
            "audit": audit,
            "form": form,
            "version": version,
            "saved_at": _local_time(audit.updated_at)
            if services.voice_status(audit) not in (None, services.TaskStatus.NOT_STARTED)
            else "",
            "facts": _facts(audit, "child voice"),
        },
        status=400 if form.errors else 200,
    )


def _recommendation_of(audit: Audit, value: str | None) -> RecommendedAction | None:
    """The audit's recommendation named by its public id, or None when none is named."""
    if not value:
        return None
    try:
        key = uuid.UUID(value)
    except ValueError:
        raise Http404 from None
    found = audit.recommendations.filter(public_id=key).first()
    if found is None:
        raise Http404
    return found


@auditors_only
def audit_recommendations(request: HttpRequest, public_id: uuid.UUID) -> HttpResponse:
    """Recommend actions while auditing: add, change (`?change=<id>`) or remove each.
    A Head of Service decides on them once the audit is submitted."""
    audit = _audit_for(request, public_id)
    refusal = _editable(request, audit)
    if refusal:
        return refusal
    user = _acting(request)
    people = services.recommendation_owner_candidates()
    source = request.POST if request.method == "POST" else request.GET
    changing = _recommendation_of(audit, source.get("change"))
    if changing is not None and not changing.is_proposed:
        changing = None
    page = reverse("audits:audit-recommendations", kwargs={"public_id": audit.public_id})
    if request.method == "POST" and request.POST.get("remove"):
        removing = _recommendation_of(audit, request.POST.get("remove"))
        if removing is None:  # pragma: no cover - _recommendation_of raised
            raise Http404
        try:
            services.recommendation_remove(acting_user=user, recommendation=removing)
        except services.AuditLocked as locked:
            return _locked(request, locked.current)
        except ValidationError as error:
            return render(
                request,
                "audits/rejected.html",
                {"message": " ".join(error.messages), "audit": audit},
                status=409,
            )
        messages.success(request, "Recommended action removed.")
        return redirect(page)
    if changing is not None:
        initial: dict[str, Any] = {
            "description": changing.description,
            "suggested_owner": changing.suggested_owner_id or "",
            "due_date": changing.due_date.strftime("%d/%m/%Y"),
        }
    else:
        manager = audit.case.team.manager if audit.case.team else None
        initial = {"suggested_owner": manager.pk if manager else ""}
    form = RecommendationForm(
        request.POST if request.method == "POST" else None, initial=initial, people=people
    )
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            if changing is not None:
                services.recommendation_update(
                    acting_user=user,
                    recommendation=changing,
                    description=data["description"],
                    suggested_owner=data["suggested_owner"],
                    due_date=data["due_date"],
                )
            else:
                services.recommendation_add(
                    acting_user=user,
                    audit=audit,
                    description=data["description"],
                    suggested_owner=data["suggested_owner"],
                    due_date=data["due_date"],
                )
        except services.AuditLocked as locked:
            return _locked(request, locked.current)
        except ValidationError as error:
            add_validation_error(form, error)
        else:
            messages.success(
                request,
                "Recommended action saved."
                if changing is not None
                else "Recommended action added. Add another, or go back to the task list.",
            )
            return redirect(page)
    record_view(request, action="audit.viewed", objects=[audit])
    return render(
        request,
        "audits/recommendations.html",
        {
            "audit": audit,
            "form": form,
            "changing": changing,
            "recommendations": services.recommendations_of(audit),
            "facts": _facts(audit),
        },
        status=400 if form.errors else 200,
    )
