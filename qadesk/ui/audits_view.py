"""The audits list: filters, a debounced search box and the lazily fetched table."""

from __future__ import annotations

from datetime import date, timedelta

from PySide6.QtCore import QModelIndex, Qt, QTimer, Signal
from PySide6.QtGui import QAction, QKeyEvent, QKeySequence, QResizeEvent
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QGridLayout,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QMenu,
    QPushButton,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from qadesk.core.audit import CASE_TYPE_LABELS, CASE_TYPES
from qadesk.core.template import KIND_LABELS
from qadesk.services.queries import Selection, distinct_values, programme_names
from qadesk.services.templates import list_templates
from qadesk.ui.audits_model import AUDIT_ID_ROLE, COLUMNS, AuditsModel
from qadesk.ui.columns import ColumnChooser
from qadesk.ui.context import AppContext
from qadesk.ui.widgets import STATUS_LABELS, tab_leaves

SEARCH_DELAY_MS = 300
# A typical value of each column of known shape, which sets its width (the user may drag it wider).
COLUMN_SAMPLES = {
    "reference": "AUD-2026-0000", "status": "Completed", "case_ref": "CR-000000", "case_type": "CLA",
    "started_at": "30 Sep 2026", "completed_at": "30 Sep 2026", "grade": "■ Outstanding (mod.)",  # the longest Ofsted grade, marked moderated
}
# The others share what is left of the width, in these proportions, and elide (their tooltip has it all).
FLEXIBLE_COLUMNS = {"template": 2, "team": 3, "practitioner": 2, "auditor": 2}  # a template elides first
FLEXIBLE_MIN = 8  # characters
PERIODS = ("Any time", "Last 30 days", "Last 3 months", "Last 12 months", "This year", "Last year")


def period_dates(name: str, today: date | None = None) -> tuple[date | None, date | None]:
    today = today or date.today()
    if name == "Last 30 days":
        return today - timedelta(days=30), None
    if name == "Last 3 months":
        return today - timedelta(days=91), None
    if name == "Last 12 months":
        return today - timedelta(days=365), None
    if name == "This year":
        return date(today.year, 1, 1), None
    if name == "Last year":
        return date(today.year - 1, 1, 1), date(today.year - 1, 12, 31)
    return None, None


