"""The passphrase dialogs and the idle lock, driven through the real widgets (offscreen)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from types import SimpleNamespace

import pytest
from PySide6.QtCore import QPoint, Qt, QTimer
from PySide6.QtGui import QAction
from PySide6.QtWidgets import QApplication, QLabel, QLineEdit, QMainWindow, QPushButton, QWidget

from qadesk.store import crypto, open_store
from qadesk.ui.lock import (
    IdleLock,
    PassphraseDialog,
    first_run_store,
    strength_hint,
    unlock_store_interactive,
)
from tests.gui.shell_support import dispose

pytestmark = pytest.mark.gui

PASS = "violet kettle 42 drumming"
SECRET = "CR-ZEBRA-915"


@pytest.fixture
def encrypted_dir(tmp_path: Path) -> Path:
    folder = tmp_path / "store"
    open_store(folder, passphrase=PASS).close()
    return folder


def type_into(qtbot, widget: QWidget, name: str, text: str) -> None:
    field = widget.findChild(QLineEdit, name)
    assert field is not None, name
    field.clear()
    qtbot.keyClicks(field, text)


def click(qtbot, widget: QWidget, name: str) -> None:
    button = widget.findChild(QPushButton, name)
    assert button is not None, name
    qtbot.mouseClick(button, Qt.MouseButton.LeftButton)


def when_modal(steps: list[Callable[[QWidget], None]]) -> None:
    """Run each step against the modal dialog that exec() shows, one event-loop turn apart."""
    def run_next() -> None:
        dialog = QApplication.activeModalWidget()
        if dialog is None:
            QTimer.singleShot(20, run_next)
            return
        steps.pop(0)(dialog)
        if steps:
            QTimer.singleShot(20, run_next)

    QTimer.singleShot(0, run_next)


def test_unlock_dialog_refuses_a_wrong_passphrase_inline_then_unlocks(qtbot, encrypted_dir: Path) -> None:
    seen: list[str] = []

    def wrong(dialog: QWidget) -> None:
        type_into(qtbot, dialog, "passphrase.current", "not the passphrase")
        click(qtbot, dialog, "passphrase.ok")

    def right(dialog: QWidget) -> None:
        error = dialog.findChild(QLabel, "passphrase.error")
        seen.append(error.text() if error.isVisible() else "")
        type_into(qtbot, dialog, "passphrase.current", PASS)
        click(qtbot, dialog, "passphrase.ok")

    when_modal([wrong, right])
    store = unlock_store_interactive(encrypted_dir)
    assert seen == ["That passphrase does not open the store."]
    assert store is not None and store.encrypted
    store.close()


def test_unlock_dialog_cancelled_gives_no_store(qtbot, encrypted_dir: Path) -> None:
    when_modal([lambda d: click(qtbot, d, "passphrase.cancel")])
    assert unlock_store_interactive(encrypted_dir) is None


def test_first_run_recommends_a_passphrase_and_checks_the_confirmation(qtbot, tmp_path: Path) -> None:
    folder = tmp_path / "new-store"
    texts: list[str] = []
    styles: list[str] = []

    def mismatched(dialog: QWidget) -> None:
        texts.append(dialog.findChild(QLabel, "passphrase.intro").text())
        texts.append(dialog.findChild(QPushButton, "passphrase.skip").text())
        strength = dialog.findChild(QLabel, "passphrase.strength")
        styles.append(strength.styleSheet())  # before anything is typed: advice, not in the error's red
        type_into(qtbot, dialog, "passphrase.new", PASS)
        styles.append(strength.styleSheet())
        texts.append(dialog.findChild(QLabel, "passphrase.strength").text())
        type_into(qtbot, dialog, "passphrase.confirm", PASS + "x")
        click(qtbot, dialog, "passphrase.ok")

    def matched(dialog: QWidget) -> None:
        texts.append(dialog.findChild(QLabel, "passphrase.error").text())
        type_into(qtbot, dialog, "passphrase.confirm", PASS)
        click(qtbot, dialog, "passphrase.ok")

    when_modal([mismatched, matched])
    store = first_run_store(folder)
    assert "recommend" in texts[0] and texts[1] == "Continue &without encryption"
    assert texts[2] == "Strong." and texts[3] == "The two new passphrases differ."
    assert "#b00020" not in styles[0] and "#1b6e20" in styles[1]
    assert store.encrypted and crypto.is_encrypted(folder)
    store.close()


def test_first_run_can_continue_without_encryption(qtbot, tmp_path: Path) -> None:
    folder = tmp_path / "plain-store"
    when_modal([lambda d: click(qtbot, d, "passphrase.skip")])
    store = first_run_store(folder)
    assert not store.encrypted and not crypto.is_encrypted(folder)
    store.close()


def test_strength_hint_prefers_length() -> None:
    assert strength_hint("short")[0] == 0
    assert strength_hint("password")[0] == 0
    assert strength_hint("Tr0ub4dor&")[0] == 1
    assert strength_hint("correct horse battery staple")[0] == 3


class Window(QMainWindow):
    """A stand-in main window: a secret on screen, a shortcut, and pending edits to flush."""

    def __init__(self, store) -> None:
        super().__init__()
        self.ctx = SimpleNamespace(store=store)
        self.setWindowTitle(f"QA Desk — {SECRET}")
        self.setCentralWidget(QLabel(f"Case {SECRET}: seen alone at every visit"))
        self.flushed = 0
        self.shortcut_fired = 0
        action = QAction("Do something", self)
        action.setShortcut("Ctrl+K")
        action.triggered.connect(self._fire)
        self.menuBar().addMenu("&File").addAction(action)
        self.resize(800, 500)

    def _fire(self) -> None:
        self.shortcut_fired += 1

    def flush_all(self) -> None:
        self.flushed += 1


@pytest.fixture
def locked_window(qtbot, encrypted_dir: Path):
    store = open_store(encrypted_dir, passphrase=PASS)
    window = Window(store)
    qtbot.addWidget(window)
    window.show()
    qtbot.waitExposed(window)
    idle = IdleLock(window, minutes=0.3 / 60)  # 300 ms
    yield window, idle
    idle.uninstall()
    store.close()


def test_idle_lock_locks_after_idle_time_and_unlocks_with_the_passphrase(qtbot, locked_window) -> None:
    window, idle = locked_window
    qtbot.waitUntil(lambda: idle.locked, timeout=3000)
    screen = idle.screen
    assert window.flushed == 1
    assert screen.isVisible() and screen.geometry() == window.rect()
    assert SECRET not in window.windowTitle()
    window.grab().save(str(Path(window.ctx.store.data_dir).parent / "locked.png"))

    field = screen.findChild(QLineEdit, "lock.passphrase")
    assert QApplication.focusWidget() is field
    qtbot.keyClick(field, Qt.Key.Key_K, Qt.KeyboardModifier.ControlModifier)
    assert window.shortcut_fired == 0  # no shortcut works behind the lock
    qtbot.mouseClick(window.centralWidget(), Qt.MouseButton.LeftButton)

    qtbot.keyClicks(field, "violet kettle 42 drummin")
    qtbot.keyClick(field, Qt.Key.Key_Return)
    assert idle.locked and screen.findChild(QLabel, "lock.error").isVisible()
    assert field.text() == ""

    qtbot.keyClicks(field, PASS)
    qtbot.keyClick(field, Qt.Key.Key_Return)
    assert not idle.locked
    assert window.windowTitle() == f"QA Desk — {SECRET}"
    qtbot.keyClick(window.centralWidget(), Qt.Key.Key_K, Qt.KeyboardModifier.ControlModifier)
    assert window.shortcut_fired == 1
    qtbot.waitUntil(lambda: idle.locked, timeout=3000)  # and it locks again when left alone


def test_input_postpones_the_lock(qtbot, locked_window) -> None:
    window, idle = locked_window
    label = window.centralWidget()
    for i in range(8):  # 800 ms of activity, more than twice the idle time
        qtbot.mouseMove(label, QPoint(10 + i * 5, 10 + i))
        qtbot.wait(100)
        assert not idle.locked
    qtbot.waitUntil(lambda: idle.locked, timeout=3000)


def test_idle_lock_leaves_a_plain_store_alone(qtbot, tmp_path: Path) -> None:
    store = open_store(tmp_path / "plain")
    window = Window(store)
    qtbot.addWidget(window)
    window.show()
    idle = IdleLock(window, minutes=0.1 / 60)
    qtbot.wait(400)
    assert not idle.locked and not idle.lock() and window.flushed == 0
    idle.uninstall()
    store.close()


def test_the_real_window_asks_nothing_with_the_environment_passphrase_and_locks(
        qtbot, encrypted_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from qadesk.services.profile import Profile, set_profile
    from qadesk.ui.app import create_window

    store = open_store(encrypted_dir, passphrase=PASS)
    with store.transaction() as s:
        set_profile(s, Profile(name="Test Auditor", role="Team manager", organisation="Example Council"))
    store.close()
    monkeypatch.setenv("QADESK_PASSPHRASE", PASS)
    window = create_window(["--data-dir", str(encrypted_dir)])
    try:
        assert window.ctx.store.encrypted
        action = window.findChild(QAction, "action.passphrase")
        assert action.text() == "Change pa&ssphrase…"
        window.findChild(QAction, "action.lock").trigger()
        assert window.idle_lock.locked
        field = window.idle_lock.screen.findChild(QLineEdit, "lock.passphrase")
        qtbot.keyClicks(field, PASS)
        qtbot.keyClick(field, Qt.Key.Key_Return)
        assert not window.idle_lock.locked
    finally:
        dispose(window)


def test_offscreen_without_the_passphrase_the_window_refuses_rather_than_waits(encrypted_dir: Path) -> None:
    from qadesk.core.errors import WrongPassphrase
    from qadesk.ui.app import create_window

    with pytest.raises(WrongPassphrase, match="QADESK_PASSPHRASE"):
        create_window(["--data-dir", str(encrypted_dir)])


def test_setting_a_passphrase_from_the_menu_encrypts_the_open_store(qtbot, tmp_path: Path) -> None:
    from qadesk.services.profile import Profile, set_profile
    from qadesk.ui.app import create_window

    folder = tmp_path / "plain"
    store = open_store(folder)
    with store.transaction() as s:
        set_profile(s, Profile(name="Test Auditor", role="Team manager", organisation="Example Council"))
    store.close()
    window = create_window(["--data-dir", str(folder)])
    try:
        action = window.findChild(QAction, "action.passphrase")
        assert action.text() == "Set pa&ssphrase…"

        def set_it(dialog: QWidget) -> None:
            assert isinstance(dialog, PassphraseDialog)
            type_into(qtbot, dialog, "passphrase.new", PASS)
            type_into(qtbot, dialog, "passphrase.confirm", PASS)
            click(qtbot, dialog, "passphrase.ok")

        when_modal([set_it])
        window.ops.wait()
        action.trigger()
        assert window.ctx.store.encrypted and crypto.is_encrypted(folder)
        assert window.idle_lock.active()
    finally:
        dispose(window)
