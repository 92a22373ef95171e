"""How far two auditors' grades agree: exact agreement and Cohen's weighted kappa with a
95% confidence interval. Pure functions of plain data, so a test can check them against
the worked examples of the statistics literature.

Kappa (Cohen 1960) and weighted kappa (Cohen 1968), with agreement weights w[i][j]
(1 on the diagonal):

    p_o = sum w[i][j] p[i][j]          p_e = sum w[i][j] p[i.] p[.j]
    kappa = (p_o - p_e) / (1 - p_e)

The large-sample variance is that of Fleiss, Cohen & Everitt (1969), "Large sample
standard errors of kappa and weighted kappa", Psychological Bulletin 72(5), 323-327,
for kappa not assumed zero:

    var = (sum p[i][j] (w[i][j] - (wbar[i.] + wbar[.j]) (1 - kappa))^2
           - (kappa - p_e (1 - kappa))^2) / (n (1 - p_e)^2)

with wbar[i.] = sum_j p[.j] w[i][j] and wbar[.j] = sum_i p[i.] w[i][j]. Unweighted kappa
is the case w = identity. The interval is kappa +/- 1.96 standard errors, cut at 1 and
at -1: kappa cannot pass them, though a Wald interval from few pairs near full agreement
would ("0.79 (0.53 to 1.05)").

Kappa is undefined when p_e = 1: both auditors gave every case one and the same rating,
so chance alone explains all agreement. Then `kappa` is None (shown as "not defined")
while exact agreement is still reported.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

Z_95 = 1.959963984540054
KAPPA_MIN, KAPPA_MAX = -1.0, 1.0
Matrix = Sequence[Sequence[float]]


def identity_weights(k: int) -> list[list[float]]:
    return [[1.0 if i == j else 0.0 for j in range(k)] for i in range(k)]


def linear_weights(k: int) -> list[list[float]]:
    """1 - |i - j| / (k - 1): Cicchetti and Allison's equal spacing."""
    if k < 2:
        return identity_weights(k)
    return [[1 - abs(i - j) / (k - 1) for j in range(k)] for i in range(k)]


def quadratic_weights(k: int) -> list[list[float]]:
    """1 - (i - j)^2 / (k - 1)^2: Fleiss and Cohen's (1973) weights."""
    if k < 2:
        return identity_weights(k)
    return [[1 - (i - j) ** 2 / (k - 1) ** 2 for j in range(k)] for i in range(k)]


@dataclass(frozen=True)
class Kappa:
    n: int
    observed: float  # p_o, weighted
    expected: float  # p_e, weighted
    kappa: float | None
    standard_error: float | None

    @property
    def low(self) -> float | None:
        if self.kappa is None or self.standard_error is None:
            return None
        return max(KAPPA_MIN, self.kappa - Z_95 * self.standard_error)

    @property
    def high(self) -> float | None:
        if self.kappa is None or self.standard_error is None:
            return None
        return min(KAPPA_MAX, self.kappa + Z_95 * self.standard_error)


def weighted_kappa(table: Matrix, weights: Matrix) -> Kappa:
    """Kappa of a k x k table of counts (rows: first rater, columns: second)."""
    k = len(table)
    if k == 0 or any(len(row) != k for row in table) or len(weights) != k:
        raise ValueError("The table and the weights must be square and of one size.")
    n = sum(sum(row) for row in table)
    if n <= 0:
        raise ValueError("Kappa needs at least one pair of ratings.")
    p = [[cell / n for cell in row] for row in table]
    rows = [sum(p[i]) for i in range(k)]
    cols = [sum(p[i][j] for i in range(k)) for j in range(k)]
    observed = sum(weights[i][j] * p[i][j] for i in range(k) for j in range(k))
    expected = sum(weights[i][j] * rows[i] * cols[j] for i in range(k) for j in range(k))
    if math.isclose(expected, 1.0, rel_tol=0, abs_tol=1e-12):
        return Kappa(
            n=int(n), observed=observed, expected=expected, kappa=None, standard_error=None
        )
    kappa = (observed - expected) / (1 - expected)
    wbar_row = [sum(cols[j] * weights[i][j] for j in range(k)) for i in range(k)]
    wbar_col = [sum(rows[i] * weights[i][j] for i in range(k)) for j in range(k)]
    spread = sum(
        p[i][j] * (weights[i][j] - (wbar_row[i] + wbar_col[j]) * (1 - kappa)) ** 2
        for i in range(k)
        for j in range(k)
    )
    variance = (spread - (kappa - expected * (1 - kappa)) ** 2) / (n * (1 - expected) ** 2)
    # Rounding leaves a perfect table a hair either side of zero.
    standard_error = 0.0 if variance < 1e-12 else math.sqrt(variance)
    return Kappa(
        n=int(n),
        observed=observed,
        expected=expected,
        kappa=kappa,
        standard_error=standard_error,
    )


