"""Agreement between an auditor and a moderator: per cent agreement, Cohen's kappa, Gwet's AC1/AC2.

Checked three ways: against statsmodels' ``cohens_kappa`` (value, Fleiss-Cohen-Everitt standard
error and interval) on many generated tables; against an AC1/AC2 written here from Gwet's formula
for raw ratings, a different route from the module's contingency-table formula; and against cases
worked by hand or published with their answers.
"""

from __future__ import annotations

import ast
import math
import sys
from fractions import Fraction

import numpy as np
import pytest
from hypothesis import given, settings
from scipy import stats
from statsmodels.stats.inter_rater import cohens_kappa as statsmodels_kappa

from qadesk.core.agreement import (
    MIN_PAIRS,
    WEIGHTINGS,
    Estimate,
    PairAgreement,
    agreement_table,
    agreement_weights,
    cohen_kappa,
    gwet_ac,
    pair_agreement,
)
from tests.helpers.package import PACKAGE
from tests.unit.agreement_strategies import graded_pairs

TOLERANCE = 1e-9
STATSMODELS_WT = {"identity": None, "linear": "linear", "quadratic": "quadratic"}


def reference_weights(k: int, weighting: str) -> list[list[float]]:
    def w(i: int, j: int) -> float:
        if weighting == "identity":
            return float(i == j)
        d = abs(i - j) / (k - 1)
        return 1 - d if weighting == "linear" else 1 - d * d

    return [[w(i, j) for j in range(k)] for i in range(k)]


def gwet_from_raw_ratings(pairs: list[tuple[int, int]], k: int, weighting: str) -> tuple[float, float]:
    """(AC, standard error) by Gwet's formulas for raw ratings (Gwet 2014; irrCAC's gwet.ac1.raw), two raters.

    Subject by subject: r_ik raters put subject i in grade k (here r = 2 raters), r*_ik = Σ_l w_kl r_il,
    p_a|i = Σ_k r_ik (r*_ik - 1) / (r (r - 1)), π_k = mean of r_ik / r, p_e = T/(q(q-1)) Σ π_k(1 - π_k).
    The variance is the linearised one: AC*_i = AC_i - 2 (1 - AC)(p_e|i - p_e)/(1 - p_e) with
    AC_i = (p_a|i - p_e)/(1 - p_e) and p_e|i = T/(q(q-1)) Σ_k (r_ik / r)(1 - π_k); Gwet's raw variance
    is Σ (AC*_i - AC)² / (n (n - 1)). His contingency-table variance, which qadesk reports, is that
    times (n - 1)/n (checked against irrCAC 0.4.4's table and raw functions), so the standard error
    is √Σ (AC*_i - AC)² / n.
    """
    n, q = len(pairs), k
    w = reference_weights(k, weighting)
    total = sum(map(sum, w))
    counts = [[(a == g) + (b == g) for g in range(q)] for a, b in pairs]
    pi = [sum(c[g] for c in counts) / (2 * n) for g in range(q)]
    pe = total / (q * (q - 1)) * sum(x * (1 - x) for x in pi)
    pa_i = [sum(c[g] * (sum(w[g][h] * c[h] for h in range(q)) - 1) for g in range(q)) / 2 for c in counts]
    ac = (sum(pa_i) / n - pe) / (1 - pe)
    pe_i = [total / (q * (q - 1)) * sum(c[g] / 2 * (1 - pi[g]) for g in range(q)) for c in counts]
    star = [(p - pe) / (1 - pe) - 2 * (1 - ac) * (e - pe) / (1 - pe) for p, e in zip(pa_i, pe_i, strict=True)]
    return ac, math.sqrt(sum((s - ac) ** 2 for s in star)) / n


def every_number(result: PairAgreement) -> list[float | None]:
    numbers: list[float | None] = [result.exact_per_cent, result.within_one_per_cent]
    for e in estimates(result):
        numbers += [e.value, e.standard_error, e.low, e.high, e.observed, e.chance]
    return numbers


def estimates(result: PairAgreement) -> list[Estimate]:
    return [result.kappa, result.kappa_linear, result.kappa_quadratic, result.ac1, result.ac2_linear,
            result.ac2_quadratic]


# --- against independent implementations, on many generated tables ---------------------------------

