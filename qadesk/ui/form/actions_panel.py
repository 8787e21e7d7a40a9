"""Actions agreed in the audit: what must happen, who does it, by when, how urgent.

Each change goes straight to the store through ``services.audits``
(add_action, update_action, remove_action).  The dialog asks; the methods
``add``, ``edit``, ``remove`` and ``mark_done`` do the work (the buttons call them).
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from qadesk.core.errors import QadeskError
from qadesk.services import audits
from qadesk.ui import messages
from qadesk.ui.context import AppContext
from qadesk.ui.date_input import DateBox, DateTimeBox
from qadesk.ui.due_dates import confirm_due
from qadesk.ui.form.fit import FlowLayout
from qadesk.ui.form.widgets import LongTextInput
from qadesk.ui.widgets import fmt_date, tab_leaves

STATUS_WORDS = {"open": "Open", "done": "Done", "cancelled": "Cancelled"}
ACTION_MIN_WIDTH = 200


def action_row(item: Any) -> dict[str, Any]:
    return {"id": item.id, "text": item.text, "owner": item.owner, "due": item.due, "urgent": bool(item.urgent),
            "status": item.status, "told_whom": item.told_whom, "told_at": audits.aware(item.told_at)}


def told_text(a: dict[str, Any]) -> str:
    """'Told: B. Manager, 25 Nov 2026 14:05' for an urgent action (the time in the laptop's zone)."""
    if not a.get("urgent"):
        return ""
    if not a.get("told_whom") or a.get("told_at") is None:
        return "Who was told, and when, is not recorded"
    local = a["told_at"].astimezone()
    return f"Told {a['told_whom']}, {fmt_date(local.date())} {local:%H:%M}"


class ActionDialog(QDialog):
    """Add or edit an action; an urgent one also says who was told of the concern and when."""

    def __init__(self, parent: QWidget | None, action: dict[str, Any] | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Edit action" if action else "Add an action")
        form = QFormLayout(self)
        self.form = form
        self.text = LongTextInput(self, min_lines=3, max_lines=8)
        self.text.setAccessibleName("What must happen")
        self.owner = QLineEdit(self)
        self.owner.setAccessibleName("Who will do it")
        self.due = DateBox(self)
        self.due.setAccessibleName("Due date")
        self.urgent = QCheckBox("Urgent — the child may be at risk until this is done", self)
        self.urgent.setObjectName("action.urgent")
        self.told_whom = QLineEdit(self)
        self.told_whom.setObjectName("action.told_whom")
        self.told_whom.setAccessibleName("Who was told of the urgent concern")
        self.told_whom.setPlaceholderText("e.g. the team manager, by phone")
        self.told_when = DateTimeBox(self)
        self.told_when.setObjectName("action.told_when")
        self.told_when.setAccessibleName("When they were told")
        form.addRow("What must &happen", self.text)
        form.addRow("&Who", self.owner)
        form.addRow("&Due", self.due)
        form.addRow("", self.urgent)
        form.addRow("Who was &told", self.told_whom)
        form.addRow("When t&old", self.told_when)
        self._told_rows = (self.told_whom, self.told_when)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel,
                                   self)
        buttons.accepted.connect(self._accept)
        buttons.rejected.connect(self.reject)
        self.problem = QLabel(self)
        self.problem.setProperty("role", "problem")
        self.problem.setWordWrap(True)
        self.problem.hide()
        form.addRow(self.problem)
        form.addRow(buttons)
        self.was_due = action["due"] if action else None
        if action:
            self.text.setValue(action["text"])
            self.owner.setText(action["owner"] or "")
            self.due.setValue(action["due"])
            self.urgent.setChecked(action["urgent"])
            self.told_whom.setText(action.get("told_whom") or "")
            self.told_when.setValue(action.get("told_at"))
        self.urgent.toggled.connect(self._show_told)
        self._show_told(self.urgent.isChecked())
        self.resize(520, 300)

    def _show_told(self, on: bool) -> None:
        """Who was told and when belong to an urgent action: shown only while Urgent is ticked."""
        for w in self._told_rows:
            self.form.setRowVisible(w, on)
        self.adjustSize()

    def _accept(self) -> None:
        if not self.due.commit():  # not a date: the reason is under the box
            self.due.setFocus()
            return
        if self.text.value() is None:
            self._refuse("Say what must happen.", self.text)
            return
        if self.urgent.isChecked():
            if not self.told_when.commit():  # not a date and time: the reason is under the boxes
                self.told_when.setFocus()
                return
            told = self.told_at()
            if told is not None and told > datetime.now().astimezone():
                self._refuse("When they were told cannot be in the future.", self.told_when)
                return
        if not confirm_due(self, self.values()["due"], self.was_due):  # a date in the past: "are you sure?"
            return
        self.accept()

    def _refuse(self, why: str, where: QWidget) -> None:
        self.problem.setText(why)
        self.problem.show()
        where.setFocus()

    def told_at(self) -> datetime | None:
        """The date and time told, in the laptop's zone (None until both are given)."""
        return self.told_when.value()

    def values(self) -> dict[str, Any]:
        due = self.due.value()
        urgent = self.urgent.isChecked()
        return {"text": (self.text.value() or "").strip(), "owner": self.owner.text().strip() or None,
                "due": date.fromisoformat(due) if due else None, "urgent": urgent,
                "told_whom": (self.told_whom.text().strip() or None) if urgent else None,
                "told_at": self.told_at() if urgent else None}


class ActionsPanel(QWidget):
    """Emits ``changed()`` after every stored change and ``refused(str)`` when the service says no."""

    changed = Signal()
    refused = Signal(str)

    def __init__(self, ctx: AppContext, audit_id: str, actor: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("page.actions")
        self.ctx, self.audit_id, self.actor = ctx, audit_id, actor
        self.rows: list[dict[str, Any]] = []
        lay = QVBoxLayout(self)
        lay.setContentsMargins(28, 20, 28, 28)
        title = QLabel("Actions", self)
        title.setProperty("role", "section-title")
        title.setWordWrap(True)
        hint = QLabel("What must happen for the child, who will do it and by when. Actions stay open after the "
                      "audit is submitted, until they are marked done.", self)
        hint.setProperty("role", "hint")
        hint.setWordWrap(True)
        lay.addWidget(title)
        lay.addWidget(hint)
        self.table = QTableWidget(0, 5, self)
        self.table.setObjectName("actions.table")
        tab_leaves(self.table)
        self.table.setAccessibleName("Actions")
        self.table.setHorizontalHeaderLabels(["Action", "Who", "Due", "Urgent", "Status"])
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.verticalHeader().hide()
        self.table.setWordWrap(True)
        header = self.table.horizontalHeader()
        for col in range(2, 5):
            header.setSectionResizeMode(col, QHeaderView.ResizeMode.ResizeToContents)
        # The action takes what the other columns leave, but never less than ACTION_MIN_WIDTH (the
        # table scrolls sideways instead); Who may be long, and can be widened by hand.
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.Interactive)
        header.setSectionResizeMode(1, QHeaderView.ResizeMode.Interactive)
        self.table.setColumnWidth(1, 120)
        header.sectionResized.connect(lambda col, _old, _new: self._fit_action_column() if col else None)
        self.table.doubleClicked.connect(lambda _i: self.edit_dialog())
        lay.addWidget(self.table, 1)
        buttons = FlowLayout(h_spacing=6, v_spacing=6)  # onto two lines when the page is narrow
        self.add_button = self._button("actions.add", "Add a&ction…", self.add_dialog, buttons)
        self.edit_button = self._button("actions.edit", "&Edit…", self.edit_dialog, buttons)
        self.done_button = self._button("actions.done", "Mark &done", self._mark_selected_done, buttons)
        self.remove_button = self._button("actions.remove", "&Remove", self._remove_selected, buttons)
        lay.addLayout(buttons)
        self.problem = QLabel(self)
        self.problem.setProperty("role", "problem")
        self.problem.setWordWrap(True)
        self.problem.hide()
        lay.addWidget(self.problem)
        self.table.itemSelectionChanged.connect(self._sync_buttons)
        self._status = "draft"
        self.busy = False  # a change is being written in the background

    def _button(self, name: str, text: str, slot, box: FlowLayout) -> QPushButton:
        b = QPushButton(text, self)
        b.setObjectName(name)
        b.setAutoDefault(False)
        b.clicked.connect(slot)
        box.addWidget(b)
        return b

    def load(self, rows: list[dict[str, Any]], status: str) -> None:
        self.rows = rows
        self._status = status
        self.table.setRowCount(len(rows))
        for r, a in enumerate(rows):
            cells = [a["text"] + (f"\n{told_text(a)}" if a["urgent"] else ""), a["owner"] or "",
                     fmt_date(a["due"], empty=""), "Urgent" if a["urgent"] else "",
                     STATUS_WORDS.get(a["status"], a["status"])]
            for c, text in enumerate(cells):
                item = QTableWidgetItem(text)
                if c == 3 and a["urgent"]:
                    item.setForeground(Qt.GlobalColor.darkRed)
                self.table.setItem(r, c, item)
        self._fit_action_column()
        self._sync_buttons()

    def resizeEvent(self, event) -> None:  # noqa: N802 - Qt override
        super().resizeEvent(event)
        self._fit_action_column()

    def showEvent(self, event) -> None:  # noqa: N802 - the table's width is final only once it is laid out
        super().showEvent(event)
        QTimer.singleShot(0, self._fit_action_column)

    def _fit_action_column(self) -> None:
        others = sum(self.table.columnWidth(c) for c in range(1, self.table.columnCount()))
        width = max(ACTION_MIN_WIDTH, self.table.viewport().width() - others)
        if self.table.columnWidth(0) != width:
            self.table.setColumnWidth(0, width)
        self.table.resizeRowsToContents()

    def _selected(self) -> dict[str, Any] | None:
        rows = self.table.selectionModel().selectedRows()
        return self.rows[rows[0].row()] if rows else None

    def _sync_buttons(self) -> None:
        chosen = self._selected()
        closed = self._status == "closed" or self.busy  # a change being written: one at a time
        self.add_button.setEnabled(not closed)
        self.edit_button.setEnabled(chosen is not None and not closed)
        self.done_button.setEnabled(chosen is not None and chosen["status"] == "open" and not closed)
        self.remove_button.setEnabled(chosen is not None and self._status == "draft")

    def _run(self, work) -> bool:
        """Write ``work(session)`` in the window's database pool; the rows come back when it is done.

        True when the change was handed over; the buttons wait until it is written.
        """
        if self.busy:
            return False
        store, audit_id = self.ctx.store, self.audit_id

        def write(_progress: object, _cancel: object) -> tuple[list[dict[str, Any]], str]:
            with store.transaction() as s:
                work(s)
                audit = audits.get_audit(s, audit_id)
                return [action_row(a) for a in audit.actions], audit.status

        def written(result: tuple[list[dict[str, Any]], str]) -> None:
            self.busy = False
            self.problem.hide()
            self.load(*result)
            self.changed.emit()

        def refused(exc: BaseException) -> None:
            self.busy = False
            self._sync_buttons()
            if not isinstance(exc, QadeskError):
                messages.show_exception(exc, self)
                return
            self.problem.setText(str(exc))
            self.problem.show()
            self.refused.emit(str(exc))

        self.busy = True
        self._sync_buttons()
        self.ctx.operations().run(write, label="Saving the action", show_progress=False,
                                  on_success=written, on_failure=refused)
        return True

    def add(self, text: str, *, owner: str | None = None, due: date | None = None, urgent: bool = False,
            told_whom: str | None = None, told_at: datetime | None = None) -> bool:
        return self._run(lambda s: audits.add_action(s, self.audit_id, text, actor=self.actor, owner=owner,
                                                     due=due, urgent=urgent, told_whom=told_whom, told_at=told_at))

    def edit(self, action_id: str, **changes: Any) -> bool:
        return self._run(lambda s: audits.update_action(s, action_id, actor=self.actor, **changes))

    def mark_done(self, action_id: str) -> bool:
        return self.edit(action_id, status="done")

    def remove(self, action_id: str) -> bool:
        return self._run(lambda s: audits.remove_action(s, action_id, actor=self.actor))

    def add_dialog(self) -> None:
        dialog = ActionDialog(self)
        if dialog.exec() == QDialog.DialogCode.Accepted:
            self.add(**dialog.values())

    def edit_dialog(self) -> None:
        chosen = self._selected()
        if chosen is None or self._status == "closed":
            return
        dialog = ActionDialog(self, chosen)
        if dialog.exec() == QDialog.DialogCode.Accepted:
            self.edit(chosen["id"], **dialog.values())

    def _mark_selected_done(self) -> None:
        chosen = self._selected()
        if chosen is not None:
            self.mark_done(chosen["id"])

    def _remove_selected(self) -> None:
        chosen = self._selected()
        if chosen is None:
            return
        text = chosen.get("text") or ""
        short = text if len(text) <= 120 else text[:119] + "…"
        if messages.ask(f"Remove this action?\n\n“{short}”\n\nThe audit's history keeps a record that it was "
                        "removed.", parent=self, title="Remove the action", yes="Remove", no="Keep it"):
            self.remove(chosen["id"])
