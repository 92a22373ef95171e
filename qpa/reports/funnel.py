"""Funnel plots: is a team's share of audits rated good or better further from the
service's share than chance alone would take it?

The control limits are exact binomial limits with the interpolation of Spiegelhalter
(2005), "Funnel plots for comparing institutional performance", Statistics in Medicine
24:1185-1202, Appendix A.1.1. For n audits and the service's share theta, r_p is the
smallest r with P(R <= r) >= p for R ~ Binomial(n, theta); then
alpha = (P(R <= r_p) - p) / (P(R <= r_p) - P(R <= r_p - 1)) and the limit is
(r_p - alpha) / n. The 95% limits take p = 0.025 and 0.975, the 99.8% limits p = 0.001
and 0.999. A team is beyond a limit when its share lies strictly outside it. No allowance
is made for over-dispersion (docs/reports.md, "Teams side by side").
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from enum import StrEnum

# (lower p, upper p) of each pair of limits.
LIMITS_95 = (0.025, 0.975)
LIMITS_998 = (0.001, 0.999)


def binomial_cdf(r: int, n: int, theta: float) -> float:
    """P(R ≤ r) for R ~ Binomial(n, theta)."""
    if r < 0:
        return 0.0
    if r >= n:
        return 1.0
    return min(1.0, sum(_pmf(k, n, theta) for k in range(r + 1)))


def _pmf(k: int, n: int, theta: float) -> float:
    if theta <= 0.0:
        return 1.0 if k == 0 else 0.0
    if theta >= 1.0:
        return 1.0 if k == n else 0.0
    log = (
        math.lgamma(n + 1)
        - math.lgamma(k + 1)
        - math.lgamma(n - k + 1)
        + k * math.log(theta)
        + (n - k) * math.log1p(-theta)
    )
    return math.exp(log)


def control_limit(n: int, theta: float, p: float) -> float:
    """The interpolated exact binomial limit (a share from 0 to 1) for n audits."""
    if n < 1:
        raise ValueError("A control limit needs at least one audit.")
    if not 0.0 < p < 1.0:
        raise ValueError("p is a probability strictly between 0 and 1.")
    if theta <= 0.0 or theta >= 1.0:
        return min(1.0, max(0.0, theta))
    below = 0.0  # P(R ≤ r - 1)
    cumulative = 0.0
    for r in range(n + 1):
        cumulative = min(1.0, below + _pmf(r, n, theta))
        if cumulative >= p or r == n:
            break
        below = cumulative
    alpha = (cumulative - p) / (cumulative - below)
    return min(1.0, max(0.0, (r - alpha) / n))


class Position(StrEnum):
    ABOVE_998 = "above the 99.8% limit"
    ABOVE_95 = "above the 95% limit"
    WITHIN = "within the limits"
    BELOW_95 = "below the 95% limit"
    BELOW_998 = "below the 99.8% limit"

    @property
    def beyond(self) -> bool:
        return self is not Position.WITHIN


@dataclass(frozen=True)
class Limits:
    n: int
    lower_998: float
    lower_95: float
    upper_95: float
    upper_998: float


def limits_for(n: int, theta: float) -> Limits:
    return Limits(
        n,
        control_limit(n, theta, LIMITS_998[0]),
        control_limit(n, theta, LIMITS_95[0]),
        control_limit(n, theta, LIMITS_95[1]),
        control_limit(n, theta, LIMITS_998[1]),
    )


def position(share: float, limits: Limits) -> Position:
    if share > limits.upper_998:
        return Position.ABOVE_998
    if share > limits.upper_95:
        return Position.ABOVE_95
    if share < limits.lower_998:
        return Position.BELOW_998
    if share < limits.lower_95:
        return Position.BELOW_95
    return Position.WITHIN


def curve(theta: float, largest: int, points: int = 120) -> list[Limits]:
    """The limits at up to `points` whole numbers of audits from 1 to `largest`, for
    drawing: every number while there are few, spread evenly beyond."""
    if largest < 1:
        return []
    if largest <= points:
        sizes = list(range(1, largest + 1))
    else:
        sizes = sorted({max(1, round(1 + i * (largest - 1) / (points - 1))) for i in range(points)})
    return [limits_for(n, theta) for n in sizes]
