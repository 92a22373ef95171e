"""Agreement figures against worked examples published in the statistics literature, and
the edge cases: perfect agreement, one rating used by both, a single pair."""

from __future__ import annotations

import math

import pytest

from qpa.assurance.agreement import (
    agreement,
    identity_weights,
    linear_weights,
    quadratic_weights,
    share_changed,
    table_of,
    weighted_kappa,
)

# Fleiss, J. L., Cohen, J. and Everitt, B. S. (1969). Large sample standard errors of
# kappa and weighted kappa. Psychological Bulletin 72(5), 323-327: the 200-patient,
# three-diagnosis table the paper works through, with kappa = .429 and weighted kappa =
# .507 (the table and weights are reproduced in the `cohen.kappa` examples of the R
# package psych; Fleiss, Levin & Paik, "Statistical Methods for Rates and Proportions",
# 3rd ed., ch. 18, discusses the same estimators).
# Rows: rater A; columns: rater B.
FCE_1969 = [
    [106, 10, 4],
    [22, 28, 10],
    [2, 12, 6],
]
# The paper's agreement weights for the same table.
FCE_1969_WEIGHTS = [
    [1.0, 0.0, 0.4444],
    [0.0, 1.0, 0.6667],
    [0.4444, 0.6667, 1.0],
]

# Cohen, J. (1968). Weighted kappa: nominal scale agreement with provision for scaled
# disagreement or partial credit. Psychological Bulletin 70(4), 213-220, Table 1:
# proportions of 200 cases (.44 .07 .09 / .05 .20 .05 / .01 .03 .06) and disagreement
# weights (0 1 3 / 1 0 6 / 3 6 0). Cohen reports kappa = .492 and weighted kappa = .348
# (quoted in the psych package's `cohen.kappa` example: "cohen reports .492 and .348").
COHEN_1968 = [
    [88, 14, 18],
    [10, 40, 10],
    [2, 6, 12],
]
COHEN_1968_DISAGREEMENT = [[0, 1, 3], [1, 0, 6], [3, 6, 0]]


def _agreement_weights(disagreement: list[list[int]]) -> list[list[float]]:
    # Weighted kappa does not change under w -> 1 - v / max(v) (Cohen 1968, eq. 7).
    top = max(max(row) for row in disagreement)
    return [[1 - v / top for v in row] for row in disagreement]


def test_unweighted_kappa_matches_fleiss_cohen_everitt_1969() -> None:
    result = weighted_kappa(FCE_1969, identity_weights(3))
    # Published: p_o = .70, p_c = .475, kappa = .429.
    assert result.observed == pytest.approx(0.70)
    assert result.expected == pytest.approx(0.475)
    assert result.kappa == pytest.approx(0.429, abs=5e-4)
    # The large-sample (non-null) standard error of the paper's formula, which we
    # computed by hand from the table (not a published figure): .0537.
    assert result.standard_error == pytest.approx(0.0537, abs=5e-4)
    assert result.low == pytest.approx(0.429 - 1.96 * 0.0537, abs=2e-3)
    assert result.high == pytest.approx(0.429 + 1.96 * 0.0537, abs=2e-3)


def test_weighted_kappa_matches_fleiss_cohen_everitt_1969() -> None:
    result = weighted_kappa(FCE_1969, FCE_1969_WEIGHTS)
    # Published: kappa_w = .507.
    assert result.kappa == pytest.approx(0.507, abs=5e-4)
    assert result.standard_error == pytest.approx(0.0570, abs=5e-4)


def test_kappa_and_weighted_kappa_match_cohen_1968() -> None:
    assert weighted_kappa(COHEN_1968, identity_weights(3)).kappa == pytest.approx(0.492, abs=5e-4)
    weights = _agreement_weights(COHEN_1968_DISAGREEMENT)
    assert weighted_kappa(COHEN_1968, weights).kappa == pytest.approx(0.348, abs=5e-4)


def test_linear_and_quadratic_weights_are_the_usual_ones() -> None:
    assert linear_weights(3) == [[1, 0.5, 0], [0.5, 1, 0.5], [0, 0.5, 1]]
    assert quadratic_weights(3) == [[1, 0.75, 0], [0.75, 1, 0.75], [0, 0.75, 1]]
    # Worked by hand for the FCE table: the diagonal gives .70 observed and .475 by
    # chance; the cells one step off (10 + 22 + 10 + 12 = 54 of 200) add half of .27,
    # and half of .15 + .195 + .03 + .025 by chance: p_o = .835, p_e = .675.
    linear = weighted_kappa(FCE_1969, linear_weights(3))
    assert linear.observed == pytest.approx(0.835)
    assert linear.expected == pytest.approx(0.675)
    assert linear.kappa == pytest.approx(0.16 / 0.325)


