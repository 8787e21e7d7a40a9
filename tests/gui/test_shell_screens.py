"""The Actions, Moderation and Programmes screens, each changing the real store through the services."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from PySide6.QtTest import QTest

from qadesk.services.blind_moderation import set_blind_by_default
from qadesk.services.overview import agreement
from qadesk.services.programmes import list_programmes
from qadesk.store.history import verify
from qadesk.store.models import ActionItem, Audit, Moderation
from tests.gui.shell_support import demo_dir_fixture, demo_master_fixture, open_window_fixture, settle  # noqa: F401

pytestmark = pytest.mark.gui


def test_an_action_is_marked_done_with_a_note(open_window, demo_dir: Path) -> None:
    w = open_window("--data-dir", str(demo_dir))
    view = w.show_screen("actions")
    assert view.count.text() == "Loading…"  # the rows come from the background, the window stays usable
    settle(w)
    before = len(view.rows)
    assert before and all(r.status == "open" for r in view.rows)
    view.table.selectRow(0)
    target = view.current()
    view.done_button.click()
    dialog = next(c for c in view.children() if c.objectName() == "actions.done_dialog")
    dialog.note.setPlainText("Visit made on 20 Nov; child seen alone.")
    dialog.accept()
    settle(w)
    assert len(view.rows) == before - 1 and target.id not in {r.id for r in view.rows}
    with w.ctx.store.session() as s:
        item = s.get(ActionItem, target.id)
        assert (item.status, item.closing_note) == ("done", "Visit made on 20 Nov; child seen alone.")
        assert verify(s).ok


def test_an_action_gets_a_new_owner_and_due_date(open_window, demo_dir: Path) -> None:
    w = open_window("--data-dir", str(demo_dir))
    view = w.show_screen("actions")
    settle(w)
    view.table.selectRow(0)
    target = view.current()
    view.edit_button.click()
    dialog = next(c for c in view.children() if c.objectName() == "actions.edit_dialog")
    dialog.owner.setText("C. Lead")
    dialog.has_due.setChecked(True)
    dialog.due.edit.setFocus()
    QTest.keyClick(dialog.due.edit, Qt.Key.Key_A, Qt.KeyboardModifier.ControlModifier)
    QTest.keyClicks(dialog.due.edit, "15/1/27")
    QTest.keyClick(dialog.due.edit, Qt.Key.Key_Return)
    dialog.urgent.setChecked(True)
    dialog.accept()
    settle(w)  # written in the background
    with w.ctx.store.session() as s:
        item = s.get(ActionItem, target.id)
        assert (item.owner, item.due, item.urgent) == ("C. Lead", date(2027, 1, 15), True)


def test_action_filters(open_window, demo_dir: Path) -> None:
    w = open_window("--data-dir", str(demo_dir))
    view = w.show_screen("actions")
    settle(w)
    everything = len(view.rows)
    view.set_filter("overdue")
    settle(w)
    assert view.rows and all(r.overdue() for r in view.rows)
    view.set_filter("urgent")
    view.set_filter("mine")  # asked for while "urgent" is still loading: only the newest choice is shown
    settle(w)
    assert view.rows and all(r.owner == w.ctx.actor() or r.id in mine_of(w) for r in view.rows)
    assert view.show_filter.currentData() == "mine"
    view.set_filter("urgent")
    settle(w)
    assert all(r.urgent for r in view.rows)
    view.set_filter("all")
    settle(w)
    team = view.rows[0].team
    view.team.setCurrentIndex(view.team.findData(team))
    settle(w)
    assert view.rows and {r.team for r in view.rows} == {team} and len(view.rows) <= everything
    w.show_screen("home").cards["overdue"].clicked.emit()  # Home's card leads to the same list
    settle(w)
    assert w.stack.currentWidget() is view and view.show_filter.currentData() == "overdue"
    assert view.rows and all(r.overdue() for r in view.rows)


def mine_of(w) -> set[str]:
    """Ids of the open actions on audits the window's user made."""
    with w.ctx.store.session() as s:
        return {a.id for a in s.query(ActionItem).join(Audit).filter(Audit.auditor_name == w.ctx.actor())}


