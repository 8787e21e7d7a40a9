"""The real window and the real command line on one store: one writer at a time, nothing lost behind the window's back.

The window is driven with real key events; the command line runs as a subprocess; a conversion
that is killed is killed with SIGKILL while paused with its half-made copy complete on disk.  A
store that cannot be opened (not a store, damaged, newer, being converted) is told in a dialog at
start, and the page that stays says it too: never a traceback.
"""

from __future__ import annotations

import os
import sqlite3
from pathlib import Path

import pytest
from PySide6.QtWidgets import QLabel

from qadesk.store import crypto, open_store
from tests.e2e.test_one_writer import kill, start_paused
from tests.gui.shell_support import demo_dir_fixture, demo_master_fixture, open_window_fixture  # noqa: F401
from tests.gui.test_change_notification import go_to_question, open_form, shown, start_audit, stored_answer
from tests.helpers.cli import run_qadesk

pytestmark = pytest.mark.gui

PASS = "violet kettle 42 drumming"
QUESTION = "lived_experience"
NEEDLES = ["MADEUP-9001", "Pat Example", "Made-up Team"]  # what start_audit writes


def readable_in(folder: Path) -> dict[str, list[str]]:
    found: dict[str, list[str]] = {}
    for path in sorted(p for p in folder.rglob("*") if p.is_file()):
        data = path.read_bytes()
        hits = [n for n in NEEDLES if n.encode("utf-8") in data]
        if hits:
            found[str(path.relative_to(folder))] = hits
    return found


def test_a_conversion_from_the_command_line_is_refused_while_the_window_is_open_and_its_next_save_is_kept(
        qtbot, open_window, demo_dir: Path) -> None:
    audit_id = start_audit(demo_dir)
    w = shown(qtbot, open_window("--data-dir", str(demo_dir)))
    form = open_form(qtbot, w, audit_id)
    for argv, done in ((("store", "encrypt"), "encrypted"), (("store", "decrypt"), "decrypted")):
        refused = run_qadesk(demo_dir, *argv, QADESK_PASSPHRASE=PASS)
        assert refused.returncode == 1 and "Traceback" not in refused.stderr
        assert refused.stderr == (f"qadesk: The store is open in QA Desk (process {os.getpid()} on this computer). "
                                  f"Close it and try again. (Nothing was {done}: {demo_dir})\n")

    edit = go_to_question(form, QUESTION)
    qtbot.waitUntil(edit.hasFocus)
    qtbot.keyClicks(edit, "Typed after the command was refused")
    qtbot.waitUntil(lambda: stored_answer(w, audit_id, QUESTION) == "Typed after the command was refused",
                    timeout=10_000)
    by_cli = run_qadesk(demo_dir, "audit", "answer", audit_id, "assessment_summary=Written by the command line")
    assert by_cli.returncode == 0, by_cli.stderr  # a command that writes works beside the window
    qtbot.keyClicks(edit, ", and more")
    qtbot.waitUntil(lambda: stored_answer(w, audit_id, QUESTION) == "Typed after the command was refused, and more",
                    timeout=10_000)
    w.close()

    store = open_store(demo_dir)  # what is on disk once the window has gone
    try:
        from qadesk.services import audits

        with store.session() as s:
            answers = audits.state_of(audits.get_audit(s, audit_id)).answers
        assert answers[QUESTION] == "Typed after the command was refused, and more"
        assert answers["assessment_summary"] == "Written by the command line"
    finally:
        store.close()
    assert not crypto.is_encrypted(demo_dir)


