"""Typing into one question of a big form re-evaluates what reads it, not every question (issue 10, point 7).

Counted, not timed: the rules evaluated on the UI thread, the question rows told their problems
again and the form asked to lay itself out again, while real key presses go into a text question, on
a 50-question and a 500-question form built alike (tests/helpers/big_template.py).  Before the fix
each keystroke evaluated every rule of every question of the template (the counts grew tenfold with
the form), and the navigator's "12 of 300 done" laid the whole form out again, measuring every page.
"""

from __future__ import annotations

import threading
from collections import Counter
from pathlib import Path

import pytest
from PySide6.QtCore import QEvent, QObject, Qt
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QSplitter

from qadesk.core import expressions
from qadesk.ui.form.sections import QuestionRow
from tests.gui.form_support import open_form, stored, widget
from tests.helpers.big_template import TYPED_QUESTION, make_store

pytestmark = pytest.mark.gui

READER = "q0_10"  # shown unless the typed question says "no"


class _Layouts(QObject):
    """Counts the requests to lay a widget out again."""

    def __init__(self, seen: Counter) -> None:
        super().__init__()
        self.seen = seen

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802 - Qt override
        if event.type() == QEvent.Type.LayoutRequest:
            self.seen["form laid out again"] += 1

        return False


def _typing_work(qtbot, folder: Path, n: int, monkeypatch: pytest.MonkeyPatch) -> Counter:
    store, audit_id = make_store(folder, n)
    try:
        form = open_form(qtbot, store, folder, audit_id, show=True)
        form.show_page("section:s0")
        edit = widget(form, f"question.{TYPED_QUESTION}")
        reader = widget(form, f"question.{READER}").parentWidget()
        assert not reader.isHidden()
        qtbot.wait(100)  # the form settles after opening (its first layout, the guidance pane)
        before = form.navigator.progress_label.text()
        seen: Counter = Counter()
        evaluate, show_problems = expressions.Expression.evaluate, QuestionRow.show_problems

        def counted_evaluate(self, *args, **kwargs):  # noqa: ANN001, ANN202
            if threading.current_thread() is threading.main_thread():  # not the autosave's own work
                seen["evaluated"] += 1
            return evaluate(self, *args, **kwargs)

        def counted_show(self, problems):  # noqa: ANN001, ANN202
            seen["rows refreshed"] += 1
            return show_problems(self, problems)

        monkeypatch.setattr(expressions.Expression, "evaluate", counted_evaluate)
        monkeypatch.setattr(QuestionRow, "show_problems", counted_show)
        layouts = _Layouts(seen)
        watched = [form, form.findChild(QSplitter)]
        for w in watched:
            w.installEventFilter(layouts)
        for key in "no":
            QTest.keyClick(edit, key)
            qtbot.wait(1)  # the form applies the rules on the next turn of the event loop
        assert edit.text() == "no", edit.text()
        assert reader.isHidden()  # the rule that reads the typed answer was applied
        QTest.keyClick(edit, Qt.Key.Key_Backspace)
        qtbot.wait(1)
        assert not reader.isHidden()
        monkeypatch.undo()
        for w in watched:
            w.removeEventFilter(layouts)
        assert form.navigator.progress_label.text() != before  # the progress moved on
        assert form.wait_saved()
        assert stored(store, audit_id).answers[TYPED_QUESTION] == "n"
        form.close()
        form.deleteLater()
        qtbot.wait(1)
        return seen
    finally:
        store.close()


def test_typing_re_evaluates_the_same_at_500_questions_as_at_50(qtbot, tmp_path, monkeypatch):
    work = {}
    for n in (50, 500):
        folder = tmp_path / str(n)
        folder.mkdir()
        work[n] = _typing_work(qtbot, folder, n, monkeypatch)
    assert work[50]["evaluated"] > 0 and work[50]["rows refreshed"] > 0
    assert work[500] == work[50]
    assert work[50]["form laid out again"] == 0  # the pages stay as they are: only changed rows move
