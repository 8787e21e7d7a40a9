"""The UI thread never waits on the store: autosave and rekeying run in the window's database pool."""

from __future__ import annotations

import sqlite3

from PySide6.QtCore import QTimer

from qadesk.store.engine import DB_FILENAME
from tests.gui.form_support import open_form, start, stored, widget


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
