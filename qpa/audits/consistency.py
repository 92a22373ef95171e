"""Checks on what an auditor wrote, before it is submitted: enough evidence behind an
inadequate or critical rating, an overall judgement that agrees with the domains (or says
why not), and what needs immediate manager action. Pure functions of the ratings.

Decision 0115 and docs/audits.md ("Consistency").
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from django.conf import settings

from qpa.tools.models import Rating


def evidence_minimum() -> int:
    """QPA_MIN_EVIDENCE_CHARS: the fewest characters of evidence an inadequate or
    critical rating is accepted with (default 50)."""
    minimum: int = settings.QPA_MIN_EVIDENCE_CHARS
    return minimum


def evidence_problem(*, domain_name: str, rating: Rating | None, evidence: str) -> str | None:
    """What is wrong with the evidence for `rating`, or None. Only ratings at or beyond
    the scale's inadequate line need the minimum."""
    if rating is None or not rating.is_inadequate_or_worse:
        return None
    minimum = evidence_minimum()
    written = len(evidence.strip())
    if written >= minimum:
        return None
    return (
        f"Write at least {minimum} characters of evidence for {domain_name}: a rating of "
        f"{rating.label} needs what the case file shows, with dates and examples "
        f"(you have written {written})"
    )


def consistency_gap(
    overall: Rating | None, domains: Iterable[tuple[str, Rating | None]]
) -> str | None:
    """Why the overall rating needs a reason, or None: it is more than one grade better
    than the worst domain, or more than one grade worse than the best. Domains rated not
    applicable (or not yet) do not count."""
    if overall is None:
        return None
    rated = [(name, rating) for name, rating in domains if rating is not None]
    if not rated:
        return None
    # Rank 1 is the best rating; the worst domain has the highest rank.
    worst_name, worst = max(rated, key=lambda pair: pair[1].rank)
    best_name, best = min(rated, key=lambda pair: pair[1].rank)
    if overall.rank < worst.rank - 1:
        return (
            f"The overall rating, {overall.label}, is more than one grade better than "
            f"{worst_name}, rated {worst.label}."
        )
    if overall.rank > best.rank + 1:
        return (
            f"The overall rating, {overall.label}, is more than one grade worse than "
            f"{best_name}, rated {best.label}."
        )
    return None


@dataclass(frozen=True)
class ManagerAction:
    """What a submitted audit says about manager action: `needed` when the overall
    judgement is inadequate or critical, or a domain is critical; `reasons` says which.
    `noted` lists inadequate domains of an audit that does not need it (the managers
    were still told, decision 0051)."""

    needed: bool
    reasons: tuple[str, ...]
    noted: tuple[str, ...]


def manager_action(
    overall: Rating | None,
    domains: Iterable[tuple[str, Rating | None]],
    *,
    critical_rank: int | None,
) -> ManagerAction:
    reasons: list[str] = []
    noted: list[str] = []
    if overall is not None and overall.is_inadequate_or_worse:
        reasons.append(f"the overall judgement is {overall.label}")
    for name, rating in domains:
        if rating is None:
            continue
        if critical_rank is not None and rating.rank >= critical_rank:
            reasons.append(f"{name} is rated {rating.label}")
        elif rating.is_inadequate_or_worse:
            noted.append(f"{name} is rated {rating.label}")
    needed = bool(reasons)
    return ManagerAction(needed, tuple(reasons), () if needed else tuple(noted))