@settings(max_examples=400, deadline=None)
@given(graded_pairs(min_n=2))
def test_kappa_matches_statsmodels(case: tuple[int, list[tuple[int, int]]]) -> None:
    k, pairs = case
    table = agreement_table(pairs, k)
    for weighting in WEIGHTINGS:
        ours = cohen_kappa(table, weighting)
        if len(set(pairs)) == 1 and pairs[0][0] == pairs[0][1]:
            # Both raters only ever gave one same grade: chance agreement is 1, statsmodels divides by zero.
            assert ours.value is None and ours.reason and ours.chance == 1.0
            continue
        # statsmodels takes √ of variances that round below 0, and divides by its null-hypothesis se
        # (unused here) where that is 0.
        with np.errstate(invalid="ignore", divide="ignore"):
            ref = statsmodels_kappa(np.array(table, dtype=float), wt=STATSMODELS_WT[weighting])
        assert ours.value == pytest.approx(ref.kappa, abs=TOLERANCE)
        assert ours.standard_error is not None and ours.chance is not None
        # statsmodels' variance (in floats) carries rounding of about 1e-16 of its terms, which are
        # divided by n (1 - p_e)²; ours is exact. Where the exact variance is 0 statsmodels' comes out
        # as ±1e-12 on such a scale, and its square root as 1e-6 or NaN, so the bound allows for it.
        noise = 1e-13 / (len(pairs) * (1 - ours.chance) ** 2)
        assert ours.standard_error**2 == pytest.approx(ref.var_kappa, rel=1e-9, abs=noise)
        if ref.var_kappa > 0:
            allowed = max(TOLERANCE, noise / (2 * math.sqrt(ref.var_kappa)))
            assert ours.standard_error == pytest.approx(ref.std_kappa, abs=allowed)
            assert ours.low == pytest.approx(max(-1.0, ref.kappa_low), abs=2 * allowed)
            assert ours.high == pytest.approx(min(1.0, ref.kappa_upp), abs=2 * allowed)
        else:  # statsmodels' variance rounded to 0 or below: ours is as good as 0 too
            assert ours.standard_error**2 <= noise


@settings(max_examples=400, deadline=None)
@given(graded_pairs(min_n=2))
def test_ac1_and_ac2_match_gwets_raw_ratings_formulas(case: tuple[int, list[tuple[int, int]]]) -> None:
    k, pairs = case
    table = agreement_table(pairs, k)
    n = len(pairs)
    for weighting in WEIGHTINGS:
        ours = gwet_ac(table, weighting)
        value, se = gwet_from_raw_ratings(pairs, k, weighting)
        assert ours.value == pytest.approx(value, abs=TOLERANCE)
        assert ours.standard_error == pytest.approx(se, abs=TOLERANCE)
        half = stats.t.ppf(0.975, n - 1) * se
        assert ours.low == pytest.approx(max(-1.0, value - half), abs=TOLERANCE)
        assert ours.high == pytest.approx(min(1.0, value + half), abs=TOLERANCE)


@settings(max_examples=300, deadline=None)
@given(graded_pairs())
def test_per_cent_figures_and_no_nan_ever(case: tuple[int, list[tuple[int, int]]]) -> None:
    k, pairs = case
    result = pair_agreement(pairs, k)
    assert result.n == len(pairs)
    assert sum(map(sum, result.table)) == len(pairs)
    if pairs:
        assert result.exact_per_cent == pytest.approx(100 * sum(a == b for a, b in pairs) / len(pairs))
        assert result.within_one_per_cent == pytest.approx(100 * sum(abs(a - b) <= 1 for a, b in pairs) / len(pairs))
    for number in every_number(result):
        assert number is None or math.isfinite(number)
    for e in estimates(result):
        assert (e.value is None) == (e.reason is not None)
        if e.value is not None:
            assert e.low is not None and e.high is not None
            assert -1 <= e.low <= e.value <= e.high <= 1
    assert result.judgeable == (len(pairs) >= MIN_PAIRS)


# --- worked cases -----------------------------------------------------------------------------------

# Gwet (2014), Handbook of Inter-Rater Reliability: 100 pregnant women classified by two abstractors
# into Ectopic, Abnormal intra-uterine, Normal intra-uterine. irrCAC's documentation (table.CAC,
# dataset table_cont3x3abstractors) gives AC1 0.84933 (0.76358 to 0.93508) and quadratic AC2
# 0.94024, se 0.01792 (0.90468 to 0.97579); statsmodels gives quadratic kappa 0.892157, se 0.035352.
ABSTRACTORS = ((13, 0, 0), (0, 20, 7), (0, 4, 56))


