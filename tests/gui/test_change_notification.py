"""Screens and open audits follow changes to the store: made on another screen, or by the command line.

The real window on a real store, real key and mouse events, the real ``qadesk`` command line in a
subprocess.  Waits are waits (``qtbot.waitUntil``), never timed assertions.
"""

from __future__ import annotations

import json
import subprocess
import sys
import threading
from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication, QLabel, QPushButton, QWidget
from sqlalchemy import select

from qadesk.core.dates import as_utc
from qadesk.core.errors import Missing
from qadesk.services import audits
from qadesk.services import changes as changes_module
from qadesk.services.changes import Changes
from qadesk.store import open_store
from qadesk.store.models import ActionItem, HistoryEntry
from qadesk.ui.change_hub import Follower
from tests.gui.shell_support import demo_dir_fixture, demo_master_fixture, open_window_fixture, settle  # noqa: F401
from tests.helpers.cli import run_qadesk

pytestmark = pytest.mark.gui

SUBMIT_HOLDING = Path(__file__).resolve().parents[1] / "helpers" / "submit_holding.py"
QUESTION = "lived_experience"  # a long text question of the regular case audit that always applies


def start_audit(folder: Path) -> str:
    """A new draft of the regular case audit, started through its own store (as another screen would)."""
    store = open_store(folder)
    try:
        subject = audits.Subject(case_ref="MADEUP-9001", case_type="CIN", team="Made-up Team",
                                 practitioner="Pat Example")
        with store.transaction() as s:
            return audits.start_audit(s, "regular-case-audit", subject, audits.Actor("Test Auditor")).id
    finally:
        store.close()


def answer_history(window, audit_id: str, qid: str) -> list[object]:
    """The values the history recorded for one answer, oldest first."""
    with window.ctx.store.session() as s:
        rows = s.execute(select(HistoryEntry.after).where(HistoryEntry.audit_id == audit_id,
                                                          HistoryEntry.entity == "answer",
                                                          HistoryEntry.entity_id == qid)
                         .order_by(HistoryEntry.seq)).scalars()
        return [json.loads(a)["value"] for a in rows]


def history_count(window, audit_id: str) -> int:
    with window.ctx.store.session() as s:
        return len(s.execute(select(HistoryEntry.seq).where(HistoryEntry.audit_id == audit_id)).all())


def stored_answer(window, audit_id: str, qid: str) -> object:
    with window.ctx.store.session() as s:
        return audits.state_of(audits.get_audit(s, audit_id)).answers.get(qid)


def shown(qtbot, window):
    window.resize(1366, 768)
    with qtbot.waitActive(window):
        window.show()
        window.activateWindow()
    settle(window)
    return window


def open_form(qtbot, window, audit_id: str):
    form = window.open_audit(audit_id)
    assert form is not None
    form.build_all()
    qtbot.waitUntil(lambda: form.isVisible())
    return form


def go_to_question(form, qid: str) -> QWidget:
    """The question's input, its page shown and scrolled to it (the form's own "go to")."""
    q = form.template.question(qid)
    form.go_to(Missing(q.section_id, q.id, q.label, key=f"question.{q.id}"))
    return form.findChild(QWidget, f"question.{qid}")


def go(window, n: int) -> None:
    """Ctrl+N: the Nth screen, as the Go menu's shortcut."""
    QTest.keyClick(window, getattr(Qt.Key, f"Key_{n}"), Qt.KeyboardModifier.ControlModifier)


def click(qtbot, widget: QWidget) -> None:
    qtbot.mouseClick(widget, Qt.MouseButton.LeftButton)


