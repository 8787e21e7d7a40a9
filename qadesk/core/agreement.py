"""How well two people's grades agree: an auditor's grade against the moderator's, over many audits.

Grades are ordinal. A template's scale is an ordered list of k categories (2 to 7 of them), and a
grade is given here as its index, ``0`` for the lowest (e.g. Inadequate) up to ``k - 1`` for the
highest (e.g. Outstanding). k is always passed explicitly, so a grade that nobody used still counts
in the weights and in the chance agreement. A *pair* is ``(auditor's grade, moderator's grade)``.

:func:`pair_agreement` gives every figure the QA lead sees for a set of pairs
(docs/moderation-statistics.md explains each in plain English):

* per cent exact agreement and per cent within one grade;
* Cohen's kappa, unweighted and with linear and quadratic weights, each with a 95% interval;
* Gwet's AC1 (unweighted) and AC2 (linear and quadratic weights), each with a 95% interval.

Arithmetic is exact (:class:`fractions.Fraction`) up to the square root of a variance, so a
degenerate table is recognised as such rather than by a rounding accident, and a statistic that
cannot be computed is ``None`` with the reason, never an exception, an infinity or NaN.

Weights are agreement weights, 1 for the same grade and less for grades further apart: with i and
j grade indices on a scale of k, identity ``[i == j]``, linear ``1 - |i - j| / (k - 1)``, quadratic
``1 - (i - j)² / (k - 1)²``. On a two-grade scale all three are the same.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from fractions import Fraction
from math import sqrt
from typing import Literal

from qadesk.core.distributions import normal_quantile, t_quantile

Weighting = Literal["identity", "linear", "quadratic"]
WEIGHTINGS: tuple[Weighting, ...] = ("identity", "linear", "quadratic")
# Below this many pairs the figures are computed but not judgeable: callers show the verdict
# ("n = 4: too few to judge"), never a bare figure. With fewer than ten pairs a single
# disagreement moves per cent agreement by more than ten points and kappa's interval is wider
# than the whole scale of interpretations people read into it.
MIN_PAIRS = 10
CONFIDENCE = 0.95

Table = tuple[tuple[int, ...], ...]


@dataclass(frozen=True)
class Estimate:
    """One chance-corrected agreement coefficient, with its standard error and 95% interval.

    ``value`` is None when the coefficient cannot be computed, and ``reason`` then says why in a
    sentence a QA lead can read. ``observed`` and ``chance`` are the (weighted) proportions of
    agreement seen and expected by chance that the coefficient compares: (observed - chance) /
    (1 - chance). The interval is clipped to [-1, 1], the range the coefficients can take.
    """

    name: str
    value: float | None
    standard_error: float | None = None
    low: float | None = None
    high: float | None = None
    observed: float | None = None
    chance: float | None = None
    reason: str | None = None

    def text(self, digits: int = 2) -> str:
        """"0.62 (95% CI 0.41 to 0.83)", "0.62" where there is no interval, or why there is no figure."""
        if self.value is None:
            return f"not available: {self.reason}"
        if self.low is None or self.high is None:
            return f"{self.value:.{digits}f}"
        return f"{self.value:.{digits}f} (95% CI {self.low:.{digits}f} to {self.high:.{digits}f})"


@dataclass(frozen=True)
class PairAgreement:
    """Every agreement figure for one set of (auditor, moderator) pairs on a scale of k grades.

    ``judgeable`` is False below :data:`MIN_PAIRS` pairs; ``verdict`` is what to show then instead
    of a figure ("n = 4: too few to judge"), and just "n = 36" otherwise. :meth:`shown` does that
    choice for one figure. ``table[i][j]`` counts the pairs with auditor grade i and moderator
    grade j, for the chart of one grade against the other.
    """

    n: int
    k: int
    table: Table
    exact_per_cent: float | None
    within_one_per_cent: float | None
    kappa: Estimate
    kappa_linear: Estimate
    kappa_quadratic: Estimate
    ac1: Estimate
    ac2_linear: Estimate
    ac2_quadratic: Estimate
    judgeable: bool
    verdict: str

    def shown(self, estimate: Estimate, digits: int = 2) -> str:
        """What a screen or report prints for ``estimate``: the verdict unless the pairs are judgeable."""
        return estimate.text(digits) if self.judgeable else self.verdict


def verdict_for(n: int, minimum: int = MIN_PAIRS, unit: str = "moderated pairs") -> tuple[bool, str]:
    """(judgeable, verdict) for n observations: "n = 0: no moderated pairs", "n = 4: too few to judge", "n = 36"."""
    if n == 0:
        return False, f"n = 0: no {unit}"
    if n < minimum:
        return False, f"n = {n}: too few to judge"
    return True, f"n = {n}"


def agreement_table(pairs: Iterable[tuple[int, int]], k: int) -> Table:
    """The k × k table of counts: ``table[a][b]`` is how many pairs are (a, b).

    Raises ValueError for a grade outside 0..k-1 or a scale of no grades: those are mistakes of the
    caller, not of the people grading.
    """
    _check_scale(k)
    counts = [[0] * k for _ in range(k)]
    for pair in pairs:
        a, b = pair
        for grade in (a, b):
            if not isinstance(grade, int) or isinstance(grade, bool) or not 0 <= grade < k:
                raise ValueError(f"a grade must be an index from 0 to {k - 1}, not {grade!r}")
        counts[a][b] += 1
    return tuple(tuple(row) for row in counts)


def agreement_weights(k: int, weighting: Weighting) -> tuple[tuple[Fraction, ...], ...]:
    """The k × k agreement weights: 1 on the diagonal, falling linearly or quadratically to 0 at the corners."""
    _check_scale(k)
    if weighting not in WEIGHTINGS:
        raise ValueError(f"weighting must be one of {', '.join(WEIGHTINGS)}, not {weighting!r}")

    def weight(i: int, j: int) -> Fraction:
        if i == j:
            return Fraction(1)
        if weighting == "identity":
            return Fraction(0)
        span = Fraction(abs(i - j), k - 1)
        return 1 - (span if weighting == "linear" else span * span)

    return tuple(tuple(weight(i, j) for j in range(k)) for i in range(k))


def pair_agreement(pairs: Iterable[tuple[int, int]], k: int) -> PairAgreement:
    """Every figure of :class:`PairAgreement` for ``pairs`` of grade indices on a scale of ``k`` grades."""
    table = agreement_table(pairs, k)
    n = sum(map(sum, table))
    exact = within_one = None
    if n:
        exact = 100 * sum(table[i][i] for i in range(k)) / n
        within_one = 100 * sum(table[i][j] for i in range(k) for j in range(k) if abs(i - j) <= 1) / n
    judgeable, verdict = verdict_for(n)
    return PairAgreement(
        n=n, k=k, table=table, exact_per_cent=exact, within_one_per_cent=within_one,
        kappa=cohen_kappa(table, "identity"),
        kappa_linear=cohen_kappa(table, "linear"),
        kappa_quadratic=cohen_kappa(table, "quadratic"),
        ac1=gwet_ac(table, "identity"),
        ac2_linear=gwet_ac(table, "linear"),
        ac2_quadratic=gwet_ac(table, "quadratic"),
        judgeable=judgeable, verdict=verdict,
    )


def cohen_kappa(table: Table, weighting: Weighting = "identity") -> Estimate:
    """Cohen's kappa (weighted by ``weighting``) for a k × k table, with its large-sample 95% interval.

    With p_ij the share of pairs in cell (i, j), p_i. and p_.j the two raters' shares of grade i and
    j, and w_ij the agreement weights::

        p_o = Σ w_ij p_ij              p_e = Σ w_ij p_i. p_.j              κ = (p_o - p_e) / (1 - p_e)

    (Cohen 1960; weighted, Cohen 1968). The standard error is the large-sample one of Fleiss, Cohen
    and Everitt (1969), "Large sample standard errors of kappa and weighted kappa", Psychological
    Bulletin 72(5), 323-327, the one statsmodels' ``cohens_kappa`` reports as ``std_kappa``::

        var(κ) = [Σ p_ij (w_ij - (w̄_i. + w̄_.j)(1 - κ))² - (κ - p_e (1 - κ))²] / (n (1 - p_e)²)

    with w̄_i. = Σ_j p_.j w_ij and w̄_.j = Σ_i p_i. w_ij; the interval is κ ± z₀.₉₇₅ · se (normal).

    None when there are fewer than two pairs, or when chance agreement p_e is 1 (both raters gave
    every pair the same one grade), where kappa is 0/0.
    """
    name = _name("Cohen's kappa", weighting)
    k, n = _size(table)
    missing = _too_few(n, k)
    if missing:
        return Estimate(name, None, reason=missing)
    w = agreement_weights(k, weighting)
    p = [[Fraction(c, n) for c in row] for row in table]
    rows = [exact_sum(p[i]) for i in range(k)]  # the auditor's shares, p_i.
    cols = [exact_sum(p[i][j] for i in range(k)) for j in range(k)]  # the moderator's shares, p_.j
    p_o = exact_sum(w[i][j] * p[i][j] for i in range(k) for j in range(k))
    p_e = exact_sum(w[i][j] * rows[i] * cols[j] for i in range(k) for j in range(k))
    if p_e == 1:
        return Estimate(name, None, observed=float(p_o), chance=1.0,
                        reason="every pair has the same grade on both sides, so chance alone would agree "
                               "every time and kappa is undefined")
    kappa = (p_o - p_e) / (1 - p_e)
    w_row = [exact_sum(cols[j] * w[i][j] for j in range(k)) for i in range(k)]
    w_col = [exact_sum(rows[i] * w[i][j] for i in range(k)) for j in range(k)]
    spread = exact_sum(p[i][j] * (w[i][j] - (w_row[i] + w_col[j]) * (1 - kappa)) ** 2
                 for i in range(k) for j in range(k))
    variance = (spread - (kappa - p_e * (1 - kappa)) ** 2) / (n * (1 - p_e) ** 2)
    se = sqrt(variance)
    half = normal_quantile(1 - (1 - CONFIDENCE) / 2) * se
    return _estimate(name, kappa, se, half, p_o, p_e)


def gwet_ac(table: Table, weighting: Weighting = "identity") -> Estimate:
    """Gwet's AC2 for a k × k table (AC1 with identity weights), with Gwet's 95% interval.

    With π_k = (p_k. + p_.k) / 2 the average share of grade k over both raters, T the sum of all k²
    agreement weights and p_o the weighted observed agreement as for kappa::

        p_e = T / (k (k - 1)) · Σ π_k (1 - π_k)              AC2 = (p_o - p_e) / (1 - p_e)

    Chance agreement here is the chance that a rater grades at random at all, times the chance that
    two random grades agree; it stays small when nearly every grade is the same, which is why AC2
    does not collapse on a skewed scale where kappa does. Variance (Gwet 2014, Handbook of Inter-Rater
    Reliability, 4th edition, the two-rater AC1/AC2 of a contingency table; the formula of irrCAC's
    ``gwet.ac1.table`` in R and ``irrCAC.table.CAC.gwet`` in Python), with the finite-population
    correction left out (the audits moderated are treated as a sample from many)::

        var = [Σ p_kl (w_kl - 2 (1 - AC2) T (1 - (π_k + π_l) / 2) / (k (k - 1)))² - (p_o - 2 (1 - AC2) p_e)²]
              / (n (1 - p_e)²)

    The interval is AC2 ± t₀.₉₇₅,ₙ₋₁ · se (Student's t with n - 1 degrees of freedom, as Gwet does).
    None with fewer than two pairs; chance agreement is always below 1 here, so there is no 0/0.
    """
    name = _name("Gwet's AC1" if weighting == "identity" else "Gwet's AC2", weighting)
    k, n = _size(table)
    missing = _too_few(n, k)
    if missing:
        return Estimate(name, None, reason=missing)
    w = agreement_weights(k, weighting)
    p = [[Fraction(c, n) for c in row] for row in table]
    pi = [(exact_sum(p[g]) + exact_sum(p[i][g] for i in range(k))) / 2 for g in range(k)]
    total_weight = exact_sum(x for row in w for x in row)
    scale = total_weight / (k * (k - 1))
    p_o = exact_sum(w[i][j] * p[i][j] for i in range(k) for j in range(k))
    p_e = scale * exact_sum(x * (1 - x) for x in pi)
    ac = (p_o - p_e) / (1 - p_e)
    spread = exact_sum(p[i][j] * (w[i][j] - 2 * (1 - ac) * scale * (1 - (pi[i] + pi[j]) / 2)) ** 2
                 for i in range(k) for j in range(k))
    variance = (spread - (p_o - 2 * (1 - ac) * p_e) ** 2) / (n * (1 - p_e) ** 2)
    se = sqrt(variance)
    half = t_quantile(1 - (1 - CONFIDENCE) / 2, n - 1) * se
    return _estimate(name, ac, se, half, p_o, p_e)


def exact_sum(values: Iterable[Fraction]) -> Fraction:
    """The sum of exact fractions, typed as one (the builtin sum starts from the integer 0)."""
    return sum(values, Fraction(0))


def _estimate(name: str, value: Fraction, se: float, half: float, p_o: Fraction, p_e: Fraction) -> Estimate:
    v = float(value)
    return Estimate(name, v, standard_error=se, low=max(-1.0, v - half), high=min(1.0, v + half),
                    observed=float(p_o), chance=float(p_e))


def _size(table: Table) -> tuple[int, int]:
    """(k, n) of a table of counts; ValueError for one that is not k × k counts."""
    k = len(table)
    if any(len(row) != k for row in table) or any(not isinstance(c, int) or c < 0 for row in table for c in row):
        raise ValueError("an agreement table is k rows of k counts")
    return k, sum(map(sum, table))


def _too_few(n: int, k: int) -> str | None:
    if k < 2:
        return "the scale has only one grade, so there is nothing to agree or disagree on"
    if n == 0:
        return "there are no pairs to compare"
    if n == 1:
        return "one pair is too few to tell agreement from chance"
    return None


def _name(base: str, weighting: Weighting) -> str:
    return base if weighting == "identity" else f"{base} ({weighting} weights)"


def _check_scale(k: int) -> None:
    if not isinstance(k, int) or isinstance(k, bool) or k < 1:
        raise ValueError(f"a grade scale has at least one grade, not {k!r}")
