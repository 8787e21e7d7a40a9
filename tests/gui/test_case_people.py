"""The case's people list, from the open audit's header: typed with the keyboard, stored, used by packs."""

from __future__ import annotations

import pytest
from PySide6.QtCore import Qt
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication, QPushButton

from qadesk.services import audits, people
from qadesk.services.pseudonymise import Pseudonymiser
from tests.gui.form_support import open_form, start

pytestmark = pytest.mark.gui


def _type(widget, text: str) -> None:
    widget.setFocus()
    QTest.keyClick(widget, Qt.Key.Key_A, Qt.KeyboardModifier.ControlModifier)
    QTest.keyClicks(widget, text)


@pytest.fixture
def dialog(qtbot, loaded_store, data_dir):
    aid = start(loaded_store)
    form = open_form(qtbot, loaded_store, data_dir, aid, show=True)
    button = form.header.findChild(QPushButton, "audit.people")
    assert button.isVisible() and button.focusPolicy() & Qt.FocusPolicy.TabFocus
    button.setFocus()
    QTest.keyClick(button, Qt.Key.Key_Space)
    d = form.people_dialog
    qtbot.waitUntil(d.isVisible, timeout=3000)
    yield form, d, aid
    form.ctx.operations().wait()
    d.close()
    form.wait_saved()


def test_people_are_added_changed_and_removed_with_the_keyboard(dialog, qtbot, loaded_store, tmp_path):
    form, d, aid = dialog
    assert d.windowTitle() == "People in case MADEUP-0042" and QApplication.focusWidget() is d.role
    for role, name, other in (("child", "Jayden Okoro", "Jay"), ("mother", "Kelly Okoro", "")):
        _type(d.role, role)
        QTest.keyClick(d.role, Qt.Key.Key_Tab)
        assert QApplication.focusWidget() is d.name
        QTest.keyClicks(d.name, name)
        QTest.keyClick(d.name, Qt.Key.Key_Tab)
        QTest.keyClicks(d.other, other)
        QTest.keyClick(d.other, Qt.Key.Key_Return)  # Enter adds the person
        qtbot.waitUntil(lambda: not d.busy, timeout=5000)
    assert [(d.table.item(r, 0).text(), d.table.item(r, 1).text()) for r in range(d.table.rowCount())] == [
        ("child", "Jayden Okoro"), ("mother", "Kelly Okoro")]
    assert d.isVisible() and d.name.text() == ""  # ready for the next person
    with loaded_store.session() as s:
        listed = people.list_people(s, "MADEUP-0042")
    assert [(p.role, p.name, p.other_names) for p in listed] == [("child", "Jayden Okoro", ("Jay",)),
                                                                ("mother", "Kelly Okoro", ())]
    d.table.setFocus()
    d.table.selectRow(1)
    _type(d.name, "Kelly Okoro-Brown")
    QTest.keyClick(d.name, Qt.Key.Key_Return)  # Enter on a chosen person saves the change
    qtbot.waitUntil(lambda: not d.busy, timeout=5000)
    assert d.table.item(1, 1).text() == "Kelly Okoro-Brown"
    # Refused with the reason beside the fields; nothing stored.
    d.clear_fields()
    _type(d.name, "No Role Given")
    QTest.keyClick(d.name, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: not d.busy, timeout=5000)
    assert d.problem.isVisible() and "role" in d.problem.text()
    d.resize(640, 480)
    d.grab().save(str(tmp_path / "people.png"))
    d.table.selectRow(1)
    d.remove_button.click()
    qtbot.waitUntil(lambda: not d.busy, timeout=5000)
    assert d.table.rowCount() == 1
    # The list masks the child's name in a pseudonymised copy of the audit.
    with loaded_store.transaction() as s:
        audits.set_summary(s, aid, "strengths", "Jayden (Jay) said J. Okoro's school is good", actor="t")
    with loaded_store.session() as s:
        audit = audits.get_audit(s, aid)
        doc = Pseudonymiser(s).apply(audits.audit_document(audit), audits.template_for(audit))
    assert doc["summary"]["strengths"] == "[child] ([child]) said [child]'s school is good"
