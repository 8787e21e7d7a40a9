"""Drift: whether one auditor grades consistently higher or lower than moderation does.

For each moderated audit of the auditor, the difference d = auditor's grade index - moderated grade
index (indices count up from the lowest grade, as in :mod:`qadesk.core.agreement`): +1 means the
auditor gave one grade better than the moderator settled on. Drift is the mean of d, with the
t-based 95% interval for a mean, mean ± t₀.₉₇₅,ₙ₋₁ · s / √n (s the sample standard deviation).

The warning rule (docs/moderation-statistics.md says it in plain words):

* fewer than :data:`MIN_DRIFT_PAIRS` moderated audits: "too few to judge", whatever the mean;
* otherwise, the interval wholly above zero: "more generous" than moderation; wholly below
  zero: "more severe"; touching or spanning zero: "no consistent drift".

Eight is a floor, not a promise: with eight audits an interval clear of zero needs most of them to
differ in the same direction. The interval assumes the audits are independent of one another.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from fractions import Fraction
from math import sqrt
from typing import Literal

from qadesk.core.agreement import CONFIDENCE
from qadesk.core.distributions import t_quantile

MIN_DRIFT_PAIRS = 8

Direction = Literal["more generous", "more severe", "no consistent drift", "too few to judge"]


@dataclass(frozen=True)
class Drift:
    """One auditor's mean signed difference from moderation, with its interval and the warning.

    ``mean``, ``low`` and ``high`` are in grades (0.5 is half a grade); ``mean`` is None with no
    pairs and the interval None with fewer than two. ``warning`` is True exactly when
    ``direction`` is "more generous" or "more severe". ``verdict`` is the sentence to show.
    """

    n: int
    mean: float | None
    standard_deviation: float | None
    low: float | None
    high: float | None
    higher: int  # audits where the auditor's grade was above the moderated one
    lower: int  # ... and below it
    direction: Direction
    verdict: str

    @property
    def warning(self) -> bool:
        return self.direction in ("more generous", "more severe")


def drift(pairs: Iterable[tuple[int, int]]) -> Drift:
    """The drift of (auditor's grade index, moderated grade index) pairs; see the module docstring."""
    differences = [a - b for a, b in pairs]
    n = len(differences)
    higher = sum(d > 0 for d in differences)
    lower = sum(d < 0 for d in differences)
    if n == 0:
        return Drift(0, None, None, None, None, 0, 0, "too few to judge", "n = 0: no moderated audits")
    mean_exact = Fraction(sum(differences), n)
    mean = float(mean_exact)
    sd = low = high = None
    if n >= 2:
        variance = sum((d - mean_exact) ** 2 for d in differences) / (n - 1)
        sd = sqrt(variance)
        half = t_quantile(1 - (1 - CONFIDENCE) / 2, n - 1) * sd / sqrt(n)
        low, high = mean - half, mean + half
    direction: Direction
    if n < MIN_DRIFT_PAIRS or low is None or high is None:
        direction = "too few to judge"
        verdict = f"n = {n}: too few to judge"
    elif low > 0:
        direction = "more generous"
        verdict = (f"n = {n}: more generous than moderation, by {_grades(mean)} on average "
                   f"(95% CI {low:.2f} to {high:.2f})")
    elif high < 0:
        direction = "more severe"
        verdict = (f"n = {n}: more severe than moderation, by {_grades(-mean)} on average "
                   f"(95% CI {low:.2f} to {high:.2f})")
    else:
        direction = "no consistent drift"
        verdict = f"n = {n}: no consistent drift (mean {mean:+.2f}, 95% CI {low:.2f} to {high:.2f})"
    return Drift(n, mean, sd, low, high, higher, lower, direction, verdict)


def _grades(amount: float) -> str:
    return f"{amount:.2f} of a grade" if amount < 1 else f"{amount:.2f} grades"