def test_an_action_marked_done_on_the_actions_screen_shows_done_in_the_open_audit(
        qtbot, open_window, demo_dir: Path) -> None:
    store = open_store(demo_dir)
    with store.session() as s:
        item = s.execute(select(ActionItem).where(ActionItem.status == "open").order_by(ActionItem.due)
                         .limit(1)).scalar_one()
        action_id, audit_id = item.id, item.audit_id
    store.close()
    w = shown(qtbot, open_window("--data-dir", str(demo_dir)))
    form = open_form(qtbot, w, audit_id)
    form.show_page("actions")
    row = next(i for i, a in enumerate(form.actions_panel.rows) if a["id"] == action_id)
    assert form.actions_panel.table.item(row, 4).text() == "Open"

    go(w, 3)  # the Actions screen
    view = w.screens["actions"]
    settle(w)
    target = next(i for i, a in enumerate(view.rows) if a.id == action_id)
    view.table.scrollToItem(view.table.item(target, 2))
    cell = view.table.visualItemRect(view.table.item(target, 2)).center()
    qtbot.mouseClick(view.table.viewport(), Qt.MouseButton.LeftButton, pos=cell)
    assert view.current().id == action_id
    click(qtbot, view.done_button)
    dialog = next(c for c in view.children() if c.objectName() == "actions.done_dialog")
    qtbot.keyClicks(dialog.note, "Made-up visit on 20 Nov; child seen alone.")
    ok = next(b for b in dialog.findChildren(QPushButton) if b.text() == "Mark done")
    click(qtbot, ok)
    settle(w)
    assert action_id not in {a.id for a in view.rows}

    w.activateWindow()  # the dialog has gone: the window is the active one again
    qtbot.waitUntil(w.isActiveWindow)
    go(w, 2)  # back to the audits, where the audit's tab is still open: not reopened
    assert w.stack.currentWidget() is w.audit_tabs and w.audit_tabs.currentWidget() is form
    assert w.forms[audit_id] is form
    qtbot.waitUntil(lambda: form.actions_panel.table.item(row, 4).text() == "Done", timeout=2000)
    assert form.actions_panel.rows[row]["status"] == "done"


def test_an_answer_from_the_command_line_reaches_the_open_form(qtbot, open_window, demo_dir: Path) -> None:
    audit_id = start_audit(demo_dir)
    w = shown(qtbot, open_window("--data-dir", str(demo_dir)))
    form = open_form(qtbot, w, audit_id)
    edit = form.findChild(QWidget, f"question.{QUESTION}")
    assert edit.value() is None

    strengths = form.findChild(QWidget, "summary.strengths")
    assert strengths.value() is None

    result = run_qadesk(demo_dir, "audit", "answer", audit_id, f"{QUESTION}=Made-up words from the command line",
                        "summary.strengths=Made-up strengths from the command line")
    assert result.returncode == 0, result.stderr
    qtbot.waitUntil(lambda: edit.value() == "Made-up words from the command line", timeout=2000)
    assert form.state.answers[QUESTION] == "Made-up words from the command line"
    assert strengths.value() == "Made-up strengths from the command line"
    assert form.findChild(QLabel, f"changed_elsewhere.{QUESTION}") is None, "nothing was being typed there"

    # What the reload put in the field is not saved again: no echo in the history.
    entries = history_count(w, audit_id)
    qtbot.wait(1000)  # longer than the autosave's pause
    assert form.saver.pending == []
    assert history_count(w, audit_id) == entries
    assert answer_history(w, audit_id, QUESTION) == ["Made-up words from the command line"]


