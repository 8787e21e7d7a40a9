"""Sample and allocate in the real window, typed with real keys: the sample and its reasons shown before
anything is created, an auditor changed by hand, exactly the drafts shown created; Home's "Assigned to you"."""

from __future__ import annotations

from collections import Counter
from datetime import date, timedelta
from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QComboBox

from qadesk.services.programmes import ProgrammePlan, create_programme
from qadesk.store.models import Assignment, Audit
from tests.gui.shell_support import demo_dir_fixture, demo_master_fixture, open_window_fixture, settle  # noqa: F401

pytestmark = pytest.mark.gui
NAME = "Made-up sample, December"
TEAMS = ["Assessment Team 1", "Children in Care East"]


def _programme(w, *, ends: date) -> None:
    with w.ctx.store.transaction() as s:
        create_programme(s, ProgrammePlan(NAME, starts_on=ends.replace(day=1), ends_on=ends,
                                          template_id="regular-case-audit", teams=TEAMS), actor="Q. Lead")


def _open_dialog(w, qtbot):
    view = w.show_screen("programmes")
    settle(w)
    row = next(i for i in range(view.table.rowCount()) if view.table.item(i, 0).text() == NAME)
    view.table.selectRow(row)
    settle(w)
    dialog = view.sample_and_allocate()
    qtbot.waitUntil(lambda: dialog.setup is not None, timeout=10_000)
    return view, dialog


def _type(qtbot, widget, text: str) -> None:
    """Type over what the box holds: select all with the keyboard, then the keys of ``text``."""
    widget.setFocus()
    qtbot.keyClick(widget, Qt.Key.Key_A, Qt.KeyboardModifier.ControlModifier)
    qtbot.keyClicks(widget, text)


def _tick(qtbot, dialog, name: str) -> None:
    dialog.auditor_filter.setFocus()
    qtbot.keyClicks(dialog.auditor_filter, name)
    qtbot.keyClick(dialog.auditor_filter, Qt.Key.Key_Return)


