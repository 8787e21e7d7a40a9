"""The audit form against a real store: answers of every type, relevance, autosave, submit, reopen."""

from __future__ import annotations

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication

from qadesk.services import audits
from qadesk.store import open_store
from qadesk.ui.context import AppContext
from qadesk.ui.form import AuditFormView
from qadesk.ui.selftest import fill_missing, sample_answer
from tests.gui.form_support import open_form, reopened, start, stored, submitted, widget

pytestmark = pytest.mark.gui

# The shipped forms together use every question type; these templates cover all of them.
TYPE_SOURCES = {
    "regular-case-audit": ("long_text", "integer", "date", "choice", "multi_choice"),
    "multi-agency-audit": ("text",),
    "supervision-audit": ("grade", "range"),
    "data-led-overdue-visits": ("decimal",),
}


@pytest.mark.parametrize("template_id", sorted(TYPE_SOURCES))
def test_every_question_type_is_answered_and_kept(qtbot, loaded_store, data_dir, template_id):
    audit_id = start(loaded_store, template_id)
    form = open_form(qtbot, loaded_store, data_dir, audit_id)
    typed = {}
    for wanted in TYPE_SOURCES[template_id]:
        q = next(q for q in form.template.questions() if q.type == wanted and not q.relevant
                 and not form.template.section(q.section_id).relevant)
        w = widget(form, f"question.{q.id}")
        assert w.accessibleName() == q.label
        w.setValue(sample_answer(q))
        assert w.value() == sample_answer(q)
        typed[q.id] = sample_answer(q)
    assert form.wait_saved()
    assert {k: stored(loaded_store, audit_id).answers.get(k) for k in typed} == typed

    # A new form on a new connection to the same data folder shows every answer again.
    form.close()
    form.deleteLater()
    again = open_store(data_dir)
    try:
        fresh = open_form(qtbot, again, data_dir, audit_id)
        assert {k: widget(fresh, f"question.{k}").value() for k in typed} == typed
    finally:
        again.close()


def test_relevance_shows_and_hides_questions_and_sections(qtbot, loaded_store, data_dir):
    form = open_form(qtbot, loaded_store, data_dir, start(loaded_store))
    why = widget(form, "question.seen_alone_why")
    assert why.parentWidget().isHidden()
    widget(form, "question.seen_alone").setValue("no")
    qtbot.waitUntil(lambda: not why.parentWidget().isHidden(), timeout=1000)
    widget(form, "question.seen_alone").setValue("yes")
    qtbot.waitUntil(lambda: why.parentWidget().isHidden(), timeout=1000)

    dl = open_form(qtbot, loaded_store, data_dir, start(loaded_store, "data-led-overdue-visits"))
    assert "section:dl_reasons" not in dl.navigator.visible_keys()
    widget(dl, "question.dl_real_drift").setValue("yes")
    qtbot.waitUntil(lambda: "section:dl_reasons" in dl.navigator.visible_keys(), timeout=1000)


def test_typing_is_saved_within_a_second(qtbot, loaded_store, data_dir):
    audit_id = start(loaded_store)
    form = open_form(qtbot, loaded_store, data_dir, audit_id, show=True)
    form.show_page("section:voice")
    edit = widget(form, "question.lived_experience")
    edit.setFocus()
    qtbot.keyClicks(edit, "Made-up day in the life")
    qtbot.waitUntil(lambda: stored(loaded_store, audit_id).answers.get("lived_experience")
                    == "Made-up day in the life", timeout=2000)
    qtbot.waitUntil(lambda: form.header.saved.text().startswith("Saved "), timeout=2000)  # told on the main thread
    # The guidance pane follows the focus.
    assert form.template.question("lived_experience").label in form.guidance.current_text()


def test_typing_then_closing_at_once_loses_nothing(qtbot, loaded_store, data_dir):
    audit_id = start(loaded_store)
    form = open_form(qtbot, loaded_store, data_dir, audit_id, show=True)
    form.show_page("section:voice")
    qtbot.keyClicks(widget(form, "evidence.seen_alone"), "Visit note of a made-up day")
    qtbot.keyClicks(widget(form, "question.lived_experience"), "Typed just before closing")
    form.close()
    state = stored(loaded_store, audit_id)
    assert state.answers["lived_experience"] == "Typed just before closing"
    assert state.evidence["seen_alone"] == "Visit note of a made-up day"