def test_a_field_being_typed_in_is_not_overwritten_and_the_auditor_is_told(
        qtbot, open_window, demo_dir: Path, tmp_path: Path) -> None:
    audit_id = start_audit(demo_dir)
    w = shown(qtbot, open_window("--data-dir", str(demo_dir)))
    form = open_form(qtbot, w, audit_id)
    edit = go_to_question(form, QUESTION)  # its page, scrolled to it, focused
    qtbot.waitUntil(edit.hasFocus)
    qtbot.keyClicks(edit, "The auditor's own words")

    outcome: list[object] = []
    cli = threading.Thread(target=lambda: outcome.append(run_qadesk(
        demo_dir, "audit", "answer", audit_id, f"{QUESTION}=Words written elsewhere")))
    cli.start()

    def note() -> QLabel | None:
        label = form.findChild(QLabel, f"changed_elsewhere.{QUESTION}")
        return label if label is not None and label.isVisible() else None

    # Still typing (a key every 150 ms keeps the autosave waiting) while the command line writes.
    typed = 0
    while (cli.is_alive() or note() is None) and typed < 200:
        QTest.keyClick(edit, Qt.Key.Key_Period)
        typed += 1
        qtbot.wait(150)
    cli.join()
    assert outcome[0].returncode == 0, outcome[0].stderr
    assert note() is not None, "the auditor is told beside the field"
    mine = "The auditor's own words" + "." * typed
    assert edit.value() == mine, "the field being typed in is not overwritten"
    assert "Words written elsewhere" in note().text() and "Your text is kept" in note().text()
    with w.ctx.store.session() as s:  # who wrote it elsewhere, and when: the newest entry of the audit
        actor, at = s.execute(select(HistoryEntry.actor, HistoryEntry.at).where(HistoryEntry.audit_id == audit_id)
                              .order_by(HistoryEntry.seq.desc())).first()
    who = "you, elsewhere," if actor.casefold() == form.actor.casefold() else actor
    assert note().text().startswith(f"Changed by {who} at {as_utc(at).astimezone():%H:%M} while you were typing")
    assert f"answer:{QUESTION}" in form.saver.pending

    assert w.grab().save(str(tmp_path / "changed-elsewhere.png"))  # looked at: docs/architecture.md

    qtbot.waitUntil(lambda: stored_answer(w, audit_id, QUESTION) == mine, timeout=3000)
    assert answer_history(w, audit_id, QUESTION) == ["Words written elsewhere", mine], "the history keeps both"
    qtbot.waitUntil(lambda: "was saved" in note().text(), timeout=2000)
    assert edit.value() == mine


def test_a_hidden_screen_refreshes_when_shown_and_a_shown_one_at_once(qtbot, open_window, demo_dir: Path) -> None:
    w = shown(qtbot, open_window("--data-dir", str(demo_dir)))
    go(w, 5)  # Programmes
    programmes = w.screens["programmes"]
    qtbot.waitUntil(lambda: bool(programmes.items), timeout=5000)  # the list loads in the background
    names = {p.name for p in programmes.items}
    go(w, 1)  # Home: Programmes is hidden
    result = run_qadesk(demo_dir, "programme", "create", "--name", "Made-up thematic audit",
                        "--template", "regular-case-audit")
    assert result.returncode == 0, result.stderr
    follower = next(c for c in programmes.children() if isinstance(c, Follower))
    qtbot.waitUntil(lambda: follower.stale, timeout=2000)  # noticed, and left until the screen is seen
    assert {p.name for p in programmes.items} == names
    go(w, 5)
    qtbot.waitUntil(lambda: {p.name for p in programmes.items} == names | {"Made-up thematic audit"}, timeout=5000)
    assert not follower.stale

    result = run_qadesk(demo_dir, "programme", "create", "--name", "Made-up regular audits",
                        "--template", "regular-case-audit")
    assert result.returncode == 0, result.stderr
    qtbot.waitUntil(lambda: "Made-up regular audits" in {p.name for p in programmes.items}, timeout=2000)


def test_the_hub_announces_a_change_made_here_once(qtbot, open_window, demo_dir: Path) -> None:
    w = shown(qtbot, open_window("--data-dir", str(demo_dir)))
    hub = w.ctx.hub
    heard: list[Changes] = []
    hub.changed.connect(heard.append)
    with w.ctx.store.transaction() as s:
        audit_id = audits.start_audit(s, "regular-case-audit", audits.Subject(case_ref="MADEUP-9002"),
                                      audits.Actor("Test Auditor")).id
    assert len(heard) == 1 and heard[0].audits and heard[0].touches(audit_id)
    assert not hub.poll(), "the poll knows the change was made here"
    assert len(heard) == 1

    result = run_qadesk(demo_dir, "audit", "answer", audit_id, f"{QUESTION}=Made-up words")
    assert result.returncode == 0, result.stderr
    found = hub.poll()
    assert found.answers_of(audit_id) and not found.actions
    assert heard[-1] == found and len(heard) == 2

    # Inactive (another application in front): no looking; active again: one look at once.
    QApplication.instance().applicationStateChanged.emit(Qt.ApplicationState.ApplicationInactive)
    assert not hub._timer.isActive()
    QApplication.instance().applicationStateChanged.emit(Qt.ApplicationState.ApplicationActive)
    assert hub._timer.isActive()

    w.close()  # the window's hub stops: no commit calls into it any more
    assert not hub._timer.isActive()
    assert all(getattr(fn, "__self__", None) is not hub for fn, _store in changes_module._subscribers)


