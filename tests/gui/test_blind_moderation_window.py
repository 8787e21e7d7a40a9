"""Blind moderation in the window: until the moderator has recorded their own judgements, no widget of the
Moderation screen shows the auditor's grades (their text is nowhere in its widget tree, the waiting list's
cells included); then both are shown side by side with the differences marked. Driven with real keys."""

from __future__ import annotations

from datetime import datetime, timezone
from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QAbstractButton,
    QAbstractItemView,
    QComboBox,
    QHeaderView,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QTableView,
    QTextEdit,
    QWidget,
)

from qadesk.services import audits as svc
from qadesk.store.models import HistoryEntry, Moderation
from tests.gui.shell_support import open_window_fixture, settle  # noqa: F401
from tests.helpers.exports import import_dict, set_up_people

pytestmark = pytest.mark.gui

GRADES = ("Grade Alpha", "Grade Bravo", "Grade Charlie", "Grade Delta")
RATIONALE = "Rationale only the auditor wrote"
TEMPLATE = {
    "format": "qadesk-template/1", "id": "blind-window-test", "version": 1, "title": "Blind window test audit",
    "kind": "regular", "publisher": "Made-up Council",
    "lists": {"g4": [{"value": v, "label": label, "score": 4 - i} for i, (v, label) in enumerate(zip("abcd", GRADES, strict=True))],
              "yn": [{"value": "yes", "label": "Yes"}, {"value": "no", "label": "No"}]},
    "overall": {"list": "g4", "suggest": "none"},
    "sections": [
        {"id": "voice", "title": "The child's voice", "grade": {"list": "g4"}, "questions": [
            {"id": "seen", "type": "choice", "list": "yn", "label": "Was the child seen alone?", "evidence": "optional"}]},
        {"id": "plan", "title": "The plan", "grade": {"list": "g4"}, "questions": [
            {"id": "plan_text", "type": "long_text", "label": "What does the plan say?"}]},
    ],
}


@pytest.fixture
def awaiting(store, data_dir: Path) -> tuple[Path, str]:
    import_dict(store, TEMPLATE)
    with store.transaction() as s:
        set_up_people(s)  # the person at the keyboard: Pat Lead, QA lead
        a = svc.start_audit(s, "blind-window-test", svc.Subject(case_ref="CR-700001", case_type="CP",
                                                                team="Assessment 2", practitioner="Alex Fictional"),
                            svc.Actor("Casey Auditor", "Team manager"),
                            started_at=datetime(2026, 11, 2, 9, tzinfo=timezone.utc))
        svc.save_answer(s, a.id, "seen", "no", actor="Casey Auditor", evidence="Seen with the carer each visit")
        svc.save_answer(s, a.id, "plan_text", "Weekly visits; no timescales", actor="Casey Auditor")
        svc.set_section_grade(s, a.id, "voice", "b", actor="Casey Auditor")  # Grade Bravo
        svc.set_section_grade(s, a.id, "plan", "c", actor="Casey Auditor")  # Grade Charlie
        svc.set_overall(s, a.id, actor="Casey Auditor", grade="c", rationale=RATIONALE)
        for key in svc.SUMMARY_KEYS:
            svc.set_summary(s, a.id, key, f"{key}: made-up summary text", actor="Casey Auditor")
        svc.submit(s, a.id, actor="Casey Auditor")
        audit_id = a.id
    store.close()
    return data_dir, audit_id


def texts(root: QWidget) -> list[str]:
    """Every text a person could read in ``root``: labels, buttons, boxes, tables, lists, tooltips, names.

    A combo box counts by its current text (its other items are the choices the moderator answers with)."""
    out: list[str] = []
    for w in [root, *root.findChildren(QWidget)]:
        if not w.isVisibleTo(root) and w is not root:
            continue
        out += [w.toolTip(), w.accessibleName(), w.accessibleDescription(), w.windowTitle()]
        if isinstance(w, QLabel | QAbstractButton | QLineEdit):
            out.append(w.text())
        elif isinstance(w, QComboBox):
            out.append(w.currentText())
        elif isinstance(w, QTextEdit):
            out.append(w.toPlainText())
        elif isinstance(w, QPlainTextEdit):
            out += [w.toPlainText(), w.placeholderText()]
        if isinstance(w, QAbstractItemView) and not isinstance(w, QHeaderView) and w.model() is not None:
            m = w.model()
            for r in range(m.rowCount()):
                for c in range(m.columnCount()):
                    if not (isinstance(w, QTableView) and w.isColumnHidden(c)):
                        for role in (Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.ToolTipRole,
                                     Qt.ItemDataRole.AccessibleTextRole):
                            value = m.data(m.index(r, c), role)
                            if value:
                                out.append(str(value))
    return [t for t in out if t]


