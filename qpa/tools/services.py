"""Writes to scales and tools. A tool that audits already use is never edited in place:
the change lands on a new version and old audits stay on theirs. Domains, their grading
descriptors and whether the overall rating is optional all belong to the version."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.text import slugify

from qpa.accounts.models import User
from qpa.tools.models import (
    AuditTool,
    Domain,
    Rating,
    RatingCrosswalk,
    RatingDescriptor,
    RatingScale,
    ToolVersion,
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
