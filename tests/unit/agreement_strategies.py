"""Made-up moderation pairs and calibration tables for the agreement tests: random scales, sizes and skew."""

from __future__ import annotations

import random

from hypothesis import strategies as st


@st.composite
def graded_pairs(draw: st.DrawFn, min_n: int = 0, max_n: int = 200) -> tuple[int, list[tuple[int, int]]]:
    """(k, pairs): a scale of 2..7 grades and up to ``max_n`` (auditor, moderator) pairs on it.

    A share of the pairs (none to all) is one dominant grade on both sides, as when nearly every
    audit is "Good"; the rest are either any two grades or a moderator within a grade or two of the
    auditor. The pairs come from a seeded generator so that tables of a few hundred pairs are cheap;
    the shape (k, n, dominant grade, share, style) is what hypothesis explores and shrinks.
    """
    k = draw(st.integers(2, 7))
    n = draw(st.integers(min_n, max_n))
    dominant = draw(st.integers(0, k - 1))
    share = draw(st.one_of(st.sampled_from([0.0, 0.5, 0.9, 0.97, 1.0]), st.floats(0, 1)))
    style = draw(st.sampled_from(["any", "near", "generous"]))
    rnd = random.Random(draw(st.integers(0, 2**32 - 1)))
    pairs = []
    for _ in range(n):
        if rnd.random() < share:
            pairs.append((dominant, dominant))
            continue
        a = rnd.randrange(k)
        if style == "any":
            b = rnd.randrange(k)
        elif style == "near":
            b = min(k - 1, max(0, a + rnd.choice((-1, 0, 0, 1))))
        else:  # the moderator tends to grade one lower
            b = min(k - 1, max(0, a - rnd.choice((0, 1, 1, 2))))
        pairs.append((a, b))
    return k, pairs


@st.composite
def calibration_tables(draw: st.DrawFn) -> tuple[int, list[list[int | None]]]:
    """(k, ratings): up to 40 items by 2..8 raters on 2..7 grades, some grades missing."""
    k = draw(st.integers(2, 7))
    items = draw(st.integers(1, 40))
    raters = draw(st.integers(2, 8))
    missing = draw(st.sampled_from([0.0, 0.1, 0.3, 0.6]))
    agreement = draw(st.floats(0, 1))
    rnd = random.Random(draw(st.integers(0, 2**32 - 1)))
    table: list[list[int | None]] = []
    for _ in range(items):
        truth = rnd.randrange(k)
        row: list[int | None] = []
        for _ in range(raters):
            if rnd.random() < missing:
                row.append(None)
            elif rnd.random() < agreement:
                row.append(truth)
            else:
                row.append(min(k - 1, max(0, truth + rnd.choice((-2, -1, 1, 1, 2)))))
        table.append(row)
    return k, table
