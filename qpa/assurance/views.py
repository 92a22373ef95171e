"""The assurance pages: audit-quality figures, the quarterly re-audit, blind moderation
and agreement figures. Reads through remit selectors, writes through services."""

from __future__ import annotations

import uuid
from typing import Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods

from qpa.accounts.models import User
from qpa.accounts.permissions import Permission, acting_user, permission_required, user_can
from qpa.assurance import services
from qpa.assurance.figures import AgreementRow, agreement_figures, quality_figures
from qpa.assurance.forms import AgreeForm, ModerationDrawForm, ReAuditDrawForm, SummarySendForm
from qpa.assurance.models import Moderation, ReAudit, SummaryOccasion
from qpa.assurance.selectors import (
    ASSURANCE_MANAGERS,
    moderation_draws,
    moderations_visible_to,
    reaudit_draws,
    reaudits_visible_to,
)
from qpa.audits.blind import audit_ratings_hidden_from, blind_audit_ids
from qpa.audits.models import AuditStatus
from qpa.audits.selectors import audits_visible_to
from qpa.core.events import record_view
from qpa.core.forms import GovukForm, add_validation_error
from qpa.cycles.models import Cycle, CycleStatus
from qpa.cycles.sampling import new_seed

assurance_users = permission_required(Permission.READ_ASSURANCE)


def _acting(request: HttpRequest) -> User:
    return acting_user(request)


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


DRAW_SESSION = "assurance:reaudit-draw"


class _MessageForm(GovukForm):
    """No fields: carries a service's refusal to the page's error summary."""


def _draw_answers(form: ReAuditDrawForm, seed: str) -> dict[str, Any]:
    data = form.cleaned_data
    return {
        "quarter": data["quarter"],
        "share_percent": data["share_percent"],
        "count": data["count"],
        "capacity": data["capacity"],
        "seed": seed,
    }


def _plan_for(answers: dict[str, Any]) -> services.ReAuditPlan:
    share = answers.get("share_percent")
    return services.reaudit_draw_plan(
        quarter=answers["quarter"],
        count=answers.get("count"),
        share=share / 100 if share is not None else None,
        capacity=answers["capacity"],
        seed=answers["seed"],
    )


@permission_required(Permission.LIST_REAUDITS)
def reaudit_list(request: HttpRequest) -> HttpResponse:
    """The quarter's draw form (for those who draw) and the re-audits in one's remit. The
    form leads to a preview; nothing is drawn until the preview is confirmed."""
    user = _acting(request)
    can_draw = user_can(user, Permission.DRAW_REAUDITS)
    today = timezone.localdate()
    earlier = request.session.get(DRAW_SESSION) if request.GET.get("change") else None
    initial = earlier or {
        "quarter": services.previous_quarter(today),
        "share_percent": 25,
        "capacity": services.DEFAULT_REAUDIT_CAPACITY,
    }
    form = ReAuditDrawForm(request.POST or None, initial=initial)
    if request.method == "POST":
        if not can_draw:
            raise Http404
        if form.is_valid():
            answers = _draw_answers(form, new_seed())
            try:
                _plan_for(answers)  # refuses a quarter not ended or drawn already
            except ValidationError as error:
                add_validation_error(form, error)
            else:
                request.session[DRAW_SESSION] = answers
                return redirect("assurance:reaudit-draw-check")
    reaudits = list(reaudits_visible_to(user=user).order_by("-draw__quarter", "rank"))
    quarter = request.GET.get("quarter", "")
    if quarter:
        reaudits = [r for r in reaudits if r.draw.quarter == quarter]
    if reaudits:
        record_view(request, action="reaudits.listed", objects=[r.reaudit for r in reaudits])
    draws = list(reaudit_draws()) if can_draw else []
    names = services.area_names(slug for d in draws for slug in d.strata)
    return render(
        request,
        "assurance/reaudit_list.html",
        {
            "form": form if can_draw else None,
            "draws": [
                (d, [(names.get(slug, slug), row) for slug, row in d.strata.items()]) for d in draws
            ],
            "reaudits": reaudits,
            "quarter": quarter,
            # The draws' counts name more re-audits than a reader outside some areas may
            # open: say so, rather than let the list look short.
            "not_listed": (
                ReAudit.objects.filter(draw__quarter=quarter).count()
                if quarter
                else ReAudit.objects.count()
            )
            - len(reaudits)
            if can_draw
            else 0,
        },
        status=400 if form.errors else 200,
    )