def test_gwets_abstractors_example() -> None:
    ac1 = gwet_ac(ABSTRACTORS, "identity")
    assert (round(ac1.value, 5), round(ac1.low, 5), round(ac1.high, 5)) == (0.84933, 0.76358, 0.93508)
    assert round(ac1.standard_error, 5) == 0.04322
    assert (ac1.observed, ac1.chance) == (0.89, pytest.approx(0.269925, abs=1e-15))
    ac2 = gwet_ac(ABSTRACTORS, "quadratic")
    assert (round(ac2.value, 5), round(ac2.standard_error, 5)) == (0.94024, 0.01792)
    assert (round(ac2.low, 5), round(ac2.high, 5)) == (0.90468, 0.97579)
    assert (ac2.observed, round(ac2.chance, 5)) == (0.9725, 0.53985)


def test_abstractors_kappa_by_hand() -> None:
    # Unweighted: p_o = (13 + 20 + 56) / 100 = 0.89. Rows 13, 27, 60; columns 13, 24, 63:
    # p_e = 0.13·0.13 + 0.27·0.24 + 0.60·0.63 = 0.0169 + 0.0648 + 0.378 = 0.4597;
    # κ = (0.89 - 0.4597) / (1 - 0.4597) = 0.4303 / 0.5403.
    kappa = cohen_kappa(ABSTRACTORS)
    assert kappa.value == pytest.approx(4303 / 5403, abs=1e-15)
    assert (kappa.observed, kappa.chance) == (pytest.approx(0.89), pytest.approx(0.4597))
    # Quadratic weights on three grades: 1, 3/4, 0. p_o = 0.89 + 0.75·(7 + 4)/100 = 0.9725;
    # p_e = Σ w_ij p_i. p_.j = 0.745; κ = (0.9725 - 0.745) / (1 - 0.745) = 0.2275 / 0.255 = 0.892157.
    quadratic = cohen_kappa(ABSTRACTORS, "quadratic")
    assert quadratic.value == pytest.approx(0.2275 / 0.255, abs=1e-15)
    assert round(quadratic.standard_error, 6) == 0.035352


# The paradox: 100 moderated audits on Inadequate (0) < Requires improvement (1) < Good (2) <
# Outstanding (3). 90 both Good; 4 auditor Good, moderator RI; 3 auditor RI, moderator Good;
# 2 auditor Outstanding, moderator Good; 1 both RI. Nobody used Inadequate.
PARADOX = [(2, 2)] * 90 + [(2, 1)] * 4 + [(1, 2)] * 3 + [(3, 2)] * 2 + [(1, 1)]


