"""Cycle pages. Thin views: check the role, validate the form, call the service, redirect.
Every list of cases starts from qpa.cycles.selectors."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Any, cast
from uuid import UUID

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_http_methods

from qpa.accounts.models import User
from qpa.accounts.permissions import Permission, acting_user, permission_required, user_can
from qpa.audits.models import Audit
from qpa.core.events import record_view
from qpa.core.forms import GovukForm, add_validation_error
from qpa.core.wording import plural
from qpa.cycles import exports, services
from qpa.cycles import forms as cycle_forms
from qpa.cycles.models import (
    AllocationStatus,
    ChangeKind,
    Cycle,
    CycleChange,
    CycleKind,
    CycleStatus,
    SampledCase,
    SamplingPlan,
)
from qpa.cycles.population import describe_population, population_size
from qpa.cycles.sampling import EXCLUDED_RECENTLY_AUDITED, EXCLUSION_LABELS, EXCLUSION_RULES
from qpa.cycles.selectors import (
    allocation_progress,
    allocations_visible_to,
    counts_per_area,
    counts_per_auditor,
    cycle_progress,
    cycles_progress,
    cycles_visible_to,
    my_allocations,
    sampled_cases_visible_to,
)
from qpa.tools.models import AuditTool

cycle_managers = permission_required(Permission.MANAGE_CYCLES)
allocation_holders = permission_required(Permission.HOLD_ALLOCATIONS)
administrators_only = permission_required(Permission.ADMINISTER)

SESSION_KEY = "cycles:new-cycle"


def _acting(request: HttpRequest) -> User:
    return acting_user(request)


def _cycle(request: HttpRequest, cycle_id: UUID) -> Cycle:
    return get_object_or_404(cycles_visible_to(user=request.user), public_id=cycle_id)


# Lists and plans ----------------------------------------------------------------------


@cycle_managers
@require_http_methods(["GET"])
def cycle_list(request: HttpRequest) -> HttpResponse:
    cycles = list(cycles_visible_to(user=request.user))
    progress = cycles_progress(cycles)
    return render(
        request,
        "cycles/cycle_list.html",
        {"rows": [progress[c.pk] for c in cycles], "plans": SamplingPlan.objects.all()},
    )


@cycle_managers
@require_http_methods(["GET"])
def plan_detail(request: HttpRequest, plan_id: UUID) -> HttpResponse:
    plan = get_object_or_404(SamplingPlan, public_id=plan_id)
    return render(
        request,
        "cycles/plan_detail.html",
        {"plan": plan, "quotas": plan.quotas.select_related("service_area")},
    )


@cycle_managers
@require_http_methods(["GET", "POST"])
def plan_create(request: HttpRequest) -> HttpResponse:
    form = cycle_forms.PlanForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            plan = services.plan_create(
                acting_user=_acting(request),
                name=data["name"],
                method=data["method"],
                quotas=form.quotas(),
                total=data.get("total"),
                minimum_per_area=data.get("minimum_per_area") or 0,
                exclude_audited_within_months=data["exclude_audited_within_months"],
            )
        except ValidationError as error:
            add_validation_error(form, error)
        else:
            messages.success(request, f"The sampling plan {plan.name} is saved.")
            return redirect(plan)
    return render(
        request,
        "cycles/plan_form.html",
        {
            "form": form,
            "title": "Create a sampling plan",
            "caption": "Audit cycles",
            "back": reverse("cycles:cycle-list"),
            "button": "Save the plan",
        },
    )


# Creating a cycle: one question per page, answers kept in the session -----------------


@cycle_managers
@require_http_methods(["GET"])
def cycle_create_start(request: HttpRequest) -> HttpResponse:
    request.session[SESSION_KEY] = {}
    return redirect("cycles:cycle-create-step", step="kind")


def _steps(answers: dict[str, Any]) -> list[str]:
    middle = ["month"] if answers.get("kind") == CycleKind.MONTHLY else ["theme"]
    themed = answers.get("kind") == CycleKind.THEMED
    # A themed cycle without a plan says how many of its population's cases to draw.
    no_plan = themed and answers.get("plan") == cycle_forms.NO_PLAN
    return [
        "kind",
        *middle,
        "tool",
        *(["population"] if themed else []),
        "plan",
        *(["size"] if no_plan else []),
        "auditors",
        "capacity",
        "due-date",
    ]


def _answered(answers: dict[str, Any], step: str) -> bool:
    return step.replace("-", "_") in answers


def _candidates() -> Any:
    return services.auditor_candidates().order_by("last_name", "first_name", "username")


def _chosen_auditors(answers: dict[str, Any]) -> list[User]:
    names = answers.get("auditors", [])
    return list(_candidates().filter(username__in=names))


def _step_form(step: str, answers: dict[str, Any], data: Any) -> GovukForm:
    stored = answers.get(step.replace("-", "_"))
    builders: dict[str, Callable[[], GovukForm]] = {
        "kind": lambda: cycle_forms.KindForm(data, initial={"kind": stored}),
        "month": lambda: cycle_forms.MonthForm(
            data, initial={"month": date.fromisoformat(stored) if stored else None}
        ),
        "theme": lambda: cycle_forms.ThemeForm(data, initial={"theme": stored}),
        "tool": lambda: cycle_forms.ToolForm(data, initial={"tool": stored}),
        "population": lambda: cycle_forms.PopulationForm(data, initial=stored or {}),
        "plan": lambda: cycle_forms.PlanChoiceForm(
            data, initial={"plan": stored}, themed=answers.get("kind") == CycleKind.THEMED
        ),
        "size": lambda: cycle_forms.SampleSizeForm(
            data,
            initial={"size": stored},
            population=population_size(answers.get("population", {}), timezone.localdate()),
        ),
        "auditors": lambda: cycle_forms.AuditorsForm(
            data, initial={"auditors": stored or []}, candidates=_candidates()
        ),
        "capacity": lambda: cycle_forms.CapacityForm(
            data,
            initial={f"capacity_{k}": v for k, v in (stored or {}).items()},
            auditors=_chosen_auditors(answers),
        ),
        "due-date": lambda: cycle_forms.DueDateForm(
            data,
            initial={"due_date": date.fromisoformat(stored).strftime("%d/%m/%Y") if stored else ""},
        ),
    }
    return builders[step]()


def _answer_from(step: str, form: GovukForm) -> Any:
    data = form.cleaned_data
    if step == "tool":
        return data["tool"].slug
    if step == "plan":
        return cast(cycle_forms.PlanChoiceForm, form).answer()
    if step == "auditors":
        return [u.username for u in data["auditors"]]
    if step == "population":
        return cast(cycle_forms.PopulationForm, form).population_filter
    if step == "capacity":
        return {k.removeprefix("capacity_"): v for k, v in data.items()}
    return data[step.replace("-", "_")]


QUESTIONS = {
    "kind": "What kind of cycle is this?",
    "month": "Which month is the cycle for?",
    "theme": "What is the theme of the audit?",
    "tool": "Which audit tool will auditors use?",
    "population": "Which cases does the theme look at?",
    "plan": "Which sampling plan should the draw follow?",
    "size": "How many cases should the draw take?",
    "auditors": "Who will audit the cases?",
    "capacity": "How many cases can each auditor take?",
    "due-date": "When are the audits due?",
}


@cycle_managers
@require_http_methods(["GET", "POST"])
def cycle_create_step(request: HttpRequest, step: str) -> HttpResponse:
    answers: dict[str, Any] = dict(request.session.get(SESSION_KEY, {}))
    steps = _steps(answers)
    if step not in steps:
        raise Http404
    index = steps.index(step)
    for earlier in steps[:index]:
        if not _answered(answers, earlier):
            return redirect("cycles:cycle-create-step", step=earlier)
    changing = request.GET.get("change") == "1"
    form = _step_form(step, answers, request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        answers[step.replace("-", "_")] = _answer_from(step, form)
        if step == "kind":
            # Another kind asks other questions: forget the answers it does not ask.
            wanted = {s.replace("-", "_") for s in _steps(answers)}
            answers = {k: v for k, v in answers.items() if k in wanted}
        if step == "auditors":
            chosen = set(answers["auditors"])
            capacity = {k: v for k, v in answers.get("capacity", {}).items() if k in chosen}
            if set(capacity) == chosen:
                answers["capacity"] = capacity
            else:
                answers.pop("capacity", None)
        request.session[SESSION_KEY] = answers
        return redirect(_after(answers, step, changing))
    back = (
        reverse("cycles:cycle-create-check")
        if changing
        else reverse("cycles:cycle-create-step", kwargs={"step": steps[index - 1]})
        if index
        else reverse("cycles:cycle-list")
    )
    return render(
        request,
        "cycles/question.html",
        {
            "form": form,
            "title": QUESTIONS[step],
            "step": step,
            "back": back,
            "number": index + 1,
            "of": len(steps) + 1,
        },
    )


def _after(answers: dict[str, Any], step: str, changing: bool) -> str:
    """The next question; when changing an answer, the next one still unanswered, or
    back to "Check your answers"."""
    steps = _steps(answers)
    later = steps[steps.index(step) + 1 :]
    if changing:
        missing = [s for s in later if not _answered(answers, s)]
        if not missing:
            return reverse("cycles:cycle-create-check")
        return reverse("cycles:cycle-create-step", kwargs={"step": missing[0]}) + "?change=1"
    if not later:
        return reverse("cycles:cycle-create-check")
    return reverse("cycles:cycle-create-step", kwargs={"step": later[0]})


class _CheckForm(GovukForm):
    """No fields: carries a service's refusal to the error summary."""


