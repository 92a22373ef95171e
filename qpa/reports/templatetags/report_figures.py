"""How figures read on the report page: suppressed numbers say so, percentages carry n."""

from __future__ import annotations

from typing import Any

from django import template

from qpa.core.forms import month_label
from qpa.core.wording import plural
from qpa.reports.disclosure import HIDDEN
from qpa.reports.process import changed_sentence, exact_text, kappa_text

register = template.Library()


@register.filter
def n(value: Any) -> str:
    return HIDDEN if value is None else str(value)


@register.filter
def counted(value: Any, forms: str) -> str:
    """A figure with its noun, singular for one: "1 case", "12 cases"; a hidden figure
    reads "cases (number not shown)"."""
    noun, _, plural_form = forms.partition(",")
    if value is None:
        return f"{plural_form or noun + 's'} (number {HIDDEN})"
    return plural(int(value), noun, plural_form or None)


@register.filter
def pct(value: Any) -> str:
    return "not shown" if value is None else f"{value}%"


@register.filter
def ci(value: Any) -> str:
    if not value:
        return ""
    return f"95% CI {value[0]}% to {value[1]}%"


@register.filter
def index(values: Any, position: int) -> Any:
    return values[position]


@register.filter
def exact(entry: dict[str, Any]) -> str:
    """Exact agreement of a group of pairs: "too few pairs to measure" under five."""
    return exact_text(entry)


@register.filter
def kappa(entry: dict[str, Any], which: str) -> str:
    return kappa_text(entry, which)


@register.filter
def changed_in_words(agreement: dict[str, Any]) -> str:
    return changed_sentence(agreement)


@register.filter
def month_in_words(month: str) -> str:
    """ "2026-11" as every document names it: "November 2026"."""
    return month_label(month)
