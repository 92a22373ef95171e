"""The blind rule of moderation in templates that list audits with their ratings."""

from __future__ import annotations

from typing import Any

from django import template

from qpa.assurance.agreement import (
    MIN_PAIRS,
    Agreement,
    agreement_sentence,
    agreement_words,
    kappa_figure,
)
from qpa.audits.blind import audit_ratings_hidden_from
from qpa.audits.models import Audit

register = template.Library()


@register.filter
def ratings_hidden_from(audit: Audit, user: Any) -> bool:
    return audit_ratings_hidden_from(user, audit)


@register.filter
def percent(value: float | None) -> str:
    return "–" if value is None else f"{value:.0%}"


@register.filter
def figure(value: float | None) -> str:
    """A kappa or a bound to two places; "not defined" when kappa has no value."""
    return "not defined" if value is None else kappa_figure(value)


@register.filter
def agreement_in_words(figures: Agreement) -> str:
    return agreement_words(figures)


@register.filter
def agreement_of_moderators(figures: Agreement) -> str:
    return agreement_sentence(figures, who="Auditors and moderators")


@register.filter
def measured(figures: Agreement) -> bool:
    """Enough pairs for a kappa to mean something (fewer: "too few pairs to measure")."""
    return figures.n >= MIN_PAIRS


@register.simple_tag
def min_pairs() -> int:
    return MIN_PAIRS