def test_skewed_scale_paradox_high_agreement_low_kappa_high_ac2() -> None:
    result = pair_agreement(PARADOX, 4)
    # 91 of 100 the same grade; every disagreement is one grade.
    assert (result.exact_per_cent, result.within_one_per_cent) == (91.0, 100.0)
    # Kappa. Auditor's shares (I, RI, G, O) = (0, .04, .94, .02); moderator's = (0, .05, .95, 0).
    # Unweighted: p_e = .04·.05 + .94·.95 = .895, κ = (.91 - .895) / (1 - .895) = .015 / .105 = 1/7.
    assert result.kappa.value == pytest.approx(1 / 7, abs=1e-15)
    assert result.kappa.chance == pytest.approx(0.895, abs=1e-15)
    # Linear weights 1, 2/3, 1/3, 0: p_o = .91 + .09·2/3 = .97;
    # p_e = .04(.05 + 2/3·.95) + .94(2/3·.05 + .95) + .02(1/3·.05 + 2/3·.95) = .0273… + .9243… + .013 = .96466…;
    # κ = .00533… / .03533… = 8/53.
    assert result.kappa_linear.value == pytest.approx(8 / 53, abs=1e-15)
    # Quadratic weights 1, 8/9, 5/9, 0: p_o = .91 + .09·8/9 = .99, p_e = .988, κ = .002 / .012 = 1/6.
    assert result.kappa_quadratic.value == pytest.approx(1 / 6, abs=1e-15)
    # AC1. π = (0, .045, .945, .01); Σ π(1 - π) = .042975 + .051975 + .0099 = .10485 = 2097/20000.
    # Identity weights: T/(q(q-1)) = 4/12 = 1/3, p_e = .03495, AC1 = (.91 - .03495)/(1 - .03495) = 17501/19301.
    assert result.ac1.value == pytest.approx(17501 / 19301, abs=1e-15)
    assert result.ac1.chance == pytest.approx(0.03495, abs=1e-15)
    # Linear: T = 4 + 6·2/3 + 4·1/3 = 28/3, T/12 = 7/9, p_e = .08155, AC2 = .88845/.91845 = 5923/6123.
    assert result.ac2_linear.value == pytest.approx(5923 / 6123, abs=1e-15)
    # Quadratic: T = 4 + 6·8/9 + 4·5/9 = 104/9, T/12 = 26/27, p_e = 3029/30000, AC2 = 26671/26971.
    assert result.ac2_quadratic.value == pytest.approx(26671 / 26971, abs=1e-15)
    # Standard errors and intervals as irrCAC 0.4.4 computes them for this table (CAC(...).gwet(), cohen()).
    assert result.ac1.standard_error == pytest.approx(0.030478669605, abs=1e-12)
    assert (result.ac1.low, result.ac1.high) == (pytest.approx(0.8462642905, abs=1e-9),
                                                 pytest.approx(0.967216876279, abs=1e-9))
    assert result.ac2_quadratic.standard_error == pytest.approx(0.003845598168, abs=1e-12)
    assert result.kappa.standard_error == pytest.approx(0.159740870267, abs=1e-12)
    assert result.kappa_quadratic.standard_error == pytest.approx(0.153926966116, abs=1e-12)
    # What the QA lead sees: kappa's interval reaches below zero, AC1's stays above 0.84.
    assert result.kappa.low is not None and result.kappa.low < 0
    assert result.ac1.low is not None and result.ac1.low > 0.84
    assert result.judgeable and result.verdict == "n = 100"
    assert result.shown(result.kappa) == "0.14 (95% CI -0.17 to 0.46)"
    assert result.shown(result.ac2_quadratic) == "0.99 (95% CI 0.98 to 1.00)"


def test_perfect_agreement_on_two_grades() -> None:
    # 6 Good and 4 Requires improvement, all agreed: p_o = 1, every coefficient is 1 with no spread.
    result = pair_agreement([(2, 2)] * 6 + [(1, 1)] * 4, 4)
    for e in estimates(result):
        assert (e.value, e.standard_error, e.low, e.high) == (1.0, 0.0, 1.0, 1.0)


def test_total_disagreement_on_two_grades_is_minus_one() -> None:
    # Each rater says the opposite of the other, half each way: p_o = 0, p_e = 1/2, κ = -1.
    result = pair_agreement([(0, 1)] * 5 + [(1, 0)] * 5, 2)
    assert result.kappa.value == -1.0
    assert result.ac1.value == -1.0
    assert result.exact_per_cent == 0.0 and result.within_one_per_cent == 100.0


def test_a_grade_nobody_used_still_counts() -> None:
    pairs = [(0, 0)] * 5 + [(1, 1)] * 4 + [(0, 1)] * 2 + [(1, 0)]
    on_two, on_three = pair_agreement(pairs, 2), pair_agreement(pairs, 3)
    # Unweighted kappa: an unused grade adds nothing to chance agreement.
    assert on_two.kappa.value == pytest.approx(on_three.kappa.value, abs=1e-15)
    # AC1's chance agreement divides by q - 1: with q = 3, p_e halves and AC1 rises.
    # π = (13/24, 11/24); Σ π(1 - π) = 2·143/576 = 143/288; p_e = 143/288 (q = 2) or 143/576 (q = 3).
    assert on_two.ac1.chance == pytest.approx(143 / 288, abs=1e-15)
    assert on_three.ac1.chance == pytest.approx(143 / 576, abs=1e-15)
    assert on_three.ac1.value > on_two.ac1.value  # type: ignore[operator]


def test_weights() -> None:
    assert agreement_weights(4, "linear")[0] == (1, Fraction(2, 3), Fraction(1, 3), 0)
    assert agreement_weights(4, "quadratic")[0] == (1, Fraction(8, 9), Fraction(5, 9), 0)
    assert agreement_weights(2, "linear") == agreement_weights(2, "quadratic") == agreement_weights(2, "identity")
    with pytest.raises(ValueError):
        agreement_weights(4, "cubic")  # type: ignore[arg-type]


