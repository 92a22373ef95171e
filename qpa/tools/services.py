"""Writes to scales and tools. A tool that audits already use is never edited in place:
the change lands on a new version and old audits stay on theirs. Domains, their grading
descriptors, the questions about the child's voice and the family's view, and whether the
overall rating is optional all belong to the version."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.text import slugify

from qpa.accounts.models import User
from qpa.tools.models import (
    AuditTool,
    Domain,
    QuestionAbout,
    Rating,
    RatingCrosswalk,
    RatingDescriptor,
    RatingScale,
    TextAsked,
    ToolVersion,
    VoiceQuestion,
)


@dataclass(frozen=True)
class DomainSpec:
    name: str
    prompts: str = ""
    guidance: str = ""
    allows_not_applicable: bool = True
    # {rating rank: what that rating looks like in this domain}; a blank text has none.
    descriptors: Mapping[int, str] = field(default_factory=dict)


# The longest grading descriptor: a short paragraph, read beside a radio button.
MAX_DESCRIPTOR = 1_000
# Words the tool and scale URLs use for their own pages.
RESERVED_SLUGS = {"new", "scales"}


def _unique_slug(model: type[AuditTool] | type[RatingScale], name: str) -> str:
    base = slugify(name)[:70] or "item"
    if base in RESERVED_SLUGS:
        base = f"{base}-1"
    slug, n = base, 2
    while model.objects.filter(slug=slug).exists():
        slug, n = f"{base}-{n}", n + 1
    return slug


def version_in_use(version: ToolVersion) -> bool:
    return version.audits.exists()


def scale_in_use(scale: RatingScale) -> bool:
    return ToolVersion.objects.filter(tool__scale=scale, audits__isnull=False).exists()


@transaction.atomic
def tool_create(
    *,
    acting_user: User | None,
    name: str,
    kind: str,
    scale: RatingScale,
    description: str = "",
    domains: list[DomainSpec] | None = None,
    overall_rating_optional: bool = False,
) -> AuditTool:
    tool = AuditTool.objects.create(
        slug=_unique_slug(AuditTool, name),
        name=name,
        kind=kind,
        scale=scale,
        description=description,
        created_by=acting_user,
        updated_by=acting_user,
    )
    version = ToolVersion.objects.create(
        tool=tool,
        number=1,
        change_note="First version",
        overall_rating_optional=overall_rating_optional,
        created_by=acting_user,
    )
    for order, spec in enumerate(domains or [], start=1):
        domain = Domain.objects.create(
            version=version,
            order=order,
            name=spec.name,
            prompts=spec.prompts,
            guidance=spec.guidance,
            allows_not_applicable=spec.allows_not_applicable,
        )
        _set_descriptors(domain, spec.descriptors)
    return tool


@transaction.atomic
def tool_update(
    *,
    acting_user: User | None,
    tool: AuditTool,
    name: str,
    description: str,
    is_active: bool,
    overall_rating_optional: bool | None = None,
) -> AuditTool:
    """Name, description and availability change in place (audits do not depend on them);
    whether the overall rating is optional belongs to the version, so changing it on a
    version in use creates a new one."""
    tool.name = name
    tool.description = description
    tool.is_active = is_active
    tool.updated_by = acting_user
    tool.save(update_fields=["name", "description", "is_active", "updated_by", "updated_at"])
    if (
        overall_rating_optional is not None
        and overall_rating_optional != tool.current_version.overall_rating_optional
    ):
        note = (
            "Overall rating made optional"
            if overall_rating_optional
            else "Overall rating made required"
        )
        version = _editable_version(acting_user=acting_user, tool=tool, note=note)
        version.overall_rating_optional = overall_rating_optional
        version.save(update_fields=["overall_rating_optional", "updated_at"])
    return tool


def _set_descriptors(domain: Domain, descriptors: Mapping[int, str]) -> None:
    """Replace the domain's descriptors: one per rating of the tool's scale, by rank."""
    ratings = {r.rank: r for r in domain.version.tool.scale.ratings.all()}
    texts = {rank: (text or "").strip() for rank, text in descriptors.items()}
    for rank, text in texts.items():
        if rank not in ratings:
            raise ValidationError(f"The scale of {domain.version.tool} has no rating {rank}.")
        if len(text) > MAX_DESCRIPTOR:
            raise ValidationError(
                {
                    f"descriptor_{rank}": f"Keep the descriptor of {ratings[rank].label} to "
                    f"{MAX_DESCRIPTOR:,} characters or fewer."
                }
            )
    domain.descriptors.all().delete()
    RatingDescriptor.objects.bulk_create(
        RatingDescriptor(domain=domain, rating=ratings[rank], text=text)
        for rank, text in sorted(texts.items())
        if text
    )


def domain_descriptors(domain: Domain) -> dict[int, str]:
    """{rating rank: descriptor} of one domain."""
    return {d.rating.rank: d.text for d in domain.descriptors.select_related("rating")}


def _editable_version(*, acting_user: User | None, tool: AuditTool, note: str) -> ToolVersion:
    """The current version if no audit uses it, else a fresh copy that becomes current."""
    current = AuditTool.objects.select_for_update().get(pk=tool.pk).current_version
    if not version_in_use(current):
        current.change_note = note
        current.save(update_fields=["change_note", "updated_at"])
        return current
    new = ToolVersion.objects.create(
        tool=tool,
        number=current.number + 1,
        change_note=note,
        overall_rating_optional=current.overall_rating_optional,
        created_by=acting_user,
    )
    for old in current.domains.prefetch_related("descriptors"):
        copy = Domain.objects.create(
            version=new,
            order=old.order,
            name=old.name,
            prompts=old.prompts,
            guidance=old.guidance,
            allows_not_applicable=old.allows_not_applicable,
        )
        RatingDescriptor.objects.bulk_create(
            RatingDescriptor(domain=copy, rating_id=d.rating_id, text=d.text)
            for d in old.descriptors.all()
        )
    VoiceQuestion.objects.bulk_create(
        VoiceQuestion(
            version=new,
            order=q.order,
            about=q.about,
            text=q.text,
            hint=q.hint,
            allows_not_applicable=q.allows_not_applicable,
            text_asked=q.text_asked,
            text_label=q.text_label,
        )
        for q in current.questions.all()
    )
    return new


def _check_name_free(version: ToolVersion, name: str, *, except_order: int | None = None) -> None:
    clash = version.domains.filter(name__iexact=name)
    if except_order is not None:
        clash = clash.exclude(order=except_order)
    if clash.exists():
        raise ValidationError({"name": f"This tool already has a domain called {name}."})


@transaction.atomic
def tool_domain_add(*, acting_user: User | None, tool: AuditTool, spec: DomainSpec) -> ToolVersion:
    version = _editable_version(acting_user=acting_user, tool=tool, note=f"Added {spec.name}")
    _check_name_free(version, spec.name)
    last = version.domains.order_by("-order").first()
    domain = Domain.objects.create(
        version=version,
        order=(last.order + 1) if last else 1,
        name=spec.name,
        prompts=spec.prompts,
        guidance=spec.guidance,
        allows_not_applicable=spec.allows_not_applicable,
    )
    _set_descriptors(domain, spec.descriptors)
    return version


@transaction.atomic
def tool_domain_update(
    *, acting_user: User | None, tool: AuditTool, position: int, spec: DomainSpec
) -> ToolVersion:
    version = _editable_version(acting_user=acting_user, tool=tool, note=f"Changed {spec.name}")
    domain = version.domains.get(order=position)
    _check_name_free(version, spec.name, except_order=position)
    domain.name = spec.name
    domain.prompts = spec.prompts
    domain.guidance = spec.guidance
    domain.allows_not_applicable = spec.allows_not_applicable
    domain.save()
    _set_descriptors(domain, spec.descriptors)
    return version


@transaction.atomic
def tool_domain_remove(*, acting_user: User | None, tool: AuditTool, position: int) -> ToolVersion:
    name = tool.current_version.domains.get(order=position).name
    version = _editable_version(acting_user=acting_user, tool=tool, note=f"Removed {name}")
    version.domains.filter(order=position).delete()
    # Close the gap so positions stay 1..n.
    for domain in version.domains.filter(order__gt=position).order_by("order"):
        domain.order -= 1
        domain.save(update_fields=["order"])
    return version


def _check_lines(count: int, good_or_better_rank: int, inadequate_or_worse_rank: int) -> None:
    if count < 2:
        raise ValidationError({"ratings": "A scale needs at least two ratings."})
    if not 1 <= good_or_better_rank < inadequate_or_worse_rank <= count:
        raise ValidationError(
            {"inadequate_or_worse": "The inadequate line must be below the good line."}
        )


@transaction.atomic
def scale_create(
    *,
    acting_user: User | None,
    name: str,
    ratings: list[tuple[str, str]],
    good_or_better_rank: int,
    inadequate_or_worse_rank: int,
    description: str = "",
) -> RatingScale:
    """ratings: (label, code) pairs, best first."""
    _check_lines(len(ratings), good_or_better_rank, inadequate_or_worse_rank)
    labels = [label.casefold() for label, _ in ratings]
    if len(set(labels)) != len(labels):
        raise ValidationError({"ratings": "Each rating must have a different name."})
    scale = RatingScale.objects.create(
        slug=_unique_slug(RatingScale, name),
        name=name,
        description=description,
        good_or_better_rank=good_or_better_rank,
        inadequate_or_worse_rank=inadequate_or_worse_rank,
        created_by=acting_user,
        updated_by=acting_user,
    )
    Rating.objects.bulk_create(
        Rating(scale=scale, rank=rank, label=label, code=code)
        for rank, (label, code) in enumerate(ratings, start=1)
    )
    return scale


@transaction.atomic
def scale_update_lines(
    *,
    acting_user: User | None,
    scale: RatingScale,
    good_or_better_rank: int,
    inadequate_or_worse_rank: int,
) -> RatingScale:
    """Moves the two lines. Refused once audits use the scale: old reports would change."""
    if scale_in_use(scale):
        raise ValidationError(
            "Audits already use this scale, so its lines cannot move. Create a new scale "
            "and a crosswalk to it instead."
        )
    _check_lines(scale.ratings.count(), good_or_better_rank, inadequate_or_worse_rank)
    scale.good_or_better_rank = good_or_better_rank
    scale.inadequate_or_worse_rank = inadequate_or_worse_rank
    scale.updated_by = acting_user
    scale.save()
    return scale


@transaction.atomic
def scale_crosswalk_set(
    *,
    acting_user: User | None,
    scale: RatingScale,
    target_scale: RatingScale,
    mapping: dict[Rating, Rating],
) -> None:
    if target_scale == scale:
        raise ValidationError("A scale cannot be crosswalked to itself.")
    for rating, target in mapping.items():
        if rating.scale_id != scale.pk or target.scale_id != target_scale.pk:
            raise ValidationError("Each rating must map to a rating of the other scale.")
    RatingCrosswalk.objects.filter(rating__scale=scale, target_scale=target_scale).delete()
    RatingCrosswalk.objects.bulk_create(
        RatingCrosswalk(rating=rating, target_scale=target_scale, target=target)
        for rating, target in mapping.items()
    )


# --- The child's voice and the family's view (decision 0125) -------------------------


@dataclass(frozen=True)
class QuestionSpec:
    about: str
    text: str
    hint: str = ""
    allows_not_applicable: bool = False
    text_asked: str = TextAsked.NEVER
    text_label: str = ""


# The questions QPA suggests, from the briefing's gap (Ofsted: audits missed children's
# lived experience) and councils' published audit tools. Administrators add them to a
# tool with one button, then change them like any other.
SUGGESTED_QUESTIONS = [
    QuestionSpec(
        about=QuestionAbout.CHILD,
        text="Was the child seen, and seen alone where appropriate?",
        hint="At the visits the file records. Seen alone where the child’s age and "
        "understanding allow it.",
        text_asked=TextAsked.NOT_YES,
        text_label="What is missing",
    ),
    QuestionSpec(
        about=QuestionAbout.CHILD,
        text="Are the child’s wishes and feelings recorded?",
        hint="In the child’s own words, or how they were gathered for a child who does not "
        "speak (observation, play, an advocate).",
        text_asked=TextAsked.YES,
        text_label="How and where they are recorded",
    ),
    QuestionSpec(
        about=QuestionAbout.CHILD,
        text="Were the child’s wishes and feelings acted on?",
        hint="The plan or a decision changed because of them, or the record explains why not.",
        allows_not_applicable=True,
        text_asked=TextAsked.ALWAYS,
        text_label="What changed because of them, or why not",
    ),
    QuestionSpec(
        about=QuestionAbout.FAMILY,
        text="Was the family asked about the help they received?",
        hint="Parents or carers, at a visit, review or conference, or in a feedback form.",
        text_asked=TextAsked.YES,
        text_label="What did they say?",
    ),
]

MAX_QUESTION = 300
MAX_QUESTION_HINT = 1_000
MAX_TEXT_LABEL = 200


def _checked_question(spec: QuestionSpec) -> QuestionSpec:
    text, hint, label = spec.text.strip(), spec.hint.strip(), spec.text_label.strip()
    errors: dict[str, str] = {}
    if not text:
        errors["text"] = "Enter the question."
    elif len(text) > MAX_QUESTION:
        errors["text"] = f"Keep the question to {MAX_QUESTION} characters or fewer."
    if spec.about not in QuestionAbout.values:
        errors["about"] = "Choose whether the question is about the child or the family."
    if spec.text_asked not in TextAsked.values:
        errors["text_asked"] = "Choose when the question asks for a short text."
    if len(hint) > MAX_QUESTION_HINT:
        errors["hint"] = f"Keep the hint to {MAX_QUESTION_HINT:,} characters or fewer."
    if spec.text_asked != TextAsked.NEVER and not label:
        errors["text_label"] = "Say what the short text is for, for example: What did they say?"
    elif len(label) > MAX_TEXT_LABEL:
        errors["text_label"] = f"Keep this to {MAX_TEXT_LABEL} characters or fewer."
    if errors:
        raise ValidationError(errors)
    return QuestionSpec(
        about=spec.about,
        text=text,
        hint=hint,
        allows_not_applicable=spec.allows_not_applicable,
        text_asked=spec.text_asked,
        text_label=label if spec.text_asked != TextAsked.NEVER else "",
    )


def _check_question_free(
    version: ToolVersion, text: str, *, except_order: int | None = None
) -> None:
    clash = version.questions.filter(text__iexact=text)
    if except_order is not None:
        clash = clash.exclude(order=except_order)
    if clash.exists():
        raise ValidationError({"text": "This tool already asks that question."})


def _question_fields(spec: QuestionSpec) -> dict[str, Any]:
    return {
        "about": spec.about,
        "text": spec.text,
        "hint": spec.hint,
        "allows_not_applicable": spec.allows_not_applicable,
        "text_asked": spec.text_asked,
        "text_label": spec.text_label,
    }


def _short(text: str) -> str:
    return text if len(text) <= 60 else text[:57] + "..."


@transaction.atomic
def tool_question_add(
    *, acting_user: User | None, tool: AuditTool, spec: QuestionSpec
) -> ToolVersion:
    """Add a question about the child's voice or the family's view to the tool: on a new
    version when audits use the current one."""
    spec = _checked_question(spec)
    version = _editable_version(
        acting_user=acting_user, tool=tool, note=f"Asked: {_short(spec.text)}"
    )
    _check_question_free(version, spec.text)
    last = version.questions.order_by("-order").first()
    VoiceQuestion.objects.create(
        version=version, order=(last.order + 1) if last else 1, **_question_fields(spec)
    )
    return version


@transaction.atomic
def tool_question_update(
    *, acting_user: User | None, tool: AuditTool, position: int, spec: QuestionSpec
) -> ToolVersion:
    spec = _checked_question(spec)
    if not tool.current_version.questions.filter(order=position).exists():
        raise ValidationError("The tool has no such question.")
    version = _editable_version(
        acting_user=acting_user, tool=tool, note=f"Changed question: {_short(spec.text)}"
    )
    _check_question_free(version, spec.text, except_order=position)
    version.questions.filter(order=position).update(**_question_fields(spec))
    return version


@transaction.atomic
def tool_question_remove(
    *, acting_user: User | None, tool: AuditTool, position: int
) -> ToolVersion:
    question = tool.current_version.questions.filter(order=position).first()
    if question is None:
        raise ValidationError("The tool has no such question.")
    version = _editable_version(
        acting_user=acting_user, tool=tool, note=f"No longer asked: {_short(question.text)}"
    )
    version.questions.filter(order=position).delete()
    # Close the gap so positions stay 1..n.
    for later in version.questions.filter(order__gt=position).order_by("order"):
        later.order -= 1
        later.save(update_fields=["order"])
    return version


@transaction.atomic
def tool_questions_suggest(*, acting_user: User | None, tool: AuditTool) -> ToolVersion:
    """Add QPA's suggested questions the tool does not ask yet, in one new version."""
    asked = {t.casefold() for t in tool.current_version.questions.values_list("text", flat=True)}
    missing = [q for q in SUGGESTED_QUESTIONS if q.text.casefold() not in asked]
    if not missing:
        raise ValidationError("The tool already asks every suggested question.")
    version = _editable_version(
        acting_user=acting_user,
        tool=tool,
        note="Asked about the child’s voice and the family’s view",
    )
    last = version.questions.order_by("-order").first()
    start = (last.order + 1) if last else 1
    VoiceQuestion.objects.bulk_create(
        VoiceQuestion(version=version, order=start + i, **_question_fields(spec))
        for i, spec in enumerate(missing)
    )
    return version