def test_sample_shown_with_reasons_adjusted_by_hand_then_exactly_those_drafts_created(
        open_window, demo_dir: Path, qtbot, tmp_path) -> None:
    w = open_window("--data-dir", str(demo_dir))
    w.resize(1366, 768)
    w.show()
    ends = date.today() + timedelta(days=20)
    _programme(w, ends=ends)
    me = w.ctx.actor()
    view, dialog = _open_dialog(w, qtbot)
    assert dialog.due.date() == ends and not dialog.create_button.isEnabled()
    with w.ctx.store.session() as s:
        before = s.query(Audit).count()

    _type(qtbot, dialog.per_team, "4")
    dialog.stratify.setFocus()
    qtbot.keyClicks(dialog.stratify, "Case")  # a combo box chooses by the letters typed
    assert dialog.stratify.currentData() == "case_type"
    _type(qtbot, dialog.seed, "4242")
    _type(qtbot, dialog.audited, "0")
    qtbot.keyClick(dialog.draw_button, Qt.Key.Key_Space)  # no auditor yet: said, nothing drawn
    assert dialog.problem.isVisible() and "Tick at least one auditor" in dialog.problem.text()
    auditors = [dialog.auditors.item(i).data(Qt.ItemDataRole.UserRole) for i in range(dialog.auditors.count())]
    others = [a.name for a in auditors if a.name != me and a.team not in TEAMS][:2]
    for name in [me, *others]:
        _tick(qtbot, dialog, name)
    assert [a.name for a in dialog.chosen_auditors()] == sorted([me, *others], key=[a.name for a in auditors].index)
    qtbot.keyClick(dialog.draw_button, Qt.Key.Key_Space)
    qtbot.waitUntil(lambda: dialog.proposal is not None, timeout=10_000)
    assert not dialog.problem.isVisible()

    proposal = dialog.proposal
    assert dialog.cases.rowCount() == len(proposal.sample.chosen) == 8
    assert Counter(dialog.cases.item(i, 1).text() for i in range(8)) == dict.fromkeys(TEAMS, 4)
    reasons = [dialog.cases.item(i, 4).text() for i in range(8)]
    assert all(r.startswith(("random ", "top-up")) for r in reasons) and any("stratum" in r for r in reasons)
    assert dialog.strata.rowCount() >= 2  # the counts per team and stratum, before anything is created
    assert "seed 4242" in dialog.summary.toPlainText()
    with w.ctx.store.session() as s:
        assert s.query(Audit).count() == before  # nothing created by drawing
    dialog.grab().save(str(tmp_path / "sample.png"))

    # Change the auditor of the first row that offers another, by hand, with the keyboard.
    row = next(i for i in range(dialog.cases.rowCount())
               if len({dialog.cases.cellWidget(i, 5).itemData(j) for j in range(dialog.cases.cellWidget(i, 5).count())}
                      - {None}) > 1)
    box = dialog.cases.cellWidget(row, 5)
    assert isinstance(box, QComboBox)
    first = box.currentData()
    box.setFocus()
    for key in [Qt.Key.Key_Down] * box.count() + [Qt.Key.Key_Up] * box.count():
        if box.currentData() not in (first, None):
            break
        qtbot.keyClick(box, key)
    changed = box.currentData()
    assert changed and changed != first
    assert "Changed by hand: 1" in dialog.loads.text()
    shown = {r.case_ref: r.auditor for r in dialog.rows()}
    assert dialog.create_button.text() == "&Create 8 assigned audits"
    qtbot.keyClick(dialog.create_button, Qt.Key.Key_Space)
    qtbot.waitUntil(lambda: not dialog.isVisible(), timeout=10_000)
    settle(w)

    with w.ctx.store.session() as s:
        made = s.query(Audit).filter(Audit.programme.has(name=NAME)).all()
        assert {(a.case_ref, a.auditor_name) for a in made} == set(shown.items())
        assert s.query(Assignment).count() == 8
        assert {r.due_on for r in s.query(Assignment)} == {ends}
    qtbot.waitUntil(lambda: view.status is not None and view.status.name == NAME and view.status.total.assigned == 8,
                    timeout=10_000)
    assert "8 assigned, 0 started, 0 completed, 0 moderated" in view.detail.text()
    w.grab().save(str(tmp_path / "programmes.png"))

    mine = [ref for ref, who in shown.items() if who == me]
    assert mine
    home = w.show_screen("home")
    qtbot.waitUntil(lambda: len(home.assigned_audits) == len(mine), timeout=10_000)
    lines = [home.assigned.item(i).text() for i in range(home.assigned.count())]
    assert all(any(ref in line for line in lines) for ref in mine)
    assert {home.assigned.item(i).data(Qt.ItemDataRole.UserRole + 2) for i in range(home.assigned.count())} == \
        {f"due {ends.day} {ends:%b %Y}"}
    w.grab().save(str(tmp_path / "home.png"))
    home.assigned.setFocus()
    home.assigned.setCurrentRow(0)
    qtbot.keyClick(home.assigned, Qt.Key.Key_Return)  # Enter opens the assigned audit
    settle(w)
    form = w.audit_tabs.currentWidget()
    assert w.stack.currentWidget() is w.audit_tabs
    assert getattr(form, "audit_id", None) == home.assigned_audits[0].audit_id

def test_options_that_change_after_the_draw_must_be_drawn_again(open_window, demo_dir: Path, qtbot) -> None:
    w = open_window("--data-dir", str(demo_dir))
    _programme(w, ends=date.today() + timedelta(days=20))
    _view, dialog = _open_dialog(w, qtbot)
    _tick(qtbot, dialog, dialog.auditors.item(0).data(Qt.ItemDataRole.UserRole).name)
    _type(qtbot, dialog.filters, "no_such_column=yes")
    qtbot.keyClick(dialog.draw_button, Qt.Key.Key_Space)
    qtbot.waitUntil(lambda: dialog.problem.isVisible(), timeout=10_000)
    assert "no column 'no_such_column'" in dialog.problem.text()
    dialog.filters.clear()
    qtbot.keyClick(dialog.draw_button, Qt.Key.Key_Space)
    qtbot.waitUntil(lambda: dialog.proposal is not None, timeout=10_000)
    assert dialog.create_button.isEnabled()
    _type(qtbot, dialog.seed, "7")
    assert dialog.proposal is None and not dialog.create_button.isEnabled()
    assert "press Draw sample again" in dialog.summary.toPlainText()
    dialog.reject()
