"""Drift: an auditor's mean signed difference from moderation, its t interval (checked against scipy), the rule."""

from __future__ import annotations

import math
import statistics

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import stats

from qadesk.core.agreement_drift import MIN_DRIFT_PAIRS, drift
from tests.unit.agreement_strategies import graded_pairs


@settings(max_examples=400, deadline=None)
@given(graded_pairs())
def test_mean_and_interval_match_scipy_and_the_rule_holds(case: tuple[int, list[tuple[int, int]]]) -> None:
    _, pairs = case
    result = drift(pairs)
    differences = [a - b for a, b in pairs]
    n = len(differences)
    assert result.n == n
    assert (result.higher, result.lower) == (sum(d > 0 for d in differences), sum(d < 0 for d in differences))
    if n == 0:
        assert result.mean is None and result.low is None
        return
    assert result.mean == pytest.approx(statistics.fmean(differences), abs=1e-12)
    if n == 1:
        assert result.low is None and result.high is None and result.standard_deviation is None
    else:
        sd = statistics.stdev(differences)
        assert result.standard_deviation == pytest.approx(sd, abs=1e-12)
        if sd > 0:
            low, high = stats.t.interval(0.95, n - 1, loc=statistics.fmean(differences), scale=sd / math.sqrt(n))
        else:
            low = high = statistics.fmean(differences)
        assert (result.low, result.high) == (pytest.approx(low, abs=1e-9), pytest.approx(high, abs=1e-9))
    assert result.low is None or math.isfinite(result.low)
    if n < MIN_DRIFT_PAIRS:
        expected = "too few to judge"
    elif result.low is not None and result.low > 0:
        expected = "more generous"
    elif result.high is not None and result.high < 0:
        expected = "more severe"
    else:
        expected = "no consistent drift"
    assert result.direction == expected
    assert result.warning == (expected in ("more generous", "more severe"))
    assert result.verdict.startswith(f"n = {n}: ")


def test_a_generous_auditor_worked_by_hand() -> None:
    # Ten audits: six graded one better than moderation, four the same. d = 1, 1, 1, 1, 1, 1, 0, 0, 0, 0.
    # Mean 0.6. s² = (6·0.4² + 4·0.6²) / 9 = 2.4 / 9, s = 0.5164; s/√10 = 0.16330.
    # t(0.975, 9) = 2.26216 (printed tables: 2.262), half-width 0.36941: 0.2306 to 0.9694, clear of 0.
    result = drift([(2, 1)] * 6 + [(2, 2)] * 4)
    assert result.mean == pytest.approx(0.6, abs=1e-15)
    assert result.standard_deviation == pytest.approx(math.sqrt(2.4 / 9), abs=1e-15)
    assert result.low == pytest.approx(0.6 - 2.262157162798205 * math.sqrt(2.4 / 9) / math.sqrt(10), abs=1e-12)
    assert result.direction == "more generous" and result.warning
    assert result.verdict == "n = 10: more generous than moderation, by 0.60 of a grade on average (95% CI 0.23 to 0.97)"


def test_a_severe_auditor() -> None:
    result = drift([(1, 2)] * 6 + [(2, 2)] * 4)
    assert result.direction == "more severe"
    assert result.verdict == "n = 10: more severe than moderation, by 0.60 of a grade on average (95% CI -0.97 to -0.23)"


def test_eight_is_the_floor() -> None:
    seven = drift([(3, 2)] * 7)
    assert (seven.direction, seven.verdict) == ("too few to judge", "n = 7: too few to judge")
    assert not seven.warning
    eight = drift([(3, 2)] * 8)  # all eight one grade better: no spread, the interval is the point 1
    assert (eight.low, eight.high) == (1.0, 1.0)
    assert eight.direction == "more generous"
    assert eight.verdict == "n = 8: more generous than moderation, by 1.00 grades on average (95% CI 1.00 to 1.00)"
    assert MIN_DRIFT_PAIRS == 8


def test_disagreement_both_ways_is_no_consistent_drift() -> None:
    # Five one better, four one worse, three the same: mean 1/12; s² = (5·(11/12)² + 4·(13/12)² + 3·(1/12)²) / 11
    # = 1284/1584, s = 0.9003, s/√12 = 0.2599; t(0.975, 11) = 2.2010, half-width 0.5721: -0.49 to 0.66.
    result = drift([(3, 2)] * 5 + [(1, 2)] * 4 + [(2, 2)] * 3)
    assert result.standard_deviation == pytest.approx(math.sqrt(1284 / 1584), abs=1e-15)
    assert result.direction == "no consistent drift"
    assert result.verdict == "n = 12: no consistent drift (mean +0.08, 95% CI -0.49 to 0.66)"
    assert (result.higher, result.lower) == (5, 4)


def test_an_interval_touching_zero_is_no_drift() -> None:
    # Only an interval wholly clear of zero warns; all agreed gives the interval 0 to 0.
    result = drift([(2, 2)] * 20)
    assert (result.low, result.high, result.direction) == (0.0, 0.0, "no consistent drift")


def test_none_and_one() -> None:
    none = drift([])
    assert (none.n, none.mean, none.direction, none.verdict) == (0, None, "too few to judge", "n = 0: no moderated audits")
    one = drift([(3, 1)])
    assert (one.mean, one.low, one.standard_deviation) == (2.0, None, None)
    assert one.verdict == "n = 1: too few to judge"


@given(st.lists(st.tuples(st.integers(0, 6), st.integers(0, 6)), max_size=60))
def test_swapping_the_sides_mirrors_the_drift(pairs: list[tuple[int, int]]) -> None:
    forward, backward = drift(pairs), drift([(b, a) for a, b in pairs])
    assert (forward.higher, forward.lower) == (backward.lower, backward.higher)
    if forward.mean is not None:
        assert backward.mean == -forward.mean
    mirror = {"more generous": "more severe", "more severe": "more generous"}
    assert backward.direction == mirror.get(forward.direction, forward.direction)
