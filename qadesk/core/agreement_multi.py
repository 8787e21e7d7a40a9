"""Agreement among several raters: a calibration exercise, where auditors grade the same audit blind.

The ratings are a table of items by raters: ``ratings[i][r]`` is rater r's grade index for item i
(a section or the overall judgement), ``0`` the lowest grade up to ``k - 1``, or None where that
rater gave no grade. Items that fewer than two raters graded cannot show agreement and are left
out of the coefficients (they still count in :func:`spread`).

* :func:`fleiss_kappa` treats grades as unordered categories (a miss by one grade counts as much
  as a miss by three);
* :func:`krippendorff_alpha` with ``metric="ordinal"`` (the default) respects their order, and is
  the figure to read for grades; "interval" treats the steps between grades as equal, and
  "nominal" ignores order as Fleiss' kappa does.

Both are exact (:class:`fractions.Fraction`) and give None with a reason rather than 0/0. No
interval is given: a calibration exercise has a handful of items, and the figures describe that
exercise rather than estimate anything wider.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from fractions import Fraction
from typing import Literal

from qadesk.core.agreement import Estimate, exact_sum, verdict_for

Metric = Literal["nominal", "ordinal", "interval"]
METRICS: tuple[Metric, ...] = ("nominal", "ordinal", "interval")
# Fewer items than this (each graded by two raters or more) are shown as too few to judge.
MIN_ITEMS = 5

Ratings = Sequence[Sequence[int | None]]


@dataclass(frozen=True)
class CalibrationAgreement:
    """The agreement of one calibration exercise: who graded what, and the coefficients across raters."""

    k: int
    raters: int
    items: int  # items graded by at least two raters: the n the verdict speaks of
    pairable: int  # grades on those items: what Krippendorff's alpha counts
    fleiss_kappa: Estimate
    alpha_ordinal: Estimate
    alpha_interval: Estimate
    alpha_nominal: Estimate
    judgeable: bool
    verdict: str


@dataclass(frozen=True)
class Spread:
    """How one item's grades spread: ``counts[g]`` raters gave grade g; lowest and highest given."""

    counts: tuple[int, ...]
    graded: int
    lowest: int | None
    highest: int | None

    @property
    def range(self) -> int | None:
        """Grades between the lowest and the highest given (0: everyone agreed)."""
        return None if self.lowest is None or self.highest is None else self.highest - self.lowest


@dataclass(frozen=True)
class AgainstAgreed:
    """One rater's grades against the grades the panel agreed, over the items both have."""

    rater: int
    n: int
    exact: int  # items where the rater's grade is the agreed one
    within_one: int
    mean_difference: float | None  # rater minus agreed, in grades; above 0: more generous


def calibration_agreement(ratings: Ratings, k: int) -> CalibrationAgreement:
    """Every coefficient of :class:`CalibrationAgreement` for an items × raters table on k grades."""
    rows = _checked(ratings, k)
    items = sum(1 for row in rows if len(row) >= 2)
    pairable = sum(len(row) for row in rows if len(row) >= 2)
    judgeable, verdict = verdict_for(items, MIN_ITEMS, "items graded by two raters or more")
    return CalibrationAgreement(
        k=k, raters=max((len(r) for r in ratings), default=0), items=items, pairable=pairable,
        fleiss_kappa=fleiss_kappa(ratings, k),
        alpha_ordinal=krippendorff_alpha(ratings, k, "ordinal"),
        alpha_interval=krippendorff_alpha(ratings, k, "interval"),
        alpha_nominal=krippendorff_alpha(ratings, k, "nominal"),
        judgeable=judgeable, verdict=verdict,
    )


def fleiss_kappa(ratings: Ratings, k: int) -> Estimate:
    """Fleiss' kappa across raters, grades as unordered categories, allowing missing grades.

    With r_i the number of grades item i received and r_ig how many of them were grade g::

        p_o = mean over items with r_i ≥ 2 of Σ_g r_ig (r_ig - 1) / (r_i (r_i - 1))
        π_g = mean over items with r_i ≥ 1 of r_ig / r_i          p_e = Σ_g π_g²
        κ = (p_o - p_e) / (1 - p_e)

    With every item graded by every rater this is Fleiss (1971), "Measuring nominal scale agreement
    among many raters", Psychological Bulletin 76(5), 378-382, as statsmodels' ``fleiss_kappa``
    computes it; with missing grades it is Gwet's generalisation (Gwet 2014, Handbook of
    Inter-Rater Reliability, 4th edition; irrCAC's ``fleiss.kappa.raw``). None when no item has
    two grades, or when every grade given is the same one (p_e = 1).
    """
    rows = _checked(ratings, k)
    name = "Fleiss' kappa"
    graded = [row for row in rows if row]
    paired = [row for row in graded if len(row) >= 2]
    if not paired:
        return Estimate(name, None, reason=_NO_PAIRS)
    p_o = exact_sum(Fraction(sum(row.count(g) * (row.count(g) - 1) for g in set(row)), len(row) * (len(row) - 1))
                    for row in paired) / len(paired)
    pi = [exact_sum(Fraction(row.count(g), len(row)) for row in graded) / len(graded) for g in range(k)]
    p_e = exact_sum(x * x for x in pi)
    if p_e == 1:
        return Estimate(name, None, observed=float(p_o), chance=1.0, reason=_ALL_SAME)
    return Estimate(name, float((p_o - p_e) / (1 - p_e)), observed=float(p_o), chance=float(p_e))