def _message_form() -> _CheckForm:
    form = _CheckForm({})
    form.is_valid()
    return form


def _resolved(answers: dict[str, Any]) -> dict[str, Any] | None:
    """The stored answers as objects, or None if any is missing or no longer valid."""
    if any(not _answered(answers, s) for s in _steps(answers)):
        return None
    tool = AuditTool.objects.filter(slug=answers["tool"]).first()
    no_plan = answers["plan"] == cycle_forms.NO_PLAN
    plan = None if no_plan else SamplingPlan.objects.filter(public_id=answers["plan"]).first()
    people = {u.username: u for u in _chosen_auditors(answers)}
    if tool is None or (plan is None and not no_plan):
        return None
    return {
        "kind": answers["kind"],
        "month": date.fromisoformat(answers["month"]) if "month" in answers else None,
        "theme": answers.get("theme", ""),
        "tool": tool,
        "plan": plan,
        "population_filter": answers.get("population", {}),
        "sample_size": answers.get("size") if no_plan else None,
        "auditors": {people[n]: c for n, c in answers["capacity"].items() if n in people},
        "due_date": date.fromisoformat(answers["due_date"]),
    }


@cycle_managers
@require_http_methods(["GET", "POST"])
def cycle_create_check(request: HttpRequest) -> HttpResponse:
    answers: dict[str, Any] = dict(request.session.get(SESSION_KEY, {}))
    resolved = _resolved(answers)
    if resolved is None:
        first_missing = next((s for s in _steps(answers) if not _answered(answers, s)), "kind")
        return redirect("cycles:cycle-create-step", step=first_missing)
    form = _message_form()
    if request.method == "POST":
        try:
            cycle = services.cycle_create(acting_user=_acting(request), **resolved)
        except ValidationError as error:
            for message in error.messages:
                form.add_error(None, message)
        else:
            request.session.pop(SESSION_KEY, None)
            messages.success(request, f"{cycle.name} created. Its sample can now be drawn.")
            return redirect(cycle)
    total_capacity = sum(resolved["auditors"].values())
    return render(
        request,
        "cycles/check_answers.html",
        {
            "form": form,
            "answers": resolved,
            "population": describe_population(resolved["population_filter"]),
            "population_size": population_size(resolved["population_filter"], timezone.localdate())
            if resolved["kind"] == CycleKind.THEMED
            else None,
            "total_capacity": total_capacity,
            "plan_size": _plan_size(resolved["plan"])
            if resolved["plan"] is not None
            else resolved["sample_size"],
        },
    )


