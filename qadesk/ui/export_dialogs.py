"""Dialogs for packs: what goes in an export (with the pseudonymisation preview), what an import did.

The preview of an external (pseudonymised) pack has two lists: what looks identifying but is not masked
(the suspects: each distinct text once, with where it is and the words around it, for the exporter to
mask or to judge not identifying, one at a time or all at once), and every change pseudonymisation
makes.  Exporting with suspects nobody decided about asks first (:class:`SuspectsQuestion`).
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import shiboken6
from PySide6.QtCore import Qt, Signal
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
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from qadesk.core.identifiers import KIND_LABELS as SUSPECT_KINDS
from qadesk.core.identifiers import MASKS
from qadesk.exchange.display import short_grade
from qadesk.services.blind_moderation import blind_by_default
from qadesk.services.overview import grade_labels
from qadesk.services.packs import (
    KIND_LABELS,
    ImportResult,
    Preview,
    Resolution,
    SuspectFound,
    preview_pseudonymisation,
    selection_for,
)
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
            blind_default = blind_by_default(s)
        self.setObjectName("pack_export")
        self.setWindowTitle(f"Export a {KIND_LABELS[kind]}")
        self.resize(880, 660)
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
        # A blind request leaves the auditor's judgements out of its report and workbook, and the moderator's
        # qadesk has them record their own first (docs/packs-and-reports.md, "Blind moderation requests").
        self.blind = QCheckBox("&Blind: leave out the auditor's judgements; the moderator records their own first")
        self.blind.setObjectName("pack_export.blind")
        self.blind.setChecked(kind == "moderation_request" and blind_default)
        self.blind.setVisible(kind == "moderation_request")
        self.note = QLabel()
        self.note.setWordWrap(True)
        self.preview = _table(["Audit", "Field", "Now", "In the pack"], "pack_export.preview")
        self.preview.setAccessibleName("What pseudonymisation will change")
        self.suspects = _table(["Looks like", "Text", "In the pack", "Where", "In context"], "pack_export.suspects")
        self.suspects.setAccessibleName("What looks identifying but is not masked")
        self.suspects.setSelectionMode(QTableWidget.SelectionMode.ExtendedSelection)
        self.suspects.setWordWrap(False)
        self.mask_button = QPushButton("&Mask")
        self.mask_button.setObjectName("pack_export.mask")
        self.mask_button.setToolTip("Mask the chosen text everywhere in the pack")
        self.keep_button = QPushButton("&Not identifying")
        self.keep_button.setObjectName("pack_export.keep")
        self.keep_button.setToolTip("Send the chosen text as written: it identifies no one")
        self.mask_all_button = QPushButton("Mask a&ll")
        self.mask_all_button.setObjectName("pack_export.mask_all")
        self.mask_all_button.setToolTip("Mask everything in this list that is not judged yet")
        for b in (self.mask_button, self.keep_button, self.mask_all_button):
            b.setAutoDefault(False)
        self.mask_button.clicked.connect(lambda: self.decide_selected("mask"))
        self.keep_button.clicked.connect(lambda: self.decide_selected("keep"))
        self.mask_all_button.clicked.connect(self.mask_all)
        self.suspects.itemSelectionChanged.connect(self._sync_suspect_buttons)
        suspects_page = QWidget()
        sp = QVBoxLayout(suspects_page)
        sp.setContentsMargins(6, 6, 6, 6)
        self.suspects_note = QLabel()
        self.suspects_note.setObjectName("pack_export.suspects_note")
        self.suspects_note.setWordWrap(True)
        sp.addWidget(self.suspects_note)
        sp.addWidget(self.suspects, 1)
        row = QHBoxLayout()
        for b in (self.mask_button, self.keep_button, self.mask_all_button):
            row.addWidget(b)
        row.addStretch(1)
        sp.addLayout(row)
        self.tabs = QTabWidget()
        self.tabs.setObjectName("pack_export.tabs")
        self.tabs.addTab(suspects_page, "Looks identifying")
        self.tabs.addTab(self.preview, "Will be masked")
        self.decisions: dict[str, str] = {}  # suspect key -> "mask" | "keep"
        self.groups: list[tuple[str, list[SuspectFound]]] = []
        self.rest = "refuse"  # what becomes of the suspects left undecided (the question at Export sets it)
        self.question: SuspectsQuestion | None = None
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Cancel)
        self.ok = self.buttons.addButton("Export", QDialogButtonBox.ButtonRole.AcceptRole)
        self.ok.setObjectName("pack_export.ok")
        self.buttons.accepted.connect(self._export_clicked)
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
        self._count = count
        self.loading = False
        if not count:
            self.count_label.setText("No audits to send: " + what)
        form.addRow("Save to", where)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(self.list)
        layout.addWidget(self.external)
        layout.addWidget(self.identifiable)
        layout.addWidget(self.blind)
        layout.addWidget(self.note)
        layout.addWidget(self.tabs, 1)
        layout.addWidget(self.buttons)
        self.external.toggled.connect(self._update)
        self.identifiable.toggled.connect(self._update)
        self._previewed = False
        self._update()

    @property
    def blind_choice(self) -> bool | None:
        """Whether the moderation request is blind, for :func:`qadesk.services.packs.export_pack` (None: not one)."""
        return self.blind.isChecked() if self.kind == "moderation_request" else None

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
        self.tabs.setVisible(self.pseudonymised)
        if self.pseudonymised:
            if not self._previewed:
                self._start_preview()
            self._describe()
        elif self.external.isChecked():
            self.note.setText("The pack will identify the children's cases and the people involved.")
        else:
            self.note.setText("Within the organisation: the pack keeps case references and names.")
        self._sync_ok()

    def _start_preview(self) -> None:
        """Pseudonymise the chosen audits in the background and show what it would do."""
        self._previewed = True
        self.loading = True
        store, selection = self.ctx.store, self.selection

        def work(_progress: object, cancel: object) -> Preview:
            return preview_pseudonymisation(store, selection, cancel=cancel)  # type: ignore[arg-type]

        def show(preview: Preview) -> None:
            if shiboken6.isValid(self):  # the dialog may have been closed meanwhile
                self.show_preview(preview)

        def failed(exc: BaseException) -> None:
            if shiboken6.isValid(self):
                self.loading = False
                self.note.setText(f"The audits could not be checked: {exc}")
                self._sync_ok()

        self.ctx.operations().run(work, label="Checking the audits for identifying text", on_success=show,
                                  on_failure=failed)

    def show_preview(self, preview: Preview) -> None:
        """Fill both lists from a preview (what will be masked; what looks identifying)."""
        self.loading = False
        rows = preview.changes
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
        groups: dict[str, list[SuspectFound]] = {}
        for found in preview.suspects:
            groups.setdefault(found.key, []).append(found)
        self.groups = list(groups.items())[:PREVIEW_LIMIT]
        self.suspects.setRowCount(len(self.groups))
        for r, (_key, places) in enumerate(self.groups):
            first = places[0]
            where = f"{first.audit_ref} {first.field}"
            if len(places) > 1:
                where += f" and {len(places) - 1:,} more place{'s' if len(places) > 2 else ''}"
            cells = {0: (SUSPECT_KINDS[first.kind], first.why), 1: (first.text, first.text),
                     3: (where, "\n".join(f"{p.audit_ref} {p.field}" for p in places[:30])),
                     4: (first.context, first.context)}
            for c, (text, tip) in cells.items():
                item = QTableWidgetItem(text)
                item.setToolTip(tip)
                self.suspects.setItem(r, c, item)
            self._show_decision(r)
        for c, width in enumerate((120, 150, 200, 200)):
            self.suspects.setColumnWidth(c, width)
        self.tabs.setTabText(1, f"Will be masked ({len(rows):,})")
        if self.groups:
            self.suspects.selectRow(0)
        self._describe()
        self._sync_ok()

    def _show_decision(self, row: int) -> None:
        key, places = self.groups[row]
        decision = self.decisions.get(key)
        text = {"mask": f"Masked as {MASKS[places[0].kind]}", "keep": "Sent as written (not identifying)"}.get(
            decision or "", "Not masked: decide")
        item = QTableWidgetItem(text)
        if decision is None:
            item.setForeground(Qt.GlobalColor.darkRed)
        self.suspects.setItem(row, 2, item)

    def undecided(self) -> int:
        """How many distinct suspects nobody has decided about."""
        return sum(1 for key, _ in self.groups if key not in self.decisions)

    def decide(self, rows: list[int], decision: str) -> None:
        """Mask (``mask``) or send as written (``keep``) the suspects in these rows, wherever they are."""
        for r in rows:
            self.decisions[self.groups[r][0]] = decision
            self._show_decision(r)
        self._describe()

    def decide_selected(self, decision: str) -> None:
        rows = sorted({i.row() for i in self.suspects.selectionModel().selectedRows()})
        if rows:
            self.decide(rows, decision)
            nxt = next((r for r in range(rows[-1] + 1, len(self.groups)) if self.groups[r][0] not in self.decisions),
                       None)
            if nxt is not None:  # on to the next one to judge
                self.suspects.selectRow(nxt)
            self.suspects.setFocus()

    def mask_all(self) -> None:
        """Mask every suspect not judged yet."""
        self.decide([r for r, (key, _) in enumerate(self.groups) if key not in self.decisions], "mask")

    def _sync_suspect_buttons(self) -> None:
        chosen = bool(self.suspects.selectionModel().selectedRows())
        self.mask_button.setEnabled(chosen)
        self.keep_button.setEnabled(chosen)
        self.mask_all_button.setEnabled(self.undecided() > 0)

    def _describe(self) -> None:
        if not self.pseudonymised:
            return
        if self.loading:
            self.note.setText("Checking the audits for names, dates, numbers and addresses…")
            return
        n = self.preview.rowCount()
        left, total = self.undecided(), len(self.groups)
        self.note.setText(f"Case references, names and dates of birth are replaced, and free text that mentions "
                          f"them or the case's people is masked: {n:,} change{'s' if n != 1 else ''}. This copy keeps "
                          "the mapping, so the moderator's return links back.")
        if total:
            self.suspects_note.setText(
                f"{total:,} thing{'s' if total != 1 else ''} look{'s' if total == 1 else ''} identifying but "
                f"{'is' if total == 1 else 'are'} not known to this store, so not masked yet; {left:,} to decide. "
                "Mask what identifies someone; mark what does not as not identifying.")
        else:
            self.suspects_note.setText("Nothing else in these audits looks identifying.")
        self.tabs.setTabText(0, f"Looks identifying ({left:,} to decide)" if left else "Looks identifying")
        self._sync_suspect_buttons()

    def _sync_ok(self) -> None:
        self.ok.setEnabled(self._count > 0 and not (self.pseudonymised and self.loading))

    def resolution(self) -> Resolution:
        """The exporter's decisions, for :func:`qadesk.services.packs.export_pack`."""
        mask = frozenset(k for k, d in self.decisions.items() if d == "mask")
        keep = frozenset(k for k, d in self.decisions.items() if d == "keep")
        return Resolution(mask=mask, keep=keep, rest=self.rest)

    def _export_clicked(self) -> None:
        """Export; with suspects left undecided, ask first (mask them, send them as written, or go back)."""
        left = self.undecided() if self.pseudonymised else 0
        if not left:
            self.accept()
            return
        self.question = SuspectsQuestion(left, self)
        self.question.chosen.connect(self._answered)
        self.question.open()

    def _answered(self, choice: str) -> None:
        if choice == "back":
            self.tabs.setCurrentIndex(0)
            self.suspects.setFocus()
            return
        self.rest = choice
        self.accept()


