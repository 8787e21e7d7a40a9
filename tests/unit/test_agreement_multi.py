"""Agreement across several raters (calibration exercises): Fleiss' kappa and Krippendorff's alpha.

Checked against statsmodels' ``fleiss_kappa`` (complete tables), a Fleiss' kappa for missing grades
written here from Gwet's generalisation, the ``krippendorff`` package (with missing grades, all
three metrics), and published worked examples.
"""

from __future__ import annotations

import math

import krippendorff
import numpy as np
import pytest
from hypothesis import given, settings
from statsmodels.stats.inter_rater import fleiss_kappa as statsmodels_fleiss

from qadesk.core.agreement_multi import (
    METRICS,
    MIN_ITEMS,
    against_agreed,
    calibration_agreement,
    fleiss_kappa,
    krippendorff_alpha,
    spread,
)
from tests.unit.agreement_strategies import calibration_tables

Ratings = list[list[int | None]]


def category_counts(ratings: Ratings, k: int) -> list[list[int]]:
    return [[sum(1 for g in row if g == c) for c in range(k)] for row in ratings]


def fleiss_with_missing_grades(ratings: Ratings, k: int) -> float:
    """Gwet's generalised Fleiss' kappa, item by item in floats (Gwet 2014; irrCAC's fleiss.kappa.raw).

    p_o averages, over the items with two grades or more, the share of agreeing ordered pairs of
    raters; π_c averages, over the items with any grade, the share of the item's grades that are c.
    """
    counts = [c for c in category_counts(ratings, k) if sum(c) >= 1]
    twice = [c for c in counts if sum(c) >= 2]
    p_o = sum(sum(x * (x - 1) for x in c) / (sum(c) * (sum(c) - 1)) for c in twice) / len(twice)
    pi = [sum(c[g] / sum(c) for c in counts) / len(counts) for g in range(k)]
    p_e = sum(x * x for x in pi)
    return (p_o - p_e) / (1 - p_e)


def as_reliability_data(ratings: Ratings) -> np.ndarray:
    """Raters by items, NaN where a rater gave no grade: the krippendorff package's layout."""
    return np.array([[np.nan if g is None else float(g) for g in row] for row in ratings], dtype=float).T


# --- against independent implementations, on many generated tables ---------------------------------

@settings(max_examples=300, deadline=None)
@given(calibration_tables())
def test_fleiss_kappa_matches_statsmodels_and_gwets_generalisation(case: tuple[int, Ratings]) -> None:
    k, ratings = case
    ours = fleiss_kappa(ratings, k)
    if ours.value is None:
        graded = [g for row in ratings for g in row if g is not None]
        assert len(set(graded)) <= 1 or all(sum(g is not None for g in row) < 2 for row in ratings)
        return
    assert math.isfinite(ours.value)
    assert ours.value == pytest.approx(fleiss_with_missing_grades(ratings, k), abs=1e-9)
    if all(g is not None for row in ratings for g in row):
        assert ours.value == pytest.approx(statsmodels_fleiss(np.array(category_counts(ratings, k))), abs=1e-9)


@settings(max_examples=300, deadline=None)
@given(calibration_tables())
def test_krippendorff_alpha_matches_the_krippendorff_package(case: tuple[int, Ratings]) -> None:
    k, ratings = case
    data = as_reliability_data(ratings)
    for metric in METRICS:
        ours = krippendorff_alpha(ratings, k, metric)
        pairable = [g for row in ratings if sum(x is not None for x in row) >= 2 for g in row if g is not None]
        if ours.value is None:
            assert len(set(pairable)) <= 1, ours.reason
            continue
        reference = krippendorff.alpha(reliability_data=data, level_of_measurement=metric, value_domain=list(range(k)))
        assert ours.value == pytest.approx(reference, abs=1e-9)


