"""The final grade in the window: the form's header and moderation panel, Home, the audits list; and the
Moderation screen, which will not let anyone moderate their own audit (driven by real clicks and keys)."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication, QWidget

from qadesk.services import audits as svc
from qadesk.services.blind_moderation import set_blind_by_default
from qadesk.store.models import Moderation
from qadesk.ui.audits_model import COLUMNS
from tests.gui.form_support import open_form
from tests.gui.shell_support import open_window_fixture, settle  # noqa: F401
from tests.helpers.exports import fill_audit, set_up_people

pytestmark = pytest.mark.gui

LEAD = "Pat Lead"  # the profile set_up_people makes: the person at the keyboard
AT = datetime(2026, 11, 20, 14, tzinfo=timezone.utc)


def _moderate_twice(s, audit_id: str) -> None:
    """Internal moderation changes the grade; an external one, later, agrees with it."""
    svc.moderate(s, audit_id, moderator=svc.Actor("Mo Derator", organisation="Example Borough Council"),
                 agreed=False, grade="ri", rationale="The plan has no timescales, so the grade is generous.", at=AT)
    svc.moderate(s, audit_id, moderator=svc.Actor("Ext Reviewer", organisation="Neighbouring Council"),
                 agreed=False, grade="good", rationale="Timescales are in the CP plan on the file.",
                 kind="external", at=AT + timedelta(days=3))


@pytest.fixture
def graded(tmp_path: Path):
    """A store in its own folder (closed again, for the window to open): the lead's own completed audit,
    someone else's, and the lead's audit moderated twice to another grade."""
    from qadesk.exchange.templates import read_template
    from qadesk.services.templates import import_template
    from qadesk.store import open_store
    from tests.conftest import FORMS

    folder = tmp_path / "graded"
    store = open_store(folder)
    with store.transaction() as s:
        for path in sorted(FORMS.glob("*.json")):
            import_template(s, read_template(path), actor="test")
        set_up_people(s)
        own = fill_audit(s, "regular-case-audit", auditor=LEAD, case_ref="CR-910001")
        other = fill_audit(s, "regular-case-audit", case_ref="CR-910002", n=2)
        moderated = fill_audit(s, "regular-case-audit", auditor=LEAD, case_ref="CR-910003")
        _moderate_twice(s, moderated)
        refs = {k: svc.get_audit(s, v).reference for k, v in (("own", own), ("other", other),
                                                               ("moderated", moderated))}
        auditor_grade = svc.get_audit(s, moderated).overall_grade
    store.close()
    assert auditor_grade == "outstanding"  # the highest choices throughout (n=0)
    return folder, {"own": own, "other": other, "moderated": moderated}, refs


def test_the_form_header_shows_both_grades_and_every_moderation_newest_first(qtbot, loaded_store, data_dir,
                                                                            tmp_path) -> None:
    with loaded_store.transaction() as s:
        set_up_people(s)
        aid = fill_audit(s, "regular-case-audit")
        _moderate_twice(s, aid)
    form = open_form(qtbot, loaded_store, data_dir, aid, show=True)
    form.resize(1366, 768)
    grades = form.findChild(QWidget, "audit.grades")
    assert grades.isVisible()
    assert grades.accessibleName() == ("Auditor's grade: Outstanding  ·  Moderated grade: Good "
                                       "(the grade the audit counts with)")
    panel = form.findChild(QWidget, "audit.moderation_panel")
    assert panel.isVisible() and panel.heading.text() == "Moderation (2 moderations, newest first)"
    body = panel.body.text()
    newest, oldest = body.index("Ext Reviewer"), body.index("Mo Derator")
    assert newest < oldest
    for expected in ("<b>Moderated grade: Good</b> — external moderation by Ext Reviewer, Neighbouring Council, "
                     "23 Nov 2026", "Rationale: Timescales are in the CP plan on the file.",
                     "<b>Moderated grade: Requires improvement to be good</b> — internal moderation by Mo Derator, "
                     "Example Borough Council, 20 Nov 2026",
                     "Rationale: The plan has no timescales, so the grade is generous."):
        assert expected in body
    # Read-only: the panel's text can be selected, not edited, and the judgement stays the auditor's.
    assert form.judgement.grade.value() == "outstanding"
    QApplication.processEvents()  # the layout settles at the new size before the picture
    assert panel.height() < 160  # as tall as its two moderations, not more
    form.grab().save(str(tmp_path / "form-moderated.png"))


def test_an_unmoderated_completed_audit_says_so_and_a_draft_shows_no_grades(qtbot, loaded_store, data_dir) -> None:
    with loaded_store.transaction() as s:
        set_up_people(s)
        done = fill_audit(s, "regular-case-audit", n=1)
        draft = fill_audit(s, "regular-case-audit", submit=False, case_ref="CR-910009")
    form = open_form(qtbot, loaded_store, data_dir, done, show=True)
    grades = form.findChild(QWidget, "audit.grades")
    assert grades.isVisible() and grades.accessibleName().endswith("Moderated grade: not yet moderated")
    assert not form.findChild(QWidget, "audit.moderation_panel").isVisible()
    form2 = open_form(qtbot, loaded_store, data_dir, draft, show=True)
    assert not form2.findChild(QWidget, "audit.grades").isVisible()


def test_home_and_the_audits_list_show_the_final_grade_marked_moderated(open_window, graded, qtbot,
                                                                         tmp_path) -> None:
    folder, ids, refs = graded
    w = open_window("--data-dir", str(folder))
    w.resize(1366, 768)
    w.show()
    home = w.show_screen("home")
    qtbot.waitUntil(lambda: home.summary is not None and not home.loading, timeout=10_000)
    settle(w)
    lines = {home.completed.item(i).data(Qt.ItemDataRole.UserRole + 1): home.completed.item(i)
             for i in range(home.completed.count())}
    line = lines[ids["moderated"]]
    assert "Good (moderated)" in line.text() and "Outstanding" not in line.text()
    assert "Your grade: Outstanding" in line.toolTip()
    assert "(moderated)" not in lines[ids["own"]].text()
    # The chart of the last six months counts the moderated audit as Good, not Outstanding.
    counted = {}
    for _month, counts in home.summary.grades:
        for grade, n in counts.items():
            counted[grade] = counted.get(grade, 0) + n
    assert counted == {"outstanding": 2, "good": 1}  # the two unmoderated audits, and the moderated one as Good
    w.grab().save(str(tmp_path / "home.png"))

    view = w.show_screen("audits")
    settle(w)
    qtbot.waitUntil(lambda: view.model.total == 3, timeout=10_000)
    model = view.model
    grade_col = [k for k, _ in COLUMNS].index("grade")
    row = next(i for i in range(model.rowCount()) if model.row_at(i).id == ids["moderated"])
    index = model.index(row, grade_col)
    assert model.data(index) == "Good (mod.)"
    assert model.data(index, Qt.ItemDataRole.ToolTipRole) == "Moderated grade: Good\nAuditor's grade: Outstanding"
    plain = next(i for i in range(model.rowCount()) if model.row_at(i).id == ids["own"])
    assert model.data(model.index(plain, grade_col)) == "Outstanding"
    w.grab().save(str(tmp_path / "audits.png"))


def test_the_moderation_screen_refuses_the_leads_own_audit_with_the_reason(open_window, graded, qtbot,
                                                                           tmp_path) -> None:
    folder, ids, refs = graded
    w = open_window("--data-dir", str(folder))
    with w.ctx.store.transaction() as s:  # the open way: the auditor's grade shown from the start
        set_blind_by_default(s, False, actor="Pat Lead")
    w.resize(1366, 768)
    w.show()
    view = w.show_screen("moderation")
    settle(w)
    qtbot.waitUntil(lambda: view.model.total == 2, timeout=10_000)  # the moderated one is no longer waiting
    rows = {view.model.row_at(i).id: i for i in range(view.model.rowCount())}
    table = view.waiting

    def click_row(audit_id: str) -> None:
        rect = table.visualRect(view.model.index(rows[audit_id], 0))
        qtbot.mouseClick(table.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())

    click_row(ids["own"])
    assert view.audit is not None and view.audit.id == ids["own"]
    reason = f"{refs['own']} was completed by {LEAD}; a moderator must be someone else"
    assert view.problem.isVisible() and view.problem.text() == f"You cannot moderate this audit: {reason}."
    for control in (view.record, view.agree, view.disagree, view.rationale, view.kind, view.grade):
        assert not control.isEnabled(), control.objectName()
    assert view.open_button.isEnabled()  # they can still read it
    w.grab().save(str(tmp_path / "moderation-own.png"))
    qtbot.mouseClick(view.record, Qt.MouseButton.LeftButton)  # a disabled button: nothing happens
    with w.ctx.store.session() as s:
        assert s.query(Moderation).filter(Moderation.audit_id == ids["own"]).count() == 0

    # The keyboard moves to the other auditor's audit: now it can be moderated.
    table.setFocus()
    qtbot.keyClick(table, Qt.Key.Key_Down if rows[ids["other"]] > rows[ids["own"]] else Qt.Key.Key_Up)
    assert view.audit is not None and view.audit.id == ids["other"]
    assert view.record.isEnabled() and not view.problem.isVisible()
    qtbot.mouseClick(view.record, Qt.MouseButton.LeftButton)  # "I agree" is chosen by default
    settle(w)
    with w.ctx.store.session() as s:
        (m,) = s.query(Moderation).filter(Moderation.audit_id == ids["other"]).all()
        assert (m.agreed, m.moderator_name) == (True, LEAD)

    # Back on the lead's own audit, the keyboard cannot get round the rule either.
    qtbot.waitUntil(lambda: view.model.total == 1, timeout=10_000)
    table.setFocus()
    qtbot.keyClick(table, Qt.Key.Key_Home)
    assert view.audit is not None and view.audit.id == ids["own"] and not view.record.isEnabled()


def test_the_reports_charts_count_the_moderated_grade(qtbot, loaded_store, tmp_path, messages_seen) -> None:
    from qadesk.ui.context import AppContext
    from qadesk.ui.reports_view import ReportsView

    with loaded_store.transaction() as s:
        set_up_people(s)
        aid = fill_audit(s, "regular-case-audit", team="Assessment 2")
        fill_audit(s, "regular-case-audit", team="Assessment 2", case_ref="CR-910005")
        _moderate_twice(s, aid)  # Outstanding -> Good
    view = ReportsView(AppContext(loaded_store, None))
    qtbot.addWidget(view)
    view.resize(1366, 768)
    view.show()
    view.ops.wait()
    try:
        qtbot.waitUntil(lambda: view.stats is not None, timeout=5000)
        assert view.chart_team.bars == [("Assessment 2", {"Outstanding": 1, "Good": 1})]
        assert view.grades_note.isVisible()
        assert view.grades_note.text().endswith("1 audit in this selection counts with a moderated grade.")
        view.grab().save(str(tmp_path / "reports.png"))
    finally:
        view.ops.wait()
