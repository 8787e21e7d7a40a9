"""The first-run passphrase question decides nothing on Escape, and Your profile shows the choice.

Through the real window, with real key presses: the Welcome dialog, then the passphrase question
(shown as on a desktop: the tests say the session is interactive, which offscreen it is not), then
Your profile with its "Encrypt…" button. The store's encryption is checked in the file, by the CLI's
``store status`` in a subprocess.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from pathlib import Path

import pytest
from PySide6.QtCore import Qt, QTimer
from PySide6.QtWidgets import QApplication, QLabel, QLineEdit, QPushButton, QWidget

from qadesk.core.dates import british_date
from qadesk.services.encryption import first_run_choice
from qadesk.services.profile import get_profile
from qadesk.store import crypto
from qadesk.ui.passphrase import PassphraseDialog, first_run_store
from tests.gui.shell_support import demo_dir_fixture, demo_master_fixture, open_window_fixture  # noqa: F401
from tests.helpers.cli import run_qadesk

pytestmark = pytest.mark.gui

PASS = "amber lantern 58 whistling"
NBSP = "\u00a0"


@pytest.fixture
def desktop(monkeypatch: pytest.MonkeyPatch) -> None:
    """Ask the questions a desktop session asks (offscreen, dialogs that wait for a person are skipped)."""
    from qadesk.ui import messages

    monkeypatch.setattr(messages, "interactive", lambda: True)


def when_modal(steps: list[Callable[[QWidget], None]]) -> list[QWidget]:
    """Run each step on the modal dialog exec() shows (a new one each time), one event-loop turn apart."""
    seen: list[QWidget] = []

    def run_next() -> None:
        dialog = QApplication.activeModalWidget()
        if dialog is None or not isinstance(dialog, PassphraseDialog) or (seen and dialog is seen[-1]):
            QTimer.singleShot(20, run_next)
            return
        seen.append(dialog)
        steps.pop(0)(dialog)
        if steps:
            QTimer.singleShot(20, run_next)

    QTimer.singleShot(0, run_next)
    return seen


def press(qtbot, widget: QWidget, key: Qt.Key, modifier: Qt.KeyboardModifier = Qt.KeyboardModifier.NoModifier) -> None:
    """A key press where the person's focus is, in ``widget``'s window made active (mnemonics need it)."""
    window = widget.window()
    if QApplication.activeWindow() is not window:
        with qtbot.waitActive(window):
            window.activateWindow()
    target = QApplication.focusWidget() if window.isAncestorOf(QApplication.focusWidget()) else widget
    qtbot.keyClick(target, key, modifier)


def status(data_dir: Path) -> str:
    r = run_qadesk(data_dir, "store", "status")
    assert r.returncode == 0, r.stderr
    return r.stdout


def test_escape_on_the_question_creates_no_store_and_goes_back_a_step(open_window, desktop, data_dir: Path,
                                                                      qtbot) -> None:
    w = open_window("--data-dir", str(data_dir))
    welcome = w.profile_dialog
    qtbot.keyClicks(welcome.name, "Robin Ashdown")
    qtbot.keyClicks(welcome.role, "QA officer")
    asked: list[str] = []

    def escape(dialog: QWidget) -> None:
        asked.append(dialog.windowTitle())
        assert dialog.focusWidget() is dialog.findChild(QLineEdit, "passphrase.new")
        press(qtbot, dialog, Qt.Key.Key_Escape)

    seen = when_modal([escape])
    qtbot.keyClick(welcome.name, Qt.Key.Key_Return)  # Start
    assert asked == ["Protect the audits with a passphrase"] and not seen[0].isVisible()
    assert not (data_dir / "qadesk.sqlite").exists() and not crypto.is_encrypted(data_dir)
    assert w.ctx is None
    back = w.profile_dialog  # the previous step again, with what was typed kept
    assert back is not welcome and back.isVisible() and back.windowTitle() == "Welcome to QA Desk"
    assert (back.name.text(), back.role.text()) == ("Robin Ashdown", "QA officer")

    # Back (Alt+B) decides nothing either.
    when_modal([lambda d: press(qtbot, d, Qt.Key.Key_B, Qt.KeyboardModifier.AltModifier)])
    qtbot.keyClick(back.name, Qt.Key.Key_Return)
    assert not (data_dir / "qadesk.sqlite").exists() and w.ctx is None
    assert w.profile_dialog.isVisible()


def test_continue_without_encryption_is_recorded_and_your_profile_encrypts_later(open_window, desktop,
                                                                                data_dir: Path, qtbot) -> None:
    w = open_window("--data-dir", str(data_dir))
    welcome = w.profile_dialog
    qtbot.keyClicks(welcome.name, "Robin Ashdown")
    when_modal([lambda d: press(qtbot, d, Qt.Key.Key_W, Qt.KeyboardModifier.AltModifier)])  # Continue without
    qtbot.keyClick(welcome.name, Qt.Key.Key_Return)
    assert w.ctx is not None and not w.ctx.store.encrypted
    assert status(data_dir).startswith("Not encrypted")
    with w.ctx.store.session() as s:
        choice = first_run_choice(s)
        assert get_profile(s).name == "Robin Ashdown"
    assert choice is not None and not choice.encrypted and choice.at.astimezone().date() == date.today()

    profile = w.edit_profile()
    shown = profile.findChild(QLabel, "profile.encryption")
    assert shown.text() == ("This store is not encrypted: anyone who can open its files can read the audits. "
                            f"You chose to continue without encryption on {british_date(date.today()).replace(' ', NBSP)}.")
    encrypt = profile.findChild(QPushButton, "profile.encrypt")
    assert encrypt.isVisible() and encrypt.text() == "&Encrypt…"

    def set_passphrase(dialog: QWidget) -> None:
        assert dialog.windowTitle() == "Protect the audits with a passphrase"
        assert dialog.findChild(QPushButton, "passphrase.skip") is None  # not the first-run question
        qtbot.keyClicks(dialog.findChild(QLineEdit, "passphrase.new"), PASS)
        qtbot.keyClicks(dialog.findChild(QLineEdit, "passphrase.confirm"), PASS)
        press(qtbot, dialog, Qt.Key.Key_Return)

    when_modal([set_passphrase])
    press(qtbot, profile, Qt.Key.Key_E, Qt.KeyboardModifier.AltModifier)  # Encrypt…
    # A mnemonic presses its button the way a click does (Qt animates it): wait for the click's work.
    qtbot.waitUntil(lambda: crypto.is_encrypted(data_dir), timeout=10_000)
    assert w.ctx.store.encrypted
    assert status(data_dir).startswith("Encrypted (SQLCipher 4")
    assert shown.text() == "This store is encrypted: without the passphrase nobody can read the audits in its files."
    assert not encrypt.isVisible()
    press(qtbot, profile, Qt.Key.Key_Return)  # Save: the window carries on with the encrypted store
    assert not profile.isVisible()
    with w.ctx.store.session() as s:
        assert get_profile(s).name == "Robin Ashdown"
    again = w.edit_profile()
    assert again.findChild(QLabel, "profile.encryption").text().startswith("This store is encrypted")
    assert not again.findChild(QPushButton, "profile.encrypt").isVisible()
    again.reject()


def test_encrypt_on_the_question_records_that_choice_too(qtbot, tmp_path: Path) -> None:
    folder = tmp_path / "new-store"

    def encrypt(dialog: QWidget) -> None:
        qtbot.keyClicks(dialog.findChild(QLineEdit, "passphrase.new"), PASS)
        qtbot.keyClicks(dialog.findChild(QLineEdit, "passphrase.confirm"), PASS)
        press(qtbot, dialog, Qt.Key.Key_Return)

    when_modal([encrypt])
    store = first_run_store(folder)
    assert store is not None and store.encrypted
    with store.session() as s:
        choice = first_run_choice(s)
        assert choice is not None and choice.encrypted
    store.close()
    assert status(folder).startswith("Encrypted")


def test_escape_on_the_question_alone_returns_nothing_and_creates_nothing(qtbot, tmp_path: Path) -> None:
    folder = tmp_path / "new-store"
    when_modal([lambda d: press(qtbot, d, Qt.Key.Key_Escape)])
    assert first_run_store(folder) is None
    assert not crypto.db_path(folder).exists()


def test_escape_on_the_question_for_a_new_folder_keeps_the_folder_that_was_open(open_window, desktop, demo_dir: Path,
                                                                                tmp_path: Path, qtbot) -> None:
    from qadesk.services.queries import Selection, count_audits
    from qadesk.ui.app import switch_store, take_lock

    w = open_window("--data-dir", str(demo_dir))
    new = tmp_path / "new-folder"
    when_modal([lambda d: press(qtbot, d, Qt.Key.Key_Escape)])
    assert switch_store(w, new) is False
    assert not crypto.db_path(new).exists()
    assert w.ctx is not None and w.ctx.data_dir == demo_dir
    with w.ctx.store.session() as s:
        assert count_audits(s, Selection()) == 300
    other, holder = take_lock(demo_dir)  # the folder is this window's again: another copy is kept out
    if other is not None:
        other.release()
    assert other is None and holder