def _plan_size(plan: SamplingPlan) -> int | None:
    if plan.total:
        return plan.total
    return sum(q.count for q in plan.quotas.all()) or None


# One cycle ---------------------------------------------------------------------------


@cycle_managers
@require_http_methods(["GET"])
def cycle_detail(request: HttpRequest, cycle_id: UUID) -> HttpResponse:
    cycle = _cycle(request, cycle_id)
    return render(
        request,
        "cycles/cycle_detail.html",
        {
            "cycle": cycle,
            "progress": cycle_progress(cycle),
            "auditors": counts_per_auditor(cycle),
            "population": describe_population(cycle.population_filter),
            # A themed cycle shows how many cases its population holds before the draw.
            "population_size": population_size(cycle.population_filter, timezone.localdate())
            if cycle.kind == CycleKind.THEMED and cycle.status == CycleStatus.DRAFT
            else None,
            "is_admin": user_can(request.user, Permission.ADMINISTER),
        },
    )


@cycle_managers
@require_http_methods(["GET", "POST"])
def cycle_draw(request: HttpRequest, cycle_id: UUID) -> HttpResponse:
    cycle = _cycle(request, cycle_id)
    form = _message_form()
    if cycle.status != CycleStatus.DRAFT:
        messages.success(request, "The sample of this cycle is already drawn.")
        return redirect("cycles:cycle-report", cycle_id=cycle.public_id)
    if request.method == "POST":
        try:
            services.sample_draw(acting_user=_acting(request), cycle=cycle)
        except ValidationError as error:
            add_validation_error(form, error)
        else:
            messages.success(request, "The sample is drawn. Check it, then allocate it.")
            return redirect("cycles:cycle-report", cycle_id=cycle.public_id)
    # What the draw would find now: the population of each area before anything is drawn.
    preview = services.sample_draw_preview(cycle)
    return render(
        request,
        "cycles/cycle_draw.html",
        {
            "cycle": cycle,
            "form": form,
            "preview": preview,
            "rules": _exclusion_labels(cycle),
            "preview_totals": {
                "population": sum(p.population for p in preview),
                "excluded": [
                    sum(p.excluded[i] for p in preview) for i in range(len(EXCLUSION_RULES))
                ],
                "frame": sum(p.frame for p in preview),
                "to_draw": sum(p.to_draw for p in preview),
            },
        },
    )


