"""Who is using qadesk and where the data lives: asked on first run, changeable from the File menu.

Once a store is open the dialog also says whether it is encrypted (and, for a plain store, that
someone chose so on first run), with "Encrypt…" to set a passphrase there and then.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QCheckBox,
    QCompleter,
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QFormLayout,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from qadesk.core.permissions import ROLE_HELP, ROLE_WORDS, Role
from qadesk.services.encryption import FirstRunChoice
from qadesk.services.profile import Profile
from qadesk.ui.settings import Settings
from qadesk.ui.widgets import fmt_date

ROLES = ("Team manager", "Practice manager", "QA officer", "Senior practitioner", "Principal Social Worker",
         "Head of service", "Independent Reviewing Officer")


@dataclass(frozen=True)
class StoreEncryption:
    """What the dialog shows about the open store's encryption."""

    encrypted: bool
    choice: FirstRunChoice | None = None  # what was chosen when the store was made, if asked


def encryption_text(state: StoreEncryption) -> str:
    if state.encrypted:
        return "This store is encrypted: without the passphrase nobody can read the audits in its files."
    text = "This store is not encrypted: anyone who can open its files can read the audits."
    if state.choice is not None and not state.choice.encrypted:
        when = fmt_date(state.choice.at).replace(" ", "\u00a0")  # the date is not split over two lines
        text += f" You chose to continue without encryption on {when}."
    return text


