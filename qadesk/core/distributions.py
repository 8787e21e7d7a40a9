"""Quantiles of the normal and Student's t distributions, in plain Python, for confidence intervals.

The normal quantile is the standard library's (:class:`statistics.NormalDist`, Wichura's AS 241).
Student's t has none there, so :func:`t_quantile` is built here from the regularised incomplete beta
function, which gives the t distribution's tail exactly:

    P(T > t) = ½ · I_x(ν/2, ½),  x = ν / (ν + t²),  for t > 0 and ν degrees of freedom

(Abramowitz and Stegun 26.7.1 and 26.5.27). I_x(a, b) is evaluated by its continued fraction
(Abramowitz and Stegun 26.5.8, with the modified Lentz method, as in Press et al., Numerical
Recipes, section 6.4), and the quantile found by Newton's method on that tail, kept inside a
bracket that bisection narrows whenever a Newton step would leave it. For ν above 1,000 the
Cornish-Fisher expansion of A&S 26.7.5 is exact to within the rounding of a double. The results
agree with scipy.stats.t.ppf to 1e-9 or better (tests/unit/test_agreement_distributions.py).
"""

from __future__ import annotations

import math
from statistics import NormalDist

_STANDARD_NORMAL = NormalDist()
# Above this many degrees of freedom the A&S 26.7.5 series (error of order ν⁻⁵) is used directly.
_SERIES_DF = 1000.0


def normal_quantile(p: float) -> float:
    """The value z with P(Z ≤ z) = p for a standard normal Z (0 < p < 1)."""
    if not 0.0 < p < 1.0:
        raise ValueError(f"a probability strictly between 0 and 1 is needed, not {p!r}")
    return _STANDARD_NORMAL.inv_cdf(p)


def t_quantile(p: float, df: float) -> float:
    """The value t with P(T ≤ t) = p for Student's t with ``df`` degrees of freedom (0 < p < 1, df ≥ 1).

    ``t_quantile(0.975, n - 1)`` is the multiplier of a two-sided 95% interval from n observations.
    """
    if not 0.0 < p < 1.0:
        raise ValueError(f"a probability strictly between 0 and 1 is needed, not {p!r}")
    if not 1 <= df < math.inf:
        raise ValueError(f"degrees of freedom must be a number of at least 1, not {df!r}")
    if p == 0.5:
        return 0.0
    # Work on the smaller tail as given (1 - p loses digits when p is tiny), then restore the sign.
    sign, tail = (1.0, 1.0 - p) if p > 0.5 else (-1.0, p)
    if df == 1:
        return sign / math.tan(math.pi * tail)  # Cauchy, exactly
    if df == 2:
        return sign * (1 - 2 * tail) / math.sqrt(2 * tail * (1 - tail))  # A&S 26.7.4 for ν = 2
    guess = _cornish_fisher(-normal_quantile(tail), df)
    if df > _SERIES_DF:
        return sign * guess
    return sign * _newton(tail, df, guess)


def t_upper_tail(t: float, df: float) -> float:
    """P(T > t) for Student's t with ``df`` degrees of freedom."""
    if t == 0:
        return 0.5
    if t < 0:
        return 1.0 - t_upper_tail(-t, df)
    t2 = t * t
    return 0.5 * _incomplete_beta(df / 2, 0.5, df / (df + t2), t2 / (df + t2))


def _cornish_fisher(z: float, df: float) -> float:
    """A&S 26.7.5: t in terms of the normal quantile z, to the fourth power of 1/ν."""
    z2 = z * z
    g1 = (z2 + 1) * z / 4
    g2 = ((5 * z2 + 16) * z2 + 3) * z / 96
    g3 = (((3 * z2 + 19) * z2 + 17) * z2 - 15) * z / 384
    g4 = ((((79 * z2 + 776) * z2 + 1482) * z2 - 1920) * z2 - 945) * z / 92160
    return z + g1 / df + g2 / df**2 + g3 / df**3 + g4 / df**4


def _t_density(t: float, df: float) -> float:
    log_norm = math.lgamma((df + 1) / 2) - math.lgamma(df / 2) - 0.5 * math.log(df * math.pi)
    return math.exp(log_norm - (df + 1) / 2 * math.log1p(t * t / df))


def _newton(tail: float, df: float, guess: float) -> float:
    """Solve P(T > t) = tail for t > 0 by Newton's method, safeguarded by a shrinking bracket."""
    low, high = 0.0, max(guess, 1.0)
    while t_upper_tail(high, df) > tail:  # widen until the answer is inside
        low, high = high, high * 2
    t = guess if low < guess < high else (low + high) / 2
    for _ in range(200):
        excess = t_upper_tail(t, df) - tail  # > 0: t is too small
        if excess > 0:
            low = t
        else:
            high = t
        step = excess / _t_density(t, df)  # d(tail)/dt = -density
        candidate = t + step
        if not low < candidate < high:
            candidate = (low + high) / 2
        if abs(candidate - t) <= 1e-15 * max(1.0, abs(t)):
            return candidate
        t = candidate
    return t


def _incomplete_beta(a: float, b: float, x: float, y: float) -> float:
    """The regularised incomplete beta function I_x(a, b), with y = 1 - x passed in for its precision."""
    if x <= 0:
        return 0.0
    if y <= 0:
        return 1.0
    log_front = (math.lgamma(a + b) - math.lgamma(a) - math.lgamma(b) + a * math.log(x) + b * math.log(y))
    if x < (a + 1) / (a + b + 2):
        return math.exp(log_front) * _beta_fraction(a, b, x) / a
    return 1.0 - math.exp(log_front) * _beta_fraction(b, a, y) / b


def _beta_fraction(a: float, b: float, x: float) -> float:
    """The continued fraction of A&S 26.5.8, by the modified Lentz method."""
    tiny = 1e-300
    qab, qap, qam = a + b, a + 1, a - 1
    c = 1.0
    d = 1.0 - qab * x / qap
    d = 1.0 / (d if abs(d) > tiny else tiny)
    h = d
    for m in range(1, 10_000):
        m2 = 2 * m
        for numerator in (m * (b - m) * x / ((qam + m2) * (a + m2)),
                          -(a + m) * (qab + m) * x / ((a + m2) * (qap + m2))):
            d = 1.0 + numerator * d
            d = 1.0 / (d if abs(d) > tiny else tiny)
            c = 1.0 + numerator / c
            c = c if abs(c) > tiny else tiny
            delta = c * d
            h *= delta
        if abs(delta - 1.0) < 1e-16:
            break
    return h
