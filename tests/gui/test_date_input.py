"""One date box everywhere a date is typed (issue 8, point 4), driven by real key events.

QDateEdit took "15/11/2026" as 15 Dec 2026 on any day in December: its month section is
"Nov" text, so the digits 11 typed there were dropped and today's month stayed.  The date box
now reads what is typed as a whole, refuses what is not a date in words, and opens its
calendar from the keyboard.
"""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QAbstractSpinBox, QApplication, QDialog, QWidget

from qadesk.ui.date_input import DateBox, DateTimeBox
from tests.gui.form_support import open_form, start, stored, type_date, widget
from tests.gui.shell_support import demo_dir_fixture, demo_master_fixture, open_window_fixture, settle  # noqa: F401

pytestmark = pytest.mark.gui


def press(key: Qt.Key, modifier: Qt.KeyboardModifier = Qt.KeyboardModifier.NoModifier) -> None:
    QTest.keyClick(QApplication.focusWidget(), key, modifier)


@pytest.mark.parametrize("typed", ["15/11/2026", "15/11/26", "2026-11-15", "15 Nov 2026"])
def test_a_date_typed_any_usual_way_is_that_date_in_the_store(qtbot, loaded_store, data_dir, typed):
    audit_id = start(loaded_store)
    form = open_form(qtbot, loaded_store, data_dir, audit_id, show=True)
    form.show_page("section:context")
    box = widget(form, "question.period_start")
    type_date(box, typed)
    assert box.value() == "2026-11-15"
    assert box.edit.text() == "15 Nov 2026"  # shown the British way once taken
    assert form.wait_saved()
    assert stored(loaded_store, audit_id).answers["period_start"] == "2026-11-15"


def test_day_first_and_enter_takes_the_date(qtbot, loaded_store, data_dir):
    audit_id = start(loaded_store)
    form = open_form(qtbot, loaded_store, data_dir, audit_id, show=True)
    form.show_page("section:context")
    box = widget(form, "question.period_start")
    type_date(box, "1/6/2026", leave=Qt.Key.Key_Return)
    assert box.value() == "2026-06-01" and box.edit.text() == "1 Jun 2026"
    assert form.wait_saved()
    assert stored(loaded_store, audit_id).answers["period_start"] == "2026-06-01"


def test_an_impossible_date_is_refused_in_words_and_the_date_kept(qtbot, loaded_store, data_dir):
    audit_id = start(loaded_store)
    form = open_form(qtbot, loaded_store, data_dir, audit_id, show=True)
    form.show_page("section:context")
    box = widget(form, "question.period_start")
    type_date(box, "15/11/2026")
    assert form.wait_saved()
    type_date(box, "31/02/2026")
    words = "Not a date: “31/02/2026”: February 2026 has 28 days, so there is no 31 February. " \
            "The date stays 15 Nov 2026."
    assert box.problem.isVisibleTo(form) and box.problem.text() == words
    assert words in box.edit.accessibleDescription()  # a screen reader hears it too
    assert box.value() == "2026-11-15"
    assert form.wait_saved()
    assert stored(loaded_store, audit_id).answers["period_start"] == "2026-11-15"
    assert box.edit.text() == "31/02/2026"  # what was typed stays to be put right
    # Escape puts the date held back; a real date then clears the message.
    box.edit.setFocus()
    press(Qt.Key.Key_Escape)
    assert box.edit.text() == "15 Nov 2026"
    type_date(box, "29/02/2028")
    assert not box.problem.isVisibleTo(form) and box.value() == "2028-02-29"


def test_an_empty_box_clears_the_answer_and_tab_leaves_it(qtbot, loaded_store, data_dir):
    audit_id = start(loaded_store)
    form = open_form(qtbot, loaded_store, data_dir, audit_id, show=True)
    form.show_page("section:context")
    box = widget(form, "question.period_start")
    type_date(box, "3 Nov 2026")
    assert form.wait_saved() and stored(loaded_store, audit_id).answers["period_start"] == "2026-11-03"
    type_date(box, "")
    assert box.value() is None and not box.problem.isVisibleTo(form)
    assert QApplication.focusWidget() is box.calendar_button  # Tab went on, to the box's calendar button
    press(Qt.Key.Key_Tab)
    assert not box.isAncestorOf(QApplication.focusWidget())
    assert form.wait_saved() and "period_start" not in stored(loaded_store, audit_id).answers


