"""The UI thread never waits on the store: autosave and rekeying run in the window's database pool."""

from __future__ import annotations

import sqlite3
import threading
from pathlib import Path

import pytest
from PySide6.QtCore import Qt, QTimer
from PySide6.QtGui import QAction
from PySide6.QtWidgets import QApplication

from qadesk.store import crypto, open_store
from qadesk.store.engine import DB_FILENAME
from qadesk.ui.passphrase import PassphraseDialog
from tests.gui.form_support import open_form, start, stored, widget
from tests.gui.shell_support import demo_dir_fixture, demo_master_fixture, dispose, open_window_fixture  # noqa: F401

pytestmark = pytest.mark.gui
PASS = "copper lantern 17 rowing"


def test_typing_while_another_process_holds_the_write_lock_never_freezes_the_form(qtbot, loaded_store,
                                                                                  data_dir):
    audit_id = start(loaded_store)
    form = open_form(qtbot, loaded_store, data_dir, audit_id, show=True)
    form.show_page("section:voice")
    ticks = [0]
    clock = QTimer(form)  # the UI thread's heartbeat: it ticks only while the event loop turns
    clock.setInterval(10)
    clock.timeout.connect(lambda: ticks.__setitem__(0, ticks[0] + 1))
    clock.start()

    other = sqlite3.connect(str(data_dir / DB_FILENAME), timeout=0, isolation_level=None)
    other.execute("BEGIN IMMEDIATE")  # what the command line holds while it writes
    try:
        edit = widget(form, "question.lived_experience")
        edit.setFocus()
        qtbot.keyClicks(edit, "Made-up first words")
        qtbot.waitUntil(lambda: form.saver.writing == ["answer:lived_experience"], timeout=3000)
        assert form.header.saved.text() == "Saving…"
        seen = ticks[0]
        qtbot.waitUntil(lambda: ticks[0] >= seen + 20, timeout=3000)  # the loop turns while the write waits
        assert form.saver.writing == ["answer:lived_experience"]  # still waiting for the lock
        qtbot.keyClicks(edit, " and more")  # typed during the wait: shown at once
        assert edit.value() == "Made-up first words and more"
        assert "answer:lived_experience" in form.saver.pending
        assert "lived_experience" not in stored(loaded_store, audit_id).answers
    finally:
        other.rollback()
        other.close()
    qtbot.waitUntil(lambda: not form.saver.pending, timeout=10_000)
    assert form.header.saved.text().startswith("Saved ")
    assert stored(loaded_store, audit_id).answers["lived_experience"] == "Made-up first words and more"


def test_setting_a_passphrase_runs_in_the_background_and_the_window_keeps_going(qtbot, tmp_path: Path) -> None:
    from qadesk.services.profile import Profile, get_profile, set_profile
    from qadesk.ui.app import create_window

    folder = tmp_path / "plain"
    store = open_store(folder)
    with store.transaction() as s:
        set_profile(s, Profile(name="Made-up Auditor", role="Team manager", organisation="Example Council"))
    store.close()
    window = create_window(["--data-dir", str(folder)])
    try:
        ticks = [0]
        clock = QTimer(window)
        clock.setInterval(10)
        clock.timeout.connect(lambda: ticks.__setitem__(0, ticks[0] + 1))
        clock.start()
        # Work already in the database pool (a long export, say): the rekeying queues behind it.
        release = threading.Event()
        window.ops.run(lambda _p, _c: release.wait(30), label="Earlier work", show_progress=False)
        seen: dict[str, object] = {}

        def drive() -> None:
            dialog = QApplication.activeModalWidget()
            if not isinstance(dialog, PassphraseDialog):
                QTimer.singleShot(20, drive)
                return
            for name, text in (("passphrase.new", PASS), ("passphrase.confirm", PASS)):
                field = dialog.findChild(type(dialog.new), name)
                field.setFocus()
                qtbot.keyClicks(field, text)
            qtbot.keyClick(dialog.confirm, Qt.Key.Key_Return)
            assert dialog.busy and dialog.working.isVisible() and not dialog.ok.isEnabled()
            start_ticks = ticks[0]
            qtbot.waitUntil(lambda: ticks[0] >= start_ticks + 20, timeout=5000)  # the loop turns meanwhile
            assert window.ops.exclusive and not window.ctx.store.encrypted  # queued behind the earlier work
            qtbot.keyClick(dialog, Qt.Key.Key_Escape)  # refused while the store is rekeyed
            seen["open after escape"] = dialog.isVisible()
            seen["working"] = dialog.working.text()
            release.set()

        QTimer.singleShot(0, drive)
        window.findChild(QAction, "action.passphrase").trigger()
        assert seen == {"open after escape": True,
                        "working": "Encrypting the audits… This takes a few seconds; the window stays open."}
        assert window.ctx.store.encrypted and not window.ops.exclusive
        with window.ctx.store.session() as s:
            assert get_profile(s).name == "Made-up Auditor"
    finally:
        release.set()
        dispose(window)
    assert crypto.is_encrypted(folder)
    reopened = open_store(folder, passphrase=PASS)
    try:
        with reopened.session() as s:
            assert get_profile(s).name == "Made-up Auditor"
    finally:
        reopened.close()


def test_no_widget_of_an_open_window_keeps_a_session(open_window, demo_dir: Path, qtbot) -> None:
    from PySide6.QtCore import QObject
    from sqlalchemy.orm import Session

    from qadesk.services.queries import Selection, list_audits
    from qadesk.ui.menus import SCREENS
    from tests.gui.shell_support import settle

    w = open_window("--data-dir", str(demo_dir))
    for key, _label in SCREENS:
        w.show_screen(key)
        settle(w)
    with w.ctx.store.session() as s:
        audit_id = list_audits(s, Selection(statuses=["draft"]), limit=1)[0].id
    form = w.open_audit(audit_id)
    form.build_all()
    settle(w)
    objects = [w, *w.findChildren(QObject)]
    assert len(objects) > 500  # the whole window, every screen and the open audit
    held = []
    for obj in objects:
        for name, value in vars(obj).items():
            values = value.values() if isinstance(value, dict) else value if isinstance(value, (list, tuple)) else [value]
            if any(isinstance(v, Session) for v in values):
                held.append(f"{type(obj).__name__}.{name}")
    assert held == []


def test_the_other_audits_of_the_case_are_found_in_the_background(qtbot, loaded_store, data_dir) -> None:
    from qadesk.services import audits

    first = start(loaded_store)
    second = start(loaded_store)  # the same made-up case, MADEUP-0042
    with loaded_store.session() as s:
        reference = audits.get_audit(s, first).reference
    form = open_form(qtbot, loaded_store, data_dir, second, show=True)
    others = form.header.others
    qtbot.waitUntil(others.isVisible, timeout=5000)  # searched for off the UI thread, shown when found
    assert f'<a href="{first}">{reference}</a>' in others.text() and second not in others.text()