def test_a_moderation_from_the_command_line_shows_in_the_open_audit(qtbot, open_window, demo_dir: Path) -> None:
    from qadesk.services.profile import current_actor_name
    from qadesk.services.queries import Selection, list_audits

    store = open_store(demo_dir)
    with store.session() as s:
        me = current_actor_name(s)
        row = next(r for r in list_audits(s, Selection(statuses=["completed"]), limit=50)
                   if r.auditor != me and r.grade not in (None, "ri"))
    store.close()
    w = shown(qtbot, open_window("--data-dir", str(demo_dir)))
    form = open_form(qtbot, w, row.id)
    assert form.read_only and form.header.status.text().lower().startswith("completed")
    assert "not yet moderated" in form.header.grades.text()

    result = run_qadesk(demo_dir, "moderation", "record", row.id, "--grade", "ri",
                        "--rationale", "Made-up reasons: the plan has no timescales.")
    assert result.returncode == 0, result.stderr
    qtbot.waitUntil(lambda: form.status == "moderated", timeout=2000)
    assert "not yet moderated" not in form.header.grades.text() and "Requires improvement" in form.header.grades.text()
    assert "Made-up reasons" in " ".join(label.text() for label in form.moderation_panel.findChildren(QLabel))


def test_every_screen_follows_kinds_of_change_that_exist() -> None:
    from qadesk.ui.menus import SCREENS
    from qadesk.ui.screens import SCREEN_CHANGES

    assert set(SCREEN_CHANGES) == {key for key, _label in SCREENS}
    for kinds in SCREEN_CHANGES.values():
        assert not Changes().concerns(*kinds)  # raises on a kind that does not exist
        assert Changes.everything().concerns(*kinds)