def _exclusion_labels(cycle: Cycle) -> list[str]:
    months = cycle.plan.exclude_audited_within_months if cycle.plan else 0
    return [
        "Audited recently: no such rule in this cycle"
        if r == EXCLUDED_RECENTLY_AUDITED and months == 0
        else EXCLUSION_LABELS[r].format(months=months)
        for r in EXCLUSION_RULES
    ]


@cycle_managers
@require_http_methods(["GET"])
def cycle_report(request: HttpRequest, cycle_id: UUID) -> HttpResponse:
    cycle = _cycle(request, cycle_id)
    if cycle.status == CycleStatus.DRAFT:
        return redirect(cycle)
    strata = counts_per_area(cycle)
    rules = _exclusion_labels(cycle)
    rows = [
        {
            "stratum": s,
            "excluded": [s.excluded.get(r, 0) for r in EXCLUSION_RULES],
        }
        for s in strata
    ]
    totals = {
        "population": sum(s.population for s in strata),
        "excluded": [sum(s.excluded.get(r, 0) for s in strata) for r in EXCLUSION_RULES],
        "frame": sum(s.frame_size for s in strata),
        "quota": sum(s.quota for s in strata),
        "drawn": sum(s.drawn for s in strata),
        "in_sample": sum(getattr(s, "in_sample", 0) for s in strata),
    }
    changes = list(
        cycle.changes.select_related(
            "actor",
            "sampled_case__case",
            "sampled_case__stratum__service_area",
            "replacement__case",
            "from_auditor",
            "to_auditor",
        )
    )
    linked = [s for c in changes for s in (c.sampled_case, c.replacement) if s is not None]
    openable = _openable(request, linked)
    change_rows = [_change_row(change, openable) for change in changes]
    hand_picked = list(
        sampled_cases_visible_to(user=request.user).filter(cycle=cycle, how_chosen="hand_picked")
    )
    shown = hand_picked + [s for s in linked if s.pk in openable]
    if shown:
        record_view(request, action="cycle.report_viewed", objects=shown)
    return render(
        request,
        "cycles/cycle_report.html",
        {
            "cycle": cycle,
            "rules": rules,
            "rows": rows,
            "totals": totals,
            "changes": change_rows,
            "hand_picked_count": cycle.sampled_cases.filter(how_chosen="hand_picked").count(),
        },
    )


