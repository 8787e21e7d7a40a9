"""The Case lists screen: import the case list from the case management system, see its cases by team,
and import the performance data.

Importing opens :class:`qadesk.ui.case_import_dialog.CaseImportDialog` (a preview before anything is
stored). The list shows the cases still on their list, a page at a time, filtered by team or by a
reference or worker typed in the search box.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtGui import QKeySequence
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QFileDialog,
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

from qadesk.core.cases import CASE_TYPES, CaseRow
from qadesk.core.errors import QadeskError
from qadesk.core.permissions import Do
from qadesk.services import cases as svc
from qadesk.services import indicators as indicators_svc
from qadesk.services.demo_cases import find_demo_case_list
from qadesk.ui import messages
from qadesk.ui.case_import_dialog import CaseImportDialog
from qadesk.ui.context import AppContext
from qadesk.ui.operations import Loader, in_transaction
from qadesk.ui.widgets import Heading, fmt_date, fmt_time, gate, tab_leaves

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

PAGE = 500
COLUMNS = ("Case reference", "Case type", "Team", "Allocated worker", "Age band", "Other columns")
FILES = "Case lists (*.csv *.xlsx *.txt);;All files (*)"


def _value(value: Any) -> str:
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, date):
        return fmt_date(value)
    return "unknown" if value is None else str(value)


def describe_fields(fields: dict[str, Any], *, every: bool = False) -> str:
    """A case's other columns in a line, the yes/no columns that say yes first: 'Repeat referral, visits
    overdue; date of last visit 6 Nov 2026; ...'. A column that says no is left out of the line (a list has
    many), unless ``every`` (the tooltip)."""
    if every:
        return "; ".join(f"{_words(k)} {_value(v)}" for k, v in fields.items() if k != "age_band")
    said = [_words(k) for k, v in fields.items() if v is True]
    parts = [", ".join(said)] if said else []
    parts += [f"{_words(k)} {_value(v)}" for k, v in fields.items() if k != "age_band" and not isinstance(v, bool)]
    line = "; ".join(parts)
    return line[:1].upper() + line[1:]


def _words(key: str) -> str:
    return key.replace("_", " ")


def _band(band: object) -> str:
    """An age band as the list shows it: 'under 1' reads 'Under 1', and '10-15' (as an importer wrote it)
    reads '10–15' as every other band does."""
    text = str(band or "—").replace("-", "\u2013")
    return text[:1].upper() + text[1:]


class CasesView(QWidget):
    """The cases of the case list, by team, with the imports that brought them."""

    imported = Signal(object)  # a CaseImportResult, after the list shows it

    def __init__(self, ctx: AppContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.setObjectName("cases.view")
        self.dialogs: list[QWidget] = []
        self.rows: list[CaseRow] = []
        self.loader = Loader(ctx.operations(), "Loading the case list", self)
        self.case_loader = Loader(ctx.operations(), "Loading the cases", self)
        self.import_button = QPushButton("&Import a case list…")
        self.import_button.setObjectName("cases.import")
        self.import_button.setShortcut(QKeySequence(QKeySequence.StandardKey.Open))
        self.import_button.clicked.connect(self.choose_import)
        self.indicators_button = QPushButton("Import &performance data…")
        self.indicators_button.setObjectName("cases.import_indicators")
        self.indicators_button.clicked.connect(self.choose_indicators)
        self.team = QComboBox()
        self.team.setObjectName("cases.team")
        self.team.setAccessibleName("Team")
        self.team.setMinimumWidth(240)
        self.team.currentIndexChanged.connect(lambda _i: self.load_cases())
        self.search = QLineEdit()
        self.search.setObjectName("cases.search")
        self.search.setAccessibleName("Find a case by reference or worker")
        self.search.setPlaceholderText("Find a reference or a worker")
        self.search.setClearButtonEnabled(True)
        self._search_timer = QTimer(self)
        self._search_timer.setSingleShot(True)
        self._search_timer.setInterval(250)
        self._search_timer.timeout.connect(self.load_cases)
        self.search.textChanged.connect(lambda _t: self._search_timer.start())
        self.table = QTableWidget(0, len(COLUMNS))
        self.table.setObjectName("cases.table")
        self.table.setAccessibleName("Cases on the list")
        tab_leaves(self.table)
        self.table.setHorizontalHeaderLabels(COLUMNS)
        self.table.verticalHeader().hide()
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.horizontalHeader().setSectionResizeMode(5, QHeaderView.ResizeMode.Stretch)
        for col, width in ((0, 130), (1, 190), (2, 190), (3, 160), (4, 80)):
            self.table.setColumnWidth(col, width)
        self.count = QLabel()
        self.count.setObjectName("cases.count")
        self.last_import = QLabel()
        self.last_import.setObjectName("cases.last_import")
        self.last_import.setWordWrap(True)
        hint = QLabel("Import last night's case list from the case management system, as CSV or Excel: qadesk "
                      "recognises Ofsted's Annex A lists by their headers, and asks once what the columns of any "
                      "other list are. A column of names is never stored; a date of birth is kept only as an age "
                      "band.")
        hint.setWordWrap(True)
        # In a demonstration: the made-up list written into the demo's folder, one click from the preview.
        self.demo_list: Path | None = None
        self.any_import = False  # until a list is imported, a case's worker is not known (not "Unallocated")
        self.demo_hint = QLabel()
        self.demo_hint.setObjectName("cases.demo_hint")
        self.demo_hint.setProperty("role", "hint")
        self.demo_hint.setTextFormat(Qt.TextFormat.PlainText)
        self.demo_hint.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.demo_button = QPushButton("I&mport this list…")
        self.demo_button.setObjectName("cases.demo_import")
        self.demo_button.setAccessibleName("Import the demonstration case list")
        self.demo_button.clicked.connect(self.import_demo_list)
        demo_row = QHBoxLayout()
        demo_row.addWidget(self.demo_hint, 1)
        demo_row.addWidget(self.demo_button)
        self.demo_hint.hide()
        self.demo_button.hide()
        bar = QHBoxLayout()
        bar.addWidget(self.import_button)
        bar.addWidget(self.indicators_button)
        bar.addStretch(1)
        filters = QHBoxLayout()
        team_label = QLabel("&Team")
        team_label.setBuddy(self.team)
        filters.addWidget(team_label)
        filters.addWidget(self.team)
        find_label = QLabel("Fin&d")
        find_label.setBuddy(self.search)
        filters.addWidget(find_label)
        filters.addWidget(self.search, 1)
        filters.addWidget(self.count)
        layout = QVBoxLayout(self)
        layout.addWidget(Heading("Case lists"))
        layout.addWidget(hint)
        layout.addLayout(demo_row)
        layout.addLayout(bar)
        layout.addWidget(self.last_import)
        layout.addLayout(filters)
        layout.addWidget(self.table, 1)
        self.refresh()

    # ------------------------------------------------------------------ loading
    def refresh(self) -> None:
        """Reload the teams, the latest imports and the cases shown, in the background."""
        store, folder = self.ctx.store, self.ctx.data_dir if self.ctx.demo else None

        def fetch() -> tuple[list[svc.TeamCount], list[svc.ListImport], Path | None]:
            with store.session() as s:
                return svc.case_teams(s), svc.recent_imports(s, limit=1), find_demo_case_list(folder)

        self.loader.load(fetch, self._show_teams)

    def _show_teams(self, result: tuple[list[svc.TeamCount], list[svc.ListImport], Path | None]) -> None:
        teams, imports, demo_list = result
        self.any_import = bool(imports)
        refused = self.ctx.why_not(Do.IMPORT_CASES)  # the QA lead's (qadesk.core.permissions)
        for button in (self.import_button, self.indicators_button, self.demo_button):
            gate(button, refused)
        self._show_demo_list(demo_list, imported=bool(imports) and demo_list is not None
                             and imports[0].file == demo_list.name)
        chosen = self.team.currentData()
        self.team.blockSignals(True)
        self.team.clear()
        total = sum(t.cases for t in teams)
        self.team.addItem(f"All teams ({total:,} cases)", None)
        for t in teams:
            self.team.addItem(f"{t.team} ({t.cases:,})", t.team)
        self.team.setCurrentIndex(max(0, self.team.findData(chosen)))
        self.team.blockSignals(False)
        if imports:
            last = imports[0]
            self.last_import.setText(
                f"Last import: <b>{last.file}</b>, {fmt_date(last.at.astimezone())} {fmt_time(last.at.astimezone())} "
                f"by {last.actor} — {last.added:,} added, {last.updated:,} updated, {last.delisted:,} no longer "
                "on the list.")
        elif total:  # cases known only from the audits in the store (a demonstration's): no list has said more
            self.last_import.setText(f"No case list has been imported yet. The {total:,} case{'s' if total != 1 else ''} "
                                     "below are those the audits are of: their workers and the list's other columns "
                                     "come with the first list imported.")
        else:
            self.last_import.setText("No case list has been imported yet.")
        self.load_cases()

    def _show_demo_list(self, path: Path | None, *, imported: bool = False) -> None:
        """Offer the demonstration's case list; once it is in, say what comes next instead."""
        self.demo_list = path
        if path is not None and imported:
            self.demo_hint.setText(f"Demonstration data: last night's made-up case list ({path.name}) is imported. "
                                   "Next: on Programmes, choose a programme (or make one with New programme) and "
                                   "press Sample and allocate.")
        elif path is not None:
            self.demo_hint.setText(f"Demonstration data: last night's made-up case list is in {path}")
        self.demo_hint.setToolTip(str(path or ""))
        self.demo_hint.setWordWrap(True)
        self.demo_hint.setVisible(path is not None)
        self.demo_button.setVisible(path is not None and not imported)

    def load_cases(self, then: Callable[[], object] | None = None) -> None:
        store, team, search = self.ctx.store, self.team.currentData(), self.search.text()

        def fetch() -> tuple[list[CaseRow], int]:
            with store.session() as s:
                return svc.find_cases(s, team=team, search=search, limit=PAGE)

        def show(result: tuple[list[CaseRow], int]) -> None:
            self._show_cases(*result)
            if then is not None:
                then()

        self.case_loader.load(fetch, show)

    def _show_cases(self, rows: list[CaseRow], total: int) -> None:
        self.rows = rows
        self.table.setRowCount(len(rows))
        for i, c in enumerate(rows):
            cells = (c.case_ref, f"{CASE_TYPES.get(c.case_type or '', '—')} ({c.case_type})" if c.case_type else "—",
                     c.team or "—", c.worker or ("Unallocated" if self.any_import else "Not known"),
                     _band(c.fields.get("age_band")),
                     describe_fields(c.fields))
            for col, text in enumerate(cells):
                item = QTableWidgetItem(text)
                if col == 5:
                    item.setToolTip(describe_fields(c.fields, every=True).replace("; ", "\n"))
                self.table.setItem(i, col, item)
        shown = f"Showing the first {len(rows):,} of {total:,}" if total > len(rows) else f"{total:,} cases"
        self.count.setText(shown if total else "No cases")

    # ------------------------------------------------------------------ importing
    def choose_import(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self, "Import a case list", str(Path.home()), FILES)
        if path:
            self.import_file(path)

    def import_file(self, path: Path | str) -> CaseImportDialog:
        """Open the preview of a case list; importing happens only from there."""
        dialog = CaseImportDialog(self.ctx, path, self)
        dialog.imported.connect(self._imported)
        self.dialogs.append(dialog)
        dialog.finished.connect(lambda _r, d=dialog: self.dialogs.remove(d) if d in self.dialogs else None)
        dialog.open()
        return dialog

    def import_demo_list(self) -> CaseImportDialog | None:
        """Open the preview of the demonstration's case list (it is recognised with no mapping)."""
        return self.import_file(self.demo_list) if self.demo_list is not None else None

    def _imported(self, result: svc.CaseImportResult) -> None:
        self.refresh()
        self.imported.emit(result)

    def choose_indicators(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self, "Import performance data", str(Path.home()), FILES)
        if path:
            self.import_indicators(path)

    def import_indicators(self, path: Path | str) -> None:
        """Import a performance data file in the background; what it did, or every bad row, in a message."""
        actor = self.ctx.actor()

        def work(s: Session) -> indicators_svc.IndicatorImportResult:
            return indicators_svc.import_indicators(s, path, actor=actor)

        def done(r: indicators_svc.IndicatorImportResult) -> None:
            months = ", ".join(f"{p:%b %Y}" for p in r.periods[-3:])
            messages.info(f"{r.file_name}: {r.indicators:,} indicator{'s' if r.indicators != 1 else ''} "
                          f"({months}); {r.added:,} figures added, {r.updated:,} updated. They show on the Reports "
                          "screen beside the grades.", parent=self, title="Performance data imported")

        def refused(exc: QadeskError) -> None:
            lines = exc.reading.describe() if isinstance(exc, indicators_svc.IndicatorsRefused) else [str(exc)]
            messages.warning(f"{Path(path).name} was not imported: {len(lines):,} problem"
                             f"{'s' if len(lines) != 1 else ''}, the first: {lines[0]}. Nothing was stored.",
                             parent=self, title="Performance data not imported", detail="\n".join(lines))

        in_transaction(self.ctx.operations(), self.ctx.store, work, label="Importing performance data",
                       parent=self, done=done, refused=refused, busy=(self.indicators_button,))