def test_destroying_the_form_flushes_pending_typing(qtbot, loaded_store, data_dir):
    audit_id = start(loaded_store)
    form = AuditFormView(AppContext(loaded_store, data_dir), audit_id)
    form.build_all()
    widget(form, "summary.strengths").setValue("Written just before the tab was closed")
    form.deleteLater()
    QApplication.processEvents()
    qtbot.waitUntil(lambda: stored(loaded_store, audit_id).summary.get("strengths") is not None, timeout=2000)


def test_a_refused_answer_is_shown_and_stays_in_the_input(qtbot, loaded_store, data_dir):
    audit_id = start(loaded_store)
    form = open_form(qtbot, loaded_store, data_dir, audit_id)
    visits = widget(form, "question.visits_in_period")
    visits.setValue(500)  # the template allows 0 to 200
    form.wait_saved()
    row = visits.parentWidget()
    assert row.problem_label is not None and "at most 200" in row.problem_label.text()
    assert visits.text() == "500"
    assert "visits_in_period" not in stored(loaded_store, audit_id).answers
    assert form.header.saved.text().startswith("Not saved")
    visits.setValue(12)
    form.wait_saved()
    assert stored(loaded_store, audit_id).answers["visits_in_period"] == 12
    assert row.problem_label.isHidden()


def test_submit_is_refused_and_takes_the_auditor_to_the_first_problem(qtbot, loaded_store, data_dir):
    audit_id = start(loaded_store)
    form = open_form(qtbot, loaded_store, data_dir, audit_id, show=True)
    widget(form, "question.case_type").setValue("cin")
    form.show_page("summary")
    qtbot.mouseClick(widget(form, "audit.submit"), Qt.MouseButton.LeftButton)
    assert form.ctx.operations().wait()  # the answer is saved first, then the audit checked
    missing = form.missing_panel.missing
    assert missing and missing[0].key == "question.period_start"
    assert form.missing_panel.isVisible()
    assert form.current_page() == "section:context"
    first = widget(form, "question.period_start")
    focused = QApplication.focusWidget()
    assert focused is first or first.isAncestorOf(focused)
    assert stored(loaded_store, audit_id) is not None
    with loaded_store.session() as s:
        assert audits.get_audit(s, audit_id).status == "draft"
    # Choosing another entry of the list goes there too.
    target = next(m for m in missing if m.key.startswith("section_grade."))
    form.go_to(target)
    assert form.current_page() == f"section:{target.section_id}"


def test_complete_submit_read_only_and_reopen(qtbot, loaded_store, data_dir):
    audit_id = start(loaded_store)
    form = open_form(qtbot, loaded_store, data_dir, audit_id, show=True)
    for _ in range(6):
        if submitted(form):
            break
        fill_missing(form, form.missing_panel.missing)
    else:
        pytest.fail("the audit could not be completed")
    with loaded_store.session() as s:
        assert audits.get_audit(s, audit_id).status == "completed"
    assert form.read_only
    assert not widget(form, "question.case_type").buttons[0].isEnabled()
    assert widget(form, "question.lived_experience").isReadOnly()
    assert widget(form, "audit.reopen").isVisible()
    assert not widget(form, "audit.submit").isVisible()

    # A completed audit opens read-only; reopening needs a reason and makes it editable again.
    again = open_form(qtbot, loaded_store, data_dir, audit_id)
    assert again.read_only
    assert not reopened(again, "   ")
    assert reopened(again, "Made-up reason: the practitioner sent a missing record")
    assert not again.read_only
    assert not widget(again, "question.lived_experience").isReadOnly()
    with loaded_store.session() as s:
        assert audits.get_audit(s, audit_id).status == "draft"


def test_overall_judgement_that_differs_needs_a_rationale(qtbot, loaded_store, data_dir):
    audit_id = start(loaded_store)
    form = open_form(qtbot, loaded_store, data_dir, audit_id)
    for s in form.template.sections:
        if s.grade_list:
            widget(form, f"section_grade.{s.id}").setValue("good")
    widget(form, "overall.grade").setValue("outstanding")
    form.refresh()
    assert "Good" in form.judgement.suggestion.text()
    assert "differs" in form.judgement.rationale_caption.text()
    assert not submitted(form)
    assert any(m.key == "overall.rationale" for m in form.missing_panel.missing)
    widget(form, "overall.rationale").setValue("Made-up rationale")
    form.wait_saved()
    state = stored(loaded_store, audit_id)
    assert (state.overall_grade, state.overall_rationale) == ("outstanding", "Made-up rationale")
    assert state.section_grades["voice"] == "good"


