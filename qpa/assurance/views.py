"""The assurance pages: audit-quality figures, the quarterly re-audit, blind moderation
and agreement figures. Reads through remit selectors, writes through services."""

from __future__ import annotations

import uuid

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_GET

from qpa.accounts.access import role_required
from qpa.accounts.models import Role, User
from qpa.assurance import services
from qpa.assurance.figures import AgreementRow, agreement_figures, quality_figures
from qpa.assurance.forms import AgreeForm, ModerationDrawForm, ReAuditDrawForm
from qpa.assurance.models import Moderation
from qpa.assurance.selectors import (
    ASSURANCE_MANAGERS,
    REAUDIT_DRAWERS,
    audit_ratings_hidden_from,
    moderation_draws,
    moderations_visible_to,
    reaudit_draws,
    reaudits_visible_to,
)
from qpa.audits.models import AuditStatus
from qpa.core.events import record_view
from qpa.core.forms import add_validation_error
from qpa.cycles.models import Cycle, CycleStatus

EVERYONE_BUT_PRACTITIONERS = (
    Role.AUDITOR,
    Role.HEAD_OF_SERVICE,
    Role.ASSISTANT_DIRECTOR,
    Role.DEPUTY_DIRECTOR,
    Role.PERFORMANCE,
    Role.ADMINISTRATOR,
)
assurance_users = role_required(*EVERYONE_BUT_PRACTITIONERS)


def _acting(request: HttpRequest) -> User:
    return request.user  # type: ignore[return-value]


def _is_manager(user: User) -> bool:
    return user.role in ASSURANCE_MANAGERS


@assurance_users
@require_GET
def overview(request: HttpRequest) -> HttpResponse:
    user = _acting(request)
    my_reaudits = list(
        reaudits_visible_to(user=user).filter(auditor=user, reaudit__status=AuditStatus.DRAFT)
    )
    my_moderations = list(
        moderations_visible_to(user=user).filter(
            moderator=user, moderation_audit__status=AuditStatus.DRAFT
        )
    )
    shown = [r.reaudit for r in my_reaudits] + [m.moderation_audit for m in my_moderations]
    if shown:
        record_view(request, action="assurance.listed", objects=shown)
    return render(
        request,
        "assurance/overview.html",
        {
            "quality": quality_figures() if _is_manager(user) else None,
            "my_reaudits": my_reaudits,
            "my_moderations": my_moderations,
        },
    )


# --- Re-audit ------------------------------------------------------------------------


@role_required(
    Role.AUDITOR,
    Role.HEAD_OF_SERVICE,
    Role.ASSISTANT_DIRECTOR,
    Role.DEPUTY_DIRECTOR,
    Role.ADMINISTRATOR,
)
def reaudit_list(request: HttpRequest) -> HttpResponse:
    user = _acting(request)
    can_draw = user.role in REAUDIT_DRAWERS
    today = timezone.localdate()
    form = ReAuditDrawForm(
        request.POST or None,
        initial={"quarter": services.previous_quarter(today), "share_percent": 25},
    )
    if request.method == "POST":
        if not can_draw:
            raise Http404
        if form.is_valid():
            share = form.cleaned_data["share_percent"]
            try:
                draw = services.reaudit_draw(
                    acting_user=user,
                    quarter=form.cleaned_data["quarter"],
                    count=form.cleaned_data["count"],
                    share=share / 100 if share is not None else None,
                )
            except ValidationError as error:
                add_validation_error(form, error)
            else:
                drawn = draw.reaudits.count()
                messages.success(
                    request,
                    f"Re-audit sample of {draw.quarter} drawn: {drawn} "
                    f"case{'s' if drawn != 1 else ''}. Each re-auditor has been told.",
                )
                return redirect("assurance:reaudit-list")
    reaudits = list(reaudits_visible_to(user=user).order_by("-draw__quarter", "rank"))
    quarter = request.GET.get("quarter", "")
    if quarter:
        reaudits = [r for r in reaudits if r.draw.quarter == quarter]
    if reaudits:
        record_view(request, action="reaudits.listed", objects=[r.reaudit for r in reaudits])
    return render(
        request,
        "assurance/reaudit_list.html",
        {
            "form": form if can_draw else None,
            "draws": list(reaudit_draws()) if can_draw else [],
            "reaudits": reaudits,
            "quarter": quarter,
        },
        status=400 if form.errors else 200,
    )


@role_required(Role.AUDITOR, Role.HEAD_OF_SERVICE, Role.ASSISTANT_DIRECTOR, Role.DEPUTY_DIRECTOR)
@require_GET
def reaudit_detail(request: HttpRequest, public_id: uuid.UUID) -> HttpResponse:
    reaudit = reaudits_visible_to(user=request.user).filter(public_id=public_id).first()
    if reaudit is None:
        raise Http404
    original = reaudit.original
    if audit_ratings_hidden_from(request.user, original):
        raise Http404
    submitted = reaudit.reaudit.status == AuditStatus.SUBMITTED
    actions = list(original.actions.select_related("owner").order_by("due_date", "created_at"))
    record_view(request, action="reaudit.viewed", objects=[reaudit.reaudit])
    return render(
        request,
        "assurance/reaudit_detail.html",
        {
            "reaudit": reaudit,
            "original": original,
            "rows": services.reaudit_comparison(reaudit) if submitted else [],
            "submitted": submitted,
            "actions": actions,
            "actions_completed": sum(a.status == "completed" for a in actions),
            "is_reauditor": reaudit.auditor_id == request.user.pk,
        },
    )


