"""The audit form at the keyboard (issue 8, points 5-8), driven by real key events through the real window.

Each test failed before its fix: Tab stayed inside every table, an opened audit left the focus on the
screens list, the Judgement page's section links could not be reached with Tab, Submit was the
second Tab stop and submitted without asking, Space on a chosen grade cleared it, and arrowing
through radio buttons wrote a history entry for every option passed.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QAbstractItemView, QApplication, QWidget
from sqlalchemy import select

from qadesk.core.audit import relevant_questions
from qadesk.services import audits
from qadesk.services.profile import Profile, set_profile
from qadesk.store.models import HistoryEntry
from qadesk.ui.selftest import fill_missing, sample_answer
from tests.gui.form_support import open_form, start, stored, widget
from tests.gui.shell_support import demo_dir_fixture, demo_master_fixture, open_window_fixture, settle  # noqa: F401

pytestmark = pytest.mark.gui
CTRL, SHIFT = Qt.KeyboardModifier.ControlModifier, Qt.KeyboardModifier.ShiftModifier


def press(key: Qt.Key, modifier: Qt.KeyboardModifier = Qt.KeyboardModifier.NoModifier) -> None:
    QTest.keyClick(QApplication.focusWidget(), key, modifier)


def focused() -> QWidget:
    w = QApplication.focusWidget()
    assert w is not None
    return w


def history(store, audit_id: str, entity: str, entity_id: str) -> list[HistoryEntry]:
    with store.session() as s:
        return list(s.scalars(select(HistoryEntry).where(HistoryEntry.audit_id == audit_id,
                                                         HistoryEntry.entity == entity,
                                                         HistoryEntry.entity_id == entity_id)))


def shown(window) -> None:
    """The window on screen, at a laptop's size, and active (so the focus moves as Tab moves it)."""
    window.resize(1366, 768)
    window.show()
    window.activateWindow()
    QTest.qWaitForWindowActive(window)


def window_on(open_window, store, data_dir: Path):
    with store.transaction() as s:
        set_profile(s, Profile(name="Made-up Auditor"))
    store.close()
    w = open_window("--data-dir", str(data_dir))
    shown(w)
    return w


# ---- point 5: Tab leaves tables; where an opened audit starts; paging; the section links ----------------

def _tab_leaves(table: QAbstractItemView) -> None:
    table.setFocus(Qt.FocusReason.TabFocusReason)
    assert focused() is table
    first = table.currentIndex().row()
    press(Qt.Key.Key_Down)  # the arrow keys still move within the table
    assert table.currentIndex().row() == (first + 1 if first >= 0 else 0)
    row = table.currentIndex().row()
    press(Qt.Key.Key_Tab)
    assert focused() is not table and not table.isAncestorOf(focused()), table.objectName()
    assert table.currentIndex().row() == row  # Tab did not step through the cells
    press(Qt.Key.Key_Backtab)
    assert focused() is table, table.objectName()


def test_tab_leaves_every_table(open_window, demo_dir: Path, qtbot):
    w = open_window("--data-dir", str(demo_dir))
    shown(w)
    settle(w)
    audits_view = w.show_screen("audits")
    settle(w)
    _tab_leaves(audits_view.table)
    actions = w.show_screen("actions")
    settle(w)
    assert actions.table.rowCount() > 2
    _tab_leaves(actions.table)
    moderation = w.show_screen("moderation")
    settle(w)
    _tab_leaves(moderation.waiting)
    moderation.tabs.setCurrentIndex(1)  # Past moderations
    _tab_leaves(moderation.past)
    # The actions table of an audit.
    from qadesk.store.models import Audit

    with w.ctx.store.session() as s:
        audit_id = next(a.id for a in s.scalars(select(Audit)) if len(a.actions) >= 2)
    form = w.open_audit(audit_id)
    form.show_page("actions")
    _tab_leaves(form.actions_panel.table)


def _answer_context(store, audit_id: str) -> None:
    """Answer every question of the first page (Context) in the store, as if done on another day."""
    with store.transaction() as s:
        audit = audits.get_audit(s, audit_id)
        t = audits.template_for(audit)
        for q in t.section("context").questions:
            if q.answerable:
                answers = audits.state_of(audits.get_audit(s, audit_id)).answers
                if q in relevant_questions(t, answers):
                    audits.save_answer(s, audit_id, q.id, sample_answer(q), actor="Made-up Auditor")


