"""An audit's history in the window: who changed what and when, and its versions side by side.

A real store made through the services (an audit submitted, reopened with a reason, its evidence
changed, submitted again and moderated), the real window, real key events (Ctrl+H from the open
audit and from the audits list), the rows read back as a reader sees them, and a look at 1366×768.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication

from qadesk.services import audits as svc
from qadesk.store import open_store
from qadesk.ui.history_view import HistoryDialog
from tests.gui.shell_support import open_window_fixture, settle  # noqa: F401
from tests.helpers.exports import fill_audit, set_up_people

LEAD = "Pat Lead"
NEW_NOTE = "Seen alone on 4 Nov 2026, recorded the same day"


@pytest.fixture
def reopened(data_dir: Path) -> tuple[Path, str, str]:
    from qadesk.exchange.templates import read_template
    from qadesk.services.templates import import_template

    forms = Path(__file__).resolve().parents[2] / "forms"
    store = open_store(data_dir)
    try:
        with store.transaction() as s:
            import_template(s, read_template(forms / "regular-case-audit.json"), actor="test")
            set_up_people(s)
            aid = fill_audit(s, "regular-case-audit", auditor=LEAD)
        with store.transaction() as s:
            svc.reopen(s, aid, "The visit dates were wrong", actor=LEAD)
            audit = svc.get_audit(s, aid)
            q = next(a for a in audit.answers if a.evidence)
            import json

            svc.save_answer(s, aid, q.question_id, json.loads(q.value), actor=LEAD, evidence=NEW_NOTE)
            svc.submit(s, aid, actor=LEAD)
            svc.moderate(s, aid, moderator=svc.Actor("Quinn Moderator"), agreed=True)
            ref = audit.reference
    finally:
        store.close()
    return data_dir, aid, ref


def _shown(qtbot, w) -> None:
    w.resize(1366, 768)
    with qtbot.waitActive(w):  # the menus' shortcuts go to the active window
        w.show()
        w.activateWindow()
    settle(w)


def _dialog(qtbot) -> HistoryDialog:
    found: list[HistoryDialog] = []

    def shown() -> bool:
        found[:] = [w for w in QApplication.topLevelWidgets() if isinstance(w, HistoryDialog) and w.isVisible()]
        return bool(found)

    qtbot.waitUntil(shown, timeout=10_000)
    dialog = found[0]
    qtbot.waitUntil(lambda: dialog.view.table.rowCount() > 0, timeout=10_000)
    return dialog


def test_ctrl_h_in_the_open_audit_shows_who_changed_what_and_when(open_window, reopened, qtbot) -> None:
    folder, aid, ref = reopened
    w = open_window("--data-dir", str(folder))
    _shown(qtbot, w)
    form = w.open_audit(aid)
    qtbot.waitUntil(form.isVisible)
    qtbot.keyClick(form, Qt.Key.Key_H, Qt.KeyboardModifier.ControlModifier)
    dialog = _dialog(qtbot)
    view = dialog.view
    assert view.heading.text() == f"History of {ref}"
    rows = view.grid()
    assert rows[0][2] == "Moderation recorded"  # newest first
    whats = [r[2] for r in rows]
    assert "Reopened" in whats and "Submitted" in whats and "Started the audit" in whats
    reopen = rows[whats.index("Reopened")]
    assert reopen[1] == LEAD and reopen[4] == "Draft — reason: The visit dates were wrong"
    changed = next(r for r in rows if NEW_NOTE in r[4])
    assert "evidence:" in changed[3] and changed[3] != changed[4]  # the old note beside the new one
    # Oldest first, chosen with the keyboard.
    view.order.setFocus()
    qtbot.keyClick(view.order, Qt.Key.Key_Down)
    assert view.grid()[0][2] == "Started the audit"
    settle(w)


def test_a_completed_audits_earlier_version_stands_beside_the_current_one(open_window, reopened, qtbot) -> None:
    folder, aid, _ref = reopened
    w = open_window("--data-dir", str(folder))
    w.open_audit(aid)
    w.show_history()
    view = _dialog(qtbot).view
    labels = [view.left.itemText(i) for i in range(view.left.count())]
    assert labels[0].startswith("As first submitted") and labels[-1] == "Now"
    assert any(label.startswith("As completed, before it was reopened") for label in labels)
    assert view.left.currentIndex() == 0 and view.right.currentIndex() == len(labels) - 1
    view.tabs.setCurrentIndex(1)
    view.only_diff.setChecked(True)
    rows = view.comparison()
    evidence = [r for r in rows if r[0].startswith("Evidence:") and r[2] == NEW_NOTE]
    assert evidence and evidence[0][1] != NEW_NOTE  # the note as first submitted, and as it is now
    assert any(r[0] == "Status" and r[1] == "Completed" and r[2] == "Moderated" for r in rows)
    assert "differ" in view.versions_note.text()
    if os.environ.get("QADESK_SHOTS"):  # a look at it, as an auditor would see it on a laptop
        dialog = view.window()
        dialog.resize(1366, 768)
        QApplication.processEvents()
        dialog.grab().save(os.environ["QADESK_SHOTS"] + "/history-versions.png")
        view.tabs.setCurrentIndex(0)
        QApplication.processEvents()
        dialog.grab().save(os.environ["QADESK_SHOTS"] + "/history-changes.png")
    settle(w)


def test_the_audits_list_opens_a_rows_history_from_its_menu_and_ctrl_h(open_window, reopened, qtbot) -> None:
    folder, aid, ref = reopened
    w = open_window("--data-dir", str(folder))
    _shown(qtbot, w)
    w.show_screen("audits")
    view = w.screens["audits"]
    qtbot.waitUntil(lambda: view.model.rowCount() > 0, timeout=10_000)
    view.table.setFocus()
    view.table.selectRow(0)
    view.table.setCurrentIndex(view.model.index(0, 0))
    # The menu key opens the row's context menu: Open, History…, then the columns.
    qtbot.keyClick(view.table, Qt.Key.Key_Menu)
    menu = view.columns.menu
    assert menu is not None
    names = [a.objectName() for a in menu.actions()]
    assert names[:2] == ["audits.row.open", "audits.row.history"] and "column.status" in names
    menu.close()
    qtbot.keyClick(view.table, Qt.Key.Key_H, Qt.KeyboardModifier.ControlModifier)
    dialog = _dialog(qtbot)
    assert dialog.view.heading.text() == f"History of {ref}"
    dialog.close()
    settle(w)