def kappa_figure(value: float) -> str:
    """A kappa or an interval's bound as every page and document writes it: to two places
    from the value rounded to three, as the report's JSON holds it, so that no channel
    writes 0.52 where another, rounding twice, writes 0.53."""
    return f"{round(value, 3):.2f}"


def table_of(pairs: Iterable[tuple[int, int]], k: int) -> list[list[int]]:
    """Counts of (first, second) ranks, ranks running 1..k."""
    table = [[0] * k for _ in range(k)]
    for first, second in pairs:
        if not (1 <= first <= k and 1 <= second <= k):
            raise ValueError(f"Rank out of 1..{k}: {(first, second)}")
        table[first - 1][second - 1] += 1
    return table


@dataclass(frozen=True)
class Agreement:
    """Everything the moderation page shows for one group of pairs."""

    n: int
    exact: float | None  # share of pairs with the same rating
    linear: Kappa | None
    quadratic: Kappa | None


def agreement(pairs: Sequence[tuple[int, int]], k: int) -> Agreement:
    """Exact agreement and linearly and quadratically weighted kappa of pairs of ranks
    on a k-point scale. No pairs: every figure is None."""
    if not pairs:
        return Agreement(n=0, exact=None, linear=None, quadratic=None)
    table = table_of(pairs, k)
    return Agreement(
        n=len(pairs),
        exact=sum(1 for first, second in pairs if first == second) / len(pairs),
        linear=weighted_kappa(table, linear_weights(k)),
        quadratic=weighted_kappa(table, quadratic_weights(k)),
    )


def share_changed(pairs: Sequence[tuple[int, int]]) -> float | None:
    """The share of (first, agreed) overall grades that differ; None when there are none."""
    if not pairs:
        return None
    return sum(1 for first, agreed in pairs if first != agreed) / len(pairs)


# Fewer pairs measure nothing: with one pair, one disagreement takes kappa from 1 to 0.
MIN_PAIRS = 5
TOO_FEW_PAIRS = "too few pairs to measure"
# How far two auditors agree, in words, by linearly weighted kappa: the bands of Landis
# and Koch (1977), docs/moderation.md.
AGREEMENT_WORDS = [
    (0.81, "almost completely"),
    (0.61, "closely"),
    (0.41, "moderately"),
    (0.21, "a little"),
    (0.0, "hardly at all"),
]


def agreement_words(figures: Agreement) -> str:
    """How far the pairs agree, in a word or two: "closely", "too few pairs to measure"."""
    if figures.n < MIN_PAIRS:
        return TOO_FEW_PAIRS
    return kappa_words(figures.linear.kappa if figures.linear else None)


def kappa_words(linear_kappa: float | None) -> str:
    """The words for a linearly weighted kappa of at least MIN_PAIRS pairs, as every page
    and document says it (the briefing too): "closely", "the same rating every time"."""
    if linear_kappa is None:
        return "the same rating every time"
    for floor, words in AGREEMENT_WORDS:
        if linear_kappa >= floor:
            return words
    return "less than chance alone would give"


def agreement_sentence(figures: Agreement, *, who: str = "Auditors") -> str:
    """ "Auditors agreed closely (weighted kappa 0.72, from 24 pairs)"."""
    pairs = f"{figures.n} pair" if figures.n == 1 else f"{figures.n:,} pairs"
    if figures.n < MIN_PAIRS:
        return f"Too few pairs to measure how far {who.lower()} agree ({pairs})"
    kappa = figures.linear.kappa if figures.linear else None
    if kappa is None:
        return f"{who} gave every case the same rating (from {pairs}): kappa cannot be worked out"
    return (
        f"{who} agreed {agreement_words(figures)} (weighted kappa {kappa_figure(kappa)},"
        f" from {pairs})"
    )