@permission_required(Permission.DRAW_REAUDITS)
@require_http_methods(["GET", "POST"])
def reaudit_draw_check(request: HttpRequest) -> HttpResponse:
    """Check your answers: what the draw would give, per service area and per person,
    with due dates; the button draws exactly that, or nothing if the pool has changed."""
    answers = request.session.get(DRAW_SESSION)
    if not answers:
        return redirect("assurance:reaudit-list")
    form = _MessageForm({})
    form.is_valid()
    try:
        plan = _plan_for(answers)
    except ValidationError as error:
        request.session.pop(DRAW_SESSION, None)
        messages.error(request, " ".join(error.messages))
        return redirect("assurance:reaudit-list")
    if request.method == "POST":
        share = answers.get("share_percent")
        try:
            draw = services.reaudit_draw(
                acting_user=_acting(request),
                quarter=answers["quarter"],
                count=answers.get("count"),
                share=share / 100 if share is not None else None,
                capacity=answers["capacity"],
                seed=answers["seed"],
                expected=request.POST.get("fingerprint", ""),
            )
        except ValidationError as error:
            for message in error.messages:
                form.add_error(None, message)
        else:
            request.session.pop(DRAW_SESSION, None)
            drawn = draw.reaudits.count()
            messages.success(
                request,
                f"Re-audit sample of {draw.quarter} drawn: {drawn} "
                f"case{'s' if drawn != 1 else ''}. Each re-auditor has been told.",
            )
            return redirect("assurance:reaudit-quarter", quarter=draw.quarter)
    return render(
        request,
        "assurance/reaudit_draw_check.html",
        {"plan": plan, "answers": answers, "form": form},
        status=400 if form.errors else 200,
    )


@permission_required(Permission.DRAW_REAUDITS)
@require_http_methods(["GET", "POST"])
def reaudit_quarter(request: HttpRequest, quarter: str) -> HttpResponse:
    """A quarter's re-audits: progress by area, outcomes, the comparison pages, and the
    summary to the directors, sent from here as often as the figures are worth it."""
    try:
        first_day, _ = services.quarter_bounds(quarter)
    except ValidationError as error:
        raise Http404 from error
    draw = reaudit_draws().filter(quarter=services.quarter_of(first_day)).first()
    if draw is None:
        raise Http404
    user = _acting(request)
    form = SummarySendForm(request.POST or None, initial={"token": uuid.uuid4()})
    if request.method == "POST" and form.is_valid():
        sent = services.reaudit_summary_send(
            quarter=draw.quarter,
            acting_user=user,
            token=form.cleaned_data["token"],
            occasion=SummaryOccasion.ON_DEMAND,
        )
        if sent:
            messages.success(
                request,
                f"The summary of {draw.quarter} is sent to {sent} "
                f"director{'s' if sent != 1 else ''}, with today’s figures.",
            )
        else:
            messages.success(request, f"The summary of {draw.quarter} was sent already.")
        return redirect("assurance:reaudit-quarter", quarter=draw.quarter)
    reaudits = list(reaudits_visible_to(user=user).filter(draw=draw).order_by("rank", "pk"))
    if reaudits:
        record_view(request, action="reaudits.listed", objects=[r.reaudit for r in reaudits])
    summary = services.reaudit_summary(draw.quarter)
    return render(
        request,
        "assurance/reaudit_quarter.html",
        {
            "draw": draw,
            "summary": summary,
            "areas": services.reaudit_progress_by_area(draw.quarter),
            "reaudits": reaudits,
            "not_listed": summary.drawn - len(reaudits),
            "sends": list(draw.summary_sends.select_related("sent_by")),
            "form": SummarySendForm(initial={"token": uuid.uuid4()}),
            "directors": len(services.directors()),
        },
    )


@permission_required(Permission.OPEN_REAUDITS)
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
    not_listed = _moderations_not_listed(user, listed=len(moderations)) if manager else 0
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
            "not_listed": not_listed,
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


def _moderations_not_listed(user: User, *, listed: int) -> int:
    """Moderations the reader may not open (outside their remit), counted but not listed,
    as the agreement figures count them. One whose first auditor the reader is, still
    blind (`blind_audit_ids`), is not counted: they are not told it exists."""
    drawn = Moderation.objects.exclude(moderation_audit__in=blind_audit_ids(user=user))
    return drawn.count() - listed


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
    # Each audit is a link for a reader who may open it: the same selector as the audit's
    # own page, so the blind rule holds here too.
    sides = [a.pk for a in (first, moderation.moderation_audit) if a is not None]
    openable = set(audits_visible_to(user=user).filter(pk__in=sides).values_list("pk", flat=True))
    return render(
        request,
        "assurance/moderation_detail.html",
        {
            "moderation": moderation,
            "first": first,
            "first_openable": first is not None and first.pk in openable,
            "second_openable": moderation.moderation_audit_id in openable,
            "both": both,
            "rows": rows,
            "agreed_rows": agreed_rows,
            "form": form,
            "is_moderator": moderation.moderator_id == user.pk,
        },
        status=400 if form is not None and form.errors else 200,
    )