def test_perfect_agreement_is_kappa_one_with_no_spread() -> None:
    pairs = [(1, 1), (2, 2), (3, 3), (3, 3), (4, 4), (5, 5)]
    result = agreement(pairs, 5)
    assert result.exact == 1
    for kappa in (result.linear, result.quadratic):
        assert kappa is not None
        assert kappa.kappa == pytest.approx(1)
        assert kappa.standard_error == pytest.approx(0, abs=1e-9)
        assert kappa.low == pytest.approx(1) and kappa.high == pytest.approx(1)


def test_one_rating_used_by_both_leaves_kappa_undefined_but_counts_agreement() -> None:
    result = agreement([(3, 3)] * 7, 5)
    assert result.n == 7 and result.exact == 1
    for kappa in (result.linear, result.quadratic):
        assert kappa is not None
        assert kappa.expected == pytest.approx(1)
        assert kappa.kappa is None and kappa.standard_error is None
        assert kappa.low is None and kappa.high is None


def test_a_single_pair_that_agrees_is_undefined_and_one_that_differs_is_zero() -> None:
    agreeing = agreement([(2, 2)], 5)
    assert agreeing.exact == 1
    assert agreeing.linear is not None and agreeing.linear.kappa is None

    differing = agreement([(2, 4)], 5)
    assert differing.exact == 0
    assert differing.linear is not None and differing.quadratic is not None
    # One pair: observed agreement equals chance agreement, whatever the weights.
    assert differing.linear.kappa == pytest.approx(0)
    assert differing.quadratic.kappa == pytest.approx(0)
    assert differing.linear.standard_error is not None
    assert math.isfinite(differing.linear.standard_error)


def test_no_pairs_give_no_figures() -> None:
    result = agreement([], 5)
    assert (result.n, result.exact, result.linear, result.quadratic) == (0, None, None, None)
    assert share_changed([]) is None


def test_systematic_disagreement_is_below_zero() -> None:
    # Each rater uses both ends of the scale, always the opposite of the other.
    result = agreement([(1, 5), (5, 1), (1, 5), (5, 1)], 5)
    assert result.exact == 0
    assert result.linear is not None and result.linear.kappa is not None
    assert result.linear.kappa == pytest.approx(-1)


def test_quadratic_kappa_credits_near_misses_more_than_linear() -> None:
    pairs = [(1, 2), (2, 3), (3, 3), (4, 4), (2, 2), (3, 4), (1, 1), (4, 3)]
    result = agreement(pairs, 4)
    assert result.linear is not None and result.quadratic is not None
    assert result.linear.kappa is not None and result.quadratic.kappa is not None
    unweighted = weighted_kappa(table_of(pairs, 4), identity_weights(4)).kappa
    assert unweighted is not None
    assert unweighted < result.linear.kappa < result.quadratic.kappa


def test_share_changed_counts_differences() -> None:
    assert share_changed([(3, 3), (4, 3), (2, 2), (3, 4)]) == 0.5


def test_bad_input_is_refused() -> None:
    with pytest.raises(ValueError):
        table_of([(0, 1)], 3)
    with pytest.raises(ValueError):
        weighted_kappa([[1, 2]], identity_weights(2))
    with pytest.raises(ValueError):
        weighted_kappa([[0, 0], [0, 0]], identity_weights(2))


def test_the_interval_never_passes_one_or_minus_one() -> None:
    # Seven pairs, six the same: a Wald interval of this kappa runs past 1 uncut.
    pairs = [(1, 1), (2, 2), (2, 2), (3, 3), (3, 3), (4, 4), (3, 4)]
    for kappa in (agreement(pairs, 4).linear, agreement(pairs, 4).quadratic):
        assert kappa is not None and kappa.kappa is not None
        assert kappa.standard_error is not None
        assert kappa.kappa + 1.96 * kappa.standard_error > 1
        assert kappa.high == 1
        assert kappa.low is not None and -1 <= kappa.low < kappa.kappa
    worst = agreement([(1, 2), (2, 1)] * 3, 2).linear
    assert worst is not None and worst.low == -1


def test_a_kappa_reads_the_same_from_its_value_and_from_the_reports_rounded_value() -> None:
    from qpa.assurance.agreement import kappa_figure

    # The report's JSON holds kappas to three places; the moderation page has the value.
    for value in (0.5249, 0.52449, 0.5851, 0.999, -0.0049, 1.0):
        assert kappa_figure(value) == kappa_figure(round(value, 3))
    assert kappa_figure(0.5249) == "0.53"