def test_opening_an_audit_puts_the_focus_on_its_first_unanswered_question(open_window, loaded_store, data_dir, qtbot):
    fresh = start(loaded_store)  # its case type is filled from New audit: the first to answer is the next
    begun = start(loaded_store)
    _answer_context(loaded_store, begun)
    branched = start(loaded_store)
    _answer_context(loaded_store, branched)
    with loaded_store.transaction() as s:  # "no" makes "Why not?" apply: it is the first still to answer
        audits.save_answer(s, branched, "seen_alone", "no", actor="Made-up Auditor")
    w = window_on(open_window, loaded_store, data_dir)
    for audit_id, page, qid in ((fresh, "section:context", "family_factors"), (begun, "section:voice", "seen_alone"),
                                (branched, "section:voice", "seen_alone_why")):
        form = w.open_audit(audit_id)
        qtbot.waitUntil(lambda form=form, qid=qid: widget(form, f"question.{qid}").isAncestorOf(focused())
                        or widget(form, f"question.{qid}") is focused(), timeout=3000)
        assert form.current_page() == page


def test_ctrl_page_down_and_up_move_between_pages_wherever_the_focus_is(open_window, loaded_store, data_dir, qtbot):
    audit_id = start(loaded_store)
    other = start(loaded_store)
    with loaded_store.transaction() as s:
        audits.add_action(s, audit_id, "Made-up action", owner="Pat Example", actor="Made-up Auditor")
    w = window_on(open_window, loaded_store, data_dir)
    w.open_audit(other)
    form = w.open_audit(audit_id)
    form.build_all()
    tab = w.audit_tabs.currentIndex()
    places = [("section:context", "question.period_start"),  # a date box
              ("section:context", "question.visits_in_period"),  # a number box
              ("section:context", "question.case_type"),  # a radio button
              ("section:voice", "question.lived_experience"),  # a long text box
              ("section:voice", "section_grade.voice"),  # a grade button
              ("judgement", "overall.rationale"),
              ("summary", "summary.family_feedback"),
              ("actions", "actions.table"),  # a table
              ("section:voice", "form.sections")]  # the list of pages
    for page, name in places:
        form.show_page(page)
        widget(form, name).setFocus(Qt.FocusReason.TabFocusReason)
        keys = form.navigator.visible_keys()
        here = form.current_page()
        press(Qt.Key.Key_PageDown, CTRL)
        after = keys[min(keys.index(here) + 1, len(keys) - 1)]
        assert form.current_page() == after, name
        assert w.audit_tabs.currentIndex() == tab and w.current_form() is form, name  # never another tab
        press(Qt.Key.Key_PageUp, CTRL)
        assert form.current_page() == (here if after != here else keys[keys.index(here) - 1]), name
        assert w.audit_tabs.currentIndex() == tab, name


def test_the_section_links_on_the_judgement_page_work_from_the_keyboard(qtbot, loaded_store, data_dir):
    form = open_form(qtbot, loaded_store, data_dir, start(loaded_store), show=True)
    form.show_page("judgement")
    links = [form.findChild(QWidget, f"judgement.go.{s.id}") for s in form.template.sections if s.grade_list]
    assert all(link is not None for link in links)
    widget(form, "form.sections").setFocus(Qt.FocusReason.TabFocusReason)  # the list of pages, then Tab
    press(Qt.Key.Key_Tab)
    if focused() is form.judgement:  # the page itself (it scrolls with the arrow keys)
        press(Qt.Key.Key_Tab)
    assert focused() is links[0]
    press(Qt.Key.Key_Tab)
    assert focused() is links[1]  # each link is a Tab stop
    assert links[1].accessibleName().startswith("Go to the section")
    press(Qt.Key.Key_Return)
    assert form.current_page() == f"section:{links[1].objectName().split('.')[-1]}"
    form.show_page("judgement")
    links[2].setFocus(Qt.FocusReason.TabFocusReason)
    press(Qt.Key.Key_Space)
    assert form.current_page() == f"section:{links[2].objectName().split('.')[-1]}"


# ---- point 6: Submit asks first, and comes at the end ----------------------------------------------------

def _complete(form) -> None:
    """Answer everything submit asks for (setting up; the keys under test come after)."""
    from qadesk.services.audits import check_submit

    for _ in range(8):
        assert form.wait_saved()
        with form.ctx.store.session() as s:
            missing = check_submit(s, form.audit_id)
        if not missing:
            return
        fill_missing(form, missing)
    raise AssertionError("the audit could not be completed")