def test_with_complete_tables_fleiss_agrees_with_statsmodels_whole() -> None:
    # The Wikipedia article "Fleiss' kappa": 10 subjects, 14 raters, 5 categories; its worked answer is 0.210.
    counts = [[0, 0, 0, 0, 14], [0, 2, 6, 4, 2], [0, 0, 3, 5, 6], [0, 3, 9, 2, 0], [2, 2, 8, 1, 1],
              [7, 7, 0, 0, 0], [3, 2, 6, 3, 0], [2, 5, 3, 2, 2], [6, 5, 2, 1, 0], [0, 2, 2, 3, 7]]
    ratings: Ratings = [[c for c, x in enumerate(row) for _ in range(x)] for row in counts]
    ours = fleiss_kappa(ratings, 5)
    assert round(ours.value, 3) == 0.210  # type: ignore[arg-type]
    assert ours.value == pytest.approx(statsmodels_fleiss(np.array(counts)), abs=1e-12)
    # p_o = 0.378 and p_e = 0.213, as the article works them out.
    assert (round(ours.observed, 3), round(ours.chance, 3)) == (0.378, 0.213)  # type: ignore[arg-type]


# --- published examples ---------------------------------------------------------------------------------

# Krippendorff (2011), "Computing Krippendorff's alpha-reliability", the example with four observers,
# twelve units and missing values (grades 1..5, here 0..4). His answers: nominal 0.743, ordinal
# 0.815, interval 0.849. The same units graded by four raters are Gwet's (2014) example for Fleiss'
# kappa with missing ratings (irrCAC's dataset raw_4raters): 0.76117, p_o 0.81818, p_e 0.23872.
OBSERVERS = [
    [1, 2, 3, 3, 2, 1, 4, 1, 2, None, None, None],
    [1, 2, 3, 3, 2, 2, 4, 1, 2, 5, None, 3],
    [None, 3, 3, 3, 2, 3, 4, 2, 2, 5, 1, None],
    [1, 2, 3, 3, 2, 4, 4, 1, 2, 5, 1, None],
]
UNITS: Ratings = [[None if g is None else g - 1 for g in unit] for unit in zip(*OBSERVERS, strict=True)]


def test_krippendorffs_four_observer_example() -> None:
    assert round(krippendorff_alpha(UNITS, 5, "nominal").value, 3) == 0.743  # type: ignore[arg-type]
    assert round(krippendorff_alpha(UNITS, 5, "ordinal").value, 3) == 0.815  # type: ignore[arg-type]
    assert round(krippendorff_alpha(UNITS, 5, "interval").value, 3) == 0.849  # type: ignore[arg-type]


def test_gwets_four_rater_fleiss_example() -> None:
    ours = fleiss_kappa(UNITS, 5)
    assert round(ours.value, 5) == 0.76117  # type: ignore[arg-type]
    # 11 items have two grades or more; their shares of agreeing pairs are 1 for eight of them, 1/2 for
    # units 2 and 8 (3 of 4 raters alike: 6 of 12 ordered pairs), 0 for unit 6 (all different): 9/11.
    assert ours.observed == pytest.approx(9 / 11, abs=1e-15)
    assert round(ours.chance, 5) == 0.23872  # type: ignore[arg-type]


def test_krippendorffs_three_coder_example() -> None:
    # Three coders, fifteen units, values 1..4 with gaps (the krippendorff package's own test case):
    # nominal 0.691358, interval 0.810845.
    coders = ["* * * * * 3 4 1 2 1 1 3 3 * 3", "1 * 2 1 3 3 4 3 * * * * * * *", "* * 2 1 3 4 4 * 2 1 1 3 3 * 4"]
    rows = [[None if v == "*" else int(v) - 1 for v in coder.split()] for coder in coders]
    units: Ratings = [list(u) for u in zip(*rows, strict=True)]
    assert round(krippendorff_alpha(units, 4, "nominal").value, 6) == 0.691358  # type: ignore[arg-type]
    assert round(krippendorff_alpha(units, 4, "interval").value, 6) == 0.810845  # type: ignore[arg-type]