def choose(qtbot, combo: QComboBox, label: str) -> None:
    """Pick a combo box item the way a person does with the keyboard: focus it, then the arrow keys."""
    combo.setFocus()
    qtbot.keyClick(combo, Qt.Key.Key_Home)
    for _ in range(combo.count()):
        if combo.currentText() == label:
            return
        qtbot.keyClick(combo, Qt.Key.Key_Down)
    assert combo.currentText() == label


def test_the_auditors_grades_are_nowhere_until_the_moderators_own_are_recorded(open_window, awaiting, qtbot,
                                                                               tmp_path) -> None:
    folder, audit_id = awaiting
    w = open_window("--data-dir", str(folder))
    w.resize(1366, 768)
    w.show()
    view = w.show_screen("moderation")
    settle(w)
    assert view.blind.isChecked()  # blind is the default
    qtbot.waitUntil(lambda: view.model.total == 1, timeout=10_000)
    table = view.waiting
    rect = table.visualRect(view.model.index(0, 0))
    qtbot.mouseClick(table.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
    assert view.audit is not None and view.audit.id == audit_id

    seen = "\n".join(texts(view))
    assert "Seen with the carer each visit" in seen and "Weekly visits; no timescales" in seen  # the evidence is there
    for hidden in (*GRADES, RATIONALE):
        assert hidden not in seen, hidden
    assert not view.open_button.isEnabled()  # the form would show the grades
    assert not view.record.isVisible() and view.record_own.isVisible()
    w.grab().save(str(tmp_path / "blind-before.png"))

    # Nothing recorded without an overall grade.
    qtbot.mouseClick(view.record_own, Qt.MouseButton.LeftButton)
    assert view.problem.isVisible() and "overall grade" in view.problem.text()
    panel = view.panel
    choose(qtbot, panel.own["voice"], "Grade Alpha")  # one grade above the auditor's Bravo
    choose(qtbot, panel.own["plan"], "Grade Charlie")  # the same as the auditor's
    choose(qtbot, view.own_overall, "Grade Bravo")  # one above the auditor's Charlie
    assert "Grade Bravo" not in "\n".join(texts(view)).replace("Grade Bravo", "", 1)  # only the moderator's own
    qtbot.mouseClick(view.record_own, Qt.MouseButton.LeftButton)
    settle(w)
    qtbot.waitUntil(lambda: view.record.isVisible(), timeout=10_000)

    # Now both, side by side, the differences marked.
    compare = view.compare
    rows = {compare.item(r, 0).text(): (compare.item(r, 1).text(), compare.item(r, 2).text())
            for r in range(compare.rowCount())}
    assert rows == {"≠ The child's voice": ("Grade Alpha", "Grade Bravo"),
                    "The plan": ("Grade Charlie", "Grade Charlie"),
                    "≠ Overall": ("Grade Bravo", "Grade Charlie")}
    after = "\n".join(texts(view))
    assert RATIONALE in after and "auditor's grade: Grade Bravo" in after  # the evidence shows theirs now too
    assert view.disagree.isChecked() and view.grade.currentText() == "Grade Bravo"  # their own grade offered
    assert view.open_button.isEnabled()
    w.grab().save(str(tmp_path / "blind-after.png"))

    # Conclude: the moderated grade with a rationale and learning points, typed.
    qtbot.keyClicks(view.rationale, "The plan has no timescales but the voice work is strong")
    qtbot.keyClicks(view.learning, "Record the child's own words")
    qtbot.mouseClick(view.record, Qt.MouseButton.LeftButton)
    settle(w)
    qtbot.waitUntil(lambda: view.model.total == 0, timeout=10_000)
    with w.ctx.store.session() as s:
        (m,) = s.query(Moderation).filter(Moderation.audit_id == audit_id).all()
        assert (m.blind, m.own_grade, m.grade, m.agreed) == (True, "b", "b", False)
        assert m.learning_points == "Record the child's own words"
        assert {x.section_id: (x.own_grade, x.auditor_grade) for x in m.sections} == {"voice": ("a", "b"),
                                                                                      "plan": ("c", "c")}
        steps = [e.entity for e in s.query(HistoryEntry).filter_by(audit_id=audit_id).order_by(HistoryEntry.seq)]
        assert steps[-2:] == ["blind_judgement", "moderation"]

    # The past moderation shows the judgements and takes the dialogue: the moderator's note, typed.
    view.tabs.setCurrentIndex(1)
    view.past.setCurrentCell(0, 0)
    assert "Record the child's own words" in view.past_detail.toPlainText()
    qtbot.keyClicks(view.note, "Happy to talk this through at supervision")
    qtbot.mouseClick(view.add_note, Qt.MouseButton.LeftButton)
    settle(w)
    qtbot.waitUntil(lambda: "Happy to talk this through" in view.past_detail.toPlainText(), timeout=10_000)
    assert "Moderator, Pat Lead" in view.past_detail.toPlainText()
