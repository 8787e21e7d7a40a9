"""The shared bar chart: whole category names, months with their year, counts clear of the title, one palette."""

from __future__ import annotations

from datetime import date

import pytest
from PySide6.QtCore import QPoint

from qadesk.ui.widgets import GRADE_COLOURS, OFSTED_ORDER, StackedBarChart, fmt_month, scale_colours

pytestmark = pytest.mark.gui

TEAMS = ["Children in Care East", "Children in Care West", "Children with Disabilities", "Assessment Team 1",
         "Assessment Team 2", "Early Help North", "Family Support West", "Care Leavers", "Child Protection Hub"]
SERIES = [(g, g.title(), GRADE_COLOURS[g]) for g in OFSTED_ORDER]


def _chart(qtbot, horizontal: bool, bars, width: int = 520) -> StackedBarChart:
    chart = StackedBarChart("Overall grade by team", horizontal=horizontal)
    qtbot.addWidget(chart)
    chart.set_data(bars, SERIES)
    chart.resize(width, max(chart.minimumHeight(), 260))
    chart.grab()  # paints, and records what it drew
    return chart


def test_team_rows_show_every_whole_name(qtbot, tmp_path):
    bars = [(t, {"outstanding": i, "good": 10, "ri": 3, "inadequate": i % 3}) for i, t in enumerate(TEAMS)]
    chart = _chart(qtbot, True, bars)
    chart.grab().save(str(tmp_path / "teams.png"))
    assert chart.drawn_labels == TEAMS
    assert chart.minimumHeight() >= len(TEAMS) * chart.fontMetrics().height()
    # The hover text names the team and reads its figures.
    rect, i = chart.hits[2]
    assert chart.tooltip(i) == "Children with Disabilities: 17 (Outstanding 2, Good 10, Ri 3, Inadequate 2)"


def test_month_columns_carry_their_year_and_counts_clear_the_title(qtbot):
    months = [date(2025, m, 1) for m in (3, 4, 5, 6, 7, 8, 9, 10, 11, 12)] + [date(2026, 1, 1), date(2026, 3, 1)]
    bars = [(fmt_month(m), {"good": 5 + i, "ri": 2}) for i, m in enumerate(months)]
    chart = _chart(qtbot, False, bars)
    assert chart.drawn_labels[0] == "Mar\n2025" and chart.drawn_labels[-1] == "Mar\n2026"
    assert "Mar 2025: " in chart.accessibleDescription()
    tallest = min(r.top() for r in chart.count_rects)
    assert tallest >= chart.title_rect.bottom() + 4


def test_narrow_columns_slant_their_labels_rather_than_cut_them_to_letters(qtbot):
    bars = [(t, {"good": 3}) for t in TEAMS]
    chart = _chart(qtbot, False, bars, width=320)
    assert all(len(label) >= 8 for label in chart.drawn_labels)


def test_fmt_month_reads_keys_and_dates():
    assert fmt_month("2026-03") == fmt_month(date(2026, 3, 9)) == "Mar\n2026"


def test_one_palette_for_every_scale():
    assert scale_colours(4) == [GRADE_COLOURS[g] for g in OFSTED_ORDER]
    assert scale_colours(3) == [GRADE_COLOURS[g] for g in ("green", "amber", "red")]
    assert len(set(scale_colours(5))) == 5 and scale_colours(7)[5:] == [scale_colours(7)[6]] * 2


def test_tooltip_event_finds_the_bar(qtbot):
    chart = _chart(qtbot, True, [(t, {"good": 2}) for t in TEAMS[:3]])
    rect, i = chart.hits[1]
    hit = next(j for r, j in chart.hits if r.contains(rect.center()))
    assert hit == i == 1
    assert chart.tooltip(hit).startswith("Children in Care West: 2")
    assert not any(r.contains(QPoint(-5, -5).toPointF()) for r, _ in chart.hits)
