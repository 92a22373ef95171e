"""Administrators keep the audit tools and rating scales. Thin views: check the role,
validate the form, call the service, redirect."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db.models import Count
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from qpa.accounts.models import User
from qpa.accounts.permissions import Permission, acting_user, permission_required
from qpa.core.forms import add_validation_error
from qpa.tools import services
from qpa.tools.forms import (
    CrosswalkForm,
    DomainForm,
    QuestionForm,
    ScaleCreateForm,
    ScaleLinesForm,
    ToolCreateForm,
    ToolEditForm,
)
from qpa.tools.models import AuditTool, Domain, RatingCrosswalk, RatingScale, VoiceQuestion

administrators_only = permission_required(Permission.ADMINISTER)


def _acting(request: HttpRequest) -> User:
    return acting_user(request)


@administrators_only
def tool_list(request: HttpRequest) -> HttpResponse:
    tools = AuditTool.objects.select_related("scale").annotate(version_count=Count("versions"))
    return render(request, "tools/tool_list.html", {"tools": tools})


@administrators_only
def tool_create(request: HttpRequest) -> HttpResponse:
    form = ToolCreateForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        tool = services.tool_create(acting_user=_acting(request), **form.cleaned_data)
        messages.success(request, f"{tool.name} created. Now add its domains.")
        return redirect(tool)
    return render(request, "tools/tool_form.html", {"form": form, "title": "Create an audit tool"})


@administrators_only
def tool_detail(request: HttpRequest, slug: str) -> HttpResponse:
    tool = get_object_or_404(AuditTool.objects.select_related("scale"), slug=slug)
    version = tool.current_version
    return render(
        request,
        "tools/tool_detail.html",
        {
            "tool": tool,
            "version": version,
            "domains": version.domains.prefetch_related("descriptors__rating"),
            "questions": list(version.questions.all()),
            "suggestions_left": _suggestions_left(version.questions.all()),
            "in_use": services.version_in_use(version),
            "versions": tool.versions.annotate(
                audit_count=Count("audits", distinct=True),
                domain_count=Count("domains", distinct=True),
            ),
        },
    )


@administrators_only
def tool_edit(request: HttpRequest, slug: str) -> HttpResponse:
    tool = get_object_or_404(AuditTool, slug=slug)
    initial = {
        "name": tool.name,
        "description": tool.description,
        "is_active": tool.is_active,
        "overall_rating_optional": tool.current_version.overall_rating_optional,
    }
    form = ToolEditForm(request.POST or None, initial=initial, tool=tool)
    if request.method == "POST" and form.is_valid():
        services.tool_update(acting_user=_acting(request), tool=tool, **form.cleaned_data)
        messages.success(request, f"{tool.name} saved.")
        return redirect(tool)
    return render(
        request,
        "tools/tool_form.html",
        {
            "form": form,
            "title": f"Edit {tool.name}",
            "tool": tool,
            "in_use": services.version_in_use(tool.current_version),
        },
    )


def _domain_spec(form: DomainForm) -> services.DomainSpec:
    data = form.cleaned_data
    return services.DomainSpec(
        name=str(data["name"]).strip(),
        prompts=str(data["prompts"]),
        guidance=str(data["guidance"]),
        allows_not_applicable=bool(data["allows_not_applicable"]),
        descriptors=form.descriptors(),
    )


@administrators_only
def domain_add(request: HttpRequest, slug: str) -> HttpResponse:
    tool = get_object_or_404(AuditTool.objects.select_related("scale"), slug=slug)
    form = DomainForm(
        request.POST or None, initial={"allows_not_applicable": True}, scale=tool.scale
    )
    if request.method == "POST" and form.is_valid():
        try:
            version = services.tool_domain_add(
                acting_user=_acting(request), tool=tool, spec=_domain_spec(form)
            )
        except ValidationError as error:
            add_validation_error(form, error)
        else:
            messages.success(request, f"Domain added. The tool is now at version {version.number}.")
            return redirect(tool)
    return render(
        request,
        "tools/domain_form.html",
        {
            "form": form,
            "tool": tool,
            "title": f"Add a domain to {tool.name}",
            "in_use": services.version_in_use(tool.current_version),
        },
    )


def _current_domain(tool: AuditTool, position: int) -> Domain:
    domain = tool.current_version.domains.filter(order=position).first()
    if domain is None:
        raise Http404
    return domain


@administrators_only
def domain_edit(request: HttpRequest, slug: str, position: int) -> HttpResponse:
    tool = get_object_or_404(AuditTool.objects.select_related("scale"), slug=slug)
    domain = _current_domain(tool, position)
    initial: dict[str, object] = {
        "name": domain.name,
        "prompts": domain.prompts,
        "guidance": domain.guidance,
        "allows_not_applicable": domain.allows_not_applicable,
    }
    initial |= {
        f"descriptor_{rank}": text for rank, text in services.domain_descriptors(domain).items()
    }
    form = DomainForm(request.POST or None, initial=initial, scale=tool.scale)
    if request.method == "POST" and form.is_valid():
        try:
            version = services.tool_domain_update(
                acting_user=_acting(request),
                tool=tool,
                position=position,
                spec=_domain_spec(form),
            )
        except ValidationError as error:
            add_validation_error(form, error)
        else:
            messages.success(request, f"Domain saved. The tool is now at version {version.number}.")
            return redirect(tool)
    return render(
        request,
        "tools/domain_form.html",
        {
            "form": form,
            "tool": tool,
            "title": f"Edit {domain.name}",
            "in_use": services.version_in_use(tool.current_version),
        },
    )


@administrators_only
def domain_remove(request: HttpRequest, slug: str, position: int) -> HttpResponse:
    tool = get_object_or_404(AuditTool, slug=slug)
    domain = _current_domain(tool, position)
    if request.method == "POST":
        version = services.tool_domain_remove(
            acting_user=_acting(request), tool=tool, position=position
        )
        messages.success(
            request, f"{domain.name} removed. The tool is now at version {version.number}."
        )
        return redirect(tool)
    return render(
        request,
        "tools/domain_remove.html",
        {"tool": tool, "domain": domain, "in_use": services.version_in_use(tool.current_version)},
    )


@administrators_only
def scale_list(request: HttpRequest) -> HttpResponse:
    scales = RatingScale.objects.prefetch_related("ratings")
    return render(request, "tools/scale_list.html", {"scales": scales})


@administrators_only
def scale_create(request: HttpRequest) -> HttpResponse:
    form = ScaleCreateForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        count = len(data["ratings"])
        try:
            scale = services.scale_create(
                acting_user=_acting(request),
                name=data["name"],
                ratings=data["ratings"],
                good_or_better_rank=data["good_or_better"],
                inadequate_or_worse_rank=count - data["inadequate_or_worse"] + 1,
                description=data["description"],
            )
        except ValidationError as error:
            add_validation_error(form, error)
        else:
            messages.success(request, f"{scale.name} created.")
            return redirect(scale)
    return render(
        request, "tools/scale_form.html", {"form": form, "title": "Create a rating scale"}
    )


@administrators_only
def scale_detail(request: HttpRequest, slug: str) -> HttpResponse:
    scale = get_object_or_404(RatingScale, slug=slug)
    crosswalks = (
        RatingCrosswalk.objects.filter(rating__scale=scale)
        .select_related("rating", "target", "target_scale")
        .order_by("target_scale__name", "rating__rank")
    )
    return render(
        request,
        "tools/scale_detail.html",
        {
            "scale": scale,
            "ratings": scale.ratings.all(),
            "crosswalks": crosswalks,
            "other_scales": RatingScale.objects.exclude(pk=scale.pk),
            "in_use": services.scale_in_use(scale),
        },
    )


@administrators_only
def scale_lines(request: HttpRequest, slug: str) -> HttpResponse:
    scale = get_object_or_404(RatingScale, slug=slug)
    count = scale.ratings.count()
    initial = {
        "good_or_better": scale.good_or_better_rank,
        "inadequate_or_worse": count - scale.inadequate_or_worse_rank + 1,
    }
    form = ScaleLinesForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            services.scale_update_lines(
                acting_user=_acting(request),
                scale=scale,
                good_or_better_rank=form.cleaned_data["good_or_better"],
                inadequate_or_worse_rank=count - form.cleaned_data["inadequate_or_worse"] + 1,
            )
        except ValidationError as error:
            add_validation_error(form, error)
        else:
            messages.success(request, f"The lines of {scale.name} are saved.")
            return redirect(scale)
    return render(
        request,
        "tools/scale_form.html",
        {"form": form, "title": f"Change the lines of {scale.name}", "scale": scale},
    )


@administrators_only
def crosswalk_edit(request: HttpRequest, slug: str, target_slug: str) -> HttpResponse:
    scale = get_object_or_404(RatingScale, slug=slug)
    target = get_object_or_404(RatingScale.objects.exclude(pk=scale.pk), slug=target_slug)
    existing = {
        f"rating_{c.rating.rank}": c.target
        for c in RatingCrosswalk.objects.filter(
            rating__scale=scale, target_scale=target
        ).select_related("rating", "target")
    }
    form = CrosswalkForm(request.POST or None, initial=existing, scale=scale, target=target)
    if request.method == "POST" and form.is_valid():
        mapping = {r: form.cleaned_data[f"rating_{r.rank}"] for r in scale.ratings.all()}
        services.scale_crosswalk_set(
            acting_user=_acting(request), scale=scale, target_scale=target, mapping=mapping
        )
        messages.success(request, f"The crosswalk from {scale.name} to {target.name} is saved.")
        return redirect(scale)
    return render(
        request,
        "tools/scale_form.html",
        {"form": form, "title": f"Crosswalk from {scale.name} to {target.name}", "scale": scale},
    )


# --- The child's voice and the family's view (decision 0125) -------------------------


def _suggestions_left(questions: Any) -> int:
    asked = {q.text.casefold() for q in questions}
    return sum(q.text.casefold() not in asked for q in services.SUGGESTED_QUESTIONS)


def _current_question(tool: AuditTool, position: int) -> VoiceQuestion:
    question = tool.current_version.questions.filter(order=position).first()
    if question is None:
        raise Http404
    return question


def _question_page(
    request: HttpRequest, tool: AuditTool, form: QuestionForm, title: str
) -> HttpResponse:
    return render(
        request,
        "tools/question_form.html",
        {
            "form": form,
            "tool": tool,
            "title": title,
            "in_use": services.version_in_use(tool.current_version),
        },
        status=400 if form.errors else 200,
    )


@administrators_only
def question_add(request: HttpRequest, slug: str) -> HttpResponse:
    tool = get_object_or_404(AuditTool, slug=slug)
    form = QuestionForm(request.POST or None, initial={"text_asked": "never"})
    if request.method == "POST" and form.is_valid():
        try:
            version = services.tool_question_add(
                acting_user=_acting(request), tool=tool, spec=form.spec()
            )
        except ValidationError as error:
            add_validation_error(form, error)
        else:
            messages.success(
                request, f"Question added. The tool is now at version {version.number}."
            )
            return redirect(tool)
    return _question_page(request, tool, form, f"Add a question to {tool.name}")


@administrators_only
def question_edit(request: HttpRequest, slug: str, position: int) -> HttpResponse:
    tool = get_object_or_404(AuditTool, slug=slug)
    question = _current_question(tool, position)
    initial = {
        "text": question.text,
        "hint": question.hint,
        "about": question.about,
        "allows_not_applicable": question.allows_not_applicable,
        "text_asked": question.text_asked,
        "text_label": question.text_label,
    }
    form = QuestionForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            version = services.tool_question_update(
                acting_user=_acting(request), tool=tool, position=position, spec=form.spec()
            )
        except ValidationError as error:
            add_validation_error(form, error)
        else:
            messages.success(
                request, f"Question saved. The tool is now at version {version.number}."
            )
            return redirect(tool)
    return _question_page(request, tool, form, "Change the question")


@administrators_only
def question_remove(request: HttpRequest, slug: str, position: int) -> HttpResponse:
    tool = get_object_or_404(AuditTool, slug=slug)
    question = _current_question(tool, position)
    if request.method == "POST":
        version = services.tool_question_remove(
            acting_user=_acting(request), tool=tool, position=position
        )
        messages.success(request, f"Question removed. The tool is now at version {version.number}.")
        return redirect(tool)
    return render(
        request,
        "tools/question_remove.html",
        {
            "tool": tool,
            "question": question,
            "in_use": services.version_in_use(tool.current_version),
        },
    )


@administrators_only
@require_POST
def questions_suggest(request: HttpRequest, slug: str) -> HttpResponse:
    """Add QPA's suggested questions the tool does not ask yet."""
    tool = get_object_or_404(AuditTool, slug=slug)
    try:
        version = services.tool_questions_suggest(acting_user=_acting(request), tool=tool)
    except ValidationError:
        messages.success(request, "Nothing to add: the tool already asks every suggested question.")
    else:
        messages.success(
            request,
            f"The suggested questions are added. The tool is now at version {version.number}.",
        )
    return redirect(tool)
