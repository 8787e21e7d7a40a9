"""Small points of the audit form: the missing list's height, removing an action, Tab to the next page."""

from __future__ import annotations

import pytest

from qadesk.core.errors import Missing
from qadesk.ui.form.header import MISSING_MAX_HEIGHT, MissingPanel

pytestmark = pytest.mark.gui


def _missing(n: int) -> list[Missing]:
    return [Missing(key=f"question.q{i}", message=f"Question {i}: an answer is required.", section_id="s",
                    question_id=f"q{i}") for i in range(n)]


def test_the_missing_list_is_as_tall_as_its_entries(qtbot):
    panel = MissingPanel()
    qtbot.addWidget(panel)
    panel.resize(900, 300)
    panel.show_missing(_missing(1))
    one = panel.list.height()
    assert one < 2 * panel.list.sizeHintForRow(0) + 12  # one line, not 130 px of empty list
    panel.show_missing(_missing(3))
    assert one < panel.list.height() < MISSING_MAX_HEIGHT
    panel.show_missing(_missing(40))
    assert panel.list.height() == MISSING_MAX_HEIGHT  # then it scrolls
