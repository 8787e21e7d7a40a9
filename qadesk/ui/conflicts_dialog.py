"""Conflicts to resolve: a field of an audit that this copy and another (the team server after a sync, or
a pack) changed differently, shown side by side for the person to choose.

On the left, the open conflicts by audit and field, in the form's words; on the right, the field as it
is here (*Mine*), as the other copy has it (*Theirs*, and who changed it there), and what both had
before where that is known. **Keep mine**, **Take theirs**, **Keep both** (text only: mine, then
theirs) or **Edit…** (write the text oneself, starting from both). Each choice goes through
:func:`qadesk.services.conflicts.resolve` (the audit takes it, with a history entry); the next
conflict is then chosen, and when none remain the dialog says so.
"""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QPlainTextEdit,
    QPushButton,
    QSplitter,
    QVBoxLayout,
    QWidget,
)

from qadesk.core.merge import MISSING, both_texts
from qadesk.services import conflicts as svc
from qadesk.services.conflict_words import describe
from qadesk.ui.context import AppContext
from qadesk.ui.operations import in_transaction


class ConflictsDialog(QDialog):
    """The open conflicts of this store, one resolved at a time."""

    def __init__(self, ctx: AppContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.setWindowTitle("Conflicts to resolve")
        self.items: list[dict[str, Any]] = []
        self.resolved = 0

        intro = QLabel("Each field below was changed differently here and in another copy of the audit (the "
                       "team server, or a pack). Nothing of either has been overwritten: choose what the audit "
                       "keeps. The audit's history records your choice.")
        intro.setWordWrap(True)
        self.list = QListWidget()
        self.list.setObjectName("conflicts.list")
        self.list.setMinimumWidth(260)
        self.list.setWordWrap(True)  # a question's words are long: wrapped, not cut
        self.list.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.list.setSpacing(2)
        self.list.currentRowChanged.connect(self._show)

        self.heading = QLabel()
        self.heading.setWordWrap(True)
        self.heading.setTextFormat(Qt.TextFormat.PlainText)
        self.mine_label, self.theirs_label, self.base_label = QLabel("&Mine"), QLabel("&Theirs"), QLabel("Before")
        self.mine, self.theirs, self.base = (self._box("conflicts.mine"), self._box("conflicts.theirs"),
                                             self._box("conflicts.base"))
        self.mine_label.setBuddy(self.mine)
        self.theirs_label.setBuddy(self.theirs)
        self.editor = QPlainTextEdit()
        self.editor.setObjectName("conflicts.editor")
        self.editor.setPlaceholderText("Write what the field should hold")
        self.editor_label = QLabel("Your &text:")
        self.editor_label.setBuddy(self.editor)
        self.editor.hide()
        self.editor_label.hide()

        self.keep_mine = QPushButton("Keep &mine")
        self.take_theirs = QPushButton("Take t&heirs")
        self.keep_both = QPushButton("Keep &both")
        self.edit = QPushButton("&Edit…")
        self.save_edit = QPushButton("&Save my text")
        self.save_edit.hide()
        for b, choice in ((self.keep_mine, "mine"), (self.take_theirs, "theirs"), (self.keep_both, "both")):
            b.clicked.connect(lambda _=False, c=choice: self.resolve(c))
        for b in (self.keep_mine, self.take_theirs, self.keep_both, self.edit, self.save_edit):
            b.setAutoDefault(False)  # Enter never chooses for the person: each choice is a deliberate click or key
        self.edit.clicked.connect(self.start_edit)
        self.save_edit.clicked.connect(lambda: self.resolve("edited", self.editor.toPlainText()))
        self.status = QLabel()
        self.status.setWordWrap(True)
        self.status.setObjectName("conflicts.status")

        grid = QGridLayout()
        grid.addWidget(self.mine_label, 0, 0)
        grid.addWidget(self.theirs_label, 0, 1)
        grid.addWidget(self.mine, 1, 0)
        grid.addWidget(self.theirs, 1, 1)
        grid.addWidget(self.base_label, 2, 0)
        grid.addWidget(self.base, 3, 0, 1, 2)
        grid.setRowStretch(1, 3)
        grid.setRowStretch(3, 1)
        buttons = QHBoxLayout()
        for b in (self.keep_mine, self.take_theirs, self.keep_both, self.edit, self.save_edit):
            buttons.addWidget(b)
        buttons.addStretch(1)
        right = QWidget()
        rv = QVBoxLayout(right)
        rv.setContentsMargins(0, 0, 0, 0)
        rv.addWidget(self.heading)
        rv.addLayout(grid, 1)
        rv.addWidget(self.editor_label)
        rv.addWidget(self.editor, 1)
        rv.addLayout(buttons)
        split = QSplitter()
        split.addWidget(self.list)
        split.addWidget(right)
        split.setStretchFactor(1, 3)
        close = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        close.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(intro)
        layout.addWidget(split, 1)
        layout.addWidget(self.status)
        layout.addWidget(close)
        self.resize(1000, 620)
        self.reload()

    def _box(self, name: str) -> QPlainTextEdit:
        box = QPlainTextEdit()
        box.setObjectName(name)
        box.setReadOnly(True)
        box.setMinimumHeight(70)
        return box

    # ------------------------------------------------------------------ data

    def reload(self, select: int = 0) -> None:
        with self.ctx.store.session() as s:
            self.items = [describe(s, c) for c in svc.list_conflicts(s)]
        self.list.blockSignals(True)
        self.list.clear()
        for it in self.items:
            row = QListWidgetItem(f"{it['reference']} — {it['field']}")
            row.setToolTip(f"{it['field']}\nFrom {it['from']}")
            self.list.addItem(row)
        self.list.blockSignals(False)
        if self.items:
            self.list.setCurrentRow(min(select, len(self.items) - 1))
            self._show(self.list.currentRow())
        else:
            self._show(-1)

    def current(self) -> dict[str, Any] | None:
        row = self.list.currentRow()
        return self.items[row] if 0 <= row < len(self.items) else None

    def _show(self, row: int) -> None:
        self.editor.hide()
        self.editor_label.hide()
        self.save_edit.hide()
        it = self.items[row] if 0 <= row < len(self.items) else None
        for b in (self.keep_mine, self.take_theirs, self.keep_both, self.edit):
            b.setEnabled(it is not None)
        if it is None:
            self.heading.setText("No conflicts wait to be resolved." if not self.resolved else
                                 f"All resolved ({self.resolved}): nothing waits. The next sync takes your choices "
                                 "to the server.")
            for box in (self.mine, self.theirs, self.base):
                box.setPlainText("")
            return
        self.heading.setText(f"{it['reference']}: {it['field']}\nFrom {it['from']}, found {it['when']}.")
        self.mine.setPlainText(it["mine_words"])
        self.theirs.setPlainText(it["theirs_words"])
        self.theirs_label.setText("&Theirs" + (f" (changed by {it['theirs_by']})" if it["theirs_by"] else ""))
        self.base.setPlainText(it["base_words"] if it["base"] is not MISSING else "(not known: the copies never synced)")
        self.keep_both.setEnabled(it["is_text"])
        self.edit.setEnabled(it["is_text"])
        self.keep_both.setToolTip("" if it["is_text"] else "Only text can be kept both ways")

    def start_edit(self) -> None:
        it = self.current()
        if it is None or not it["is_text"]:
            return
        mine = it["mine"] if isinstance(it["mine"], str) else ""
        theirs = it["theirs"] if isinstance(it["theirs"], str) else ""
        self.editor.setPlainText(both_texts(mine, theirs) if mine and theirs else mine or theirs)
        self.editor_label.show()
        self.editor.show()
        self.save_edit.show()
        self.editor.setFocus()

    def resolve(self, choice: str, text: str | None = None) -> None:
        it = self.current()
        if it is None:
            return
        row = self.list.currentRow()
        actor = self.ctx.actor()
        value: Any = text if choice == "edited" else MISSING

        def work(s: Any) -> str:
            c = svc.resolve(s, it["id"], choice, actor=actor, value=value)
            return f"{c.reference}: {it['field']} — {WORDS[choice]}."

        def done(message: str) -> None:
            self.resolved += 1
            self.status.setText(message)
            self.reload(row)  # the window's screens hear of the change from the store (qadesk.ui.change_hub)

        in_transaction(self.ctx.operations(), self.ctx.store, work, label="Resolving the conflict", parent=self,
                       done=done, busy=[self.keep_mine, self.take_theirs, self.keep_both, self.edit, self.save_edit])


WORDS = {"mine": "kept yours", "theirs": "took theirs", "both": "kept both", "edited": "kept your own text"}