def test_submit_is_reached_at_the_end_and_asks_before_submitting(qtbot, loaded_store, data_dir):
    audit_id = start(loaded_store)
    form = open_form(qtbot, loaded_store, data_dir, audit_id, show=True)
    _complete(form)
    # Tab goes through the questions, never to the header's Submit.
    form.show_page("section:context", focus=True)
    seen = []
    for _ in range(40):
        press(Qt.Key.Key_Tab)
        seen.append(focused().objectName())
    assert "audit.submit" not in seen
    assert not (widget(form, "audit.submit").focusPolicy() & Qt.FocusPolicy.TabFocus)
    # The last summary field's Tab reaches Submit at the end of the Summary page.
    form.show_page("summary")
    widget(form, "summary.family_feedback").setFocus(Qt.FocusReason.TabFocusReason)
    press(Qt.Key.Key_Tab)
    assert focused() is widget(form, "page.submit")
    press(Qt.Key.Key_Space)
    assert form.ctx.operations().wait()  # what was pending is saved before the question
    dialog = form.submit_dialog
    assert dialog.isVisible()
    qtbot.waitUntil(dialog.isActiveWindow, timeout=2000)
    text = " ".join(label.text() for label in dialog.findChildren(type(form.header.title)))
    assert form.reference in text and "MADEUP-0042" in text and form.template.title in text
    for words in ("read-only", "moderation", "reason", "Actions screen"):
        assert words in text
    qtbot.waitUntil(dialog.isActiveWindow, timeout=2000)
    assert QApplication.focusWidget() is dialog.keep_editing and dialog.keep_editing.isDefault()
    press(Qt.Key.Key_Return)  # Enter keeps editing
    assert not dialog.isVisible() and stored_status(loaded_store, audit_id) == "draft"
    assert form.confirm_submit()
    dialog = form.submit_dialog
    qtbot.waitUntil(dialog.isActiveWindow, timeout=2000)
    while QApplication.focusWidget() is not dialog.submit_button:
        press(Qt.Key.Key_Tab)
    press(Qt.Key.Key_Return)
    assert form.ctx.operations().wait()  # submitted in the background
    assert stored_status(loaded_store, audit_id) == "completed"
    assert not widget(form, "page.submit").isVisibleTo(form)  # read-only now


def stored_status(store, audit_id: str) -> str:
    with store.session() as s:
        return audits.get_audit(s, audit_id).status


def test_the_audit_menu_submits_by_its_shortcut_and_lists_what_is_missing_first(open_window, loaded_store,
                                                                                 data_dir, qtbot):
    audit_id = start(loaded_store)
    w = window_on(open_window, loaded_store, data_dir)
    form = w.open_audit(audit_id)
    qtbot.waitUntil(lambda: form.isAncestorOf(focused()), timeout=3000)
    action = w.findChild(type(w.menuBar().actions()[0]), "action.submit")
    assert action is not None and action.text() == "&Submit…"
    press(Qt.Key.Key_Return, CTRL | SHIFT)
    assert form.missing_panel.isVisibleTo(form)  # nothing asked: what is missing comes first
    assert getattr(form, "submit_dialog", None) is None
    _complete(form)
    widget(form, "summary.strengths").setFocus()
    press(Qt.Key.Key_Return, CTRL | SHIFT)
    assert form.submit_dialog.isVisible()
    qtbot.waitUntil(form.submit_dialog.isActiveWindow, timeout=2000)
    press(Qt.Key.Key_Escape)
    assert stored_status(w.ctx.store, audit_id) == "draft"


# ---- point 7: a chosen grade is cleared only on purpose, and Ctrl+Z puts it back --------------------------

def test_space_on_the_chosen_grade_keeps_it_and_delete_clears_it_until_ctrl_z(qtbot, loaded_store, data_dir):
    audit_id = start(loaded_store)
    form = open_form(qtbot, loaded_store, data_dir, audit_id, show=True)
    form.show_page("section:voice")
    grade = widget(form, "section_grade.voice")
    good = next(b for b in grade.buttons if b.property("choice") == "good")
    good.setFocus(Qt.FocusReason.TabFocusReason)
    press(Qt.Key.Key_Space)
    assert grade.value() == "good"
    press(Qt.Key.Key_Space)  # again: it used to clear the judgement
    assert grade.value() == "good" and good.isChecked()
    assert form.wait_saved()
    assert stored(loaded_store, audit_id).section_grades["voice"] == "good"
    assert len(history(loaded_store, audit_id, "section_judgement", "voice")) == 1
    # Delete clears it, on purpose; the Clear button then offers to undo.
    press(Qt.Key.Key_Delete)
    assert grade.value() is None and form.wait_saved()
    assert "voice" not in stored(loaded_store, audit_id).section_grades
    assert grade.clear_button.text() == "Undo clear"
    title = form.template.section("voice").title
    assert grade.clear_button.accessibleName() == f"Undo clear: put back Good as Section judgement: {title}"
    press(Qt.Key.Key_Z, CTRL)
    assert grade.value() == "good" and form.wait_saved()
    assert stored(loaded_store, audit_id).section_grades["voice"] == "good"
    # The Clear button is a Tab stop beside the scale, with a name.
    grade.buttons[-1].setFocus(Qt.FocusReason.TabFocusReason)
    press(Qt.Key.Key_Tab)
    assert focused() is grade.clear_button and grade.clear_button.text() == "Clear"
    assert grade.clear_button.accessibleName() == f"Clear Section judgement: {title}"
    press(Qt.Key.Key_Space)
    assert grade.value() is None
    press(Qt.Key.Key_Space)  # the same button, now "Undo clear"
    assert grade.value() == "good" and form.wait_saved()
    assert stored(loaded_store, audit_id).section_grades["voice"] == "good"