def krippendorff_alpha(ratings: Ratings, k: int, metric: Metric = "ordinal") -> Estimate:
    """Krippendorff's alpha across raters for ``metric`` differences between grades, allowing missing grades.

    From the coincidence matrix (Krippendorff 2011, "Computing Krippendorff's alpha-reliability",
    University of Pennsylvania; Krippendorff 2004, Content Analysis, 2nd edition): each item with
    m ≥ 2 grades adds 1 / (m - 1) to o_cd for every ordered pair of grades (c, d) from two different
    raters; n_c = Σ_d o_cd and n = Σ_c n_c (the pairable grades). Then::

        α = 1 - (n - 1) · Σ o_cd δ²(c, d) / Σ n_c n_d δ²(c, d)

    with δ² nominal [c ≠ d]; interval (c - d)²; ordinal (Σ_{g = c..d} n_g - (n_c + n_d) / 2)², the
    difference in ranks, so that two grades far apart on the scale as it was used differ more.
    The ``krippendorff`` package's ``alpha`` computes the same. None with no item graded twice, or
    when every pairable grade is the same one (no expected disagreement: 0/0).
    """
    if metric not in METRICS:
        raise ValueError(f"metric must be one of {', '.join(METRICS)}, not {metric!r}")
    rows = _checked(ratings, k)
    name = f"Krippendorff's alpha ({metric})"
    coincidence = [[Fraction(0)] * k for _ in range(k)]
    for row in rows:
        m = len(row)
        if m < 2:
            continue
        counts = [row.count(g) for g in range(k)]
        for c in range(k):
            if counts[c]:
                for d in range(k):
                    pairs = counts[c] * (counts[d] - (c == d))
                    if pairs:
                        coincidence[c][d] += Fraction(pairs, m - 1)
    totals = [exact_sum(row) for row in coincidence]
    n = exact_sum(totals)
    if n == 0:
        return Estimate(name, None, reason=_NO_PAIRS)
    delta = _differences(totals, metric)
    observed = exact_sum(coincidence[c][d] * delta[c][d] for c in range(k) for d in range(k))
    expected = exact_sum(totals[c] * totals[d] * delta[c][d] for c in range(k) for d in range(k))
    if expected == 0:
        return Estimate(name, None, reason=_ALL_SAME)
    return Estimate(name, float(1 - (n - 1) * observed / expected))


def spread(ratings: Ratings, k: int) -> list[Spread]:
    """For each item, how many raters gave each grade, and the lowest and highest grade given."""
    out = []
    for row in _checked(ratings, k):
        counts = tuple(row.count(g) for g in range(k))
        out.append(Spread(counts, len(row), min(row, default=None), max(row, default=None)))
    return out


def against_agreed(ratings: Ratings, agreed: Sequence[int | None], k: int) -> list[AgainstAgreed]:
    """Each rater (a column of ``ratings``) against the agreed grade of each item, where both exist."""
    _checked(ratings, k)
    if len(agreed) != len(ratings):
        raise ValueError(f"{len(agreed)} agreed grades for {len(ratings)} items")
    _checked([[g] for g in agreed], k)
    raters = max((len(r) for r in ratings), default=0)
    out = []
    for rater in range(raters):
        diffs = []
        for row, a in zip(ratings, agreed, strict=True):
            grade = row[rater] if rater < len(row) else None
            if grade is not None and a is not None:
                diffs.append(grade - a)
        mean = float(Fraction(sum(diffs), len(diffs))) if diffs else None
        out.append(AgainstAgreed(rater, len(diffs), sum(d == 0 for d in diffs), sum(abs(d) <= 1 for d in diffs), mean))
    return out


_NO_PAIRS = "no item was graded by two raters or more"
_ALL_SAME = "every grade given is the same one, so there is no disagreement to expect and the figure is undefined"


def _differences(totals: list[Fraction], metric: Metric) -> list[list[Fraction]]:
    k = len(totals)
    if metric == "nominal":
        return [[Fraction(c != d) for d in range(k)] for c in range(k)]
    if metric == "interval":
        return [[Fraction((c - d) ** 2) for d in range(k)] for c in range(k)]
    out = [[Fraction(0)] * k for _ in range(k)]
    for c in range(k):
        for d in range(c + 1, k):
            rank = exact_sum(totals[c:d + 1]) - (totals[c] + totals[d]) / 2
            out[c][d] = out[d][c] = rank * rank
    return out


def _checked(ratings: Ratings, k: int) -> list[list[int]]:
    """The grades of each item with the gaps taken out; ValueError for a grade off the scale."""
    if not isinstance(k, int) or isinstance(k, bool) or k < 1:
        raise ValueError(f"a grade scale has at least one grade, not {k!r}")
    rows = []
    for row in ratings:
        given = [g for g in row if g is not None]
        for g in given:
            if not isinstance(g, int) or isinstance(g, bool) or not 0 <= g < k:
                raise ValueError(f"a grade must be an index from 0 to {k - 1} or None, not {g!r}")
        rows.append(given)
    return rows
