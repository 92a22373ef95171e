"""The seeded audit tools and their ratings."""

from __future__ import annotations

from qpa.tools.models import Rating

CP_CORE = "child-protection-core-assessment"


def rating(label: str, scale_slug: str = "quality-of-practice") -> Rating:
    return Rating.objects.get(scale__slug=scale_slug, label=label)