def test_actions_add_edit_done_remove(qtbot, loaded_store, data_dir):
    from datetime import date

    audit_id = start(loaded_store)
    form = open_form(qtbot, loaded_store, data_dir, audit_id)
    panel = form.actions_panel
    written = form.ctx.operations().wait  # the changes are written in the background
    assert panel.add("Made-up action: update the chronology", owner="Pat Example", due=date(2030, 1, 31),
                     urgent=True)
    assert not panel.add_button.isEnabled()  # one change at a time, while it is written
    assert written() and panel.add_button.isEnabled()
    assert panel.add("   ") and written()
    assert panel.problem.isVisibleTo(panel) and len(panel.rows) == 1  # refused: an action says what must happen
    action_id = panel.rows[0]["id"]
    assert panel.edit(action_id, owner="Sam Example") and written()
    assert panel.mark_done(action_id) and written()
    with loaded_store.session() as s:
        (item,) = audits.get_audit(s, audit_id).actions
        assert (item.owner, item.status, item.urgent, item.due) == ("Sam Example", "done", True, date(2030, 1, 31))
    assert panel.table.item(0, 4).text() == "Done"
    assert panel.remove(action_id) and written()
    with loaded_store.session() as s:
        assert audits.get_audit(s, audit_id).actions == []


def test_keyboard_moves_between_sections_and_controls_are_named(qtbot, loaded_store, data_dir):
    form = open_form(qtbot, loaded_store, data_dir, start(loaded_store), show=True)
    assert form.current_page() == "section:context"
    widget(form, "question.case_type").setFocus()
    qtbot.keyClick(QApplication.focusWidget(), Qt.Key.Key_PageDown, Qt.KeyboardModifier.ControlModifier)
    assert form.current_page() == "section:voice"
    focused = QApplication.focusWidget()
    assert widget(form, "question.seen_alone").isAncestorOf(focused)
    qtbot.keyClick(focused, Qt.Key.Key_Return, Qt.KeyboardModifier.ControlModifier)
    assert form.current_page() == "section:assessment"
    qtbot.keyClick(QApplication.focusWidget(), Qt.Key.Key_PageUp, Qt.KeyboardModifier.ControlModifier)
    assert form.current_page() == "section:voice"
    for q in form.template.questions():
        if q.answerable:
            w = widget(form, f"question.{q.id}")
            assert w.accessibleName() == q.label
            assert w.accessibleDescription() == (q.guidance or "")
    grade = widget(form, "section_grade.voice")
    assert all(b.accessibleName().startswith("Section judgement") for b in grade.buttons)


def test_status_changed_only_when_the_audit_status_changes(qtbot, loaded_store, data_dir):
    audit_id = start(loaded_store)
    form = open_form(qtbot, loaded_store, data_dir, audit_id)
    statuses, save_states, saved_at = [], [], []
    form.statusChanged.connect(statuses.append)
    form.saveStateChanged.connect(save_states.append)
    form.savedAt.connect(saved_at.append)
    widget(form, "question.lived_experience").setValue("A made-up answer")
    assert form.wait_saved()
    assert statuses == []  # saving an answer is not a change of status
    assert save_states[0] == "Saving…" and save_states[-1].startswith("Saved ")
    assert len(saved_at) == 1
    for _ in range(6):
        if submitted(form):
            break
        fill_missing(form, form.missing_panel.missing)
    assert statuses == ["completed"]
    assert save_states[-1] == "Submitted"
    assert reopened(form, "Made-up reason: a record arrived late")
    assert statuses == ["completed", "draft"]


def test_report_button_writes_the_audit_report_with_the_latest_typing(qtbot, loaded_store, data_dir, tmp_path):
    from pypdf import PdfReader

    audit_id = start(loaded_store)
    form = open_form(qtbot, loaded_store, data_dir, audit_id)
    assert widget(form, "audit.report").isEnabled()
    widget(form, "question.lived_experience").setValue("Enjoys swimming club on Saturdays with a made-up friend")
    target = tmp_path / "report.pdf"
    assert form.save_report(str(target))
    qtbot.waitUntil(lambda: form.header.saved.text() == "Report saved to report.pdf", timeout=30_000)
    text = "".join(page.extract_text() for page in PdfReader(target).pages)
    assert "MADEUP-0042" in text
    assert "swimming club" in text
    assert "OFFICIAL-SENSITIVE" in text