# --- small numbers and degenerate tables --------------------------------------------------------------

def test_no_pairs() -> None:
    result = pair_agreement([], 4)
    assert (result.n, result.judgeable, result.verdict) == (0, False, "n = 0: no moderated pairs")
    assert result.exact_per_cent is None and result.within_one_per_cent is None
    for e in estimates(result):
        assert e.value is None and e.reason == "there are no pairs to compare"
        assert e.text() == "not available: there are no pairs to compare"


def test_one_pair() -> None:
    result = pair_agreement([(1, 2)], 4)
    assert (result.exact_per_cent, result.within_one_per_cent) == (0.0, 100.0)
    assert result.verdict == "n = 1: too few to judge"
    for e in estimates(result):
        assert e.value is None and e.reason == "one pair is too few to tell agreement from chance"


def test_every_pair_in_one_grade() -> None:
    result = pair_agreement([(2, 2)] * 30, 4)
    for e in (result.kappa, result.kappa_linear, result.kappa_quadratic):
        assert e.value is None and e.chance == 1.0
        assert e.reason is not None and "chance alone would agree every time" in e.reason
    # AC1 and AC2 do not divide by zero: chance agreement is 0 when both raters always pick one grade.
    for e in (result.ac1, result.ac2_linear, result.ac2_quadratic):
        assert (e.value, e.chance, e.standard_error) == (1.0, 0.0, 0.0)
    assert result.judgeable


def test_a_scale_of_one_grade() -> None:
    result = pair_agreement([(0, 0)] * 12, 1)
    assert result.exact_per_cent == 100.0
    for e in estimates(result):
        assert e.value is None and e.reason is not None and "only one grade" in e.reason


def test_too_few_to_judge_is_what_is_shown() -> None:
    result = pair_agreement([(2, 2), (2, 1), (1, 1), (3, 2)], 4)
    assert not result.judgeable
    assert result.verdict == "n = 4: too few to judge"
    assert result.kappa.value is not None  # computed, for whoever needs it, but not shown bare
    assert result.shown(result.kappa) == "n = 4: too few to judge"
    nine = pair_agreement([(2, 2)] * 8 + [(1, 2)], 4)
    ten = pair_agreement([(2, 2)] * 9 + [(1, 2)], 4)
    assert (nine.judgeable, ten.judgeable) == (False, True)
    assert MIN_PAIRS == 10


@pytest.mark.parametrize("bad", [(4, 0), (0, -1), (1.0, 1), (True, 0), ("2", 1)])
def test_a_grade_off_the_scale_is_the_callers_mistake(bad: tuple[object, object]) -> None:
    with pytest.raises(ValueError, match="a grade must be an index from 0 to 3"):
        pair_agreement([(1, 1), bad], 4)  # type: ignore[list-item]


@pytest.mark.parametrize("k", [0, -2, 2.0, True])
def test_a_scale_needs_a_grade(k: object) -> None:
    with pytest.raises(ValueError, match="a grade scale has at least one grade"):
        pair_agreement([], k)  # type: ignore[arg-type]


def test_the_arithmetic_is_the_standard_library_only() -> None:
    # numpy, scipy and the rest are for checking it; qadesk computes every figure itself.
    names = ["agreement", "agreement_drift", "agreement_multi", "agreement_groups", "distributions"]
    for name in names:
        tree = ast.parse((PACKAGE / "core" / f"{name}.py").read_text("utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.Import | ast.ImportFrom):
                modules = [a.name for a in node.names] if isinstance(node, ast.Import) else [node.module or ""]
                for module in modules:
                    top = module.split(".")[0]
                    assert top == "qadesk" or top in sys.stdlib_module_names, f"{name} imports {module}"


@pytest.mark.parametrize("table", [((1, 2),), ((1, 0), (0,)), ((1, -1), (0, 2))])
def test_a_table_that_is_not_k_by_k_counts_is_refused(table: tuple[tuple[int, ...], ...]) -> None:
    for statistic in (cohen_kappa, gwet_ac):
        with pytest.raises(ValueError, match="an agreement table is k rows of k counts"):
            statistic(table)