# --- Moderation ----------------------------------------------------------------------


@assurance_users
def moderation_list(request: HttpRequest) -> HttpResponse:
    user = _acting(request)
    manager = _is_manager(user)
    form = ModerationDrawForm(
        request.POST or None, initial={"share_percent": services.moderation_share_percent()}
    )
    if request.method == "POST":
        if not manager:
            raise Http404
        if form.is_valid():
            cycle = Cycle.objects.filter(public_id=form.cleaned_data["cycle"]).first()
            if cycle is None:
                raise Http404
            try:
                draw = services.moderation_draw(
                    acting_user=user,
                    cycle=cycle,
                    share_percent=form.cleaned_data["share_percent"],
                )
            except ValidationError as error:
                add_validation_error(form, error)
            else:
                drawn = draw.moderations.count()
                messages.success(
                    request,
                    f"Moderation sample of {cycle} drawn: {drawn} "
                    f"case{'s' if drawn != 1 else ''}. Each moderator has been told.",
                )
                return redirect("assurance:moderation-list")
    moderations = list(moderations_visible_to(user=user).order_by("-draw__drawn_at", "rank"))
    undrawn = (
        list(
            Cycle.objects.filter(status=CycleStatus.ALLOCATED, moderation_draw__isnull=True)
            .select_related("tool")
            .order_by("-month", "-created_at")
        )
        if manager
        else []
    )
    figures = agreement_figures() if manager else None
    if moderations:
        record_view(
            request,
            action="moderations.listed",
            objects=[m.allocation.sampled_case.case for m in moderations],
        )
    return render(
        request,
        "assurance/moderation_list.html",
        {
            "moderations": moderations,
            "undrawn": undrawn,
            "draws": list(moderation_draws()) if manager else [],
            "form": form,
            "figures": figures,
            "overall_rows": [
                AgreementRow("Overall grade", figures.overall_grade),
                AgreementRow("Every domain", figures.all_domains),
            ]
            if figures
            else [],
        },
        status=400 if form.errors else 200,
    )


def _moderation_for(request: HttpRequest, public_id: uuid.UUID) -> Moderation:
    moderation = moderations_visible_to(user=request.user).filter(public_id=public_id).first()
    if moderation is None:
        raise Http404
    return moderation


@assurance_users
def moderation_detail(request: HttpRequest, public_id: uuid.UUID) -> HttpResponse:
    moderation = _moderation_for(request, public_id)
    user = _acting(request)
    both = services.both_submitted(moderation)
    first = getattr(moderation.allocation, "audit", None)
    # Before both are in, nobody's ratings are on this page: the blind rule.
    rows = services.moderation_pairs(moderation) if both else []
    can_agree = (
        both
        and first is not None
        and moderation.agreed_at is None
        and moderation.moderator_id == user.pk
    )
    form: AgreeForm | None = None
    if can_agree and first is not None:
        ratings = list(first.tool_version.tool.scale.ratings.all())
        form = AgreeForm(request.POST or None, rows=rows, ratings=ratings)
        if request.method == "POST" and form.is_valid():
            try:
                services.moderation_agree(
                    acting_user=user,
                    moderation=moderation,
                    domains={
                        row.domain.pk: form.agreed(row) for row in rows if row.domain is not None
                    },
                    overall=form.agreed(rows[-1]),
                )
            except ValidationError as error:
                add_validation_error(form, error)
            else:
                messages.success(request, "Agreed ratings recorded. Reports now count them.")
                return redirect(moderation)
    elif request.method == "POST":
        raise Http404
    agreed_rows = []
    if both and moderation.agreed_at is not None and first is not None:
        agreed = {r.domain_id: r for r in first.domain_ratings.select_related("agreed_rating")}
        for row in rows:
            if row.domain is None:
                agreed_rows.append(
                    (row, first.agreed_overall_rating, False, first.agreed_overall_reason)
                )
            else:
                a = agreed.get(row.domain.pk)
                agreed_rows.append(
                    (
                        row,
                        a.agreed_rating if a else None,
                        bool(a and a.agreed_not_applicable),
                        a.agreed_reason if a else "",
                    )
                )
    record_view(request, action="moderation.viewed", objects=[moderation.moderation_audit])
    return render(
        request,
        "assurance/moderation_detail.html",
        {
            "moderation": moderation,
            "first": first,
            "both": both,
            "rows": rows,
            "agreed_rows": agreed_rows,
            "form": form,
            "is_moderator": moderation.moderator_id == user.pk,
        },
        status=400 if form is not None and form.errors else 200,
    )