def _change_row(change: CycleChange, openable: set[int]) -> dict[str, Any]:
    """A change of the log as the reader may see it: a change to a case they may not open
    names no child and shows no reason (typed text about the case)."""
    cases = [s for s in (change.sampled_case, change.replacement) if s is not None]
    if all(s.pk in openable for s in cases):
        return {"change": change, "summary": change.summary, "reason": change.reason}
    area = change.sampled_case.stratum.service_area.name if change.sampled_case else ""
    summary = {
        ChangeKind.REPLACEMENT: f"A case of {area} replaced by another drawn at random",
        ChangeKind.REALLOCATION: (
            f"A case reallocated from {change.from_auditor} to {change.to_auditor}"
        ),
        ChangeKind.HAND_PICK: f"A case of {area} hand-picked",
    }.get(ChangeKind(change.kind), change.get_kind_display())
    return {"change": change, "summary": summary, "reason": None}


@cycle_managers
@require_http_methods(["GET"])
def cycle_sample(request: HttpRequest, cycle_id: UUID) -> HttpResponse:
    cycle = _cycle(request, cycle_id)
    if cycle.status == CycleStatus.DRAFT:
        return redirect(cycle)
    sampled = _current_sample(request, cycle)
    replaced = list(
        sampled_cases_visible_to(user=request.user).filter(cycle=cycle, replaced_by__isnull=False)
    )
    if sampled or replaced:
        record_view(request, action="cycle.sample_viewed", objects=sampled + replaced)
    # Cases outside the reader's remit are counted per area and auditor, never listed.
    in_sample = cycle.sampled_cases.filter(replaced_by__isnull=True).count()
    today = timezone.localdate()
    return render(
        request,
        "cycles/cycle_sample.html",
        {
            "cycle": cycle,
            "sampled": [(s, allocation_progress(_allocation_of(s), today=today)) for s in sampled],
            "lists_cases": user_can(request.user, Permission.OPEN_CASES),
            "not_listed": in_sample - len(sampled),
            "areas": counts_per_area(cycle),
            "auditors": counts_per_auditor(cycle),
            "replaced": replaced,
            "openable": _openable(request, [s.replaced_by for s in replaced if s.replaced_by]),
        },
    )


def _current_sample(request: HttpRequest, cycle: Cycle) -> list[SampledCase]:
    """The cycle's current sample as far as the reader may open its cases."""
    return list(
        sampled_cases_visible_to(user=request.user)
        .filter(cycle=cycle, replaced_by__isnull=True)
        .select_related("allocation__auditor", "allocation__audit")
        .order_by("stratum__service_area__order", "rank", "created_at")
    )


def _allocation_of(sampled: SampledCase) -> Any:
    return getattr(sampled, "allocation", None)


def _download(content: str | bytes, content_type: str, name: str) -> HttpResponse:
    response = HttpResponse(content, content_type=content_type)
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


def _file_stem(cycle: Cycle, what: str) -> str:
    when = f"{cycle.month:%Y-%m}" if cycle.month else f"themed-{cycle.created_at:%Y-%m-%d}"
    return f"qpa-cycle-{cycle.tool.slug}-{when}-{what}"


@cycle_managers
@require_http_methods(["GET"])
def cycle_sample_csv(request: HttpRequest, cycle_id: UUID) -> HttpResponse:
    """The sample and its allocations, one row per case the reader may open; counts per
    area and auditor for a reader who may open no case (decision 0109)."""
    cycle = _cycle(request, cycle_id)
    if cycle.status == CycleStatus.DRAFT:
        raise Http404
    today = timezone.localdate()
    if not user_can(request.user, Permission.OPEN_CASES):
        text = exports.progress_csv(cycle_progress(cycle, today=today))
        return _download(text, "text/csv; charset=utf-8", _file_stem(cycle, "progress") + ".csv")
    sampled = _current_sample(request, cycle)
    if sampled:
        record_view(request, action="cycle.sample_exported", objects=sampled)
    text = exports.sample_csv(sampled, today=today)
    return _download(text, "text/csv; charset=utf-8", _file_stem(cycle, "sample") + ".csv")


@cycle_managers
@require_http_methods(["GET"])
def cycle_sample_xlsx(request: HttpRequest, cycle_id: UUID) -> HttpResponse:
    cycle = _cycle(request, cycle_id)
    if cycle.status == CycleStatus.DRAFT:
        raise Http404
    today = timezone.localdate()
    sampled: list[SampledCase] | None = None
    not_listed = 0
    if user_can(request.user, Permission.OPEN_CASES):
        sampled = _current_sample(request, cycle)
        if sampled:
            record_view(request, action="cycle.sample_exported", objects=sampled)
        not_listed = cycle.sampled_cases.filter(replaced_by__isnull=True).count() - len(sampled)
    content = exports.sample_workbook(
        cycle,
        cycle_progress(cycle, today=today),
        sampled=sampled,
        not_listed=not_listed,
        today=today,
    )
    what = "sample" if sampled is not None else "progress"
    return _download(
        content,
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        _file_stem(cycle, what) + ".xlsx",
    )


