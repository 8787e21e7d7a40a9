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

from collections.abc import Callable

import shiboken6
from PySide6.QtCore import QEvent, QObject, Qt, QTimer, Signal
from PySide6.QtGui import QAction, QShortcut
from PySide6.QtWidgets import (
    QApplication,
    QDialog,
    QFrame,
    QLabel,
    QMainWindow,
    QMenu,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from qadesk import APP_NAME
from qadesk.store import Store
from qadesk.ui.operations import Operations
from qadesk.ui.passphrase import (  # the dialogs live beside; imported from here too, as one entry point
    PassphraseDialog,
    error_label,
    first_run_store,
    open_store_for_window,
    passphrase_action_text,
    password_field,
    set_or_change_passphrase,
    strength_hint,
    unlock_store_interactive,
)

__all__ = ["DEFAULT_IDLE_MINUTES", "IdleLock", "LockScreen", "PassphraseDialog", "first_run_store",
           "install_security", "open_store_for_window", "passphrase_in_window", "set_or_change_passphrase",
           "strength_hint",
           "unlock_store_interactive"]

DEFAULT_IDLE_MINUTES = 10


# ---------------------------------------------------------------------------- the idle lock


class LockScreen(QWidget):
    """Covers the whole window while it is locked; the only thing that takes input then."""

    unlocked = Signal()

    def __init__(self, window: QWidget, check: Callable[[str], bool], idle_minutes: float | None) -> None:
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
        if idle_minutes is None:
            why = "The audits are hidden until the passphrase is entered. "
        else:
            n = round(idle_minutes)
            after = f"after {n} minute{'s' if n != 1 else ''} " if idle_minutes >= 1 else ""
            why = f"It locked itself {after}without use, to keep the audits private. "
        text = QLabel(why + "Enter the passphrase to carry on where you left off.")
        text.setWordWrap(True)
        text.ensurePolished()  # the style sheet's font decides how many lines the text wraps to
        text.setMinimumHeight(text.heightForWidth(440 - 48))  # a wrapped label in a centred card needs it
        self.field = password_field("lock.passphrase", "Passphrase")
        self.field.returnPressed.connect(self.try_unlock)
        self.error = error_label("lock.error")
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
        if event.type() == QEvent.Type.Resize and isinstance(watched, QWidget):  # the window it covers
            self.setGeometry(watched.rect())
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
            self.lock(idle=True)

    def lock(self, idle: bool = False) -> bool:
        """Lock now (also the "Lock" menu action); False when there is no passphrase to lock with."""
        store = self.store()
        if self.locked or store is None or not store.encrypted:
            return False
        _flush(self._window)  # the forms' pending edits are in the store before anything is hidden
        self._timer.stop()
        self._put_away_other_windows()
        self._title = self._window.windowTitle()
        self._window.setWindowTitle(f"{APP_NAME} — locked")
        screen = LockScreen(self._window, store.check_passphrase, self.minutes if idle else None)
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


def passphrase_in_window(window: QWidget, parent: QWidget | None = None) -> bool:
    """Set (encrypt) or change the passphrase of the window's store; True when it was done.

    The File menu's "Set/Change passphrase…" and Your profile's "Encrypt…" both come here: pending
    edits are saved first, and the store is rekeyed in the background when the work before it is done.
    """
    ctx = getattr(window, "ctx", None)
    store = getattr(ctx, "store", None)
    if not isinstance(store, Store):
        return False
    _flush(window)
    ops = getattr(window, "ops", None)
    # The rekeying queues in the window's database pool behind the work already there, so no
    # connection of that work sees the file change under it; the window is not held meanwhile.
    if not set_or_change_passphrase(store, parent or window, ops if isinstance(ops, Operations) else None):
        return False
    bar = getattr(window, "statusBar", None)
    if callable(bar):
        bar().showMessage("The audits are encrypted with the new passphrase.", 8000)
    return True


def install_security(window: QMainWindow, minutes: float = DEFAULT_IDLE_MINUTES) -> IdleLock:
    """The idle lock, and in the File menu "Set/Change passphrase…" and "Lock now" (Ctrl+L)."""
    idle = IdleLock(window, minutes)
    menus = [m for a in window.menuBar().actions() if isinstance(m := a.menu(), QMenu)]  # typed as QObject
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
        if passphrase_in_window(window):
            refresh()

    passphrase.triggered.connect(lambda _checked=False: set_or_change())
    on_close = getattr(window, "on_close", None)
    if isinstance(on_close, list):
        on_close.append(idle.uninstall)  # a closed window's lock must not keep filtering the app's events
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
