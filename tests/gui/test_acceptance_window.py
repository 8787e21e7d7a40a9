"""Acceptance of the audit desk (issue 3): what an auditor at the keyboard found, each fixed and kept so.

Every test drives the real widgets against a real store; each one failed before its fix.
"""

from __future__ import annotations

from datetime import date

import pytest
from PySide6.QtCore import Qt
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication, QDialog, QLabel, QWidget

from qadesk.services import audits
from qadesk.services.profile import Profile, set_profile
from qadesk.ui.context import AppContext
from tests.gui.form_support import open_form, start, stored
from tests.gui.form_support import widget as child
from tests.gui.shell_support import open_window_fixture  # noqa: F401

pytestmark = pytest.mark.gui

TEMPLATES = ("regular-case-audit", "thematic-neglect-audit", "multi-agency-audit", "data-led-overdue-visits",
             "supervision-audit", "practice-observation", "family-feedback")


def press(key: Qt.Key, modifier: Qt.KeyboardModifier = Qt.KeyboardModifier.NoModifier) -> None:
    QTest.keyClick(QApplication.focusWidget(), key, modifier)


def test_an_empty_date_is_typed_in_and_left_with_tab(qtbot, loaded_store, data_dir):
    audit_id = start(loaded_store)
    form = open_form(qtbot, loaded_store, data_dir, audit_id, show=True)
    form.show_page("section:context")
    before = child(form, "question.family_factors").buttons[-1]  # the last tick box above the date
    before.setFocus()
    press(Qt.Key.Key_Tab)
    date_box = child(form, "question.period_start").edit
    assert QApplication.focusWidget() is date_box
    QTest.keyClicks(date_box, "3 Nov 2026")
    assert child(form, "question.period_start").value() == "2026-11-03"

    # An empty date box lets Tab go on to the next question (it used to hold the focus for ever).
    last_visit = child(form, "question.last_visit_date").edit
    last_visit.setFocus()
    press(Qt.Key.Key_Tab)
    assert QApplication.focusWidget() is not last_visit
    assert child(form, "question.last_visit_date").value() is None
    # The calendar opens on today, not on 1 Jan 1900.
    last_visit.setFocus()
    press(Qt.Key.Key_Down, Qt.KeyboardModifier.AltModifier)
    press(Qt.Key.Key_Return)
    assert child(form, "question.last_visit_date").value() == date.today().isoformat()
    assert form.wait_saved()
    assert stored(loaded_store, audit_id).answers["period_start"] == "2026-11-03"


def test_any_choice_is_reached_with_the_arrow_keys(qtbot, loaded_store, data_dir):
    audit_id = start(loaded_store)
    form = open_form(qtbot, loaded_store, data_dir, audit_id, show=True)
    form.show_page("section:context", focus=True)
    case_type = child(form, "question.case_type")
    assert QApplication.focusWidget() is case_type.buttons[0]  # Tab and paging enter the group here
    press(Qt.Key.Key_Down)
    press(Qt.Key.Key_Down)
    assert case_type.value() == "cp"
    assert QApplication.focusWidget() is case_type.buttons[2]
    press(Qt.Key.Key_Up)
    assert case_type.value() == "cin"
    assert form.wait_saved()
    assert stored(loaded_store, audit_id).answers["case_type"] == "cin"


@pytest.mark.parametrize("template_id", TEMPLATES)
def test_every_control_that_takes_the_focus_has_a_name(qtbot, loaded_store, data_dir, template_id):
    form = open_form(qtbot, loaded_store, data_dir, start(loaded_store, template_id), show=True)
    unnamed = []
    for page in [*form.section_pages.values(), form.judgement, form.summary]:
        for w in page.findChildren(QWidget):
            inside = next((p for p in _ancestors(w, page) if p.objectName().split(".")[0] in
                           ("question", "evidence", "section_grade", "overall", "summary")), None)
            takes_focus = (bool(w.focusPolicy() & Qt.FocusPolicy.TabFocus) and w.focusProxy() is None
                           and w.window() is form)  # not a drop-down's pop-up list
            if inside is not None and takes_focus and not w.objectName().startswith("qt_") and not w.accessibleName():
                unnamed.append(f"{type(w).__name__} in {inside.objectName()}")
    assert not unnamed


def _ancestors(w: QWidget, stop: QWidget):
    while w is not None and w is not stop:
        yield w
        w = w.parentWidget()


def test_the_header_says_who_was_supervised_by_whom_and_who_gave_feedback(qtbot, loaded_store, data_dir):
    form = open_form(qtbot, loaded_store, data_dir, start(loaded_store, "supervision-audit", supervisor="Lee Sample"), show=True)
    assert "Supervisor: Lee Sample" in form.header.subject.text()
    form = open_form(qtbot, loaded_store, data_dir, start(loaded_store, "family-feedback", respondent="Mother"), show=True)
    assert "Feedback from: Mother" in form.header.subject.text()