def _openable(request: HttpRequest, sampled: list[SampledCase]) -> set[int]:
    """The ids of these sampled cases whose case the reader may open."""
    return set(
        sampled_cases_visible_to(user=request.user)
        .filter(pk__in=[s.pk for s in sampled])
        .values_list("pk", flat=True)
    )


@cycle_managers
@require_http_methods(["GET", "POST"])
def cycle_allocate(request: HttpRequest, cycle_id: UUID) -> HttpResponse:
    cycle = _cycle(request, cycle_id)
    form = _message_form()
    if cycle.status == CycleStatus.DRAFT:
        return redirect("cycles:cycle-draw", cycle_id=cycle.public_id)
    if cycle.status == CycleStatus.ALLOCATED:
        return redirect("cycles:cycle-sample", cycle_id=cycle.public_id)
    if request.method == "POST":
        try:
            created = services.allocation_create(acting_user=_acting(request), cycle=cycle)
        except ValidationError as error:
            add_validation_error(form, error)
        else:
            messages.success(request, f"{plural(len(created), 'case')} allocated to auditors.")
            return redirect("cycles:cycle-sample", cycle_id=cycle.public_id)
    return render(
        request,
        "cycles/cycle_allocate.html",
        {
            "cycle": cycle,
            "form": form,
            "auditors": counts_per_auditor(cycle),
            "sample_size": cycle.sampled_cases.filter(replaced_by__isnull=True).count(),
        },
    )


def _sampled(request: HttpRequest, sampled_id: UUID) -> SampledCase:
    sampled = get_object_or_404(
        sampled_cases_visible_to(user=request.user).filter(replaced_by__isnull=True),
        public_id=sampled_id,
    )
    record_view(request, action="cycle.sampled_case_viewed", objects=[sampled])
    return sampled


@cycle_managers
@require_http_methods(["GET", "POST"])
def sample_replace(request: HttpRequest, sampled_id: UUID) -> HttpResponse:
    sampled = _sampled(request, sampled_id)
    form = cycle_forms.ReasonForm(request.POST or None)
    confirming = request.POST.get("confirm") == "yes"
    if request.method == "POST" and form.is_valid():
        if not confirming:
            return render(
                request,
                "cycles/replace_confirm.html",
                {"sampled": sampled, "reason": form.cleaned_data["reason"]},
            )
        try:
            replacement = services.sample_replace(
                acting_user=_acting(request),
                sampled_case=sampled,
                reason=form.cleaned_data["reason"],
            )
        except ValidationError as error:
            add_validation_error(form, error)
        else:
            messages.success(
                request, f"{sampled.case} is replaced by {replacement.case}, drawn at random."
            )
            return redirect("cycles:cycle-sample", cycle_id=sampled.cycle.public_id)
    return render(
        request,
        "cycles/replace_form.html",
        {
            "sampled": sampled,
            "form": form,
            "title": f"Replace case {sampled.case}",
            "caption": sampled.cycle.name,
            "back": reverse("cycles:cycle-sample", kwargs={"cycle_id": sampled.cycle.public_id}),
            "button": "Continue",
        },
    )