class AuditTable(QTableView):
    """The table; Enter opens the current audit (double-click does too).

    Its columns fit the width it is given: dates, grade and the other short columns keep the width of
    a typical value, so they stay on screen on a 1280-pixel laptop, and Template, Team and the people
    share the rest.
    """

    openRequested = Signal(QModelIndex)

    def __init__(self) -> None:
        super().__init__()
        self._measured = False
        tab_leaves(self)

    def resizeEvent(self, event: QResizeEvent) -> None:  # noqa: N802 - Qt's name
        super().resizeEvent(event)
        self.fit_columns()

    def fit_columns(self) -> None:
        header = self.horizontalHeader()
        if self.model() is None or header.count() != len(COLUMNS):
            return
        self.ensurePolished()  # measure in the style sheet's font
        fm, keys, titles = self.fontMetrics(), [k for k, _ in COLUMNS], dict(COLUMNS)
        cell = fm.averageCharWidth() * 2  # the cell's margins
        least = {k: max(fm.averageCharWidth() * FLEXIBLE_MIN, self._title_width(titles[k])) for k in FLEXIBLE_COLUMNS}
        if not self._measured:  # once: after that the user's own widths are kept
            self._measured = True
            header.setStretchLastSection(False)
            header.setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
            for key, sample in COLUMN_SAMPLES.items():
                width = max(fm.horizontalAdvance(sample) + cell, self._title_width(titles[key]))
                self.setColumnWidth(keys.index(key), width)
        shown = {k for k in keys if not self.isColumnHidden(keys.index(k))}  # a column chooser may hide some
        spare = self.viewport().width() - sum(header.sectionSize(keys.index(k)) for k in COLUMN_SAMPLES if k in shown)
        # Share by weight; a column whose share is below its title's width gets that, the rest share on.
        widths: dict[str, int] = {}
        while True:
            open_ = {k: w for k, w in FLEXIBLE_COLUMNS.items() if k not in widths and k in shown}
            left = spare - sum(widths.values())
            short = [k for k, w in open_.items() if left * w // sum(open_.values()) < least[k]]
            if not short:
                widths.update({k: left * w // sum(open_.values()) for k, w in open_.items()} if open_ else {})
                break
            widths.update({k: least[k] for k in short})
        for key, width in widths.items():
            self.setColumnWidth(keys.index(key), width)

    def _title_width(self, title: str) -> int:
        """A header title's width with its padding and room for the sort arrow."""
        fm = self.horizontalHeader().fontMetrics()
        return fm.horizontalAdvance(title) + fm.height() * 2

    def keyPressEvent(self, event: QKeyEvent) -> None:  # noqa: N802 - Qt's name
        if event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter) and self.currentIndex().isValid():
            self.openRequested.emit(self.currentIndex())
            return
        if event.key() == Qt.Key.Key_Menu or (event.key() == Qt.Key.Key_F10
                                              and event.modifiers() & Qt.KeyboardModifier.ShiftModifier):
            # The menu key or Shift+F10: the context menu (the column chooser) from the keyboard.
            cell = self.visualRect(self.currentIndex())
            self.customContextMenuRequested.emit(cell.center() if cell.isValid() else self.viewport().rect().topLeft())
            return
        super().keyPressEvent(event)


def _combo(name: str, accessible: str) -> QComboBox:
    c = QComboBox()
    c.setObjectName(name)
    c.setAccessibleName(accessible)
    # Long team and template names must not widen the window past a laptop screen.
    c.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
    c.setMinimumContentsLength(11)
    return c


class AuditsView(QWidget):
    """Every audit in the store, filtered and sorted in SQL."""

    openAudit = Signal(str)
    historyRequested = Signal(str)
    countChanged = Signal(int)

    def __init__(self, ctx: AppContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.setObjectName("audits.view")
        self.model = AuditsModel(ctx.store, self)

        self.search = QLineEdit()
        self.search.setObjectName("audits.search")
        self.search.setPlaceholderText("Search reference, case or practitioner  (Ctrl+F)")
        self.search.setAccessibleName("Search audits by reference, case reference or practitioner")
        self.search.setClearButtonEnabled(True)
        self.status = _combo("audits.filter.status", "Filter by status")
        self.team = _combo("audits.filter.team", "Filter by team")
        self.template = _combo("audits.filter.template", "Filter by template")
        self.auditor = _combo("audits.filter.auditor", "Filter by auditor")
        self.case_type = _combo("audits.filter.case_type", "Filter by case type")
        self.period = _combo("audits.filter.period", "Filter by the period the audit started in")
        self.programme = _combo("audits.filter.programme", "Filter by programme")
        self.clear = QPushButton("Clear filters")
        self.clear.setObjectName("audits.clear")
        self.count = QLabel()
        self.count.setObjectName("audits.count")

        filters = QGridLayout()  # two rows of four: the list stays usable on a small laptop screen
        filters.setSpacing(6)
        for i, w in enumerate((self.status, self.team, self.template, self.auditor, self.case_type, self.period,
                               self.programme, self.clear)):
            filters.addWidget(w, i // 4, i % 4)
        for col in range(4):
            filters.setColumnStretch(col, 1)
        top = QHBoxLayout()
        top.addWidget(self.search, 1)
        top.addWidget(self.count)

        self.table = AuditTable()
        self.table.setObjectName("audits.table")
        self.table.setAccessibleName("Audits")
        self.table.setModel(self.model)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setSortingEnabled(True)
        self.table.setAlternatingRowColors(True)
        self.table.setWordWrap(False)
        self.table.verticalHeader().hide()
        self.table.horizontalHeader().setSortIndicator([k for k, _ in COLUMNS].index("started_at"),
                                                       Qt.SortOrder.DescendingOrder)
        self.columns = ColumnChooser(self.table, "audits/columns", COLUMNS)  # right-click the header
        self.columns.row_actions = self._row_actions  # right-click a row: open it, or its history

        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 8, 0, 0)
        layout.addLayout(top)
        layout.addLayout(filters)
        layout.addWidget(self.table, 1)

        self._debounce = QTimer(self)
        self._debounce.setSingleShot(True)
        self._debounce.setInterval(SEARCH_DELAY_MS)
        self._debounce.timeout.connect(self.apply_filters)
        self.search.textChanged.connect(self._debounce.start)
        self.search.returnPressed.connect(self.apply_filters)
        for c in (self.status, self.team, self.template, self.auditor, self.case_type, self.period, self.programme):
            c.currentIndexChanged.connect(self.apply_filters)
        self.clear.clicked.connect(self.clear_filters)
        self.table.openRequested.connect(self._open)
        self.table.doubleClicked.connect(self._open)
        self.model.reloaded.connect(self._show_count)
        self._filling = False
        self.refresh_filters()
        self.apply_filters()

    # Filters

    def refresh_filters(self) -> None:
        """Fill the drop-downs from the store (after data arrives), keeping what is chosen."""
        with self.ctx.store.session() as s:
            teams = distinct_values(s, "team")
            auditors = distinct_values(s, "auditor")
            templates = list_templates(s, newest_only=True, with_counts=False)
            programmes = programme_names(s)
        self._filling = True
        try:
            self._fill(self.status, "All statuses", [(v, label) for v, label in STATUS_LABELS.items()])
            self._fill(self.team, "All teams", [(t, t) for t in teams])
            self._fill(self.template, "All templates",
                       [(t.id, f"{t.title}  ·  {KIND_LABELS.get(t.kind, t.kind)}") for t in templates])
            self._fill(self.auditor, "All auditors", [(a, a) for a in auditors])
            self._fill(self.case_type, "All case types", [(c, f"{c} – {CASE_TYPE_LABELS[c]}") for c in CASE_TYPES])
            self._fill(self.period, PERIODS[0], [(p, p) for p in PERIODS[1:]])
            self._fill(self.programme, "All programmes", [(p, p) for p in programmes])
        finally:
            self._filling = False

    @staticmethod
    def _fill(combo: QComboBox, everything: str, items: list[tuple[str, str]]) -> None:
        current = combo.currentData()
        combo.blockSignals(True)
        combo.clear()
        combo.addItem(everything, None)
        for value, label in items:
            combo.addItem(label, value)
        i = combo.findData(current) if current is not None else 0
        combo.setCurrentIndex(max(i, 0))
        combo.blockSignals(False)

    def selection(self) -> Selection:
        since, until = period_dates(self.period.currentData() or PERIODS[0])
        status = self.status.currentData()
        team = self.team.currentData()
        return Selection(statuses=[status] if status else [], teams=[team] if team else [],
                         template_id=self.template.currentData(), auditor=self.auditor.currentData(),
                         case_type=self.case_type.currentData(), since=since, until=until,
                         programme=self.programme.currentData(), search=self.search.text().strip() or None)

    def apply_filters(self) -> None:
        if self._filling:
            return
        self._debounce.stop()
        self.model.set_selection(self.selection())

    def clear_filters(self) -> None:
        self._filling = True
        for c in (self.status, self.team, self.template, self.auditor, self.case_type, self.period, self.programme):
            c.setCurrentIndex(0)
        self.search.clear()
        self._filling = False
        self.apply_filters()

    def refresh(self) -> None:
        self.refresh_filters()
        self.model.reload()

    def focus_search(self) -> None:
        self.search.setFocus(Qt.FocusReason.ShortcutFocusReason)
        self.search.selectAll()

    # Opening

    def current_audit_id(self) -> str | None:
        """The audit of the chosen row, if any."""
        index = self.table.currentIndex()
        return index.siblingAtColumn(0).data(AUDIT_ID_ROLE) if index.isValid() else None

    def _row_actions(self, menu: QMenu) -> None:
        audit_id = self.current_audit_id()
        if audit_id is None:
            return
        first = menu.actions()[0] if menu.actions() else None
        open_ = QAction("&Open", menu)
        open_.setObjectName("audits.row.open")
        open_.triggered.connect(lambda: self.openAudit.emit(audit_id))
        history = QAction("&History…", menu)
        history.setObjectName("audits.row.history")
        history.setShortcut(QKeySequence("Ctrl+H"))
        history.triggered.connect(lambda: self.historyRequested.emit(audit_id))
        menu.insertActions(first, [open_, history])  # type: ignore[arg-type]
        menu.insertSeparator(first)  # type: ignore[arg-type]

    def _open(self, index: QModelIndex) -> None:
        audit_id = index.siblingAtColumn(0).data(AUDIT_ID_ROLE)
        if audit_id:
            self.openAudit.emit(audit_id)

    def _show_count(self, total: int) -> None:
        filtered = not self.model.selection.is_empty()
        self.count.setText(f"{total:,} audit{'s' if total != 1 else ''}{' match' if filtered else ''}")
        self.countChanged.emit(total)