def test_ordinal_alpha_counts_grades_between_by_how_often_they_are_used() -> None:
    # Two raters, ten items, nine agreed and one not: Good (2) against Outstanding (3), or Good against
    # Inadequate (0). The second is further apart on the scale, so the ordinal and interval alphas are
    # lower, while nominal alpha (a miss is a miss) is the same.
    near: Ratings = [[2, 2]] * 6 + [[1, 1]] * 3 + [[2, 3]]
    far: Ratings = [[2, 2]] * 6 + [[1, 1]] * 3 + [[2, 0]]
    assert krippendorff_alpha(near, 4, "nominal").value == krippendorff_alpha(far, 4, "nominal").value
    for metric in ("ordinal", "interval"):
        assert krippendorff_alpha(far, 4, metric).value < krippendorff_alpha(near, 4, metric).value  # type: ignore[operator]


# --- degenerate, spread, against the agreed grade --------------------------------------------------------

def test_nothing_to_compare() -> None:
    for ratings in ([], [[None, None]], [[1, None], [None, 2], [3]]):
        result = calibration_agreement(ratings, 4)
        assert result.items == 0 and not result.judgeable
        assert result.verdict == "n = 0: no items graded by two raters or more"
        for e in (result.fleiss_kappa, result.alpha_ordinal, result.alpha_interval, result.alpha_nominal):
            assert e.value is None and e.reason == "no item was graded by two raters or more"


def test_everyone_gave_the_same_grade() -> None:
    result = calibration_agreement([[2, 2, 2]] * 6, 4)
    for e in (result.fleiss_kappa, result.alpha_ordinal, result.alpha_interval, result.alpha_nominal):
        assert e.value is None and e.reason is not None and "every grade given is the same one" in e.reason
    assert result.judgeable  # six items: enough to say, in words, that everyone agreed


def test_few_items_are_too_few_to_judge() -> None:
    result = calibration_agreement([[2, 2, 1], [1, 1, 1], [3, 2, 2], [0, 1, None]], 4)
    assert (result.items, result.raters, result.pairable) == (4, 3, 11)
    assert (result.judgeable, result.verdict) == (False, "n = 4: too few to judge")
    assert MIN_ITEMS == 5
    assert result.fleiss_kappa.text() == f"{result.fleiss_kappa.value:.2f}"  # no interval for these


def test_spread_per_item() -> None:
    items = spread([[2, 2, 1, None], [None, None, None, None], [3, 0, 2, 2]], 4)
    assert items[0].counts == (0, 1, 2, 0) and (items[0].lowest, items[0].highest, items[0].range) == (1, 2, 1)
    assert items[1].graded == 0 and items[1].range is None
    assert (items[2].range, items[2].graded) == (3, 4)


def test_each_rater_against_the_agreed_grade() -> None:
    ratings: Ratings = [[2, 3, 2], [1, 2, None], [2, 2, 0], [3, 3, 3]]
    agreed = [2, 1, 2, None]  # the panel has not agreed the last item yet
    first, second, third = against_agreed(ratings, agreed, 4)
    assert (first.n, first.exact, first.within_one, first.mean_difference) == (3, 3, 3, 0.0)
    assert (second.n, second.exact, second.within_one, second.mean_difference) == (3, 1, 3, pytest.approx(2 / 3))
    assert (third.n, third.exact, third.within_one, third.mean_difference) == (2, 1, 1, -1.0)
    with pytest.raises(ValueError, match="3 agreed grades for 4 items"):
        against_agreed(ratings, agreed[:3], 4)


def test_a_grade_off_the_scale_or_an_unknown_metric_is_refused() -> None:
    with pytest.raises(ValueError, match="a grade must be an index from 0 to 3 or None"):
        fleiss_kappa([[1, 4]], 4)
    with pytest.raises(ValueError, match="metric must be one of"):
        krippendorff_alpha([[1, 2]], 4, "ratio")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="a grade scale has at least one grade"):
        calibration_agreement([[0, 0]], 0)
