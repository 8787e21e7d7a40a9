"""Small points of the audit form: the missing list's height, removing an action, Tab to the next page."""

from __future__ import annotations

import pytest

from qadesk.core.errors import Missing
from qadesk.ui import messages
from qadesk.ui.form.header import MISSING_MAX_HEIGHT, MissingPanel
from tests.gui.test_form import open_form, start

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


def test_removing_an_action_asks_first(qtbot, loaded_store, data_dir, monkeypatch):
    audit_id = start(loaded_store)
    form = open_form(qtbot, loaded_store, data_dir, audit_id)
    panel = form.actions
    assert panel.add("Update the chronology with the made-up visits", owner="Pat Example")
    panel.table.selectRow(0)
    questions: list[str] = []
    monkeypatch.setattr(messages, "answer_questions", lambda text: questions.append(text) or False)
    panel.remove_button.click()
    assert len(questions) == 1 and "Update the chronology" in questions[0]
    assert len(panel.rows) == 1  # "Keep it"
    monkeypatch.setattr(messages, "answer_questions", lambda text: True)
    panel.table.selectRow(0)
    panel.remove_button.click()
    assert panel.rows == []
