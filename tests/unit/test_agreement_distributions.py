"""Student's t and normal quantiles in plain Python, checked against scipy (a test dependency only)."""

from __future__ import annotations

import math

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st
from scipy import stats

from qadesk.core.distributions import normal_quantile, t_quantile, t_upper_tail

PROBABILITIES = (1e-12, 1e-6, 0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.4, 0.6, 0.75, 0.9, 0.95, 0.975,
                 0.99, 0.995, 0.999, 1 - 1e-6, 1 - 1e-9)
DEGREES = (*range(1, 41), 45, 50, 60, 75, 99, 100, 120, 200, 500, 999, 1000, 1001, 5000, 10**5, 10**7,
           1.5, 2.5, 3.7, 10.25)


def close(ours: float, reference: float) -> bool:
    # Relative to the size of the answer; absolute near zero, where scipy itself is only good to ~1e-10
    # (t.ppf(0.5000001, 4) is 2.6656e-7 in scipy 1.17; the exact value is 2.6667e-7).
    return abs(ours - reference) <= 1e-9 * max(1.0, abs(reference))


@pytest.mark.parametrize("df", DEGREES)
def test_t_quantile_matches_scipy_on_a_grid(df: float) -> None:
    for p in PROBABILITIES:
        assert close(t_quantile(p, df), stats.t.ppf(p, df)), (p, df)


@settings(max_examples=400, deadline=None)
@given(p=st.floats(1e-10, 1 - 1e-10), df=st.one_of(st.integers(1, 2000), st.floats(1, 5000)))
def test_t_quantile_matches_scipy_anywhere(p: float, df: float) -> None:
    assert close(t_quantile(p, df), stats.t.ppf(p, df))


@settings(max_examples=300, deadline=None)
@given(t=st.floats(-1e4, 1e4), df=st.integers(1, 3000))
@example(t=1e-09, df=1)  # scipy gives 0.5 here; the exact tail is 0.5 - atan(t)/pi = 0.49999999968...
def test_t_tail_matches_scipy(t: float, df: int) -> None:
    # One and two degrees of freedom have closed forms (the Cauchy tail; 1/2 - t / (2 sqrt(2 + t^2))), exact
    # where scipy's series rounds a tail within 1e-9 of one half to 0.5: the reference is the closed form,
    # written so that no digits cancel (for t > 0, atan(1/t)/pi and 1/(r (r + t)) with r = sqrt(2 + t^2)).
    if df == 1:
        reference = math.atan(1 / t) / math.pi if t > 0 else 0.5 - math.atan(t) / math.pi
    elif df == 2:
        r = math.sqrt(2 + t * t)
        reference = 1 / (r * (r + t)) if t >= 0 else 1 - 1 / (r * (r - t))
    else:
        reference = stats.t.sf(t, df)
    # lgamma(ν/2 + ½) - lgamma(ν/2) loses a few digits for ν in the thousands: 1e-10 relative.
    assert abs(t_upper_tail(t, df) - reference) <= 1e-10 * reference + 1e-15


def test_the_multipliers_of_a_95_per_cent_interval_from_a_printed_table() -> None:
    # Two-sided 5% points of Student's t as printed in statistical tables (e.g. Lindley and Scott,
    # New Cambridge Statistical Tables, table 10), to three decimals.
    printed = {1: 12.706, 2: 4.303, 3: 3.182, 4: 2.776, 5: 2.571, 7: 2.365, 9: 2.262, 10: 2.228, 20: 2.086,
               30: 2.042, 60: 2.000, 120: 1.980}
    for df, value in printed.items():
        assert round(t_quantile(0.975, df), 3) == value, df
    # Many degrees of freedom: the normal 1.95996 plus (z³ + z) / 4ν, A&S 26.7.5's first term.
    z = 1.959963984540054
    assert t_quantile(0.975, 10**9) == pytest.approx(z + (z**3 + z) / 4e9, abs=1e-14)


def test_symmetry_and_centre() -> None:
    assert t_quantile(0.5, 7) == 0.0
    for df in (1, 2, 3, 30, 2000):
        assert t_quantile(0.1, df) == pytest.approx(-t_quantile(0.9, df), rel=1e-14)  # 1 - 0.9 is not 0.1 exactly
        assert t_quantile(0.25, df) == -t_quantile(0.75, df)
    assert t_upper_tail(0.0, 5) == 0.5


def test_normal_quantile() -> None:
    assert normal_quantile(0.975) == pytest.approx(stats.norm.ppf(0.975), abs=1e-14)
    assert normal_quantile(0.5) == 0.0


@pytest.mark.parametrize(("p", "df"), [(0.0, 5), (1.0, 5), (-0.1, 5), (0.5, 0), (0.5, 0.5), (0.5, math.inf),
                                       (0.5, math.nan), (math.nan, 5)])
def test_impossible_arguments_are_refused(p: float, df: float) -> None:
    with pytest.raises(ValueError):
        t_quantile(p, df)


def test_normal_quantile_refuses_certainty() -> None:
    with pytest.raises(ValueError):
        normal_quantile(1.0)