def test_a_killed_decrypt_leaves_no_readable_case_data_once_the_window_has_opened(
        qtbot, open_window, demo_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    start_audit(demo_dir)
    assert run_qadesk(demo_dir, "store", "encrypt", QADESK_PASSPHRASE=PASS).returncode == 0
    assert readable_in(demo_dir) == {}
    kill(start_paused(demo_dir, "converting", "store", "decrypt", QADESK_PASSPHRASE=PASS))
    assert "qadesk.sqlite.converting" in readable_in(demo_dir)

    monkeypatch.setenv("QADESK_PASSPHRASE", PASS)
    w = shown(qtbot, open_window("--data-dir", str(demo_dir)))
    assert w.ctx is not None and w.ctx.store.encrypted
    assert readable_in(demo_dir) == {}
    assert not (demo_dir / "qadesk.sqlite.converting").exists()


def test_while_a_conversion_runs_the_window_says_so_and_opens_once_it_has_gone(
        qtbot, open_window, demo_dir: Path, messages_seen) -> None:
    decrypt = None
    assert run_qadesk(demo_dir, "store", "encrypt", QADESK_PASSPHRASE=PASS).returncode == 0
    try:
        decrypt = start_paused(demo_dir, "converting", "store", "decrypt", QADESK_PASSPHRASE=PASS)
        w = open_window("--data-dir", str(demo_dir))
        assert w.ctx is None
        page = w.centralWidget()
        assert page.objectName() == "locked.page"
        assert page.findChild(QLabel, "heading").text() == "This data folder is in use"
        said = page.findChild(QLabel, "locked.text").text()
        assert f"being converted by the command 'qadesk store decrypt' (process {decrypt.pid} on this computer)" in said
        assert messages_seen[-1].title == "Data folder in use" and messages_seen[-1].text == said
    finally:
        if decrypt is not None:
            kill(decrypt)
    os.environ["QADESK_PASSPHRASE"] = PASS
    try:
        page.retry_button.click()
    finally:
        del os.environ["QADESK_PASSPHRASE"]
    assert w.ctx is not None and w.ctx.data_dir == demo_dir and w.ctx.store.encrypted


def _pdf(folder: Path) -> None:
    (folder / "qadesk.sqlite").write_bytes(b"%PDF-1.7\n1 0 obj <</Type /Catalog>> endobj\ntrailer <<>>\n%%EOF\n")


def _newer(folder: Path) -> None:
    with sqlite3.connect(folder / "qadesk.sqlite") as conn:
        conn.execute("UPDATE alembic_version SET version_num = '0099'")
    conn.close()


def _damaged(folder: Path) -> None:
    db = folder / "qadesk.sqlite"
    data = bytearray(db.read_bytes())
    data[4096:] = b"\x55" * (len(data) - 4096)
    db.write_bytes(bytes(data))


UNOPENABLE = {
    "pdf": (_pdf, "Not a QA Desk store", "This is not a QA Desk store", "it looks like a PDF document"),
    "newer": (_newer, "Made by a newer QA Desk", "This store was made by a newer QA Desk",
              "made by a newer QA Desk (schema 0099; this QA Desk"),
    "damaged": (_damaged, "The store is damaged", "This store is damaged", "is damaged (SQLite: "),
}


@pytest.mark.parametrize("kind", list(UNOPENABLE))
def test_a_store_the_window_cannot_open_is_said_to_be_what_it_is(
        qtbot, open_window, demo_dir: Path, messages_seen, kind: str) -> None:
    make, title, heading, said = UNOPENABLE[kind]
    for name in ("qadesk.sqlite-wal", "qadesk.sqlite-shm"):
        (demo_dir / name).unlink(missing_ok=True)
    make(demo_dir)
    before = (demo_dir / "qadesk.sqlite").read_bytes()
    w = shown(qtbot, open_window("--data-dir", str(demo_dir)))
    assert w.ctx is None and not w.nav.isEnabled()
    assert [m.title for m in messages_seen] == [title] and messages_seen[0].level == "warning"
    assert said in messages_seen[0].text and str(demo_dir) in messages_seen[0].text
    page = w.centralWidget()
    assert page.objectName() == "locked.page" and page.findChild(QLabel, "heading").text() == heading
    assert page.findChild(QLabel, "locked.text").text() == messages_seen[0].text
    assert (demo_dir / "qadesk.sqlite").read_bytes() == before  # nothing was written to it
    if kind == "pdf":
        w.grab().save(str(demo_dir.parent / "not-a-store.png"))
    page.retry_button.click()  # still what it was: said again, the page stays
    assert w.ctx is None and w.centralWidget().objectName() == "locked.page"
    assert [m.title for m in messages_seen] == [title, title]
