"""The shared bar chart: whole category names, months with their year, counts clear of the title, one palette."""

from __future__ import annotations

from datetime import date

import pytest
from PySide6.QtCore import QPoint

from qadesk.ui.widgets import GRADE_COLOURS, OFSTED_ORDER, StackedBarChart, fmt_month, scale_colours
from tests.gui.painted import Painted, painted_text

pytestmark = pytest.mark.gui

TEAMS = ["Children in Care East", "Children in Care West", "Children with Disabilities", "Assessment Team 1",
         "Assessment Team 2", "Early Help North", "Family Support West", "Care Leavers", "Child Protection Hub"]
SERIES = [(g, g.title(), GRADE_COLOURS[g]) for g in OFSTED_ORDER]


def _chart(qtbot, horizontal: bool, bars, width: int = 520) -> StackedBarChart:
    chart = StackedBarChart("Overall grade by team", horizontal=horizontal)
    qtbot.addWidget(chart)
    chart.set_data(bars, SERIES)
    chart.resize(width, max(chart.minimumHeight(), 260))
    chart.grab()  # painted once, as on the screen (where each bar was drawn is what its tooltip finds)
    return chart


def _drawn(chart: StackedBarChart) -> tuple[Painted, list[Painted], list[Painted]]:
    """What the chart paints: its title, its category labels (each line apart) and its counts, in order."""
    painted = painted_text(chart)
    title, rest = painted[0], painted[1 + len(chart.series):]  # the legend is drawn after the title
    assert title.text == chart.title and [p.text for p in painted[1:1 + len(chart.series)]] == [
        label for _key, label, _colour in chart.series]
    totals = {f"{chart.total(values):,}" for _label, values in chart.bars}
    counts = [p for p in rest if p.text in totals]
    return title, [p for p in rest if p not in counts], counts


def test_team_rows_show_every_whole_name(qtbot, tmp_path):
    bars = [(t, {"outstanding": i, "good": 10, "ri": 3, "inadequate": i % 3}) for i, t in enumerate(TEAMS)]
    chart = _chart(qtbot, True, bars)
    chart.grab().save(str(tmp_path / "teams.png"))
    _title, labels, _counts = _drawn(chart)
    assert [p.text for p in labels] == TEAMS
    assert chart.minimumHeight() >= len(TEAMS) * chart.fontMetrics().height()
    # The hover text names the team and reads its figures.
    rect, i = chart.hits[2]
    assert chart.tooltip(i) == "Children with Disabilities: 17 (Outstanding 2, Good 10, Ri 3, Inadequate 2)"


def test_month_columns_carry_their_year_and_counts_clear_the_title(qtbot):
    months = [date(2025, m, 1) for m in (3, 4, 5, 6, 7, 8, 9, 10, 11, 12)] + [date(2026, 1, 1), date(2026, 3, 1)]
    bars = [(fmt_month(m), {"good": 5 + i, "ri": 2}) for i, m in enumerate(months)]
    chart = _chart(qtbot, False, bars)
    title, labels, counts = _drawn(chart)
    words = [p.text for p in labels]
    assert words[:2] == ["Mar", "2025"] and words[-2:] == ["Mar", "2026"] and len(words) == 2 * len(months)
    assert "Mar 2025: " in chart.accessibleDescription()
    tallest = min(p.rect.top() for p in counts)
    assert len(counts) == len(months) and tallest >= title.rect.bottom() + 6


def test_narrow_columns_slant_their_labels_rather_than_cut_them_to_letters(qtbot):
    bars = [(t, {"good": 3}) for t in TEAMS]
    chart = _chart(qtbot, False, bars, width=320)
    _title, labels, _counts = _drawn(chart)
    assert len(labels) == len(TEAMS) and all(len(p.text) >= 8 for p in labels)
    assert all(p.rect.height() > p.rect.width() / 2 for p in labels)  # on a slant: as tall as wide


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