def test_space_on_the_chosen_radio_button_keeps_the_answer(qtbot, loaded_store, data_dir):
    audit_id = start(loaded_store)
    form = open_form(qtbot, loaded_store, data_dir, audit_id, show=True)
    form.show_page("section:voice")
    seen = widget(form, "question.seen_alone")
    seen.buttons[0].setFocus(Qt.FocusReason.TabFocusReason)
    press(Qt.Key.Key_Space)
    press(Qt.Key.Key_Space)
    assert seen.value() == seen.buttons[0].property("choice") and form.wait_saved()
    assert len(history(loaded_store, audit_id, "answer", "seen_alone")) == 1
    press(Qt.Key.Key_Delete)
    assert seen.value() is None
    press(Qt.Key.Key_Z, CTRL)
    assert seen.value() == seen.buttons[0].property("choice") and form.wait_saved()
    assert stored(loaded_store, audit_id).answers["seen_alone"] == seen.buttons[0].property("choice")


# ---- point 8: arrowing through radio buttons writes one history entry ------------------------------------

def test_arrowing_through_radio_options_saves_the_one_stayed_on_once(qtbot, loaded_store, data_dir):
    audit_id = start(loaded_store)
    form = open_form(qtbot, loaded_store, data_dir, audit_id, show=True)
    form.show_page("section:voice")
    seen = widget(form, "question.seen_alone")
    assert len(seen.buttons) == 3
    seen.buttons[0].setFocus(Qt.FocusReason.TabFocusReason)
    for _ in range(3):  # through all three options, ending back on the first
        press(Qt.Key.Key_Down)
    last = seen.buttons[0].property("choice")
    assert seen.value() == last
    qtbot.waitUntil(lambda: not form.saver.pending, timeout=3000)  # the pause after the last key
    entries = history(loaded_store, audit_id, "answer", "seen_alone")
    assert len(entries) == 1 and last in (entries[0].after or "")
    assert stored(loaded_store, audit_id).answers["seen_alone"] == last
    # A click still saves at once.
    qtbot.mouseClick(seen.buttons[1], Qt.MouseButton.LeftButton)
    assert form.saver.pending == form.saver.writing  # written or being written at once: no pause to wait for
    assert form.saver.wait_saved()
    assert stored(loaded_store, audit_id).answers["seen_alone"] == seen.buttons[1].property("choice")
    assert len(history(loaded_store, audit_id, "answer", "seen_alone")) == 2


def test_a_long_list_drop_down_is_cleared_with_delete_and_put_back_with_ctrl_z(qtbot):
    from qadesk.core.template import Choice
    from qadesk.ui.form.choice_inputs import MAX_RADIOS, ChoiceInput

    choices = [Choice(f"team_{i}", f"Made-up Team {i}") for i in range(MAX_RADIOS + 2)]
    box = ChoiceInput(choices)
    box.setAccessibleName("Which team holds the case?")
    qtbot.addWidget(box)
    changes: list[object] = []
    box.changed.connect(lambda: changes.append(box.value()))
    with qtbot.waitActive(box):
        box.show()
        box.activateWindow()
    box.combo.setFocus()
    press(Qt.Key.Key_Down)
    press(Qt.Key.Key_Down)
    assert box.value() == "team_1"
    press(Qt.Key.Key_Delete)
    assert box.value() is None and box.combo.currentIndex() == 0
    press(Qt.Key.Key_Z, CTRL)
    assert box.value() == "team_1"
    assert changes == ["team_0", "team_1", None, "team_1"]