class SuspectsQuestion(QDialog):
    """Asked at Export when suspects are left undecided: mask them, send them as written, or go back.

    ``chosen`` says which: ``mask``, ``keep`` or ``back``.  Masking is the default (Enter); Escape goes back.
    """

    chosen = Signal(str)

    def __init__(self, left: int, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("pack_export.question")
        self.setWindowTitle("Text that looks identifying")
        self.setWindowModality(Qt.WindowModality.WindowModal)
        text = QLabel(f"{left:,} thing{'s' if left != 1 else ''} in these audits look{'s' if left == 1 else ''} "
                      f"identifying and {'is' if left == 1 else 'are'} not masked. The pack goes to another "
                      "organisation: mask them, or send them as written only if you are sure they identify no one.")
        text.setWordWrap(True)
        text.setObjectName("pack_export.question.text")
        self.setAccessibleName(text.text())
        buttons = QDialogButtonBox()
        self.mask_choice = buttons.addButton("&Mask them and export", QDialogButtonBox.ButtonRole.AcceptRole)
        self.mask_choice.setObjectName("pack_export.question.mask")
        self.keep_choice = buttons.addButton("Export &as written", QDialogButtonBox.ButtonRole.DestructiveRole)
        self.keep_choice.setObjectName("pack_export.question.keep")
        self.back_choice = buttons.addButton("&Go back", QDialogButtonBox.ButtonRole.RejectRole)
        self.back_choice.setObjectName("pack_export.question.back")
        self.mask_choice.setDefault(True)
        self.mask_choice.clicked.connect(lambda: self._choose("mask"))
        self.keep_choice.clicked.connect(lambda: self._choose("keep"))
        self.back_choice.clicked.connect(lambda: self._choose("back"))
        lay = QVBoxLayout(self)
        lay.addWidget(text)
        lay.addWidget(buttons)
        self.resize(480, 160)

    def _choose(self, choice: str) -> None:
        self.done(QDialog.DialogCode.Accepted if choice != "back" else QDialog.DialogCode.Rejected)
        self.chosen.emit(choice)

    def reject(self) -> None:  # Escape, closing: go back
        super().reject()
        self.chosen.emit("back")


class PackImportDialog(QDialog):
    """What an import did, and any conflicts left for the user to resolve."""

    def __init__(self, result: ImportResult, parent: QWidget | None = None,
                 open_conflicts: Callable[[], object] | None = None) -> None:
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
        self.conflicts = _table(["Audit", "What was kept for you to resolve"], "pack_import.conflicts")
        self.conflicts.setRowCount(len(result.conflicts))
        for r, c in enumerate(result.conflicts):
            self.conflicts.setItem(r, 0, QTableWidgetItem(c.reference))
            self.conflicts.setItem(r, 1, QTableWidgetItem(c.reason))
        if result.conflicts:
            label = QLabel("These audits were edited here and in the pack since they left, some fields differently "
                           "on each side. Nothing was overwritten: the audit keeps this copy's value of each such "
                           "field until you choose, field by field, in Conflicts to resolve.")
            label.setWordWrap(True)
            layout.addWidget(label)
            layout.addWidget(self.conflicts, 1)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        self.resolve_button = None
        if result.conflicts and open_conflicts is not None:
            self.resolve_button = buttons.addButton("&Resolve conflicts…", QDialogButtonBox.ButtonRole.ActionRole)
            self.resolve_button.setObjectName("pack_import.resolve")
            chosen = open_conflicts

            def resolve() -> None:
                self.accept()
                chosen()
            self.resolve_button.clicked.connect(resolve)
        buttons.rejected.connect(self.reject)
        buttons.button(QDialogButtonBox.StandardButton.Close).setDefault(True)
        layout.addWidget(buttons)
        self.setWindowModality(Qt.WindowModality.WindowModal)
