"""Actions: every open action from every audit, filtered; mark done with a note, change owner or due date."""

from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QColor, QFont, QFontMetrics
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

from qadesk.services import audits as svc
from qadesk.services.profile import current_actor_name
from qadesk.services.queries import ActionRow, distinct_values, list_actions
from qadesk.ui.context import AppContext
from qadesk.ui.date_input import DateBox
from qadesk.ui.due_dates import confirm_due
from qadesk.ui.operations import Loader, Operations, in_transaction
from qadesk.ui.widgets import GRADE_COLOURS, Heading, fmt_date, fmt_time, tab_leaves

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

LIMIT = 500
SHOW = (("all", "All open actions"), ("mine", "Mine"), ("overdue", "Overdue"), ("urgent", "Urgent"))
# Urgent first, then by due date: the order of services.queries.list_actions.
COLUMNS = ("Urgent", "Due", "Action", "Owner", "Who was told", "Audit", "Team")
ACTION_COLUMN = COLUMNS.index("Action")
# The other columns fit their longest text, up to these widths in characters (the tooltip has it all);
# Action takes what is left.
MAX_CHARS = {"Urgent": 12, "Due": 24, "Owner": 20, "Who was told": 22, "Audit": 16, "Team": 24}


def told_text(a: ActionRow) -> str:
    """Who was told of an urgent action's concern (when is in the tooltip, so the action has the room)."""
    if not a.urgent:
        return ""
    return a.told_whom or "Not recorded"


def told_tip(a: ActionRow) -> str:
    """The whole record, with the time of day, for the tooltip."""
    if not a.urgent:
        return ""
    if not a.told_whom:
        return "Who was told of the urgent concern, and when, is not recorded"
    return f"Told {a.told_whom}" + (f" on {fmt_date(a.told_at)} at {fmt_time(a.told_at)}" if a.told_at else "")


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
        note_label = QLabel("&Note:")
        note_label.setBuddy(self.note)
        layout.addWidget(note_label)
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
        self.was_due = action.due
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
        due = self.due.date() if self.has_due.isChecked() else None
        if confirm_due(self, due, self.was_due):
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
        self.table.setAccessibleName("Actions, urgent first then by due date")
        self.table.setHorizontalHeaderLabels(COLUMNS)
        self.table.verticalHeader().hide()
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setAlternatingRowColors(True)
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(ACTION_COLUMN, QHeaderView.ResizeMode.Stretch)
        header.setMinimumSectionSize(40)
        self.done_button = QPushButton("Mark &done…")
        self.done_button.setObjectName("actions.mark_done")
        self.edit_button = QPushButton("&Edit…")
        self.edit_button.setObjectName("actions.edit")
        self.open_button = QPushButton("&Open audit")
        self.open_button.setObjectName("actions.open_audit")

        bar = QHBoxLayout()
        show_label = QLabel("&Show:")
        show_label.setBuddy(self.show_filter)
        bar.addWidget(show_label)
        bar.addWidget(self.show_filter)
        team_label = QLabel("&Team:")
        team_label.setBuddy(self.team)
        bar.addWidget(team_label)
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
        red, bold = QColor(GRADE_COLOURS["red"]), QFont(self.table.font())
        bold.setBold(True)  # the urgent marker: bold and red, and the word itself for screen readers
        for i, a in enumerate(self.rows):
            overdue = a.overdue(today)
            due = fmt_date(a.due) if a.due else "No date"
            cells = ("Urgent" if a.urgent else "", due, a.text, a.owner or "Not set", told_text(a),
                     a.audit_reference, a.team or "")
            row_items = [QTableWidgetItem(text) for text in cells]
            for col, item in enumerate(row_items):
                item.setToolTip(item.text())
                self.table.setItem(i, col, item)
            urgent = row_items[0]
            urgent.setData(Qt.ItemDataRole.AccessibleTextRole, "Urgent" if a.urgent else "Not urgent")
            if a.urgent:
                urgent.setText("⚠ Urgent")
                urgent.setForeground(red)
                urgent.setFont(bold)
                row_items[4].setToolTip(told_tip(a))
                row_items[4].setData(Qt.ItemDataRole.AccessibleTextRole, told_tip(a))
                if not a.told_whom:
                    row_items[4].setForeground(red)
            if overdue:  # red and bold, and said in words to a screen reader and in the tooltip
                cell = row_items[1]
                cell.setForeground(red)
                cell.setFont(bold)
                cell.setData(Qt.ItemDataRole.AccessibleTextRole, f"{due}, overdue")
                cell.setToolTip(f"Overdue: it was due on {due}")
        self.fit_columns()
        more = " (the first 500)" if len(self.rows) == LIMIT else ""
        self.count.setText(f"{len(self.rows):,} action{'s' if len(self.rows) != 1 else ''}{more}")
        self._selection_changed()

    def fit_columns(self) -> None:
        """Each column but Action as wide as its longest text (in bold where it is bold), within its limit."""
        self.table.ensurePolished()
        fm, pad = self.table.fontMetrics(), self.table.fontMetrics().averageCharWidth() * 3
        heads = self.table.horizontalHeader().fontMetrics()
        for name, chars in MAX_CHARS.items():
            col = COLUMNS.index(name)
            widest = heads.horizontalAdvance(name) + heads.height() * 2
            for row in range(self.table.rowCount()):
                item = self.table.item(row, col)
                if item is None:
                    continue
                metrics = QFontMetrics(item.font()) if item.font().bold() else fm
                widest = max(widest, metrics.horizontalAdvance(item.text()) + pad)
            self.table.setColumnWidth(col, min(widest, fm.averageCharWidth() * chars + pad))

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
        """Write the change in the background; the list reloads when it is in the store."""
        actor, action_id = self.ctx.actor(), action.id

        def work(s: Session) -> None:
            svc.update_action(s, action_id, actor=actor, **changes)

        def written(_result: object) -> None:
            if self.ctx.hub is None:  # with the window's hub the change has already reloaded the list
                self.reload()
            self.changed.emit()

        in_transaction(self.ctx.operations(), self.ctx.store, work, label="Saving the action", parent=self, done=written,
                       busy=(self.done_button, self.edit_button))
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
