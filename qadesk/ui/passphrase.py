"""Asking for the passphrase: unlocking at start, recommending one on first run, setting or changing it.

The dialogs only ask; the work (deriving the key, opening or rekeying the
store) is the ``submit`` callable's, and a :class:`QadeskError` it raises is
shown inside the dialog so the person can try again.  Setting or changing the
passphrase of the open store (Argon2id, then every page re-encrypted: seconds
on a large store) runs in the window's database pool with the store to itself,
while the dialog shows that it is working and the window keeps painting.  See
docs/security.md.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QApplication,
    QCheckBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLabel,
    QLineEdit,
    QProgressBar,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from qadesk import APP_NAME
from qadesk.core.errors import QadeskError, WrongPassphrase
from qadesk.services.encryption import record_first_run_choice
from qadesk.store import Store, crypto, open_store
from qadesk.ui import messages
from qadesk.ui.operations import Operations

BackgroundWork = Callable[["PassphraseDialog"], Callable[[], object]]

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


def error_label(name: str) -> QLabel:
    label = QLabel()
    label.setObjectName(name)
    label.setAccessibleName("Problem")
    label.setWordWrap(True)
    label.setStyleSheet("color: #b00020;")
    label.hide()
    return label


def password_field(name: str, accessible: str) -> QLineEdit:
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
                 submit: Callable[[PassphraseDialog], object] | None = None, where: str = "",
                 background: tuple[Operations, str, BackgroundWork] | None = None) -> None:
        """``background`` = (operations, what it is doing, work): ``work(dialog)`` reads what was typed
        (on the UI thread) and gives the function that runs in the database pool."""
        super().__init__(parent)
        self.mode = mode
        self.skipped = False  # first run: "Continue without encryption" was chosen
        self._submit = submit
        self._background = background
        self.busy = False
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
        self.current = password_field("passphrase.current", "Passphrase" if mode == self.UNLOCK
                                       else "Current passphrase")
        self.new = password_field("passphrase.new", "New passphrase")
        self.confirm = password_field("passphrase.confirm", "New passphrase again")
        self.strength = QLabel()
        self.strength.setObjectName("passphrase.strength")
        self.strength.setAccessibleName("Passphrase strength")
        self.strength.setWordWrap(True)
        self.show_text = QCheckBox("&Show what I type")
        self.show_text.setObjectName("passphrase.show")
        self.show_text.toggled.connect(self._toggle_echo)
        self.error = error_label("passphrase.error")
        self.working = QLabel()
        self.working.setObjectName("passphrase.working")
        self.working.setWordWrap(True)
        self.working.hide()
        self.progress = QProgressBar()
        self.progress.setObjectName("passphrase.progress")
        self.progress.setRange(0, 0)  # no figure to give: the dialog says it is working
        self.progress.hide()
        buttons = QDialogButtonBox()
        self._buttons = buttons
        self.ok = QPushButton()
        self.ok.setObjectName("passphrase.ok")
        self.ok.setDefault(True)
        buttons.addButton(self.ok, QDialogButtonBox.ButtonRole.AcceptRole)
        self.ok.clicked.connect(self._accept)
        if first_run:
            # The person decides: Encrypt, or Continue without encryption. Escape, closing the
            # dialog and Back decide nothing: the first-run flow goes back a step (ask_first_run).
            skip = QPushButton("Continue &without encryption")
            skip.setObjectName("passphrase.skip")
            skip.setAutoDefault(False)
            skip.clicked.connect(self._skip)
            buttons.addButton(skip, QDialogButtonBox.ButtonRole.ActionRole)
            back = QPushButton("&Back")
            back.setObjectName("passphrase.back")
            back.setAutoDefault(False)
            back.setToolTip("Back to the previous step; nothing is created (Escape)")
            back.clicked.connect(self.reject)
            buttons.addButton(back, QDialogButtonBox.ButtonRole.RejectRole)
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
                    + ("" if not first_run else
                       "\n\nNothing is created until you choose Encrypt or Continue without encryption; "
                       "you can still encrypt later, from Your profile or the File menu."))
                self.ok.setText("&Encrypt")
            form.addRow("&New passphrase:", self.new)
            form.addRow("&Again:", self.confirm)
            form.addRow("", self.strength)
            self.new.textChanged.connect(self._update_strength)
            self._update_strength("")
        form.addRow("", self.show_text)
        layout.addWidget(self.error)
        layout.addWidget(self.working)
        layout.addWidget(self.progress)
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
        # Nothing typed yet is advice, not a fault: the hint stays in the text colour until there is a passphrase.
        colour = "palette(text)" if not text.strip() else ["#b00020", "#a15c00", "#5c6b00", "#1b6e20"][score]
        self.strength.setText(hint)
        self.strength.setStyleSheet(f"color: {colour};")

    def _skip(self) -> None:
        self.skipped = True
        self.done(QDialog.DialogCode.Rejected)

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
        if self._background is not None:
            self._start_in_background(*self._background)
            return
        QApplication.setOverrideCursor(Qt.CursorShape.WaitCursor)  # the key takes a moment to derive
        try:
            if self.mode != self.UNLOCK:
                crypto.check_new_passphrase(self.new.text())
            if self._submit is not None:
                self._submit(self)
        except QadeskError as exc:
            self._refused(exc)
            return
        finally:
            QApplication.restoreOverrideCursor()
        self.accept()

    def _refused(self, exc: QadeskError) -> None:
        self.show_error(str(exc))
        field = self.current if isinstance(exc, WrongPassphrase) or self.mode == self.UNLOCK else self.new
        field.selectAll()
        field.setFocus()

    def _start_in_background(self, ops: Operations, doing: str, work: BackgroundWork) -> None:
        try:
            crypto.check_new_passphrase(self.new.text())
        except QadeskError as exc:
            self._refused(exc)
            return
        job = work(self)
        self._set_busy(True, doing)

        def failed(exc: BaseException) -> None:
            self._set_busy(False, "")
            if isinstance(exc, QadeskError):
                self._refused(exc)
            else:
                messages.show_exception(exc, self)

        def done(_result: object) -> None:
            self._set_busy(False, "")
            self.accept()

        ops.run(lambda _progress, _cancel: job(), label=doing, show_progress=False, cancellable=False,
                exclusive=True, on_success=done, on_failure=failed)

    def _set_busy(self, busy: bool, doing: str) -> None:
        """While the store is rekeyed nothing in the dialog can be pressed, and it says what it is doing."""
        self.busy = busy
        for w in (self.current, self.new, self.confirm, self.show_text, *self._buttons.buttons()):
            w.setEnabled(not busy)
        self.working.setText(f"{doing}… This takes a few seconds; the window stays open." if busy else "")
        self.working.setVisible(busy)
        self.progress.setVisible(busy)
        self.adjustSize()  # room for the line that says what it is doing, the intro never squeezed

    def reject(self) -> None:
        if self.busy:  # Escape or closing while the store is rekeyed: it finishes first
            return
        super().reject()


# ---------------------------------------------------------------------------- opening at start


def unlock_store_interactive(data_dir: Path, parent: QWidget | None = None) -> Store | None:
    """Ask for the passphrase until it opens the store in ``data_dir``; None if the person cancels."""
    opened: list[Store] = []

    def submit(dialog: PassphraseDialog) -> None:
        opened.append(open_store(data_dir, passphrase=dialog.passphrase()))

    dialog = PassphraseDialog(PassphraseDialog.UNLOCK, parent=parent, submit=submit, where=str(data_dir))
    dialog.exec()
    return opened[0] if opened else None


def first_run_store(data_dir: Path, parent: QWidget | None = None) -> Store | None:
    """A new store, encrypted or plain as the person chooses; None when they chose neither.

    The question recommends a passphrase. "Encrypt" creates the store encrypted, "Continue without
    encryption" creates it plain; either way the choice is recorded in the store (shown later in
    Your profile). Escape, Back or closing the question decide nothing and create nothing: None,
    and the caller goes back a step.
    """
    opened: list[Store] = []

    def submit(dialog: PassphraseDialog) -> None:
        opened.append(open_store(data_dir, passphrase=dialog.new_passphrase()))

    dialog = PassphraseDialog(PassphraseDialog.SET, parent=parent, first_run=True, submit=submit)
    dialog.exec()
    if opened:
        store = opened[0]
    elif dialog.skipped:
        store = open_store(data_dir)
    else:
        return None
    with store.transaction() as s:
        record_first_run_choice(s, encrypted=store.encrypted)
    return store


def open_store_for_window(data_dir: Path, parent: QWidget | None = None, *, interactive: bool = True) -> Store | None:
    """Open the store in ``data_dir`` for the window, asking for what is needed; None if cancelled.

    ``QADESK_PASSPHRASE`` (for automation, as docs/security.md says) unlocks without asking, and
    a store created while it is set is created encrypted.  Without it an
    encrypted store asks for its passphrase, and a store about to be created
    recommends one.  Not ``interactive`` (offscreen) nothing may wait for a
    click: an encrypted store without the variable is refused instead.
    """
    given = os.environ.get("QADESK_PASSPHRASE")
    exists = crypto.db_path(data_dir).exists()
    if crypto.is_encrypted(data_dir):
        if given:
            return open_store(data_dir, passphrase=given)
        if not interactive:
            raise WrongPassphrase(f"The store in {data_dir} is encrypted: set QADESK_PASSPHRASE to open it "
                                  "without a window to type it in.")
        return unlock_store_interactive(data_dir, parent)
    if not exists and given:
        return open_store(data_dir, passphrase=given)
    if not exists and interactive:
        return first_run_store(data_dir, parent)
    return open_store(data_dir)


def set_or_change_passphrase(store: Store, parent: QWidget | None = None, ops: Operations | None = None) -> bool:
    """The File menu's "Set passphrase…" / "Change passphrase…"; True when the store was (re)keyed.

    The caller saves pending edits first; the store stays open throughout.  With ``ops`` (the
    window's operations) the rekeying runs in the database pool, after the work queued before it
    and with the store to itself, while the window keeps painting.
    """
    if store.encrypted:
        def change(dialog: PassphraseDialog) -> Callable[[], object]:
            old, new = dialog.passphrase(), dialog.new_passphrase()
            return lambda: store.change_passphrase(old, new)

        mode, doing, work = PassphraseDialog.CHANGE, "Changing the passphrase", change
    else:
        def encrypt(dialog: PassphraseDialog) -> Callable[[], object]:
            new = dialog.new_passphrase()
            return lambda: store.set_passphrase(new)

        mode, doing, work = PassphraseDialog.SET, "Encrypting the audits", encrypt
    if ops is not None:
        dialog = PassphraseDialog(mode, parent=parent, background=(ops, doing, work))
    else:
        dialog = PassphraseDialog(mode, parent=parent, submit=lambda d: work(d)())
    return dialog.exec() == QDialog.DialogCode.Accepted


def passphrase_action_text(store: Store | None) -> str:
    return "Change pa&ssphrase…" if store is not None and store.encrypted else "Set pa&ssphrase…"
