"""Importing a case list: a preview of the file as it will be read, what each column becomes, and the
rows that cannot be imported, before anything is stored.

The file is read in the background (:func:`qadesk.services.cases.read_file`) as the import would read it.
Each column's role is a drop-down; changing one reads the file again with that mapping, and the mapping can
be remembered under a name for the next list from the same source. A column of names (or another that
identifies a child) has no drop-down: it is never stored. Import is possible only when every row reads.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Any

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
    QListWidget,
    QSplitter,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from qadesk.core.cases import CASE_TYPES, ROLES, ColumnMapping, age_band
from qadesk.core.errors import QadeskError
from qadesk.exchange.case_columns import Column, Layout, plan_columns
from qadesk.exchange.case_list import CaseListReading, SheetReading
from qadesk.exchange.cells import CellProblem, as_date
from qadesk.exchange.tables import column_letter
from qadesk.services import cases as svc
from qadesk.ui.context import AppContext
from qadesk.ui.operations import Loader, in_transaction
from qadesk.ui.widgets import fmt_date, tab_leaves

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

KIND_WORDS = {"date": "dates", "flag": "yes / no", "number": "numbers", "text": "text"}
NOT_STORED = "— not stored —"
PARTS = (260, 200, 150)  # the splitter's columns, preview and problems, at first


def _shown(value: Any) -> str:
    if value is None:
        return ""
    if hasattr(value, "isoformat") and hasattr(value, "year"):
        return fmt_date(value)
    return str(value)


def _band(value: Any) -> str:
    """A date of birth as it is kept: its age band (the date itself is never shown again, nor stored)."""
    try:
        born = as_date(value)
    except CellProblem:
        return str(value)
    return f"age band {age_band(born, date.today())}" if born <= date.today() else "after today"


class CaseImportDialog(QDialog):
    """The preview of one case list file, with its column mapping, refused rows and the Import button."""

    imported = Signal(object)  # the CaseImportResult

    def __init__(self, ctx: AppContext, path: Path | str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.path = Path(path)
        self.setObjectName("case_import.dialog")
        self.setWindowTitle(f"Import a case list — {self.path.name}")
        self.loader = Loader(ctx.operations(), "Reading the case list", self)
        self.reading: CaseListReading | None = None
        self.mapping: ColumnMapping | None = None  # None: as recognised
        self.columns: list[Column] = []
        self._filling = False

        self.layout_label = QLabel("Reading the file…")
        self.layout_label.setObjectName("case_import.layout")
        self.layout_label.setWordWrap(True)
        self.columns_table = QTableWidget(0, 4)
        self.columns_table.setObjectName("case_import.columns")
        self.columns_table.setAccessibleName("What each column becomes")
        self.columns_table.setHorizontalHeaderLabels(["Column", "Header in the file", "Becomes", "Holds"])
        self.columns_table.verticalHeader().hide()
        self.columns_table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.columns_table.horizontalHeader().setSectionResizeMode(1, QHeaderView.ResizeMode.Stretch)
        self.columns_table.setColumnWidth(0, 80)
        self.columns_table.setColumnWidth(2, 330)
        self.columns_table.setColumnWidth(3, 120)
        self.case_type = QComboBox()
        self.case_type.setObjectName("case_import.case_type")
        self.case_type.setAccessibleName("Case type of every case on the list")
        self.case_type.addItem("Given by a column of the list", None)
        for code, words in CASE_TYPES.items():
            self.case_type.addItem(f"{code}: {words}, for every case", code)
        self.case_type.currentIndexChanged.connect(self._mapping_changed)
        self.preview = QTableWidget(0, 0)
        self.preview.setObjectName("case_import.preview")
        self.preview.setAccessibleName("The first rows of the file")
        self.preview.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.preview.verticalHeader().hide()  # the spreadsheet's own row numbers are the first column
        tab_leaves(self.preview)
        self.status = QLabel()
        self.status.setObjectName("case_import.status")
        self.status.setWordWrap(True)
        self.problems = QListWidget()
        self.problems.setObjectName("case_import.problems")
        self.problems.setAccessibleName("Rows that cannot be imported")
        self.warnings = QLabel()
        self.warnings.setObjectName("case_import.warnings")
        self.warnings.setWordWrap(True)
        self.save_as = QLineEdit()
        self.save_as.setObjectName("case_import.save_as")
        self.save_as.setAccessibleName("Remember this mapping as")
        self.save_as.setPlaceholderText("e.g. Mosaic open cases (leave empty not to remember it)")
        self.save_as.setMaxLength(svc.MAX_MAPPING_NAME)
        self.save_as.textChanged.connect(lambda _t: self._update_import())

        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Cancel)
        self.import_button = buttons.addButton("&Import", QDialogButtonBox.ButtonRole.AcceptRole)
        self.import_button.setObjectName("case_import.import")
        self.import_button.setEnabled(False)
        self.import_button.clicked.connect(self.do_import)
        cancel = buttons.button(QDialogButtonBox.StandardButton.Cancel)
        cancel.setAutoDefault(False)  # Enter never cancels: it imports, once the file can be
        buttons.rejected.connect(self.reject)
        self.buttons = buttons

        top = QWidget()
        top_layout = QVBoxLayout(top)
        top_layout.setContentsMargins(0, 0, 0, 0)
        columns_label = QLabel("&What each column becomes")
        columns_label.setBuddy(self.columns_table)
        top_layout.addWidget(columns_label)
        top_layout.addWidget(self.columns_table, 1)
        form = QFormLayout()
        form.addRow("Case &type", self.case_type)
        form.addRow("&Remember as", self.save_as)
        top_layout.addLayout(form)
        middle = QWidget()
        middle_layout = QVBoxLayout(middle)
        middle_layout.setContentsMargins(0, 0, 0, 0)
        preview_label = QLabel("&Preview of the first rows")
        preview_label.setBuddy(self.preview)
        middle_layout.addWidget(preview_label)
        middle_layout.addWidget(self.preview, 1)
        bottom = self.bottom = QWidget()
        bottom_layout = QVBoxLayout(bottom)
        bottom_layout.setContentsMargins(0, 0, 0, 0)
        bottom_layout.addWidget(self.status)
        bottom_layout.addWidget(self.problems, 1)
        bottom_layout.addWidget(self.warnings)
        bottom_layout.addStretch(0)
        splitter = self.splitter = QSplitter(Qt.Orientation.Vertical)
        for part in (top, middle, bottom):
            splitter.addWidget(part)
        splitter.setSizes(list(PARTS))
        layout = QVBoxLayout(self)
        layout.addWidget(self.layout_label)
        layout.addWidget(splitter, 1)
        row = QHBoxLayout()
        row.addStretch(1)
        row.addWidget(buttons)
        layout.addLayout(row)
        self.resize(1100, 720)
        self.read()

    # ------------------------------------------------------------------ reading
    def read(self) -> None:
        """Read the file in the background with the current mapping, then show what it gives."""
        store, path, mapping = self.ctx.store, self.path, self.mapping
        self.import_button.setEnabled(False)

        def fetch() -> CaseListReading | QadeskError:
            try:
                with store.session() as s:
                    return svc.read_file(s, path, mapping)
            except QadeskError as exc:  # not a case list at all: said in the dialog, not over it
                return exc

        self.loader.load(fetch, self._show)

    def _sheet(self) -> SheetReading | None:
        if self.reading is None or not self.reading.sheets:
            return None
        return next((s for s in self.reading.sheets if s.used), self.reading.sheets[0])

    def _show(self, reading: CaseListReading | QadeskError) -> None:
        if isinstance(reading, QadeskError):
            self.reading = None
            self.layout_label.setText(f"<b>This file cannot be read as a case list.</b> {reading}")
            self.status.setText("")
            self.problems.clear()
            return
        self.reading = reading
        sheet = self._sheet()
        columns = list(sheet.columns) if sheet is not None else []
        if sheet is not None and not columns and sheet.headers:  # not recognised: offer the first row's columns
            columns = plan_columns(list(sheet.headers), Layout("unrecognised", "Not recognised"))
            columns = [c if c.role == "dropped" else Column(c.index, c.header, c.key, "field") for c in columns]
        self.columns = columns
        self._show_layout(reading, sheet)
        self._fill_columns(sheet)
        self._fill_preview(sheet)
        self._show_problems(reading)

    def _show_layout(self, reading: CaseListReading, sheet: SheetReading | None) -> None:
        used = [s for s in reading.sheets if s.used and s.layout]
        if used:
            names = "; ".join((f"sheet '{s.sheet}': " if len(reading.sheets) > 1 else "")
                              + (s.layout.title if s.layout else "") for s in used)
            how = "read with the mapping you chose" if self.mapping else "recognised by its headers"
            text = f"<b>{names}</b> — {how}."
            if sheet is not None and sheet.header_row and sheet.header_row > 1:
                text += f" The header is row {sheet.header_row}."
        else:
            text = ("<b>The columns are not recognised.</b> Choose below which column is the case reference, "
                    "the case type, the team and the allocated worker; the others are kept as they are.")
        self.layout_label.setText(text)
        self.warnings.setText("<br>".join(reading.warnings))
        self.warnings.setVisible(bool(reading.warnings))

    def _fill_columns(self, sheet: SheetReading | None) -> None:
        self._filling = True
        self.columns_table.setRowCount(len(self.columns))
        for row, c in enumerate(self.columns):
            self.columns_table.setItem(row, 0, QTableWidgetItem(column_letter(c.index)))
            self.columns_table.setItem(row, 1, QTableWidgetItem(c.header or "(no header)"))
            if c.role == "dropped":
                self.columns_table.removeCellWidget(row, 2)
                item = QTableWidgetItem(f"Left out: {c.dropped_why}, never stored")
                item.setForeground(Qt.GlobalColor.darkRed)
                self.columns_table.setItem(row, 2, item)
            else:
                combo = QComboBox()
                combo.setObjectName(f"case_import.role.{c.index}")
                combo.setAccessibleName(f"Column {column_letter(c.index)} ({c.header}) becomes")
                for role, words in ROLES.items():
                    combo.addItem(words, role)
                combo.setCurrentIndex(max(0, combo.findData(c.role)))
                combo.currentIndexChanged.connect(self._mapping_changed)
                self.columns_table.setCellWidget(row, 2, combo)
            holds = KIND_WORDS.get(c.kind or "", "") if c.role == "field" else ""
            self.columns_table.setItem(row, 3, QTableWidgetItem(holds))
        self._filling = False

    def _fill_preview(self, sheet: SheetReading | None) -> None:
        headers = [c.header or column_letter(c.index) for c in self.columns]
        self.preview.setColumnCount(len(headers) + 1)
        self.preview.setHorizontalHeaderLabels(["Row", *headers])
        rows = sheet.preview if sheet is not None else []
        if sheet is not None and not sheet.columns and sheet.header_row is None:
            rows = []
        self.preview.setRowCount(len(rows))
        for r, (number, values) in enumerate(rows):
            self.preview.setItem(r, 0, QTableWidgetItem(str(number)))
            for col, c in enumerate(self.columns, start=1):
                value = values[c.index] if c.index < len(values) else None
                if c.role == "dropped":
                    text = NOT_STORED
                elif c.role == "date_of_birth" and value is not None:
                    text = _band(value)
                else:
                    text = _shown(value)
                self.preview.setItem(r, col, QTableWidgetItem(text))
        self.preview.resizeColumnsToContents()

    def _show_problems(self, reading: CaseListReading) -> None:
        self.problems.clear()
        lines = reading.describe() if not reading.ok else []
        self.problems.addItems(lines)
        self.problems.setVisible(bool(lines))
        if not reading.ok:
            bad = len(reading.problems) + reading.more_problems
            if bad:
                self.status.setText(f"<b>{bad:,} row{'s' if bad != 1 else ''} cannot be imported</b>, so nothing "
                                    "will be: put them right in the file (each is listed with its row number), "
                                    "or change what a column becomes, and import again.")
            else:
                self.status.setText("<b>The file cannot be imported yet:</b>")
        self._update_import()
        self._fit_parts(bool(lines))

    def _fit_parts(self, problems: bool) -> None:
        """With no row to list, the columns and the preview take the room the list of problems would have."""
        total = sum(self.splitter.sizes()) or sum(PARTS)
        width = self.splitter.width() if self.splitter.width() > 100 else self.width()
        shown = [x for x in (self.status, self.warnings) if x is self.status or x.isVisibleTo(self)]
        said = sum(max(x.heightForWidth(width), x.fontMetrics().lineSpacing()) for x in shown) + 16
        bottom = max(PARTS[2], total // 4) if problems else min(said, total // 3)
        rest = total - bottom
        top = rest * PARTS[0] // (PARTS[0] + PARTS[1])
        self.splitter.setSizes([top, rest - top, bottom])

    def _update_import(self) -> None:
        """Import needs every row read, and a name for a mapping chosen here (the source it is remembered for)."""
        ok = self.reading is not None and self.reading.ok
        unnamed = self.mapping is not None and not self.save_as.text().strip()
        self.import_button.setEnabled(ok and not unnamed)
        self.import_button.setDefault(ok and not unnamed)
        self.save_as.setProperty("required", unnamed)
        if ok and unnamed:
            self.status.setText("<b>Name this mapping to import with it</b> (the list it is for, e.g. 'Mosaic open "
                                "cases'): the next list from the same source is read the same way.")
        elif ok and self.reading is not None:
            n = len(self.reading.cases)
            self.status.setText(f"<b>{n:,} case{'s' if n != 1 else ''} can be imported.</b> Cases already in "
                                "qadesk are updated by their reference; their audits and history are kept.")

    # ------------------------------------------------------------------ mapping
    def chosen_mapping(self) -> ColumnMapping:
        """The mapping the drop-downs show now."""
        roles: dict[str, str] = {}
        for row, c in enumerate(self.columns):
            combo = self.columns_table.cellWidget(row, 2)
            if isinstance(combo, QComboBox) and c.key:
                roles[c.key] = combo.currentData()
        name = self.save_as.text().strip() or "Chosen in the window"
        return ColumnMapping(name, roles, self.case_type.currentData())

    def _mapping_changed(self) -> None:
        if self._filling:
            return
        mapping = self.chosen_mapping()
        if "case_ref" not in mapping.columns.values():
            self.import_button.setEnabled(False)
            self.status.setText("<b>Choose which column is the case reference.</b>")
            return
        self.mapping = mapping
        self.read()

    # ------------------------------------------------------------------ import
    def do_import(self) -> None:
        if self.reading is None or not self.reading.ok:
            return
        path, actor = self.path, self.ctx.actor()
        name = self.save_as.text().strip()
        mapping = self.chosen_mapping() if (self.mapping is not None or name) else None
        if mapping is not None and name:
            mapping = ColumnMapping(name, mapping.columns, mapping.case_type)
        save_as = (mapping, [c.key for c in self.columns if c.key]) if mapping is not None and name else None

        def work(s: Session) -> svc.CaseImportResult:
            return svc.import_case_list(s, path, actor=actor, mapping=mapping, save_as=save_as)

        def refused(exc: QadeskError) -> None:
            if isinstance(exc, svc.CaseListRefused):
                self._show(exc.reading)
            else:
                self.status.setText(f"<b>Not imported:</b> {exc}")

        def done(result: svc.CaseImportResult) -> None:
            self.imported.emit(result)
            self.accept()

        self.import_button.setDefault(False)
        in_transaction(self.ctx.operations(), self.ctx.store, work, label="Importing the case list", parent=self,
                       done=done, refused=refused, busy=(self.import_button,))