def test_new_audit_dialog_clears_what_was_put_right_and_words_its_hint_for_the_kind(qtbot, loaded_store, data_dir):
    from qadesk.ui.new_audit_dialog import NewAuditDialog
    from qadesk.ui.settings import Settings

    dialog = NewAuditDialog(AppContext(loaded_store, data_dir), Settings(), template_id="supervision-audit")
    qtbot.addWidget(dialog)
    assert "case reference" not in dialog.hint.text()  # a supervision audit has none
    dialog.accept()
    assert dialog.problem.isVisibleTo(dialog)
    dialog.fields["practitioner"].setCurrentText("Pat Example")
    assert not dialog.problem.isVisibleTo(dialog)
    regular = next(i for i in _tree_items(dialog) if i.data(0, Qt.ItemDataRole.UserRole + 1) == "regular-case-audit")
    dialog.templates.setCurrentItem(regular)
    assert "case reference" in dialog.hint.text()


def _tree_items(dialog):
    tree = dialog.templates
    for i in range(tree.topLevelItemCount()):
        head = tree.topLevelItem(i)
        for j in range(head.childCount()):
            yield head.child(j)


def test_action_due_date_sits_on_its_label(qtbot, loaded_store, data_dir):
    from qadesk.ui.form.actions_panel import ActionDialog

    dialog = ActionDialog(None)
    qtbot.addWidget(dialog)
    with qtbot.waitActive(dialog):
        dialog.show()
        dialog.activateWindow()
    # The date row was stretched to take the dialog's spare height, leaving "Due" far above its box.
    assert dialog.due.height() == dialog.due.sizeHint().height()
    # The due date can be typed, and Tab then reaches its calendar button and the urgent flag.
    dialog.due.edit.setFocus()
    QTest.keyClicks(dialog.due.edit, "1 Dec 2026")
    assert dialog.due.value() == "2026-12-01"
    dialog.due.setValue(None)
    dialog.due.edit.setFocus()
    QTest.keyClick(dialog.due.edit, Qt.Key.Key_Tab)
    assert QApplication.focusWidget() is dialog.due.calendar_button
    press(Qt.Key.Key_Tab)
    assert QApplication.focusWidget() is dialog.urgent
    dialog.done(QDialog.DialogCode.Rejected)


def test_self_test_leaves_the_persons_settings_alone(qapp, tmp_path, monkeypatch):
    from qadesk.ui.selftest import run_self_test
    from qadesk.ui.settings import Settings

    config = tmp_path / "config"
    monkeypatch.setenv("QADESK_CONFIG_DIR", str(config))
    assert run_self_test(qapp) == 0
    settings = Settings(config / "qadesk.ini")
    assert settings.get("audits/recent") == []  # it used to remember the self-test's deleted audit
    assert settings.get("window/screen") == "home"


def test_shortcut_list_names_the_page_keys_in_columns(open_window, qtbot, loaded_store, data_dir):
    with loaded_store.transaction() as s:
        set_profile(s, Profile(name="Made-up Auditor"))
    loaded_store.close()
    w = open_window("--data-dir", str(data_dir))
    text = w.shortcuts_text()
    assert "Ctrl+PgDown" in text and "Ctrl+PgUp" in text
    assert all("\t" in line for line in text.splitlines())  # a proportional font: tabs line the names up


def test_drop_down_arrows_come_from_the_style_sheet(open_window, loaded_store, data_dir):
    from qadesk.ui.widgets import resource_path

    loaded_store.close()
    open_window("--data-dir", str(data_dir))
    arrow = resource_path("icons/arrow-down.svg")
    assert arrow.exists()
    assert f"url({arrow.as_posix()})" in QApplication.instance().styleSheet()


def test_profile_dialog_labels_show_no_ampersand(qtbot, data_dir):
    from qadesk.ui.profile_dialog import ProfileDialog
    from qadesk.ui.settings import Settings

    dialog = ProfileDialog(None, data_dir, Settings(), first_run=True)
    qtbot.addWidget(dialog)
    label = next(lab for lab in dialog.findChildren(QLabel) if "Data folder" in lab.text())
    assert label.buddy() is dialog.folder  # with a buddy the & is a shortcut, not a character shown


def test_dates_are_never_shown_as_iso(qtbot, loaded_store, data_dir):
    audit_id = start(loaded_store)
    with loaded_store.transaction() as s:
        audits.add_action(s, audit_id, "Made-up action", owner="Pat Example", due=date(2026, 12, 1),
                          actor="Test Auditor")
    form = open_form(qtbot, loaded_store, data_dir, audit_id, show=True)
    table = form.actions_panel.table
    shown = [table.model().index(0, c).data() for c in range(table.model().columnCount())]
    assert "1 Dec 2026" in shown and "2026-12-01" not in shown
