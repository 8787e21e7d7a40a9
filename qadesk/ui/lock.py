"""The passphrase in the window: unlocking at start, setting one on first run, and the idle lock.

The idle lock applies only to an encrypted store.  Its point is that someone
who walks up to an unattended laptop cannot read or change audits; with a
plain store they could read the database file itself, so a lock without a
passphrase to check would promise protection it does not give.  Setting a
passphrase (File menu) turns the idle lock on at once.

Locking hides the window's contents behind a full-window lock screen,
cancels open modal dialogs (cancelling is always the safe answer), hides other
windows until the unlock, and swallows every input and shortcut not aimed at
the lock screen.  The form's pending edits are saved first.  Unlocking derives
the key from what was typed and compares it with the open store's key in
constant time; the store stays open, so nothing is lost or reloaded.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

import shiboken6
from PySide6.QtCore import QEvent, QObject, Qt, QTimer, Signal
from PySide6.QtGui import QAction, QShortcut
from PySide6.QtWidgets import (
    QApplication,
    QCheckBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QFrame,
    QLabel,
    QLineEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from qadesk import APP_NAME
from qadesk.core.errors import QadeskError, WrongPassphrase
from qadesk.store import Store, crypto, open_store

DEFAULT_IDLE_MINUTES = 10
_COMMON = {"password", "passphrase", "qadesk", "12345678", "123456789", "qwertyui", "letmein1", "iloveyou"}


def strength_hint(passphrase: str) -> tuple[int, str]:
    """A rough strength score 0-3 and a hint in plain words (length counts most; words beat symbols)."""
    text = passphrase.strip()
    if not text:
        return 0, "Choose a passphrase: three or four unrelated words are easy to remember and hard to guess."
    if len(text) < crypto.MIN_PASSPHRASE_CHARS:
        return 0, f"Too short: use at least {crypto.MIN_PASSPHRASE_CHARS} characters."
    if text.lower() in _COMMON or len(set(text)) <= 3:
        return 0, "Too easy to guess: avoid common passwords and repeated characters."
    words = len(text.split())
    if len(text) >= 20 or (words >= 4 and len(text) >= 16):
        return 3, "Strong."
    if len(text) >= 14 or words >= 3:
        return 2, "Fair: a longer passphrase, or one more word, makes it strong."
    return 1, "Weak: longer is stronger; try three or four unrelated words."


def _error_label(name: str) -> QLabel:
    label = QLabel()
    label.setObjectName(name)
    label.setAccessibleName("Problem")
    label.setWordWrap(True)
    label.setStyleSheet("color: #b00020;")
    label.hide()
    return label


def _password_field(name: str, accessible: str) -> QLineEdit:
    field = QLineEdit()
    field.setObjectName(name)
    field.setAccessibleName(accessible)
    field.setEchoMode(QLineEdit.EchoMode.Password)
    field.setMinimumWidth(280)
    return field


class PassphraseDialog(QDialog):
    """Asks for a passphrase: to unlock, to set one (first run: recommended), or to change it.

    ``submit(dialog)`` does the work when the person presses the main button;
    a :class:`QadeskError` it raises (a wrong passphrase, say) is shown inline
    and the dialog stays open, so the person can try again.
    """

    UNLOCK, SET, CHANGE = "unlock", "set", "change"

    def __init__(self, mode: str, *, parent: QWidget | None = None, first_run: bool = False,
                 submit: Callable[[PassphraseDialog], None] | None = None, where: str = "") -> None:
        super().__init__(parent)
        self.mode = mode
        self.skipped = False  # first run: "Continue without encryption" was chosen
        self._submit = submit
        self.setObjectName("passphrase.dialog")
        self.setModal(True)
        layout = QVBoxLayout(self)
        intro = QLabel()
        intro.setObjectName("passphrase.intro")
        intro.setWordWrap(True)
        intro.setMaximumWidth(460)
        layout.addWidget(intro)
        form = QFormLayout()
        layout.addLayout(form)
        self.current = _password_field("passphrase.current", "Passphrase" if mode == self.UNLOCK
                                       else "Current passphrase")
        self.new = _password_field("passphrase.new", "New passphrase")
        self.confirm = _password_field("passphrase.confirm", "New passphrase again")
        self.strength = QLabel()
        self.strength.setObjectName("passphrase.strength")
        self.strength.setAccessibleName("Passphrase strength")
        self.strength.setWordWrap(True)
        self.show_text = QCheckBox("&Show what I type")
        self.show_text.setObjectName("passphrase.show")
        self.show_text.toggled.connect(self._toggle_echo)
        self.error = _error_label("passphrase.error")
        buttons = QDialogButtonBox()
        self.ok = QPushButton()
        self.ok.setObjectName("passphrase.ok")
        self.ok.setDefault(True)
        buttons.addButton(self.ok, QDialogButtonBox.ButtonRole.AcceptRole)
        self.ok.clicked.connect(self._accept)
        if first_run:
            skip = QPushButton("Continue &without encryption")
            skip.setObjectName("passphrase.skip")
            skip.clicked.connect(self._skip)
            buttons.addButton(skip, QDialogButtonBox.ButtonRole.RejectRole)
        else:
            cancel = buttons.addButton(QDialogButtonBox.StandardButton.Cancel)
            cancel.setObjectName("passphrase.cancel")
            cancel.clicked.connect(self.reject)
        if mode == self.UNLOCK:
            self.setWindowTitle(f"Unlock {APP_NAME}")
            intro.setText(f"The audits{' in ' + where if where else ''} are encrypted. "
                          "Enter the passphrase to open them.")
            form.addRow("&Passphrase:", self.current)
            self.ok.setText("&Unlock")
        else:
            if mode == self.CHANGE:
                self.setWindowTitle("Change passphrase")
                intro.setText("Enter the passphrase in use now, then the new one twice. Backups made "
                              "before keep the passphrase they were made with.")
                form.addRow("&Current passphrase:", self.current)
                self.ok.setText("&Change passphrase")
            else:
                self.setWindowTitle("Protect the audits with a passphrase")
                intro.setText(
                    f"{APP_NAME} keeps case references, answers and notes about children on this computer. "
                    "We recommend encrypting them with a passphrase: then nobody who gets hold of the "
                    "computer or a copy of its files can read them, and the window locks itself when "
                    "left alone.\n\nYou will type the passphrase when the program starts and after it locks. "
                    "Nobody can recover a forgotten passphrase, so keep it somewhere safe."
                    + ("" if not first_run else "\n\nYou can also set one later from the File menu."))
                self.ok.setText("&Encrypt")
            form.addRow("&New passphrase:", self.new)
            form.addRow("&Again:", self.confirm)
            form.addRow("", self.strength)
            self.new.textChanged.connect(self._update_strength)
            self._update_strength("")
        form.addRow("", self.show_text)
        layout.addWidget(self.error)
        layout.addWidget(buttons)
        for field in (self.current, self.new, self.confirm):
            field.returnPressed.connect(self._accept)
        (self.current if mode != self.SET else self.new).setFocus()

    # what was typed -----------------------------------------------------------------------------

    def passphrase(self) -> str:
        """The passphrase typed to unlock, or the current one when changing."""
        return self.current.text()

    def new_passphrase(self) -> str:
        return self.new.text()

    def show_error(self, text: str) -> None:
        self.error.setText(text)
        self.error.setVisible(bool(text))

    # behaviour ----------------------------------------------------------------------------------

    def _toggle_echo(self, shown: bool) -> None:
        mode = QLineEdit.EchoMode.Normal if shown else QLineEdit.EchoMode.Password
        for field in (self.current, self.new, self.confirm):
            field.setEchoMode(mode)

    def _update_strength(self, text: str) -> None:
        score, hint = strength_hint(text)
        colour = ["#b00020", "#a15c00", "#5c6b00", "#1b6e20"][score]
        self.strength.setText(hint)
        self.strength.setStyleSheet(f"color: {colour};")

    def _skip(self) -> None:
        self.skipped = True
        self.reject()

    def _accept(self) -> None:
        if self.mode != self.UNLOCK:
            if self.new.text() != self.confirm.text():
                self.show_error("The two new passphrases differ.")
                self.confirm.setFocus()
                return
        elif not self.current.text():
            self.show_error("Enter the passphrase.")
            return
        self.show_error("")
        QApplication.setOverrideCursor(Qt.CursorShape.WaitCursor)  # the key takes a moment to derive
        try:
            if self.mode != self.UNLOCK:
                crypto.check_new_passphrase(self.new.text())
            if self._submit is not None:
                self._submit(self)
        except QadeskError as exc:
            self.show_error(str(exc))
            field = self.current if isinstance(exc, WrongPassphrase) or self.mode == self.UNLOCK else self.new
            field.selectAll()
            field.setFocus()
            return
        finally:
            QApplication.restoreOverrideCursor()
        self.accept()


# ---------------------------------------------------------------------------- opening at start


def unlock_store_interactive(data_dir: Path, parent: QWidget | None = None) -> Store | None:
    """Ask for the passphrase until it opens the store in ``data_dir``; None if the person cancels."""
    opened: list[Store] = []

    def submit(dialog: PassphraseDialog) -> None:
        opened.append(open_store(data_dir, passphrase=dialog.passphrase()))

    dialog = PassphraseDialog(PassphraseDialog.UNLOCK, parent=parent, submit=submit, where=str(data_dir))
    dialog.exec()
    return opened[0] if opened else None


def first_run_store(data_dir: Path, parent: QWidget | None = None) -> Store:
    """A new store: recommends a passphrase, and opens the store encrypted or, if declined, plain."""
    opened: list[Store] = []

    def submit(dialog: PassphraseDialog) -> None:
        opened.append(open_store(data_dir, passphrase=dialog.new_passphrase()))

    PassphraseDialog(PassphraseDialog.SET, parent=parent, first_run=True, submit=submit).exec()
    return opened[0] if opened else open_store(data_dir)


def open_store_for_window(data_dir: Path, parent: QWidget | None = None, *, interactive: bool = True) -> Store | None:
    """Open the store in ``data_dir`` for the window, asking for what is needed; None if cancelled.

    ``QADESK_PASSPHRASE`` (for tests and automation) unlocks without asking, and
    a store created while it is set is created encrypted.  Without it an
    encrypted store asks for its passphrase, and a store about to be created
    recommends one (only when ``interactive``: offscreen nothing may wait).
    """
    given = os.environ.get("QADESK_PASSPHRASE")
    exists = crypto.db_path(data_dir).exists()
    if crypto.is_encrypted(data_dir):
        return open_store(data_dir, passphrase=given) if given else unlock_store_interactive(data_dir, parent)
    if not exists and given:
        return open_store(data_dir, passphrase=given)
    if not exists and interactive:
        return first_run_store(data_dir, parent)
    return open_store(data_dir)


def set_or_change_passphrase(store: Store, parent: QWidget | None = None) -> bool:
    """The File menu's "Set passphrase…" / "Change passphrase…"; True when the store was (re)keyed.

    The caller saves pending edits first; the store stays open throughout.
    """
    if store.encrypted:
        def change(dialog: PassphraseDialog) -> None:
            store.change_passphrase(dialog.passphrase(), dialog.new_passphrase())

        dialog = PassphraseDialog(PassphraseDialog.CHANGE, parent=parent, submit=change)
    else:
        def encrypt(dialog: PassphraseDialog) -> None:
            store.set_passphrase(dialog.new_passphrase())

        dialog = PassphraseDialog(PassphraseDialog.SET, parent=parent, submit=encrypt)
    return dialog.exec() == QDialog.DialogCode.Accepted


def passphrase_action_text(store: Store | None) -> str:
    return "Change &passphrase…" if store is not None and store.encrypted else "Set &passphrase…"


# ---------------------------------------------------------------------------- the idle lock


class LockScreen(QWidget):
    """Covers the whole window while it is locked; the only thing that takes input then."""

    unlocked = Signal()

    def __init__(self, window: QWidget, check: Callable[[str], bool], minutes: float) -> None:
        super().__init__(window)
        self._check = check
        self.setObjectName("lock.screen")
        self.setAccessibleName(f"{APP_NAME} is locked")
        self.setAutoFillBackground(True)
        outer = QVBoxLayout(self)
        outer.addStretch(1)
        card = QFrame()
        card.setObjectName("lock.card")
        card.setFrameShape(QFrame.Shape.StyledPanel)
        card.setFixedWidth(440)
        inner = QVBoxLayout(card)
        inner.setContentsMargins(24, 18, 24, 18)
        inner.setSpacing(10)
        title = QLabel(f"<h2>{APP_NAME} is locked</h2>")
        title.setAlignment(Qt.AlignmentFlag.AlignCenter)
        after = f"after {round(minutes)} minute{'s' if round(minutes) != 1 else ''} " if minutes >= 1 else ""
        text = QLabel(f"It locked itself {after}without use, to keep the audits private. "
                      "Enter the passphrase to carry on where you left off.")
        text.setWordWrap(True)
        text.setMinimumHeight(text.heightForWidth(440 - 48))  # a wrapped label in a centred card needs it
        self.field = _password_field("lock.passphrase", "Passphrase")
        self.field.returnPressed.connect(self.try_unlock)
        self.error = _error_label("lock.error")
        button = QPushButton("&Unlock")
        button.setObjectName("lock.unlock")
        button.setDefault(True)
        button.clicked.connect(self.try_unlock)
        for w in (title, text, self.field, self.error, button):
            inner.addWidget(w)
        row = QVBoxLayout()
        row.addWidget(card, 0, Qt.AlignmentFlag.AlignHCenter)
        outer.addLayout(row)
        outer.addStretch(2)
        self.setGeometry(window.rect())
        window.installEventFilter(self)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802 - Qt's name
        if event.type() == QEvent.Type.Resize:
            self.setGeometry(self.parentWidget().rect())
        return False

    def try_unlock(self) -> None:
        QApplication.setOverrideCursor(Qt.CursorShape.WaitCursor)
        try:
            right = self._check(self.field.text())
        finally:
            QApplication.restoreOverrideCursor()
        self.field.clear()
        if not right:
            self.error.setText("That is not the passphrase. Try again.")
            self.error.show()
            self.field.setFocus()
            return
        self.unlocked.emit()


_INPUT = frozenset({
    QEvent.Type.KeyPress, QEvent.Type.KeyRelease, QEvent.Type.MouseButtonPress, QEvent.Type.MouseButtonRelease,
    QEvent.Type.MouseButtonDblClick, QEvent.Type.MouseMove, QEvent.Type.Wheel, QEvent.Type.TouchBegin,
    QEvent.Type.TouchUpdate, QEvent.Type.Shortcut, QEvent.Type.ShortcutOverride, QEvent.Type.ContextMenu,
    QEvent.Type.DragEnter, QEvent.Type.Drop, QEvent.Type.InputMethod, QEvent.Type.TabletPress,
})


class IdleLock(QObject):
    """Locks ``window`` after ``minutes`` without keyboard or mouse input, while its store is encrypted.

    An event filter on the QApplication restarts the timer on any input.  The
    store is looked up on every lock (``window.ctx.store`` unless one is given),
    so switching folders or setting a passphrase later needs nothing more.
    ``minutes`` of 0 turns the lock off.
    """

    locked_changed = Signal(bool)

    def __init__(self, window: QWidget, minutes: float = DEFAULT_IDLE_MINUTES, store: Store | None = None) -> None:
        super().__init__(window)
        self._window = window
        self._store = store
        self._screen: LockScreen | None = None
        self._hidden: list[QWidget] = []
        self._title = ""
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.timeout.connect(self._idle)
        self.minutes = 0.0
        self.set_minutes(minutes)
        app = QApplication.instance()
        assert app is not None, "IdleLock needs the QApplication"
        app.installEventFilter(self)

    @property
    def locked(self) -> bool:
        return self._screen is not None

    @property
    def screen(self) -> LockScreen | None:
        return self._screen

    def store(self) -> Store | None:
        if self._store is not None:
            return self._store
        ctx = getattr(self._window, "ctx", None)
        return getattr(ctx, "store", None)

    def active(self) -> bool:
        """True when the lock would lock now: a time is set and the store is encrypted."""
        store = self.store()
        return self.minutes > 0 and store is not None and store.encrypted

    def set_minutes(self, minutes: float) -> None:
        self.minutes = max(0.0, float(minutes))
        if self.minutes > 0:
            self._timer.setInterval(max(1, int(self.minutes * 60_000)))
            if not self.locked:
                self._timer.start()
        else:
            self._timer.stop()

    def uninstall(self) -> None:
        app = QApplication.instance()
        if app is not None:
            app.removeEventFilter(self)
        self._timer.stop()

    # input --------------------------------------------------------------------------------------

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802 - Qt's name
        if event.type() not in _INPUT:
            return False
        screen = self._screen
        if screen is None:
            if self.minutes > 0:
                self._timer.start()  # restarting a running timer is cheap
            return False
        if not shiboken6.isValid(screen):
            return False
        if isinstance(watched, (QAction, QShortcut)):
            return True  # no menu shortcut works behind the lock
        if isinstance(watched, QWidget):
            return not (watched is screen or screen.isAncestorOf(watched))
        return False  # the platform window must pass events on, to reach the lock screen

    # locking ------------------------------------------------------------------------------------

    def _idle(self) -> None:
        if self.active():
            self.lock()

    def lock(self) -> bool:
        """Lock now (also the "Lock" menu action); False when there is no passphrase to lock with."""
        store = self.store()
        if self.locked or store is None or not store.encrypted:
            return False
        flush = getattr(self._window, "flush_all", None)
        if callable(flush):
            flush()  # the form's pending edits are saved before anything is hidden
        self._timer.stop()
        self._put_away_other_windows()
        self._title = self._window.windowTitle()
        self._window.setWindowTitle(f"{APP_NAME} — locked")
        screen = LockScreen(self._window, store.check_passphrase, self.minutes)
        screen.unlocked.connect(self._unlock)
        self._screen = screen
        screen.show()
        screen.raise_()
        screen.field.setFocus()
        self.locked_changed.emit(True)
        return True

    def _put_away_other_windows(self) -> None:
        self._hidden = []
        for w in QApplication.topLevelWidgets():
            if w is self._window or not w.isVisible():
                continue
            if isinstance(w, QDialog) and w.isModal():
                w.reject()  # cancelling is the safe answer to any open question
            elif w.windowType() in (Qt.WindowType.Window, Qt.WindowType.Dialog):
                w.hide()
                self._hidden.append(w)
            else:
                w.hide()  # menus, tooltips and pop-ups are not brought back

    def _unlock(self) -> None:
        screen = self._screen
        self._screen = None
        if screen is not None:
            self._window.removeEventFilter(screen)
            screen.hide()
            screen.deleteLater()
        self._window.setWindowTitle(self._title)
        for w in self._hidden:
            if shiboken6.isValid(w):
                w.show()
        self._hidden = []
        if self.minutes > 0:
            self._timer.start()
        self.locked_changed.emit(False)


# ---------------------------------------------------------------------------- in the main window


def _flush(window: QWidget) -> None:
    for name in ("flush_all", "flush_forms"):
        flush = getattr(window, name, None)
        if callable(flush):
            flush()
            return


def install_security(window: QWidget, minutes: float = DEFAULT_IDLE_MINUTES) -> IdleLock:
    """The idle lock, and in the File menu "Set/Change passphrase…" and "Lock now" (Ctrl+L)."""
    idle = IdleLock(window, minutes)
    menus = [a.menu() for a in window.menuBar().actions() if a.menu() is not None]  # type: ignore[attr-defined]
    file_menu = next((m for m in menus if m.title().replace("&", "") == "File"), None)
    passphrase = QAction(passphrase_action_text(idle.store()), window)
    passphrase.setObjectName("action.passphrase")
    lock_now = QAction("&Lock now", window)
    lock_now.setObjectName("action.lock")
    lock_now.setShortcut("Ctrl+L")

    def status(text: str) -> None:
        bar = getattr(window, "statusBar", None)
        if callable(bar):
            bar().showMessage(text, 8000)

    def lock() -> None:
        if not idle.lock() and not idle.locked:
            status("Set a passphrase first (File menu): only encrypted audits can be locked.")

    lock_now.triggered.connect(lambda _checked=False: lock())

    def refresh() -> None:
        store = idle.store()
        passphrase.setText(passphrase_action_text(store))
        passphrase.setEnabled(store is not None and store.is_sqlite and store.data_dir is not None)

    def set_or_change() -> None:
        store = idle.store()
        if store is None:
            return
        _flush(window)
        ops = getattr(window, "ops", None)
        if ops is not None and hasattr(ops, "wait"):
            ops.wait()  # background work holds connections; the store is rekeyed only when idle
        if set_or_change_passphrase(store, window):
            refresh()
            status("The audits are encrypted with the new passphrase.")

    passphrase.triggered.connect(lambda _checked=False: set_or_change())
    if file_menu is not None:
        before = next((a for a in file_menu.actions() if a.objectName() in ("action.folder", "action.quit")), None)
        if before is not None:
            file_menu.insertActions(before, [passphrase, lock_now])
        else:
            file_menu.addActions([passphrase, lock_now])
        file_menu.aboutToShow.connect(refresh)
    else:
        window.addActions([passphrase, lock_now])
    refresh()
    return idle
