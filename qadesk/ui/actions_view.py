"""Actions: every open action from every audit, filtered; mark done with a note, change owner or due date."""

from __future__ import annotations

from datetime import date

from PySide6.QtCore import Signal
from PySide6.QtGui import QColor
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from qadesk.core.errors import QadeskError
from qadesk.services import audits as svc
from qadesk.services.profile import current_actor_name
from qadesk.services.queries import ActionRow, distinct_values, list_actions
from qadesk.ui import messages
from qadesk.ui.context import AppContext
from qadesk.ui.date_input import DateBox
from qadesk.ui.operations import Loader, Operations
from qadesk.ui.widgets import GRADE_COLOURS, Heading, fmt_date, tab_leaves

LIMIT = 500
SHOW = (("all", "All open actions"), ("mine", "Mine"), ("overdue", "Overdue"), ("urgent", "Urgent"))
COLUMNS = ("Due", "Action", "Owner", "Audit", "Team", "")


class DoneDialog(QDialog):
    """Mark an action done: what was done, in a sentence."""

    def __init__(self, action: ActionRow, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("actions.done_dialog")
        self.setWindowTitle("Mark action done")
        text = QLabel(action.text)
        text.setWordWrap(True)
        self.note = QPlainTextEdit()
        self.note.setObjectName("actions.done_note")
        self.note.setAccessibleName("What was done")
        self.note.setPlaceholderText("What was done, and when (kept with the action)")
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel)
        buttons.button(QDialogButtonBox.StandardButton.Ok).setText("Mark done")
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(text)
        layout.addWidget(QLabel("&Note:", buddy=self.note))
        layout.addWidget(self.note)
        layout.addWidget(buttons)
        self.resize(460, 260)


class EditDialog(QDialog):
    """Change an action's owner, due date or urgency."""

    def __init__(self, action: ActionRow, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("actions.edit_dialog")
        self.setWindowTitle("Edit action")
        self.owner = QLineEdit(action.owner or "")
        self.owner.setObjectName("actions.owner")
        self.owner.setAccessibleName("Owner")
        self.owner.setMaxLength(200)
        self.has_due = QCheckBox("Has a due date")
        self.has_due.setChecked(action.due is not None)
        self.due = DateBox()
        self.due.setObjectName("actions.due")
        self.due.setAccessibleName("Due date")
        self.due.set_date(action.due or date.today())
        self.due.setEnabled(action.due is not None)
        self.has_due.toggled.connect(self.due.setEnabled)
        self.urgent = QCheckBox("Urgent")
        self.urgent.setObjectName("actions.urgent")
        self.urgent.setChecked(action.urgent)
        form = QFormLayout(self)
        text = QLabel(action.text)
        text.setWordWrap(True)
        form.addRow(text)
        form.addRow("&Owner", self.owner)
        form.addRow(self.has_due, self.due)
        form.addRow("", self.urgent)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Save | QDialogButtonBox.StandardButton.Cancel)
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        form.addRow(buttons)

    def accept(self) -> None:
        if self.has_due.isChecked() and not self.due.commit():  # not a date: the reason is under the box
            self.due.setFocus()
            return
        super().accept()

    def changes(self) -> dict[str, object]:
        due = self.due.date() if self.has_due.isChecked() else None
        return {"owner": self.owner.text().strip() or None, "due": due, "urgent": self.urgent.isChecked()}