@cycle_managers
@require_http_methods(["GET", "POST"])
def allocation_reassign(request: HttpRequest, allocation_id: UUID) -> HttpResponse:
    allocation = get_object_or_404(
        allocations_visible_to(user=request.user).filter(status=AllocationStatus.ALLOCATED),
        public_id=allocation_id,
    )
    record_view(request, action="cycle.allocation_viewed", objects=[allocation])
    candidates = services.reallocation_candidates(allocation)
    form = cycle_forms.ReallocateForm(request.POST or None, candidates=candidates)
    if request.method == "POST" and form.is_valid():
        try:
            services.allocation_reassign(
                acting_user=_acting(request),
                allocation=allocation,
                auditor=form.cleaned_data["auditor"],
                reason=form.cleaned_data["reason"],
            )
        except ValidationError as error:
            add_validation_error(form, error)
        else:
            messages.success(
                request,
                f"{allocation.sampled_case.case} is reallocated to {form.cleaned_data['auditor']}.",
            )
            return redirect("cycles:cycle-sample", cycle_id=allocation.sampled_case.cycle.public_id)
    return render(
        request,
        "cycles/reallocate_form.html",
        {
            "allocation": allocation,
            "form": form,
            "candidates": candidates,
            "title": f"Reallocate case {allocation.sampled_case.case}",
            "caption": allocation.sampled_case.cycle.name,
            "back": reverse(
                "cycles:cycle-sample", kwargs={"cycle_id": allocation.sampled_case.cycle.public_id}
            ),
            "button": "Reallocate the case",
        },
    )


@administrators_only
@require_http_methods(["GET", "POST"])
def cycle_hand_picking(request: HttpRequest, cycle_id: UUID) -> HttpResponse:
    cycle = _cycle(request, cycle_id)
    form = cycle_forms.HandPickingForm(
        request.POST or None, initial={"allowed": "yes" if cycle.hand_picking_allowed else "no"}
    )
    if request.method == "POST" and form.is_valid():
        allowed = form.cleaned_data["allowed"] == "yes"
        services.cycle_hand_picking_set(
            acting_user=_acting(request),
            cycle=cycle,
            allowed=allowed,
            reason=form.cleaned_data["reason"],
        )
        messages.success(request, f"Hand-picking is {'on' if allowed else 'off'} for this cycle.")
        return redirect(cycle)
    return render(
        request,
        "cycles/hand_picking_form.html",
        {
            "cycle": cycle,
            "form": form,
            "title": "Hand-picking in this cycle",
            "caption": cycle.name,
            "back": cycle.get_absolute_url(),
            "button": "Save",
        },
    )


@cycle_managers
@require_http_methods(["GET", "POST"])
def sample_hand_pick(request: HttpRequest, cycle_id: UUID) -> HttpResponse:
    cycle = _cycle(request, cycle_id)
    if not cycle.hand_picking_allowed or cycle.status == CycleStatus.DRAFT:
        raise Http404
    form = cycle_forms.HandPickForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            picked = services.sample_hand_pick(
                acting_user=_acting(request),
                cycle=cycle,
                child_id=form.cleaned_data["child_id"],
                reason=form.cleaned_data["reason"],
            )
        except ValidationError as error:
            add_validation_error(form, error)
        else:
            messages.success(request, f"{picked.case} is added to the sample as a hand-pick.")
            return redirect("cycles:cycle-sample", cycle_id=cycle.public_id)
    return render(
        request,
        "cycles/hand_pick_form.html",
        {
            "cycle": cycle,
            "form": form,
            "title": "Add a hand-picked case",
            "caption": cycle.name,
            "back": reverse("cycles:cycle-sample", kwargs={"cycle_id": cycle.public_id}),
            "button": "Add the case",
        },
    )


# Auditors ----------------------------------------------------------------------------


@allocation_holders
@require_http_methods(["GET"])
def my_allocation_list(request: HttpRequest) -> HttpResponse:
    allocations = list(my_allocations(user=request.user))
    if allocations:
        record_view(request, action="allocations.listed", objects=allocations)
    return render(request, "cycles/my_allocations.html", {"allocations": allocations})


@allocation_holders
def allocation_audit_start(request: HttpRequest, allocation_id: UUID) -> HttpResponse:
    allocation = my_allocations(user=request.user).filter(public_id=allocation_id).first()
    if allocation is None:
        raise Http404
    existing = Audit.objects.filter(allocation=allocation).first()
    if existing is not None:
        if existing.is_draft:
            return redirect("audits:audit-tasks", public_id=existing.public_id)
        return redirect(existing)
    if request.method == "POST":
        try:
            audit = services.allocation_audit_start(
                acting_user=acting_user(request), allocation=allocation
            )
        except ValidationError as error:
            return render(
                request,
                "audits/rejected.html",
                {"message": " ".join(error.messages)},
                status=409,
            )
        return redirect("audits:audit-tasks", public_id=audit.public_id)
    record_view(request, action="allocation.viewed", objects=[allocation])
    return render(request, "cycles/allocation_start.html", {"allocation": allocation})