class ProfileDialog(QDialog):
    """Name (required), role, team, organisation — the data folder, and the store's encryption.

    ``encryption`` (None before a store exists, or for a database server) is shown as a sentence;
    ``encrypt(dialog)`` sets a passphrase on the open store, True when it did.
    """

    def __init__(self, profile: Profile | None, data_dir: Path | None, settings: Settings,
                 parent: QWidget | None = None, *, first_run: bool = False, folder_fixed: bool = False,
                 encryption: StoreEncryption | None = None,
                 encrypt: Callable[[QWidget], bool] | None = None, roles_fixed: str | None = None) -> None:
        super().__init__(parent)
        self._profile_roles = (profile.roles if profile else None)
        self.settings = settings
        self._encrypt = encrypt
        self.setObjectName("profile.dialog")
        self.setWindowTitle("Welcome to QA Desk" if first_run else "Your profile")
        intro = QLabel(
            "Tell QA Desk who you are. Your name is recorded with every audit, judgement and action you "
            "make, so that the history shows who did what." if first_run else
            "Your name is recorded with every change you make from now on.")
        intro.setWordWrap(True)
        p = profile or Profile(name="")
        self.name = self._line("profile.name", "Your name (required)", p.name, "e.g. Sam Taylor")
        self.role = self._line("profile.role", "Your job title", p.role, "e.g. Team manager")
        self.role.setCompleter(QCompleter(list(ROLES), self.role))
        self.team = self._line("profile.team", "Your team", p.team, "e.g. Quality Assurance")
        self.organisation = self._line("profile.organisation", "Your organisation", p.organisation,
                                       "e.g. Example Borough Council")
        self.folder = self._line("profile.data_dir", "Data folder", str(data_dir or ""), "")
        self.folder.setReadOnly(True)
        self.choose = QPushButton("Choose…")
        self.choose.setObjectName("profile.choose_folder")
        self.choose.setAccessibleName("Choose another data folder")
        self.choose.clicked.connect(self._choose)
        self.choose.setEnabled(not folder_fixed)
        folder_row = QHBoxLayout()
        folder_row.addWidget(self.folder, 1)
        folder_row.addWidget(self.choose)
        self.problem = QLabel()
        self.problem.setObjectName("profile.problem")
        self.problem.setProperty("role", "problem")
        self.problem.hide()

        form = QFormLayout()
        form.addRow("&Name", self.name)
        form.addRow("&Job title", self.role)
        form.addRow("&Team", self.team)
        form.addRow("&Organisation", self.organisation)
        form.addRow("What you do", self._roles_box(p.roles, roles_fixed))
        folder_label = QLabel("&Data folder")  # a row of two: the label needs its buddy
        folder_label.setBuddy(self.folder)
        form.addRow(folder_label, folder_row)
        # Parented to the dialog: without an Encryption row (no store yet) they are hidden, never orphans
        # that outlive it as windows of their own.
        self.encryption = QLabel(self)
        self.encryption.setObjectName("profile.encryption")
        self.encryption.setWordWrap(True)
        self.encrypt_button = QPushButton("&Encrypt…", self)
        self.encrypt_button.setObjectName("profile.encrypt")
        self.encrypt_button.setAccessibleName("Encrypt this store with a passphrase")
        self.encrypt_button.setAutoDefault(False)
        self.encrypt_button.clicked.connect(self._encrypt_store)
        if encryption is not None:
            encryption_box = QVBoxLayout()  # the sentence wraps at the dialog's width, the button under it
            encryption_box.addWidget(self.encryption)
            encryption_box.addWidget(self.encrypt_button, 0, Qt.AlignmentFlag.AlignLeft)
            form.addRow("Encryption", encryption_box)
            self._show_encryption(encryption)
        else:
            self.encryption.hide()
            self.encrypt_button.hide()
        note = QLabel("The audits are kept in this folder on this computer. Choose a folder that is backed "
                      "up and not shared with other people." if not folder_fixed else
                      "This copy was started with a fixed data folder (--data-dir, QADESK_DATA_DIR or --demo).")
        note.setWordWrap(True)
        note.setProperty("role", "hint")
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel)
        self.buttons.button(QDialogButtonBox.StandardButton.Ok).setText("Start" if first_run else "Save")
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(intro)
        layout.addLayout(form)
        layout.addWidget(note)
        layout.addWidget(self.problem)
        layout.addWidget(self.buttons)
        self.setMinimumWidth(520)
        settings.restore_geometry(self)

    def _roles_box(self, held: list[str] | None, fixed: str | None) -> QVBoxLayout:
        """What the person does in qadesk (qadesk.core.permissions): every role on their own desk, or those
        ticked; shown but not changeable when the team server gives them (``fixed`` says so)."""
        box = QVBoxLayout()
        box.setSpacing(2)
        self.every_role = QCheckBox("E&verything: this is my own desk")
        self.every_role.setObjectName("profile.roles.all")
        self.every_role.setToolTip("One person's laptop: you import templates, plan, audit and moderate "
                                   "(but never moderate your own audits)")
        self.every_role.setChecked(not held)
        box.addWidget(self.every_role)
        grid = QGridLayout()
        grid.setContentsMargins(18, 0, 0, 0)
        self.role_boxes: dict[Role, QCheckBox] = {}
        for i, role in enumerate(Role):
            check = QCheckBox(ROLE_WORDS[role])
            check.setObjectName(f"profile.roles.{role.value}")
            check.setToolTip(f"{ROLE_WORDS[role]}: {ROLE_HELP[role]}")
            check.setChecked(bool(held) and role.value in (held or []))
            grid.addWidget(check, i // 3, i % 3)
            self.role_boxes[role] = check
        box.addLayout(grid)
        self.every_role.toggled.connect(self._every_toggled)
        self._every_toggled(self.every_role.isChecked())
        if fixed:
            self.every_role.setEnabled(False)
            for check in self.role_boxes.values():
                check.setEnabled(False)
            note = QLabel(fixed)
            note.setObjectName("profile.roles.fixed")
            note.setWordWrap(True)
            note.setProperty("role", "hint")
            box.addWidget(note)
        self._roles_fixed = fixed
        return box

    def _every_toggled(self, on: bool) -> None:
        for check in self.role_boxes.values():
            check.setEnabled(not on and not getattr(self, "_roles_fixed", None))

    def roles(self) -> list[str] | None:
        """The roles ticked (their ids), or None for every role (the person's own desk)."""
        if self._roles_fixed:
            return self._profile_roles
        if self.every_role.isChecked():
            return None
        return [r.value for r, check in self.role_boxes.items() if check.isChecked()]

    @staticmethod
    def _line(name: str, accessible: str, value: str | None, placeholder: str) -> QLineEdit:
        e = QLineEdit(value or "")
        e.setObjectName(name)
        e.setAccessibleName(accessible)
        e.setPlaceholderText(placeholder)
        e.setMaxLength(200)
        return e

    def _choose(self) -> None:
        folder = QFileDialog.getExistingDirectory(self, "Where should QA Desk keep its data?", self.folder.text())
        if folder:
            self.folder.setText(folder)

    def _show_encryption(self, state: StoreEncryption) -> None:
        self.encryption.setText(encryption_text(state))
        self.encryption.setAccessibleName(self.encryption.text())
        self.encrypt_button.setVisible(not state.encrypted and self._encrypt is not None)

    def _encrypt_store(self) -> None:
        if self._encrypt is not None and self._encrypt(self):
            self._show_encryption(StoreEncryption(encrypted=True))
            self.buttons.button(QDialogButtonBox.StandardButton.Ok).setFocus()

    def profile(self) -> Profile:
        def clean(e: QLineEdit) -> str | None:
            return e.text().strip() or None

        return Profile(name=self.name.text().strip(), role=clean(self.role), team=clean(self.team),
                       organisation=clean(self.organisation), roles=self.roles())

    def data_dir(self) -> Path | None:
        return Path(self.folder.text()) if self.folder.text() else None

    def accept(self) -> None:
        if not self.name.text().strip():
            self.problem.setText("Please give your name: it is recorded with every change you make.")
            self.problem.show()
            self.name.setFocus()
            return
        if self.roles() == []:
            self.problem.setText("Tick what you do in QA Desk, or Everything if this is your own desk.")
            self.problem.show()
            self.every_role.setFocus()
            return
        self.settings.save_geometry(self)
        super().accept()

    def reject(self) -> None:
        self.settings.save_geometry(self)
        super().reject()


def store_encryption(window: QWidget) -> dict[str, Any]:
    """The ``encryption`` and ``encrypt`` arguments for the dialog over ``window``'s open store."""
    from qadesk.services.encryption import first_run_choice
    from qadesk.ui.lock import passphrase_in_window

    ctx = getattr(window, "ctx", None)
    store = getattr(ctx, "store", None)
    if store is None or not store.is_sqlite or store.data_dir is None:
        return {}  # a database server (QADESK_DATABASE_URL): its encryption is the server's
    with store.session() as s:
        choice = first_run_choice(s)
    return {"encryption": StoreEncryption(encrypted=store.encrypted, choice=choice),
            "encrypt": lambda dialog: passphrase_in_window(window, dialog)}
