"""The case's people list, from the open audit's case details: who is in the child's life, by role and name.

Names here are never shown in a pack: an external pack masks each of them, and their parts, as the
person's role ("[child]", "[mother]").  The list belongs to the case (every audit of it shares it) and is
kept only in this store.  Each change is written at once, in the window's database pool.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import shiboken6
from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QHBoxLayout,
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
from qadesk.services import people
from qadesk.services.people import PersonEntry
from qadesk.ui.context import AppContext
from qadesk.ui.operations import in_transaction
from qadesk.ui.widgets import tab_leaves


class CasePeopleDialog(QDialog):
    """Add, change and remove the people of one case.  ``changed()`` after every stored change."""

    changed = Signal()

    def __init__(self, ctx: AppContext, case_ref: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ctx, self.case_ref = ctx, case_ref
        self.setObjectName("case_people")
        self.setWindowTitle(f"People in case {case_ref}")
        self.busy = False
        hint = QLabel("The child, family members, carers and professionals named in this case's audits. Their names "
                      "stay in this store only: a pack for another organisation masks each name, and its parts, as "
                      "the person's role, e.g. “[child]”, “[mother]”.")
        hint.setWordWrap(True)
        hint.setProperty("role", "hint")
        self.table = QTableWidget(0, 3)
        self.table.setObjectName("case_people.table")
        tab_leaves(self.table)
        self.table.setAccessibleName(f"People in case {case_ref}")
        self.table.setHorizontalHeaderLabels(["Role", "Name", "Also known as"])
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.verticalHeader().hide()
        self.table.horizontalHeader().setStretchLastSection(True)
        self.table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        self.table.setColumnWidth(0, 150)
        self.table.setColumnWidth(1, 200)
        self.role = QComboBox()
        self.role.setObjectName("case_people.role")
        self.role.setEditable(True)
        self.role.setInsertPolicy(QComboBox.InsertPolicy.NoInsert)
        self.role.addItems(people.ROLES)
        self.role.setCurrentIndex(-1)
        self.role.setAccessibleName("Role")
        edit = self.role.lineEdit()
        if edit is not None:
            edit.setPlaceholderText("child, mother, foster carer, teacher…")
        self.name = QLineEdit()
        self.name.setObjectName("case_people.name")
        self.name.setAccessibleName("Name")
        self.name.setPlaceholderText("as the case record writes it, e.g. Jayden Okoro")
        self.other = QLineEdit()
        self.other.setObjectName("case_people.other_names")
        self.other.setAccessibleName("Also known as")
        self.other.setPlaceholderText("other names and spellings, separated by commas")
        form = QFormLayout()
        form.addRow("&Role", self.role)
        form.addRow("&Name", self.name)
        form.addRow("Also &known as", self.other)
        self.add_button = self._button("case_people.add", "&Add", self.add_entered)
        self.save_button = self._button("case_people.save", "&Save changes", self.save_selected)
        self.remove_button = self._button("case_people.remove", "Re&move", self.remove_selected)
        self.clear_button = self._button("case_people.clear", "New &person", self.clear_fields)
        buttons = QHBoxLayout()
        for b in (self.add_button, self.save_button, self.remove_button, self.clear_button):
            buttons.addWidget(b)
        buttons.addStretch(1)
        self.problem = QLabel()
        self.problem.setObjectName("case_people.problem")
        self.problem.setProperty("role", "problem")
        self.problem.setWordWrap(True)
        self.problem.hide()
        close = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        close.rejected.connect(self.reject)
        lay = QVBoxLayout(self)
        lay.addWidget(hint)
        lay.addWidget(self.table, 1)
        lay.addLayout(form)
        lay.addLayout(buttons)
        lay.addWidget(self.problem)
        lay.addWidget(close)
        self.entries: list[PersonEntry] = []
        self.table.itemSelectionChanged.connect(self._selected_changed)
        self.resize(640, 480)
        with ctx.store.session() as s:  # one indexed read of this case's rows
            self.load(people.list_people(s, case_ref))
        self.role.setFocus()

    def _button(self, name: str, text: str, slot: Any) -> QPushButton:
        b = QPushButton(text)
        b.setObjectName(name)
        b.setAutoDefault(False)
        b.clicked.connect(slot)
        return b

    def load(self, entries: list[PersonEntry]) -> None:
        self.entries = entries
        self.table.setRowCount(len(entries))
        for r, p in enumerate(entries):
            for c, text in enumerate((p.role, p.name, ", ".join(p.other_names))):
                self.table.setItem(r, c, QTableWidgetItem(text))
        self._sync()

    def _selected(self) -> PersonEntry | None:
        rows = self.table.selectionModel().selectedRows()
        return self.entries[rows[0].row()] if rows else None

    def _selected_changed(self) -> None:
        chosen = self._selected()
        if chosen is not None:
            self.role.setCurrentText(chosen.role)
            self.name.setText(chosen.name)
            self.other.setText(", ".join(chosen.other_names))
        self._sync()

    def _sync(self) -> None:
        chosen = self._selected() is not None
        self.add_button.setEnabled(not self.busy)
        self.save_button.setEnabled(chosen and not self.busy)
        self.remove_button.setEnabled(chosen and not self.busy)

    def _enter(self) -> None:
        """Enter in a field: save the chosen person's changes, or add the person typed."""
        if self._selected() is not None:
            self.save_selected()
        else:
            self.add_entered()

    def clear_fields(self) -> None:
        self.table.clearSelection()
        for w in (self.name, self.other):
            w.clear()
        self.role.setCurrentIndex(-1)
        self.role.setFocus()

    def _values(self) -> tuple[str, str, str]:
        return self.role.currentText().strip(), self.name.text().strip(), self.other.text().strip()

    def add_entered(self) -> None:
        role, name, other = self._values()
        ref = self.case_ref
        self._run(lambda s: people.add_person(s, ref, role, name, other), after=self.clear_fields)

    def save_selected(self) -> None:
        chosen = self._selected()
        if chosen is None:
            return
        role, name, other = self._values()
        self._run(lambda s: people.update_person(s, chosen.id, role=role, name=name, other_names=other))

    def remove_selected(self) -> None:
        chosen = self._selected()
        if chosen is not None:
            self._run(lambda s: people.remove_person(s, chosen.id), after=self.clear_fields)

    def _run(self, work: Any, after: Callable[[], None] | None = None) -> bool:
        """Write ``work(session)`` in the database pool, then show the list as stored."""
        if self.busy:
            return False
        self.busy = True
        self._sync()
        ref = self.case_ref

        def write(s: Any) -> list[PersonEntry]:
            work(s)
            return people.list_people(s, ref)

        def done(entries: list[PersonEntry]) -> None:
            if not shiboken6.isValid(self):
                return
            self.busy = False
            self.problem.hide()
            chosen = self._selected()
            self.load(entries)
            if chosen is not None:
                row = next((r for r, p in enumerate(entries) if p.id == chosen.id), None)
                if row is not None:
                    self.table.selectRow(row)
            if after is not None:
                after()
            self.changed.emit()

        def refused(exc: QadeskError) -> None:
            if not shiboken6.isValid(self):
                return
            self.busy = False
            self._sync()
            why = str(exc)
            self.problem.setText(why[:1].upper() + why[1:])
            self.problem.show()

        in_transaction(self.ctx.operations(), self.ctx.store, write, label="Saving the people list", parent=self,
                       done=done, refused=refused)
        return True

    def keyPressEvent(self, event: Any) -> None:  # noqa: N802 - Enter in a field adds; it never closes the dialog
        if event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter) and self.focusWidget() is not None \
                and self.focusWidget() is not self.table:
            self._enter()
            return
        super().keyPressEvent(event)