class ActionsView(QWidget):
    openAudit = Signal(str)
    changed = Signal()

    def __init__(self, ctx: AppContext, parent: QWidget | None = None, *, ops: Operations | None = None) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.setObjectName("actions.view")
        self.rows: list[ActionRow] = []
        self.loader = Loader(ops, "Loading actions", self)
        self.loaded = False  # the first rows have arrived
        self.show_filter = QComboBox()
        self.show_filter.setObjectName("actions.filter.show")
        self.show_filter.setAccessibleName("Which actions")
        for key, label in SHOW:
            self.show_filter.addItem(label, key)
        self.team = QComboBox()
        self.team.setObjectName("actions.filter.team")
        self.team.setAccessibleName("Filter by team")
        self.count = QLabel()
        self.count.setObjectName("actions.count")
        self.table = QTableWidget(0, len(COLUMNS))
        self.table.setObjectName("actions.table")
        tab_leaves(self.table)
        self.table.setAccessibleName("Open actions")
        self.table.setHorizontalHeaderLabels(COLUMNS)
        self.table.verticalHeader().hide()
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setAlternatingRowColors(True)
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(1, QHeaderView.ResizeMode.Stretch)
        for col, width in ((0, 100), (2, 150), (3, 120), (4, 170), (5, 80)):
            self.table.setColumnWidth(col, width)
        self.done_button = QPushButton("Mark &done…")
        self.done_button.setObjectName("actions.mark_done")
        self.edit_button = QPushButton("&Edit…")
        self.edit_button.setObjectName("actions.edit")
        self.open_button = QPushButton("&Open audit")
        self.open_button.setObjectName("actions.open_audit")

        bar = QHBoxLayout()
        bar.addWidget(QLabel("&Show:", buddy=self.show_filter))
        bar.addWidget(self.show_filter)
        bar.addWidget(QLabel("&Team:", buddy=self.team))
        bar.addWidget(self.team)
        bar.addStretch(1)
        bar.addWidget(self.count)
        buttons = QHBoxLayout()
        buttons.addWidget(self.done_button)
        buttons.addWidget(self.edit_button)
        buttons.addWidget(self.open_button)
        buttons.addStretch(1)
        layout = QVBoxLayout(self)
        layout.addWidget(Heading("Actions"))
        layout.addLayout(bar)
        layout.addWidget(self.table, 1)
        layout.addLayout(buttons)

        self.show_filter.currentIndexChanged.connect(self.reload)
        self.team.currentIndexChanged.connect(self.reload)
        self.table.itemSelectionChanged.connect(self._selection_changed)
        self.table.cellDoubleClicked.connect(lambda *_: self.open_selected())
        self.done_button.clicked.connect(self.mark_done)
        self.edit_button.clicked.connect(self.edit)
        self.open_button.clicked.connect(self.open_selected)
        self.refresh()

    def refresh(self) -> None:
        """Load the teams and the actions again (in the background when the window gave its operations)."""
        self.reload()

    def set_filter(self, key: str) -> None:
        i = self.show_filter.findData(key or "all")
        self.show_filter.blockSignals(True)
        self.show_filter.setCurrentIndex(max(i, 0))
        self.show_filter.blockSignals(False)
        self.reload()

    def reload(self) -> None:
        show, team, store = self.show_filter.currentData(), self.team.currentData(), self.ctx.store

        def fetch() -> tuple[list[str], list[ActionRow]]:
            with store.session() as s:
                teams = distinct_values(s, "team")  # a covering index: a few ms on 100,000 audits
                rows = list_actions(s, team=team, overdue_only=show == "overdue", urgent_only=show == "urgent",
                                    mine=current_actor_name(s) if show == "mine" else None, limit=LIMIT)
            return teams, rows

        if not self.loaded:
            self.count.setText("Loading…")
        self.loader.load(fetch, self._show)

    def _fill_teams(self, teams: list[str]) -> None:
        current = self.team.currentData()
        if [self.team.itemData(i) for i in range(1, self.team.count())] == teams:
            return
        self.team.blockSignals(True)
        self.team.clear()
        self.team.addItem("All teams", None)
        for t in teams:
            self.team.addItem(t, t)
        self.team.setCurrentIndex(max(0, self.team.findData(current)) if current else 0)
        self.team.blockSignals(False)

    def _show(self, result: tuple[list[str], list[ActionRow]]) -> None:
        teams, self.rows = result
        self.loaded = True
        self._fill_teams(teams)
        today = date.today()
        self.table.setRowCount(len(self.rows))
        for i, a in enumerate(self.rows):
            flag = "Overdue" if a.overdue(today) else "Urgent" if a.urgent else ""
            cells = (fmt_date(a.due) if a.due else "No date", a.text, a.owner or "Not set", a.audit_reference,
                     a.team or "", flag)
            for col, text in enumerate(cells):
                item = QTableWidgetItem(text)
                if col == 1:
                    item.setToolTip(a.text)
                self.table.setItem(i, col, item)
            if flag == "Overdue":
                self.table.item(i, 5).setForeground(QColor(GRADE_COLOURS["red"]))
        more = " (the first 500)" if len(self.rows) == LIMIT else ""
        self.count.setText(f"{len(self.rows):,} action{'s' if len(self.rows) != 1 else ''}{more}")
        self._selection_changed()

    def current(self) -> ActionRow | None:
        rows = self.table.selectionModel().selectedRows()
        return self.rows[rows[0].row()] if rows else None

    def _selection_changed(self) -> None:
        has = self.current() is not None
        for b in (self.done_button, self.edit_button, self.open_button):
            b.setEnabled(has)

    def open_selected(self) -> None:
        a = self.current()
        if a:
            self.openAudit.emit(a.audit_id)

    def _update(self, action: ActionRow, **changes: object) -> bool:
        try:
            with self.ctx.store.transaction() as s:
                svc.update_action(s, action.id, actor=self.ctx.actor(), **changes)
        except QadeskError as exc:
            messages.show_exception(exc, self)
            return False
        self.reload()
        self.changed.emit()
        return True

    def mark_done(self) -> None:
        a = self.current()
        if a is None:
            return
        dialog = DoneDialog(a, self)
        dialog.accepted.connect(lambda: self._update(a, status="done",
                                                     closing_note=dialog.note.toPlainText().strip() or None))
        dialog.open()

    def edit(self) -> None:
        a = self.current()
        if a is None:
            return
        dialog = EditDialog(a, self)
        dialog.accepted.connect(lambda: self._update(a, **dialog.changes()))
        dialog.open()