def test_a_moderation_is_recorded_and_the_agreement_rate_follows(open_window, demo_dir: Path) -> None:
    w = open_window("--data-dir", str(demo_dir))
    with w.ctx.store.transaction() as s:  # the open way: the auditor's grade shown from the start
        set_blind_by_default(s, False, actor="Pat Lead")
    view = w.show_screen("moderation")
    assert view.waiting_label.text() == "Loading…"
    settle(w)
    waiting = view.model.total
    with w.ctx.store.session() as s:
        agreed_before, total_before = agreement(s)
    # Someone else's audit: nobody moderates their own (test_final_grade_window covers that refusal).
    first = next(i for i in range(view.model.rowCount()) if view.model.row_at(i).auditor != w.ctx.actor())
    view.waiting.setCurrentIndex(view.model.index(first, 0))
    audit = view.audit
    assert audit is not None and audit.reference in view.audit_info.text()
    view.disagree.setChecked(True)
    other = next(i for i in range(view.grade.count()) if view.grade.itemData(i) not in (None, audit.grade))
    view.grade.setCurrentIndex(other)
    moderated = view.grade.itemData(other)
    view.record.click()  # no rationale: refused, nothing stored
    assert not view.record.isEnabled()  # written in the background, not twice
    settle(w)
    assert view.problem.isVisible() and "rationale" in view.problem.text() and view.record.isEnabled()
    view.rationale.setPlainText("The plan has no timescales, so the grade is too generous.")
    view.record.click()
    assert not view.record.isEnabled()  # recorded once; the list reloads in the background
    settle(w)
    assert view.model.total == waiting - 1
    with w.ctx.store.session() as s:
        (m,) = s.query(Moderation).filter(Moderation.audit_id == audit.id).all()
        assert (m.agreed, m.grade, m.moderator_name) == (False, moderated, w.ctx.actor())
        assert s.get(Audit, audit.id).status == "moderated"
        assert agreement(s) == (agreed_before, total_before + 1)
    assert f"of {total_before + 1:,} moderations" in view.rate.text()
    assert view.past.item(0, 1).text() == audit.reference


def test_a_programme_is_created_and_shows_its_progress(open_window, demo_dir: Path) -> None:
    w = open_window("--data-dir", str(demo_dir))
    view = w.show_screen("programmes")
    settle(w)  # the programmes come from the background
    rows = view.table.rowCount()
    view.new_button.click()
    dialog = next(c for c in view.children() if c.objectName() == "programme.dialog")
    dialog.accept()  # no name: refused in the dialog
    settle(w)
    assert dialog.isVisible() and "needs a name" in dialog.problem.text()
    dialog.name.setText("Regular audits, December 2026")
    dialog.template.setCurrentIndex(dialog.template.findData("regular-case-audit"))
    dialog.teams.item(0).setCheckState(Qt.CheckState.Checked)
    dialog.new_team.setText("New Team East")
    dialog.new_team.returnPressed.emit()
    dialog.target.setValue(10)
    dialog.accept()
    settle(w)  # written, then the list reloaded, in the background
    assert not dialog.isVisible() and view.table.rowCount() == rows + 1
    with w.ctx.store.session() as s:
        p = next(p for p in list_programmes(s) if p.name == "Regular audits, December 2026")
    assert p.teams[-1] == "New Team East" and len(p.teams) == 2 and p.target == 20
    row = next(i for i in range(view.table.rowCount()) if view.table.item(i, 0).text() == p.name)
    assert view.table.item(row, 3).text() == "10 per team (20 in all)"
    view.table.selectRow(row)
    view.start_button.click()  # starting an audit in it: the New audit dialog, programme filled in
    d = w.new_audit_dialog
    assert d.programme.currentText() == p.name and d.template_id() == "regular-case-audit"
    d.fields["case_ref"].setText("CR-900001")
    d.accept()
    settle(w)  # started in the background
    with w.ctx.store.session() as s:
        assert next(x for x in list_programmes(s) if x.name == p.name).started == 1
