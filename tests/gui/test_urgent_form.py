"""An urgent concern in the real form: submit names the missing urgent action and goes there; the action
dialog asks who was told and when once Urgent is ticked; and the case type comes from New audit."""

from __future__ import annotations

import pytest
from PySide6.QtCore import Qt, QTimer
from PySide6.QtWidgets import QApplication, QDialogButtonBox, QRadioButton

from qadesk.services import audits
from qadesk.ui.form.actions_panel import ActionDialog
from tests.gui.form_support import open_form, stored, submitted, widget
from tests.helpers.exports import fill_audit

pytestmark = pytest.mark.gui


def test_urgent_concern_needs_an_urgent_action_with_who_and_when(qtbot, loaded_store, data_dir):
    with loaded_store.transaction() as s:
        aid = fill_audit(s, "regular-case-audit", submit=False)
        for a in list(audits.get_audit(s, aid).actions):
            audits.remove_action(s, a.id, actor="Test Auditor")
        audits.save_answer(s, aid, "urgent_concern", "no", actor="Test Auditor")
    form = open_form(qtbot, loaded_store, data_dir, aid, show=True)
    form.show_page("section:" + form.template.question("urgent_concern").section_id)
    # The auditor says yes to the urgent-concern question, by keyboard.
    answer = widget(form, "question.urgent_concern")
    assert "“Yes” means an urgent concern" in widget(form, "urgent_hint.urgent_concern").text()
    radios = [b for b in answer.findChildren(QRadioButton) if b.text() == "Yes"]
    radios[0].setFocus()
    qtbot.keyClick(radios[0], Qt.Key.Key_Space)
    qtbot.waitUntil(lambda: stored(loaded_store, aid).answers.get("urgent_concern") == "yes", timeout=3000)
    detail = widget(form, "question.urgent_detail")
    qtbot.waitUntil(lambda: detail.isVisible(), timeout=2000)
    detail.setFocus()
    qtbot.keyClicks(detail.focusProxy() or detail, "Made-up: the child is left alone overnight")
    assert not submitted(form)
    items = form.missing_panel.missing
    assert [m.key for m in items] == ["actions.add"]
    assert "urgent concern" in items[0].message
    assert form.current_page() == "actions"  # it took the auditor there

    # Add the urgent action by keyboard: ticking Urgent shows who was told and when.
    def fill_dialog() -> None:
        dialog = next(w for w in QApplication.topLevelWidgets() if isinstance(w, ActionDialog) and w.isVisible())
        assert not dialog.told_whom.isVisible()
        qtbot.keyClicks(dialog.text, "Strategy discussion today")
        dialog.urgent.setFocus()
        qtbot.keyClick(dialog.urgent, Qt.Key.Key_Space)
        assert dialog.told_whom.isVisible() and dialog.told_when.isVisible()
        qtbot.keyClicks(dialog.told_whom, "Made-up Manager, team manager")
        box = dialog.told_when
        box.date_box.edit.setFocus()
        qtbot.keyClicks(box.date_box.edit, "today")
        box.time_edit.setFocus()  # leaving the date box takes the date
        qtbot.keyClicks(box.time_edit, "00:00")
        ok = dialog.findChild(QDialogButtonBox).button(QDialogButtonBox.StandardButton.Ok)
        ok.setFocus()
        qtbot.keyClick(ok, Qt.Key.Key_Space)
        assert not dialog.isVisible()

    QTimer.singleShot(0, fill_dialog)
    form.actions_panel.add_dialog()
    assert form.ctx.operations().wait()  # written in the background
    rows = form.actions_panel.rows
    assert len(rows) == 1 and rows[0]["urgent"] and rows[0]["told_whom"] == "Made-up Manager, team manager"
    assert rows[0]["told_at"] is not None
    assert submitted(form)
    with loaded_store.session() as s:
        assert audits.get_audit(s, aid).status == "completed"


def test_the_case_type_question_is_already_answered_from_new_audit(qtbot, loaded_store, data_dir):
    from qadesk.ui.context import AppContext
    from qadesk.ui.new_audit_dialog import NewAuditDialog
    from qadesk.ui.settings import Settings

    dialog = NewAuditDialog(AppContext(loaded_store, data_dir), Settings(), template_id="regular-case-audit")
    qtbot.addWidget(dialog)
    with qtbot.waitActive(dialog):
        dialog.show()
        dialog.activateWindow()
    ref = dialog.fields["case_ref"]
    ref.setFocus()
    qtbot.keyClicks(ref, "MADEUP-0808")
    case_type = dialog.fields["case_type"]
    case_type.setFocus()
    for _ in range(4):  # Not recorded, EH, CIN, CP, CLA
        qtbot.keyClick(case_type, Qt.Key.Key_Down)
    assert case_type.currentData() == "CLA"
    dialog.ok.setFocus()
    qtbot.keyClick(dialog.ok, Qt.Key.Key_Space)
    assert not dialog.ok.isEnabled()  # started in the background: the button waits
    qtbot.waitUntil(lambda: dialog.audit_id is not None, timeout=5000)
    assert not dialog.isVisible()
    form = open_form(qtbot, loaded_store, data_dir, dialog.audit_id)
    assert widget(form, "question.case_type").value() == "cla"  # not asked again
    assert "Filled in from New audit" in widget(form, "from_subject.case_type").text()
    # The auditor corrects it in the form: the audit's case type follows, so lists and reports agree.
    answer = widget(form, "question.case_type")
    cp = next(b for b in answer.findChildren(QRadioButton) if b.text() == "Child Protection")
    cp.setFocus()
    qtbot.keyClick(cp, Qt.Key.Key_Space)

    def case_type_stored() -> str | None:
        with loaded_store.session() as s:
            return audits.get_audit(s, dialog.audit_id).case_type

    qtbot.waitUntil(lambda: case_type_stored() == "CP", timeout=3000)
    qtbot.waitUntil(lambda: "Child Protection" in form.header.subject.text(), timeout=3000)
    # A read-only (submitted) audit changes nothing, so its note does not say it would.
    row = widget(form, "from_subject.case_type").parentWidget()
    row.set_read_only(True)
    assert widget(form, "from_subject.case_type").text() == "Filled in from New audit."
    row.set_read_only(False)
    assert "Changing it here changes the audit's case type too" in widget(form, "from_subject.case_type").text()
