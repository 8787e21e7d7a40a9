"""An audit's history: who changed what and when, and a completed audit's earlier versions side by side.

Opened from the open audit (Audit ▸ History…, Ctrl+H) or from the audits list (its context menu, or
Ctrl+H on the chosen row).  Everything is read off the UI thread (:class:`qadesk.ui.operations.Loader`)
from :mod:`qadesk.services.audit_history`.  The *Changes* tab lists every change, oldest or newest
first, with the value before and after; the *Versions* tab sets two versions of the audit beside each
other (as first submitted, before a reopen, after moderation, now), the rows that differ marked, with
"Only what differs" to hide the rest.
"""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtGui import QBrush, QColor, QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QTableWidget,
    QTableWidgetItem,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from qadesk.services.audit_access import get_audit
from qadesk.services.audit_history import Change, Version, audit_changes, audit_versions
from qadesk.ui.context import AppContext
from qadesk.ui.operations import Loader
from qadesk.ui.widgets import Heading, fmt_date, fmt_time, tab_leaves

CHANGE_COLUMNS = ("When", "Who", "What", "Before", "After")
DIFFERS = QColor(255, 243, 205)  # a pale amber, readable with dark text


def _item(text: str, tip: str | None = None) -> QTableWidgetItem:
    item = QTableWidgetItem(text.replace("\n", " "))
    item.setFlags(Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable)
    if tip or len(text) > 60:
        item.setToolTip(tip or text)
    return item


