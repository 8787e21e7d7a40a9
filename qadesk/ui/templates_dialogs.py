"""Dialogs of the Templates screen: the import report, the preview and the version comparison."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QColor, QFont
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

from qadesk.core.errors import QadeskError, ValidationError
from qadesk.core.template import KIND_LABELS, Template
from qadesk.core.template_diff import diff_templates
from qadesk.exchange.templates import EXCEL_SUFFIXES, read_template
from qadesk.services import templates as svc
from qadesk.ui.context import AppContext
from qadesk.ui.operations import in_transaction

if TYPE_CHECKING:
    from sqlalchemy.orm import Session


def _n(count: int, word: str) -> str:
    return f"{count} {word}{'' if count == 1 else 's'}"


_COLOURS = {"added": "#1b7a3a", "removed": "#b3261e", "changed": "#8a5a00"}


def load_for_import(path: Path, lenient: bool, language: str | None) -> tuple[Template, list[str]]:
    """Read a template file the way import will, with the warnings of an XLSForm import."""
    if path.suffix.lower() in EXCEL_SUFFIXES and path.is_file():
        from qadesk.exchange.template_xlsx import read_template_xlsx_report

        return read_template_xlsx_report(path, lenient=lenient, language=language)
    return read_template(path), []


class ImportReportDialog(QDialog):
    """What a file would import, or every located problem — shown before anything is stored."""

    imported = Signal(str)

    def __init__(self, ctx: AppContext, path: Path | str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.path = Path(path)
        self.importing = False  # being stored in the background
        self.template: Template | None = None
        self.problems: list[str] = []
        self.warnings: list[str] = []
        self.setObjectName("templates.import_report")
        self.setWindowTitle(f"Import template — {self.path.name}")
        self.resize(860, 520)
        layout = QVBoxLayout(self)
        self.status = QLabel()
        self.status.setObjectName("import.status")
        self.status.setWordWrap(True)
        self.status.setTextFormat(Qt.TextFormat.PlainText)
        font = QFont(self.status.font())
        font.setPointSizeF(font.pointSizeF() * 1.15)
        font.setBold(True)
        self.status.setFont(font)
        layout.addWidget(self.status)
        self.options = QWidget()
        row = QHBoxLayout(self.options)
        row.setContentsMargins(0, 0, 0, 0)
        self.lenient = QCheckBox("Skip what qadesk cannot represent (XLSForm)")
        self.lenient.setObjectName("import.lenient")
        self.language = QLineEdit()
        self.language.setObjectName("import.language")
        self.language.setPlaceholderText("label language, e.g. English")
        self.language.setAccessibleName("Label language")
        self.language.setMaximumWidth(220)
        recheck = QPushButton("Check again")
        recheck.clicked.connect(self.check)
        row.addWidget(self.lenient)
        row.addWidget(QLabel("Language:"))
        row.addWidget(self.language)
        row.addWidget(recheck)
        row.addStretch(1)
        self.options.setVisible(self.path.suffix.lower() in EXCEL_SUFFIXES)
        layout.addWidget(self.options)
        self.report = QTreeWidget()
        self.report.setObjectName("import.report")
        self.report.setAccessibleName("Validation report")
        self.report.setHeaderLabels(["Where", "What"])
        self.report.setRootIsDecorated(False)
        self.report.setWordWrap(True)
        self.report.setColumnWidth(0, 260)
        layout.addWidget(self.report, 1)
        buttons = QDialogButtonBox()
        self.import_button = buttons.addButton("Import", QDialogButtonBox.ButtonRole.AcceptRole)
        self.import_button.setObjectName("import.confirm")
        self.preview_button = buttons.addButton("Preview", QDialogButtonBox.ButtonRole.ActionRole)
        buttons.addButton(QDialogButtonBox.StandardButton.Cancel)
        self.import_button.clicked.connect(self.do_import)
        self.preview_button.clicked.connect(self.preview)
        buttons.rejected.connect(self.reject)
        layout.addWidget(buttons)
        self.check()

    def check(self) -> None:
        """Validate the file again (with the current options) and show the report."""
        self.report.clear()
        self.template, self.problems, self.warnings = None, [], []
        try:
            self.template, self.warnings = load_for_import(self.path, self.lenient.isChecked(),
                                                           self.language.text().strip() or None)
        except ValidationError as exc:
            self.problems = [str(p) for p in exc.problems]
            for p in exc.problems:
                self._line(p.where or "the file", p.message, "#b3261e")
        except QadeskError as exc:
            self.problems = [str(exc)]
            self._line("the file", str(exc), "#b3261e")
        stored = None
        if self.template is not None:
            t = self.template
            try:
                with self.ctx.store.session() as s:
                    stored = svc.get_row(s, t.id, t.version)
            except QadeskError:
                stored = None
            if stored is not None and stored.fingerprint != t.fingerprint():
                msg = f"{t.key} is already installed with different content; give the new file a higher version"
                self.problems.append(msg)
                self._line("settings / version", msg, "#b3261e")
        for w in self.warnings:
            where, _, what = w.partition(": ") if "!" in w.split(": ")[0] else ("", "", w)
            self._line(where or "warning", what, "#8a5a00")
        if self.problems:
            n = len(self.problems)
            self.status.setText(f"This file cannot be imported: {n} problem{'s' if n != 1 else ''} to put right "
                                f"(nothing has been stored).")
        elif self.template is not None:
            t = self.template
            questions = sum(1 for q in t.questions() if q.answerable)
            already = " It is already installed, unchanged." if stored is not None else ""
            self.status.setText(f"Ready to import “{t.title}” ({t.key}): {KIND_LABELS.get(t.kind, t.kind)}, "
                                f"{_n(len(t.sections), 'section')}, {_n(questions, 'question')}"
                                f"{', ' + _n(len(self.warnings), 'warning') if self.warnings else ''}.{already}")
            for sec in t.sections:
                self._line(f"section {sec.id}", f"{sec.title} — {_n(len(sec.questions), 'question')}"
                           + (f" (completed by {sec.agency})" if sec.agency else ""), "#1f1f1f")
        self.import_button.setEnabled(self.template is not None and not self.problems)
        self.preview_button.setEnabled(self.template is not None)

    def _line(self, where: str, what: str, colour: str) -> None:
        item = QTreeWidgetItem([where, what])
        item.setForeground(1, QColor(colour))
        item.setToolTip(1, what)
        self.report.addTopLevelItem(item)

    def do_import(self) -> None:
        """Store the template (only reachable when the report found no problem)."""
        if self.template is None or self.problems or self.importing:
            return
        template, actor = self.template, self.ctx.actor()

        def work(s: Session) -> None:
            svc.import_template(s, template, actor=actor)

        def refused(exc: QadeskError) -> None:
            self.importing = False
            self.problems.append(str(exc))
            self._line("the store", str(exc), "#b3261e")
            self.import_button.setEnabled(False)

        def stored(_result: object) -> None:
            self.importing = False
            self.imported.emit(template.key)
            self.accept()

        # Stored in the background; Import waits meanwhile, and the report closes once it is stored.
        self.importing = True
        in_transaction(self.ctx.operations(), self.ctx.store, work, label="Importing the template", parent=self,
                       done=stored, refused=refused, busy=(self.import_button,))

    def preview(self) -> None:
        if self.template is not None:
            PreviewDialog(self.template, self).open()


class PreviewDialog(QDialog):
    """A template read-only, exactly as auditors will see the form."""

    def __init__(self, template: Template, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        from qadesk.ui.form import TemplatePreview

        self.setObjectName("templates.preview")
        self.setWindowTitle(f"Preview — {template.title} (version {template.version})")
        self.resize(1000, 700)
        layout = QVBoxLayout(self)
        self.preview = TemplatePreview(template, self)
        layout.addWidget(self.preview)
        close = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        close.rejected.connect(self.reject)
        layout.addWidget(close)


class DiffDialog(QDialog):
    """Two installed versions side by side: sections and questions added, removed and changed."""

    def __init__(self, ctx: AppContext, template_id: str | None = None, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.setObjectName("templates.diff")
        self.setWindowTitle("Compare template versions")
        self.resize(900, 600)
        with ctx.store.session() as s:
            infos = svc.list_templates(s, with_counts=False)
        keys = [(i.id, i.version) for i in infos]
        layout = QVBoxLayout(self)
        row = QHBoxLayout()
        self.old = QComboBox()
        self.new = QComboBox()
        for combo, name in ((self.old, "Older version"), (self.new, "Newer version")):
            combo.setAccessibleName(name)
            for tid, ver in keys:
                combo.addItem(f"{tid}@{ver}", (tid, ver))
        row.addWidget(QLabel("Compare"))
        row.addWidget(self.old, 1)
        row.addWidget(QLabel("with"))
        row.addWidget(self.new, 1)
        layout.addLayout(row)
        self.summary = QLabel()
        self.summary.setObjectName("diff.summary")
        layout.addWidget(self.summary)
        self.tree = QTreeWidget()
        self.tree.setObjectName("diff.changes")
        self.tree.setHeaderLabels(["Change", "Details"])
        self.tree.setColumnWidth(0, 360)
        layout.addWidget(self.tree, 1)
        mine = [k for k in keys if k[0] == template_id]
        if mine:
            self.old.setCurrentIndex(keys.index(mine[-2] if len(mine) > 1 else mine[-1]))
            self.new.setCurrentIndex(keys.index(mine[-1]))
        self.old.currentIndexChanged.connect(self.compare)
        self.new.currentIndexChanged.connect(self.compare)
        close = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        close.rejected.connect(self.reject)
        layout.addWidget(close)
        self.compare()

    def compare(self) -> None:
        """Show the differences between the two chosen versions."""
        self.tree.clear()
        if self.old.currentData() is None or self.new.currentData() is None:
            self.summary.setText("No templates are installed.")
            return
        with self.ctx.store.session() as s:
            old = svc.get_template(s, *self.old.currentData())
            new = svc.get_template(s, *self.new.currentData())
        diff = diff_templates(old, new)
        self.diff = diff
        self.summary.setText(diff.describe().splitlines()[0])
        for change in diff.changes:
            item = QTreeWidgetItem([f"{change.what.capitalize()} {change.kind} {change.id}", change.title])
            item.setForeground(0, QColor(_COLOURS[change.what]))
            for d in change.details:
                item.addChild(QTreeWidgetItem(["", d]))
            self.tree.addTopLevelItem(item)
        self.tree.expandAll()