def test_a_date_typed_and_not_left_is_saved_when_the_form_closes(qtbot, loaded_store, data_dir):
    audit_id = start(loaded_store)
    form = open_form(qtbot, loaded_store, data_dir, audit_id, show=True)
    form.show_page("section:context")
    box = widget(form, "question.period_start")
    box.edit.setFocus()
    QTest.keyClicks(box.edit, "15/11/26")  # a two-digit year is taken only on leaving the box...
    assert box.value() is None
    form.close()  # ...or when the form is closed
    assert stored(loaded_store, audit_id).answers["period_start"] == "2026-11-15"


@pytest.mark.parametrize("opener", ["alt_down", "f4", "button"])
def test_the_calendar_opens_from_the_keyboard_and_enter_takes_the_day(qtbot, loaded_store, data_dir, opener):
    audit_id = start(loaded_store)
    form = open_form(qtbot, loaded_store, data_dir, audit_id, show=True)
    form.show_page("section:context")
    box = widget(form, "question.period_start")
    type_date(box, "15/11/2026", leave=Qt.Key.Key_Return)
    box.edit.setFocus()
    if opener == "alt_down":
        press(Qt.Key.Key_Down, Qt.KeyboardModifier.AltModifier)
    elif opener == "f4":
        press(Qt.Key.Key_F4)
    else:
        press(Qt.Key.Key_Tab)
        assert QApplication.focusWidget() is box.calendar_button
        press(Qt.Key.Key_Space)
    popup = QApplication.activePopupWidget()  # what drops down under the box
    assert popup is not None and popup is box.findChild(QWidget, "date.calendar_popup")  # this box's calendar
    assert popup.isAncestorOf(QApplication.focusWidget())  # the arrow keys move in the calendar
    press(Qt.Key.Key_Right)
    press(Qt.Key.Key_Down)  # a week on
    press(Qt.Key.Key_Return)
    assert not popup.isVisible()
    assert box.value() == "2026-11-23" and box.edit.text() == "23 Nov 2026"
    assert QApplication.focusWidget() is box.edit
    assert form.wait_saved() and stored(loaded_store, audit_id).answers["period_start"] == "2026-11-23"
    # Escape closes the calendar and changes nothing.
    press(Qt.Key.Key_F4)
    press(Qt.Key.Key_Left)
    press(Qt.Key.Key_Escape)
    assert not popup.isVisible() and box.value() == "2026-11-23"


def test_an_empty_calendar_opens_on_today(qtbot):
    box = DateBox()
    qtbot.addWidget(box)
    with qtbot.waitActive(box):
        box.show()
        box.activateWindow()
    box.edit.setFocus()
    press(Qt.Key.Key_F4)
    press(Qt.Key.Key_Return)
    assert box.date() == date.today()


def test_the_action_dialog_due_date_is_typed_and_refused_in_words(qtbot):
    from qadesk.ui.form.actions_panel import ActionDialog

    dialog = ActionDialog(None)
    qtbot.addWidget(dialog)
    with qtbot.waitActive(dialog):
        dialog.show()
        dialog.activateWindow()
    dialog.text.setFocus()
    QTest.keyClicks(dialog.text, "Made-up action: visit the child at school")
    type_date(dialog.due, "31/02/2027")
    assert "February 2027 has 28 days" in dialog.due.problem.text()
    dialog.due.edit.setFocus()
    press(Qt.Key.Key_Return)  # Enter in the dialog: refused, the dialog stays with the reason
    assert dialog.isVisible() and dialog.result() != QDialog.DialogCode.Accepted
    type_date(dialog.due, "28/2/27", leave=Qt.Key.Key_Return)
    assert dialog.result() == QDialog.DialogCode.Accepted
    assert dialog.values()["due"] == date(2027, 2, 28)