class AuditHistoryView(QWidget):
    """The history of one audit (its reference in the heading), in two tabs."""

    def __init__(self, ctx: AppContext, audit_id: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.audit_id = audit_id
        self.setObjectName("history.view")
        self.changes: list[Change] = []
        self.versions: list[Version] = []
        self.loader = Loader(ctx.ops, "Reading the audit's history", self)

        self.heading = Heading("History")
        self.summary = QLabel("Reading the history…")
        self.summary.setObjectName("history.summary")
        self.summary.setWordWrap(True)

        self.order = QComboBox()
        self.order.setObjectName("history.order")
        self.order.setAccessibleName("Order of the changes")
        self.order.addItem("Newest first", True)
        self.order.addItem("Oldest first", False)
        self.order.currentIndexChanged.connect(self._fill_changes)
        order_label = QLabel("&Order:")
        order_label.setBuddy(self.order)

        self.table = QTableWidget(0, len(CHANGE_COLUMNS))
        self.table.setObjectName("history.changes")
        self.table.setAccessibleName("Changes to the audit")
        self.table.setHorizontalHeaderLabels(CHANGE_COLUMNS)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setWordWrap(True)
        self.table.verticalHeader().setVisible(False)
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(1, QHeaderView.ResizeMode.ResizeToContents)
        for i in (2, 3, 4):
            header.setSectionResizeMode(i, QHeaderView.ResizeMode.Stretch)
        tab_leaves(self.table)

        changes_tab = QWidget()
        top = QHBoxLayout()
        top.addWidget(order_label)
        top.addWidget(self.order)
        top.addStretch(1)
        lay = QVBoxLayout(changes_tab)
        lay.addLayout(top)
        lay.addWidget(self.table, 1)

        self.left = QComboBox()
        self.left.setObjectName("history.left")
        self.left.setAccessibleName("The version on the left")
        self.right = QComboBox()
        self.right.setObjectName("history.right")
        self.right.setAccessibleName("The version on the right")
        for box in (self.left, self.right):
            box.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
            box.setMinimumContentsLength(46)
            box.currentIndexChanged.connect(self._fill_versions)
        self.only_diff = QCheckBox("Only what &differs")
        self.only_diff.setObjectName("history.only_diff")
        self.only_diff.toggled.connect(self._fill_versions)
        self.compare = QTableWidget(0, 3)
        self.compare.setObjectName("history.compare")
        self.compare.setAccessibleName("Two versions of the audit side by side")
        self.compare.setHorizontalHeaderLabels(["Field", "Left", "Right"])
        self.compare.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.compare.setWordWrap(True)
        self.compare.verticalHeader().setVisible(False)
        ch = self.compare.horizontalHeader()
        ch.setSectionResizeMode(0, QHeaderView.ResizeMode.Interactive)
        ch.setSectionResizeMode(1, QHeaderView.ResizeMode.Stretch)
        ch.setSectionResizeMode(2, QHeaderView.ResizeMode.Stretch)
        self.compare.setColumnWidth(0, 300)
        tab_leaves(self.compare)
        self.versions_note = QLabel("")
        self.versions_note.setObjectName("history.versions_note")
        self.versions_note.setWordWrap(True)

        versions_tab = QWidget()
        pick = QHBoxLayout()
        left_label, right_label = QLabel("&Left:"), QLabel("&Right:")
        left_label.setBuddy(self.left)
        right_label.setBuddy(self.right)
        for w in (left_label, self.left, right_label, self.right):
            pick.addWidget(w)
        pick.addStretch(1)
        pick.addWidget(self.only_diff)
        vl = QVBoxLayout(versions_tab)
        vl.addLayout(pick)
        vl.addWidget(self.versions_note)
        vl.addWidget(self.compare, 1)

        self.tabs = QTabWidget()
        self.tabs.setObjectName("history.tabs")
        self.tabs.addTab(changes_tab, "&Changes")
        self.tabs.addTab(versions_tab, "&Versions")

        outer = QVBoxLayout(self)
        outer.addWidget(self.heading)
        outer.addWidget(self.summary)
        outer.addWidget(self.tabs, 1)
        self.refresh()

    # ------------------------------------------------------------------ loading

    def refresh(self) -> None:
        """Read the audit's history again (in the background)."""
        store, audit_id = self.ctx.store, self.audit_id

        def fetch() -> tuple[str, str, list[Change], list[Version]]:
            with store.session() as s:
                audit = get_audit(s, audit_id)
                return audit.reference, audit.status, audit_changes(s, audit.id), audit_versions(s, audit.id)

        self.loader.load(fetch, self._show)

    def _show(self, result: tuple[str, str, list[Change], list[Version]]) -> None:
        reference, status, self.changes, self.versions = result
        self.heading.setText(f"History of {reference}")
        self.setWindowTitle(f"History of {reference}")
        people = sorted({c.actor for c in self.changes})
        if self.changes:
            first, last = self.changes[0], self.changes[-1]
            self.summary.setText(
                f"{len(self.changes):,} change{'s' if len(self.changes) != 1 else ''} by "
                f"{', '.join(people)}, from {fmt_date(first.at)} {fmt_time(first.at)} to "
                f"{fmt_date(last.at)} {fmt_time(last.at)}. The audit is {status} now. Times are this computer's.")
        else:
            self.summary.setText("The history holds no changes to this audit.")
        self._fill_changes()
        for box in (self.left, self.right):
            box.blockSignals(True)
            box.clear()
            for v in self.versions:
                box.addItem(v.label)
            box.blockSignals(False)
        if self.versions:
            earlier = [i for i, v in enumerate(self.versions) if v.at is not None]
            self.left.setCurrentIndex(earlier[0] if earlier else 0)
            self.right.setCurrentIndex(len(self.versions) - 1)
        self._fill_versions()

    # ------------------------------------------------------------------ the two tabs

    def _fill_changes(self) -> None:
        newest_first = bool(self.order.currentData())
        rows = self.changes[::-1] if newest_first else self.changes
        self.table.setRowCount(len(rows))
        for r, c in enumerate(rows):
            when = f"{fmt_date(c.at)} {fmt_time(c.at)}"
            for col, text in enumerate((when, c.actor, c.what, c.before or "—", c.after or "—")):
                self.table.setItem(r, col, _item(text))
        self.table.resizeRowsToContents()

    def _fill_versions(self) -> None:
        if not self.versions:
            self.compare.setRowCount(0)
            self.versions_note.setText("There are no versions to compare yet.")
            return
        left = self.versions[max(0, self.left.currentIndex())]
        right = self.versions[max(0, self.right.currentIndex())]
        a = {k: (label, value) for k, label, value in left.rows}
        b = {k: (label, value) for k, label, value in right.rows}
        keys = list(dict.fromkeys([*(k for k, _, _ in left.rows), *(k for k, _, _ in right.rows)]))
        differing = [k for k in keys if a.get(k, ("", ""))[1] != b.get(k, ("", ""))[1]]
        shown = differing if self.only_diff.isChecked() else keys
        self.compare.setRowCount(len(shown))
        for r, k in enumerate(shown):
            label = (a.get(k) or b.get(k) or (k, ""))[0]
            cells = (_item(label), _item(a.get(k, ("", ""))[1] or "—"), _item(b.get(k, ("", ""))[1] or "—"))
            for col, item in enumerate(cells):
                if k in differing:
                    item.setBackground(QBrush(DIFFERS))
                    item.setForeground(QBrush(QColor(0, 0, 0)))
                self.compare.setItem(r, col, item)
        self.compare.resizeRowsToContents()
        n = len(differing)
        self.versions_note.setText(
            "The two are the same." if left is right else
            f"{n:,} field{'s' if n != 1 else ''} differ{'s' if n == 1 else ''} (marked).")

    def grid(self) -> list[list[str]]:
        """The changes table as text, row by row (what a reader sees; for tests and copying)."""
        return [[_text(self.table, r, c) for c in range(self.table.columnCount())] for r in range(self.table.rowCount())]

    def comparison(self) -> list[tuple[str, str, str]]:
        """The two versions side by side as text: (field, left, right) for each row shown."""
        return [(_text(self.compare, r, 0), _text(self.compare, r, 1), _text(self.compare, r, 2))
                for r in range(self.compare.rowCount())]


def _text(table: QTableWidget, row: int, col: int) -> str:
    item = table.item(row, col)
    return item.text() if item is not None else ""


class HistoryDialog(QDialog):
    """The history view in a window of its own (not modal: the audit stays usable beside it)."""

    def __init__(self, ctx: AppContext, audit_id: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("history.dialog")
        self.setWindowTitle("History")
        self.view = AuditHistoryView(ctx, audit_id, self)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.rejected.connect(self.reject)
        lay = QVBoxLayout(self)
        lay.addWidget(self.view, 1)
        lay.addWidget(buttons)
        self.resize(1180, 660)
        QShortcut(QKeySequence("F5"), self, self.view.refresh)

    def refresh(self) -> None:
        self.view.refresh()


def open_history(ctx: AppContext, audit_id: str, parent: QWidget | None, kept: dict[str, Any]) -> HistoryDialog:
    """Show the audit's history window (one per audit; brought forward if it is open already)."""
    dialog = kept.get(audit_id)
    if dialog is None:
        dialog = HistoryDialog(ctx, audit_id, parent)
        kept[audit_id] = dialog
        dialog.finished.connect(lambda _r, a=audit_id: kept.pop(a, None))
    else:
        dialog.refresh()
    dialog.show()
    dialog.raise_()
    dialog.activateWindow()
    return dialog
