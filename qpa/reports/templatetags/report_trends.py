"""How the comparison, trend and team pages write their figures."""

from __future__ import annotations

from typing import Any

from django import template

register = template.Library()


@register.filter
def points(value: float | None) -> str:
    """A difference of percentages: "+3.2 points", "-1.0 points" (a minus sign), "no change"."""
    if value is None:
        return "not shown"
    if value == 0:
        return "no change"
    sign = "+" if value > 0 else "−"
    return f"{sign}{abs(value):.1f} points"


@register.filter
def limit_range(limits: Any, which: str) -> str:
    """A pair of control limits as percentages: "21.4% to 48.9%"."""
    if limits is None:
        return "–"
    low, high = (
        (limits.lower_95, limits.upper_95)
        if which == "95"
        else (limits.lower_998, limits.upper_998)
    )
    return f"{low * 100:.1f}% to {high * 100:.1f}%"


@register.filter
def shown(value: Any) -> str:
    """A count, or "not shown" where a small number is hidden (or one it would reveal)."""
    return "not shown" if value is None else str(value)