def test_a_date_being_typed_is_not_overwritten_and_is_saved_when_the_box_takes_it(
        qtbot, open_window, demo_dir: Path) -> None:
    """A date box takes a date typed short of its four-digit year only on Enter or when left, so that
    typing is in no autosave job yet."""
    from qadesk.ui.date_input import DateBox

    qid = "period_start"
    audit_id = start_audit(demo_dir)
    w = shown(qtbot, open_window("--data-dir", str(demo_dir)))
    form = open_form(qtbot, w, audit_id)
    box = go_to_question(form, qid)
    assert isinstance(box, DateBox)
    settle(w)  # the page is shown and focused before the auditor clicks into the box
    qtbot.mouseClick(box.edit, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(box.edit.hasFocus)
    qtbot.keyClicks(box.edit, "1/6/26")  # typed, not yet taken (typing on could still make it 1/6/2026)
    settle(w)
    assert box.edit.hasFocus() and form.saver.pending == []

    result = run_qadesk(demo_dir, "audit", "answer", audit_id, f"{qid}=2026-05-01")
    assert result.returncode == 0, result.stderr
    note = f"changed_elsewhere.{qid}"
    qtbot.waitUntil(lambda: (label := form.findChild(QLabel, note)) is not None and label.isVisible(), timeout=2000)
    assert box.edit.text() == "1/6/26", "the date being typed is not overwritten"
    assert "1 May 2026" in form.findChild(QLabel, note).text()
    assert stored_answer(w, audit_id, qid) == "2026-05-01"  # nothing saved over it until the box takes it

    QTest.keyClick(box.edit, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: stored_answer(w, audit_id, qid) == "2026-06-01", timeout=3000)
    assert answer_history(w, audit_id, qid) == ["2026-05-01", "2026-06-01"], "the history keeps both"


def submittable_draft(folder: Path) -> str:
    """A completed audit of the demo store made a draft again: nothing is missing, so it can be submitted."""
    from qadesk.core.selection import Selection
    from qadesk.services.queries import audit_ids

    store = open_store(folder)
    try:
        with store.transaction() as s:
            audit_id = audit_ids(s, Selection(statuses=("completed",)))[0]
            audits.reopen(s, audit_id, "Made-up reason: a date to correct", actor="Made-up Manager")
            assert not audits.check_submit(s, audit_id)
            return audit_id
    finally:
        store.close()


def test_a_change_elsewhere_after_the_auditor_paused_is_taken_in_without_a_note(
        qtbot, open_window, demo_dir: Path) -> None:
    """Typed, saved, the focus left in the field: the colleague's later change is not "while you typed"."""
    audit_id = start_audit(demo_dir)
    w = shown(qtbot, open_window("--data-dir", str(demo_dir)))
    form = open_form(qtbot, w, audit_id)
    edit = go_to_question(form, QUESTION)
    qtbot.waitUntil(edit.hasFocus)
    qtbot.keyClicks(edit, "The auditor's first words")
    qtbot.waitUntil(lambda: stored_answer(w, audit_id, QUESTION) == "The auditor's first words", timeout=3000)
    assert form.wait_saved() and edit.hasFocus()

    result = run_qadesk(demo_dir, "audit", "answer", audit_id, f"{QUESTION}=A colleague's later words")
    assert result.returncode == 0, result.stderr
    qtbot.waitUntil(lambda: edit.value() == "A colleague's later words", timeout=2000)
    assert form.findChild(QLabel, f"changed_elsewhere.{QUESTION}") is None
    settle(w)
    assert form.saver.pending == []
    assert answer_history(w, audit_id, QUESTION) == ["The auditor's first words", "A colleague's later words"]


def test_an_audit_completed_elsewhere_while_the_auditor_types_hands_them_their_unsaved_text(
        qtbot, open_window, demo_dir: Path, messages_seen) -> None:
    audit_id = submittable_draft(demo_dir)
    w = shown(qtbot, open_window("--data-dir", str(demo_dir)))
    form = open_form(qtbot, w, audit_id)
    form.show_page("summary")
    field = form.summary.fields["development"]
    field.setFocus(Qt.FocusReason.TabFocusReason)
    qtbot.waitUntil(field.hasFocus)
    QTest.keyClick(field, Qt.Key.Key_End, Qt.KeyboardModifier.ControlModifier)
    qtbot.keyClicks(field, " The plan needs made-up timescales")
    mine = form.state.summary["development"]
    assert "summary:development" in form.saver.pending  # still in its pause: not in the store

    result = run_qadesk(demo_dir, "audit", "submit", audit_id)
    assert result.returncode == 0, result.stderr
    qtbot.waitUntil(lambda: form.status == "completed", timeout=2000)
    qtbot.waitUntil(lambda: any(m.title == "Your last changes were not saved" for m in messages_seen), timeout=2000)
    told = next(m for m in messages_seen if m.title == "Your last changes were not saved")
    assert f"{form.reference} was completed by " in told.text and "reopen the audit" in told.text
    assert mine in told.detail, "what the auditor had not saved is handed to them to copy"
    qtbot.waitUntil(lambda: form.saver.pending == [], timeout=3000)  # one in flight is refused: nothing left
    assert form.header.saved.text().startswith("Not saved: ")
    assert form.summary.fields["development"].isReadOnly()


def test_an_answer_typed_while_another_copy_keeps_the_store_busy_is_kept_and_saved_after(
        qtbot, open_window, demo_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A change that meets another writer is never dropped: "Not saved" in words, then saved once it can be."""
    import sqlite3

    from qadesk.store import engine
    from qadesk.ui.form import autosave

    monkeypatch.setattr(engine, "BUSY_TIMEOUT_MS", 300)  # the window waits less than its 5 seconds for the lock
    monkeypatch.setattr(autosave, "RETRY_MS", 300)
    audit_id = start_audit(demo_dir)
    w = shown(qtbot, open_window("--data-dir", str(demo_dir)))
    form = open_form(qtbot, w, audit_id)
    edit = go_to_question(form, QUESTION)
    qtbot.waitUntil(edit.hasFocus)
    other = sqlite3.connect(str(demo_dir / engine.DB_FILENAME), isolation_level=None)
    try:
        other.execute("BEGIN IMMEDIATE")  # another copy of qadesk in the middle of a long write
        qtbot.keyClicks(edit, "Typed while the store was busy")
        told = "Not saved: another copy of qadesk was writing at the same moment; your change is kept and tried again"
        qtbot.waitUntil(lambda: form.header.saved.text() == told, timeout=5000)
        assert f"answer:{QUESTION}" in form.saver.pending, "kept, to be tried again"
        assert stored_answer(w, audit_id, QUESTION) is None
    finally:
        other.execute("ROLLBACK")
        other.close()
    qtbot.waitUntil(lambda: stored_answer(w, audit_id, QUESTION) == "Typed while the store was busy", timeout=5000)
    qtbot.waitUntil(lambda: form.header.saved.text().startswith("Saved"), timeout=3000)
    assert form.saver.pending == []
    assert answer_history(w, audit_id, QUESTION) == ["Typed while the store was busy"]


def test_a_change_that_reaches_the_store_just_after_a_submit_elsewhere_is_handed_back_not_lost(
        qtbot, open_window, demo_dir: Path, messages_seen) -> None:
    """The auditor's change waits for the lock while a submit elsewhere holds it: refused after it, and told."""
    audit_id = submittable_draft(demo_dir)
    w = shown(qtbot, open_window("--data-dir", str(demo_dir)))
    form = open_form(qtbot, w, audit_id)
    form.show_page("summary")
    field = form.summary.fields["development"]
    field.setFocus(Qt.FocusReason.TabFocusReason)
    qtbot.waitUntil(field.hasFocus)

    # Another process submits and holds the store's write lock (the window learns of it only through the store).
    with subprocess.Popen([sys.executable, str(SUBMIT_HOLDING), str(demo_dir), audit_id, "Made-up Colleague"],
                          stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) as child:
        assert child.stdin is not None and child.stdout is not None and child.stderr is not None
        try:
            assert child.stdout.readline() == "holding\n", child.stderr.read()
            QTest.keyClick(field, Qt.Key.Key_End, Qt.KeyboardModifier.ControlModifier)
            qtbot.keyClicks(field, " Made-up words typed as it was submitted")
            mine = form.state.summary["development"]
            QTest.keyClick(field, Qt.Key.Key_Tab, Qt.KeyboardModifier.ControlModifier)  # and on to the next field
            qtbot.waitUntil(lambda: not field.hasFocus())
            assert form.flush() is False  # handed to the pool: it waits for the lock the submit holds
            qtbot.waitUntil(lambda: form.saver.writing == ["summary:development"], timeout=2000)
        finally:
            child.stdin.write("commit\n")
            child.stdin.flush()
        assert child.stdout.readline() == "submitted\n", child.stderr.read()
        assert child.wait(30) == 0

    qtbot.waitUntil(lambda: any(m.title == "Your last changes were not saved" for m in messages_seen), timeout=5000)
    told = next(m for m in messages_seen if m.title == "Your last changes were not saved")
    assert f"{form.reference} was completed by Made-up Colleague" in told.text
    assert mine in told.detail, "what the store refused is handed to the auditor to copy"
    qtbot.waitUntil(lambda: form.saver.pending == [], timeout=3000)
    assert form.status == "completed" and field.isReadOnly()
    assert form.header.saved.text().startswith("Not saved: ")
    store = open_store(demo_dir)
    try:
        with store.session() as s:
            audit = audits.get_audit(s, audit_id)
            assert audit.status == "completed" and "Made-up words typed" not in (audit.development or "")
    finally:
        store.close()
