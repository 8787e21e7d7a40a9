"""The audits table model: a window onto ``services.queries.list_audits``, fetched a page at a time.

It never holds every audit: Qt asks for more rows as the user scrolls
(``canFetchMore``/``fetchMore``); sorting and filtering happen in SQL.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QPersistentModelIndex, Qt, Signal
from PySide6.QtGui import QColor

from qadesk.core.audit import CASE_TYPE_LABELS
from qadesk.exchange.display import short_grade
from qadesk.services.blind_moderation import blind_awaiting
from qadesk.services.overview import grade_labels
from qadesk.services.queries import AuditRow, Selection, count_audits, list_audits
from qadesk.store import Store
from qadesk.ui.widgets import GRADE_COLOURS, STATUS_LABELS, fmt_date, grade_label

PAGE = 200
COLUMNS: list[tuple[str, str]] = [
    ("reference", "Reference"), ("status", "Status"), ("template", "Template"), ("case_ref", "Case"),
    ("case_type", "Type"), ("team", "Team"), ("practitioner", "Practitioner"), ("auditor", "Auditor"),
    ("started_at", "Started"), ("completed_at", "Completed"), ("grade", "Grade"),
]
AUDIT_ID_ROLE = Qt.ItemDataRole.UserRole + 1

Index = QModelIndex | QPersistentModelIndex
# total, first rows, grade labels, and the audits whose grade is withheld (they arrived for blind moderation)
Page = tuple[int, list[AuditRow], dict[tuple[str, int], dict[str, str]], frozenset[str]]


class AuditsModel(QAbstractTableModel):
    """Audits matching a :class:`Selection`, sorted by one column, in pages of 200."""

    reloaded = Signal(int)  # the number of audits that match

    def __init__(self, store: Store, parent: Any = None, *, selection: Selection | None = None) -> None:
        super().__init__(parent)
        self.store = store
        self.selection = selection or Selection()
        self.sort_key = "started_at"
        self.descending = True
        self.hidden_grades: frozenset[str] = frozenset()
        self.total = 0
        self.rows: list[AuditRow] = []
        self.labels: dict[tuple[str, int], dict[str, str]] = {}
        self.last_query_ms = 0.0

    # Loading

    def reload(self) -> None:
        """Count the matching audits and fetch the first page (one screen and a bit)."""
        started = time.perf_counter()
        self.show_page(self.first_page()())
        self.last_query_ms = (time.perf_counter() - started) * 1000

    def first_page(self) -> Callable[[], Page]:
        """A function that counts and fetches the first page as things stand now; it may run on any thread."""
        store, selection, sort, descending = self.store, self.selection, self.sort_key, self.descending

        def fetch() -> Page:
            with store.session() as s:
                total = count_audits(s, selection)
                rows = list_audits(s, selection, sort=sort, descending=descending, limit=PAGE)
                return total, rows, grade_labels(s), blind_awaiting(s)

        return fetch

    def show_page(self, page: Page) -> None:
        """Show what :meth:`first_page`'s function returned (on the UI thread)."""
        total, rows, labels, hidden = page
        self.beginResetModel()
        self.total, self.rows, self.labels, self.hidden_grades = total, rows, labels, hidden
        self.endResetModel()
        self.reloaded.emit(total)

    def set_selection(self, selection: Selection) -> None:
        self.selection = selection
        self.reload()

    def canFetchMore(self, parent: Index = QModelIndex()) -> bool:  # noqa: N802, B008 - Qt's API
        return not parent.isValid() and len(self.rows) < self.total

    def fetchMore(self, parent: Index = QModelIndex()) -> None:  # noqa: N802, B008 - Qt's API
        if parent.isValid():
            return
        with self.store.session() as s:
            more = list_audits(s, self.selection, sort=self.sort_key, descending=self.descending,
                               offset=len(self.rows), limit=PAGE)
        if not more:
            self.total = len(self.rows)  # audits were removed since the count: stop asking
            return
        self.beginInsertRows(QModelIndex(), len(self.rows), len(self.rows) + len(more) - 1)
        self.rows.extend(more)
        self.endInsertRows()

    def sort(self, column: int, order: Qt.SortOrder = Qt.SortOrder.AscendingOrder) -> None:
        self.sort_key = COLUMNS[column][0]
        self.descending = order == Qt.SortOrder.DescendingOrder
        self.reload()

    # The table

    def rowCount(self, parent: Index = QModelIndex()) -> int:  # noqa: N802, B008 - Qt's API
        return 0 if parent.isValid() else len(self.rows)

    def columnCount(self, parent: Index = QModelIndex()) -> int:  # noqa: N802, B008 - Qt's API
        return 0 if parent.isValid() else len(COLUMNS)

    def headerData(self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole) -> Any:  # noqa: N802
        if orientation == Qt.Orientation.Horizontal and role == Qt.ItemDataRole.DisplayRole:
            return COLUMNS[section][1]
        return None

    def row_at(self, row: int) -> AuditRow:
        return self.rows[row]

    def text(self, r: AuditRow, key: str) -> str:
        if key == "status":
            return STATUS_LABELS.get(r.status, r.status)
        if key == "template":
            return r.template_title
        if key == "started_at":
            return fmt_date(r.started_at)
        if key == "completed_at":
            return fmt_date(r.completed_at) if r.completed_at else ""
        if key == "grade":  # the final grade; marked where a moderator changed the auditor's
            label = grade_label(self.labels, r.template_id, r.template_version, r.grade)
            return f"{label} (moderated)" if label and r.moderated else label
        return getattr(r, key) or ""

    def grade_tip(self, r: AuditRow) -> str | None:
        """The final grade and, where a moderator changed it, the auditor's grade beside it."""
        final = grade_label(self.labels, r.template_id, r.template_version, r.grade)
        if not final:
            return None
        if not r.moderated:
            return final + (" (the moderator agreed)" if r.status == "moderated" else "")
        auditor = grade_label(self.labels, r.template_id, r.template_version, r.auditor_grade) or "none"
        return f"Moderated grade: {final}\nAuditor's grade: {auditor}"

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or index.row() >= len(self.rows):
            return None
        r = self.rows[index.row()]
        key = COLUMNS[index.column()][0]
        if key == "grade" and r.id in self.hidden_grades:
            # Sent for blind moderation: its grades are shown once its moderator has recorded their own.
            if role in (Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.AccessibleTextRole):
                return "(blind)"
            if role == Qt.ItemDataRole.ToolTipRole:
                return "Sent here for blind moderation: the grades show once it has been moderated"
            return None if role != AUDIT_ID_ROLE else r.id
        if role == Qt.ItemDataRole.DisplayRole and key == "grade":
            # "RI", "Good (mod.)": the full label, and the auditor's grade, are the tooltip; the whole
            # label with "(moderated)" is what a screen reader says.
            short = short_grade(grade_label(self.labels, r.template_id, r.template_version, r.grade))
            return f"{short} (mod.)" if short and r.moderated else short
        if role in (Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.AccessibleTextRole):
            return self.text(r, key)
        if role == AUDIT_ID_ROLE:
            return r.id
        if role == Qt.ItemDataRole.ToolTipRole:
            if key == "case_type" and r.case_type:
                return CASE_TYPE_LABELS.get(r.case_type, r.case_type)
            if key == "template":
                return f"{r.template_title} (version {r.template_version})"
            if key == "grade":
                return self.grade_tip(r)
            if key in ("team", "practitioner", "auditor"):  # these may be elided in the list
                return self.text(r, key) or None
        if role == Qt.ItemDataRole.DecorationRole and key == "grade" and r.grade in GRADE_COLOURS:
            return QColor(GRADE_COLOURS[r.grade])
        return None
