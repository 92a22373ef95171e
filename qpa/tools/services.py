"""Writes to scales and tools. A tool that audits already use is never edited in place:
the change lands on a new version and old audits stay on theirs."""

from __future__ import annotations

from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.text import slugify

from qpa.accounts.models import User
from qpa.tools.models import AuditTool, Domain, Rating, RatingCrosswalk, RatingScale, ToolVersion


@dataclass(frozen=True)
class DomainSpec:
    name: str
    prompts: str = ""
    guidance: str = ""
    allows_not_applicable: bool = True


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
        tool=tool, number=1, change_note="First version", created_by=acting_user
    )
    for order, spec in enumerate(domains or [], start=1):
        Domain.objects.create(
            version=version,
            order=order,
            name=spec.name,
            prompts=spec.prompts,
            guidance=spec.guidance,
            allows_not_applicable=spec.allows_not_applicable,
        )
    return tool


@transaction.atomic
def tool_update(
    *, acting_user: User | None, tool: AuditTool, name: str, description: str, is_active: bool
) -> AuditTool:
    tool.name = name
    tool.description = description
    tool.is_active = is_active
    tool.updated_by = acting_user
    tool.save(update_fields=["name", "description", "is_active", "updated_by", "updated_at"])
    return tool


def _editable_version(*, acting_user: User | None, tool: AuditTool, note: str) -> ToolVersion:
    """The current version if no audit uses it, else a fresh copy that becomes current."""
    current = AuditTool.objects.select_for_update().get(pk=tool.pk).current_version
    if not version_in_use(current):
        current.change_note = note
        current.save(update_fields=["change_note", "updated_at"])
        return current
    new = ToolVersion.objects.create(
        tool=tool, number=current.number + 1, change_note=note, created_by=acting_user
    )
    Domain.objects.bulk_create(
        Domain(
            version=new,
            order=d.order,
            name=d.name,
            prompts=d.prompts,
            guidance=d.guidance,
            allows_not_applicable=d.allows_not_applicable,
        )
        for d in current.domains.all()
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
    Domain.objects.create(
        version=version,
        order=(last.order + 1) if last else 1,
        name=spec.name,
        prompts=spec.prompts,
        guidance=spec.guidance,
        allows_not_applicable=spec.allows_not_applicable,
    )
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
