"""Small points of the audit form: the missing list's height, removing an action, Tab to the next page."""

from __future__ import annotations

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication, QPushButton

from qadesk.core.errors import Missing
from qadesk.ui.form.fit import WrapPushButton
from qadesk.ui.form.header import MISSING_MAX_HEIGHT, MissingPanel
from qadesk.ui.form.paging import NEXT_BUTTON
from tests.gui.form_support import open_form, start

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


def test_removing_an_action_asks_first(qtbot, loaded_store, data_dir, messages_seen):
    audit_id = start(loaded_store)
    form = open_form(qtbot, loaded_store, data_dir, audit_id)
    panel = form.actions_panel
    assert panel.add("Update the chronology with the made-up visits", owner="Pat Example")
    assert form.ctx.operations().wait()  # written in the background
    panel.table.selectRow(0)
    questions: list[str] = []
    messages_seen.answer(lambda text: questions.append(text) or False)
    panel.remove_button.click()
    assert len(questions) == 1 and "Update the chronology" in questions[0]
    assert len(panel.rows) == 1  # "Keep it"
    messages_seen.answer(lambda text: True)
    panel.table.selectRow(0)
    panel.remove_button.click()
    assert form.ctx.operations().wait()
    assert panel.rows == []


def test_tab_after_a_section_judgement_reaches_the_next_page_button(qtbot, loaded_store, data_dir):
    audit_id = start(loaded_store)
    form = open_form(qtbot, loaded_store, data_dir, audit_id, show=True)
    keys = form.navigator.visible_keys()
    form.show_page(keys[1])
    page = form.section_pages[keys[1].split(":", 1)[1]]
    button = page.findChild(WrapPushButton, NEXT_BUTTON)
    assert button.label() == f"Next: {form.navigator.title(keys[2])} →"
    # Tab order within the page is untouched: the judgement's grades, then the Next button.
    page.grade.setFocus()
    for _ in range(len(page.grade.findChildren(QPushButton)) + 2):
        if QApplication.focusWidget() is button:
            break
        qtbot.keyClick(QApplication.focusWidget(), Qt.Key.Key_Tab)
    assert QApplication.focusWidget() is button
    qtbot.keyClick(button, Qt.Key.Key_Space)
    assert form.current_page() == keys[2]
    focused = QApplication.focusWidget()
    assert focused is not None and form.pages[keys[2]].isAncestorOf(focused)  # on the new page's first input