def test_every_date_box_of_the_window_is_the_one_date_box(open_window, demo_dir: Path, qtbot):
    w = open_window("--data-dir", str(demo_dir))
    w.resize(1366, 768)
    for key in ("home", "audits", "actions", "moderation", "programmes", "templates", "reports"):
        w.show_screen(key)
    settle(w)
    # No Qt date-and-spin box is left anywhere (QDateEdit, QDateTimeEdit, QTimeEdit are all spin boxes).
    assert not [x for x in w.findChildren(QAbstractSpinBox) if "Date" in type(x).__name__
                or "Time" in type(x).__name__]

    # Reports, "Between dates…": From and To typed.
    reports = w.show_screen("reports")
    reports.period.setFocus()
    QTest.keyClick(reports.period, Qt.Key.Key_End)  # "Between dates…" is the last period
    assert reports.period.currentText() == "Between dates…"
    type_date(reports.since, "1/6/2026")
    type_date(reports.until, "2026-11-15")
    sel = reports.selection()
    assert (sel.since, sel.until) == (date(2026, 6, 1), date(2026, 11, 15))
    type_date(reports.until, "31/11/2026")
    assert "November 2026 has 30 days" in reports.until.problem.text()
    assert reports.selection().until == date(2026, 11, 15)

    # Programmes: the period of a new programme (Enter in the last box creates it).
    from qadesk.services.programmes import list_programmes

    view = w.show_screen("programmes")
    view.new_button.click()
    dialog = next(c for c in view.children() if c.objectName() == "programme.dialog")
    dialog.name.setFocus()
    QTest.keyClicks(dialog.name, "Made-up thematic programme, spring 2027")
    type_date(dialog.ends, "31 May 2027", leave=Qt.Key.Key_Right)
    type_date(dialog.starts, "1/3/27", leave=Qt.Key.Key_Return)
    settle(w)  # written in the background; the dialog closes once it is in the store
    assert dialog.result() == QDialog.DialogCode.Accepted
    with w.ctx.store.session() as s:
        p = next(p for p in list_programmes(s) if p.name == "Made-up thematic programme, spring 2027")
    assert (p.starts_on, p.ends_on) == (date(2027, 3, 1), date(2027, 5, 31))

    # Actions: a new due date typed in the edit dialog reaches the store.
    from qadesk.store.models import ActionItem

    actions = w.show_screen("actions")
    settle(w)
    actions.table.selectRow(0)
    target = actions.current()
    actions.edit()
    edit = next(c for c in actions.children() if c.objectName() == "actions.edit_dialog")
    with qtbot.waitActive(edit):
        edit.activateWindow()
    due = edit.due if target.due is not None else None
    if due is None:
        edit.has_due.setFocus()
        press(Qt.Key.Key_Space)
        due = edit.due
    # 40 days on from the later of its due date and today: not in the past, so nothing is asked first
    later = max(target.due or date.today(), date.today()) + timedelta(days=40)
    type_date(due, f"{later.day}/{later.month}/{later.year}", leave=Qt.Key.Key_Return)
    settle(w)  # written in the background
    with w.ctx.store.session() as s:
        assert s.get(ActionItem, target.id).due == later


def test_a_date_and_time_box_for_when_someone_was_told(qtbot):
    box = DateTimeBox()
    box.setAccessibleName("When told")
    qtbot.addWidget(box)
    with qtbot.waitActive(box):
        box.show()
        box.activateWindow()
    type_date(box.date_box, "15/11/26")
    box.time_edit.setFocus()
    QTest.keyClicks(box.time_edit, "2:30pm")
    press(Qt.Key.Key_Tab)
    assert box.commit()
    when = box.value()
    assert when is not None and when.tzinfo is not None
    assert (when.date(), when.hour, when.minute) == (date(2026, 11, 15), 14, 30)
    assert box.time_edit.text() == "14:30"
    box.time_edit.setFocus()
    QTest.keyClick(box.time_edit, Qt.Key.Key_A, Qt.KeyboardModifier.ControlModifier)
    QTest.keyClicks(box.time_edit, "25:00")
    press(Qt.Key.Key_Tab)
    assert "no hour 25" in box.problem.text() and box.value() == when
    assert box.date_box.accessibleName() == "When told: date"
