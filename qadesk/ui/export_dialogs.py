"""Dialogs for packs: what goes in an export (with the pseudonymisation preview), what an import did."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QCheckBox,
    QDialog,
    QDialogButtonBox,
    QFileDialog,
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

from qadesk.exchange.display import short_grade
from qadesk.services.overview import grade_labels
from qadesk.services.packs import KIND_LABELS, ImportResult, preview_pseudonymisation, selection_for
from qadesk.services.queries import AuditRow, Selection, count_audits, list_audits
from qadesk.ui.context import AppContext
from qadesk.ui.widgets import STATUS_LABELS, fmt_date, grade_label, tab_leaves

PACK_FILTER = "qadesk packs (*.qapack)"
PREVIEW_LIMIT = 2_000


def ask_save_path(parent: QWidget, title: str, suggested: str, file_filter: str) -> Path | None:
    """A save dialog; None when the user cancels.  Adds the ending from the filter when it is missing."""
    name, _ = QFileDialog.getSaveFileName(parent, title, str(Path.home() / suggested), file_filter)
    if not name:
        return None
    path = Path(name)
    ending = file_filter[file_filter.find("*") + 1:file_filter.find(")")]
    return path if path.suffix or not ending else path.with_suffix(ending)


def ask_open_pack(parent: QWidget) -> Path | None:
    name, _ = QFileDialog.getOpenFileName(parent, "Import a pack", str(Path.home()), PACK_FILTER)
    return Path(name) if name else None


def _table(headers: list[str], name: str) -> QTableWidget:
    t = QTableWidget(0, len(headers))
    t.setObjectName(name)
    tab_leaves(t)
    t.setHorizontalHeaderLabels(headers)
    t.setEditTriggers(QTableWidget.EditTrigger.NoEditTriggers)
    t.setSelectionBehavior(QTableWidget.SelectionBehavior.SelectRows)
    t.verticalHeader().setVisible(False)
    t.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
    t.horizontalHeader().setStretchLastSection(True)
    return t


class PackExportDialog(QDialog):
    """Where a pack goes, whether it leaves the organisation, and what pseudonymisation will change."""

    def __init__(self, ctx: AppContext, selection: Selection, kind: str, count: int | None = None,
                 parent: QWidget | None = None) -> None:
        """``selection``: the audits chosen on the screen; a moderation pack takes only the completed
        (and moderated) ones among them (:func:`qadesk.services.packs.selection_for`, which refuses a
        choice of drafts only), and the dialog lists what goes in.  ``count`` is no longer needed."""
        super().__init__(parent)
        self.ctx, self.kind = ctx, kind
        self.selection = selection_for(kind, selection)
        with ctx.store.session() as s:
            count = count_audits(s, self.selection)
            left_out = count_audits(s, selection) - count
            self.audits: list[AuditRow] = list_audits(s, self.selection, sort="reference", descending=False,
                                                      limit=PREVIEW_LIMIT)
            labels = grade_labels(s)
        self.setObjectName("pack_export")
        self.setWindowTitle(f"Export a {KIND_LABELS[kind]}")
        self.resize(760, 600)
        self.path = QLineEdit()
        self.path.setObjectName("pack_export.path")
        self.path.setAccessibleName("Where to write the pack")
        self.path.setText(str(Path.home() / f"{kind.replace('_', '-')}.qapack"))
        browse = QPushButton("Browse…")
        browse.setObjectName("pack_export.browse")
        browse.clicked.connect(self._browse)
        self.external = QCheckBox("For another organisation (external moderation)")
        self.external.setObjectName("pack_export.external")
        self.external.setChecked(kind == "moderation_request")
        self.identifiable = QCheckBox("Keep case references and names (identifiable; only with a data sharing agreement)")
        self.identifiable.setObjectName("pack_export.identifiable")
        self.note = QLabel()
        self.note.setWordWrap(True)
        self.preview = _table(["Audit", "Field", "Now", "In the pack"], "pack_export.preview")
        self.preview.setAccessibleName("What pseudonymisation will change")
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Cancel)
        self.ok = self.buttons.addButton("Export", QDialogButtonBox.ButtonRole.AcceptRole)
        self.ok.setObjectName("pack_export.ok")
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)
        where = QHBoxLayout()
        where.addWidget(self.path, 1)
        where.addWidget(browse)
        what = f"{count:,} audit{'s' if count != 1 else ''} chosen"
        if left_out > 0:
            what += (f"; {left_out:,} draft or closed audit{'s' if left_out != 1 else ''} left out "
                     "(a moderation pack takes completed audits only)")
        self.count_label = QLabel(what)
        self.count_label.setObjectName("pack_export.count")
        self.count_label.setWordWrap(True)
        self.list = _table(["Audit", "Status", "Team", "Auditor", "Grade"], "pack_export.audits")
        self.list.setAccessibleName("The audits that go in the pack")
        self.list.setRowCount(len(self.audits))
        for r, a in enumerate(self.audits):
            grade = grade_label(labels, a.template_id, a.template_version, a.grade)
            status = STATUS_LABELS.get(a.status, a.status)
            if a.completed_at:
                status += f" {fmt_date(a.completed_at)}"
            for c, (text, tip) in enumerate(((a.reference, a.template_title), (status, status),
                                             (a.team or "", a.team or ""), (a.auditor or "", a.auditor or ""),
                                             (short_grade(grade), grade))):
                item = QTableWidgetItem(text)
                item.setToolTip(tip)
                self.list.setItem(r, c, item)
        for c, width in enumerate((120, 170, 190, 140)):
            self.list.setColumnWidth(c, width)
        self.list.setMaximumHeight(170)
        form = QFormLayout()
        form.addRow("Audits", self.count_label)
        self.ok.setEnabled(count > 0)
        if not count:
            self.count_label.setText("No audits to send: " + what)
        form.addRow("Save to", where)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(self.list)
        layout.addWidget(self.external)
        layout.addWidget(self.identifiable)
        layout.addWidget(self.note)
        layout.addWidget(self.preview, 1)
        layout.addWidget(self.buttons)
        self.external.toggled.connect(self._update)
        self.identifiable.toggled.connect(self._update)
        self._previewed = False
        self._update()

    @property
    def pseudonymised(self) -> bool:
        return self.external.isChecked() and not self.identifiable.isChecked()

    def _browse(self) -> None:
        path = ask_save_path(self, "Save the pack", Path(self.path.text()).name, PACK_FILTER)
        if path:
            self.path.setText(str(path))

    def _update(self) -> None:
        self.identifiable.setEnabled(self.external.isChecked())
        if not self.external.isChecked():
            self.identifiable.setChecked(False)
        self.preview.setVisible(self.pseudonymised)
        if self.pseudonymised:
            if not self._previewed:
                self._fill_preview()
            n = self.preview.rowCount()
            self.note.setText(f"Case references, names and dates of birth are replaced, and free text that "
                              f"mentions them is masked: {n:,} change{'s' if n != 1 else ''} shown below. "
                              f"This copy keeps the mapping, so the moderator's return links back.")
        elif self.external.isChecked():
            self.note.setText("The pack will identify the children's cases and the people involved.")
        else:
            self.note.setText("Within the organisation: the pack keeps case references and names.")

    def _fill_preview(self) -> None:
        rows = preview_pseudonymisation(self.ctx.store, self.selection).changes
        self.preview.setRowCount(min(len(rows), PREVIEW_LIMIT))
        for r, row in enumerate(rows[:PREVIEW_LIMIT]):
            for c, value in enumerate(row):
                text = value if len(value) < 300 else value[:300] + "…"
                item = QTableWidgetItem(text)
                item.setToolTip(value[:2000])
                self.preview.setItem(r, c, item)
        header = self.preview.horizontalHeader()
        self.preview.setColumnWidth(0, 110)
        self.preview.setColumnWidth(1, 190)
        header.setSectionResizeMode(2, QHeaderView.ResizeMode.Stretch)
        header.setSectionResizeMode(3, QHeaderView.ResizeMode.Stretch)
        self._previewed = True


class PackImportDialog(QDialog):
    """What an import did, and any conflicts left for the user to resolve."""

    def __init__(self, result: ImportResult, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("pack_import")
        self.setWindowTitle("Pack imported" if not result.conflicts else "Pack imported with conflicts")
        self.resize(680, 420)
        summary = QPlainTextEdit(str(result))
        summary.setObjectName("pack_import.summary")
        summary.setReadOnly(True)
        summary.setAccessibleName("What the import did")
        layout = QVBoxLayout(self)
        layout.addWidget(summary, 1)
        self.conflicts = _table(["Audit", "Why it was left unchanged"], "pack_import.conflicts")
        self.conflicts.setRowCount(len(result.conflicts))
        for r, c in enumerate(result.conflicts):
            self.conflicts.setItem(r, 0, QTableWidgetItem(c.reference))
            self.conflicts.setItem(r, 1, QTableWidgetItem(c.reason))
        if result.conflicts:
            label = QLabel("These audits were edited here and in the pack since they left. Nothing was overwritten: "
                           "agree with the sender which copy is right, then export it again.")
            label.setWordWrap(True)
            layout.addWidget(label)
            layout.addWidget(self.conflicts, 1)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.rejected.connect(self.reject)
        buttons.button(QDialogButtonBox.StandardButton.Close).setDefault(True)
        layout.addWidget(buttons)
        self.setWindowModality(Qt.WindowModality.WindowModal)
