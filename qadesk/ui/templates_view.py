"""The Templates screen: the template library of this copy of qadesk.

Installed templates grouped by kind, with versions, publisher and how many
audits use them; import (file dialog or drag and drop, JSON or Excel) always
shows the validation report before anything is stored; preview, compare two
versions, retire, export to JSON or Excel.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import Qt
from PySide6.QtGui import QDragEnterEvent, QDropEvent, QKeySequence
from PySide6.QtWidgets import (
    QFileDialog,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

from qadesk.core.errors import QadeskError
from qadesk.core.permissions import Do
from qadesk.core.template import KIND_LABELS
from qadesk.exchange.templates import write_template
from qadesk.services import permissions
from qadesk.services import templates as svc
from qadesk.ui import messages
from qadesk.ui.context import AppContext
from qadesk.ui.operations import Loader, in_transaction
from qadesk.ui.templates_dialogs import DiffDialog, ImportReportDialog, PreviewDialog
from qadesk.ui.widgets import gate

GATED = (Do.IMPORT_TEMPLATES, Do.RETIRE_TEMPLATES)  # the buttons greyed out for those who may not

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

SUFFIXES = (".json", ".xlsx", ".xlsm")


class TemplatesView(QWidget):
    """Installed templates grouped by kind, with their versions and publishers."""

    def __init__(self, ctx: AppContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.setObjectName("templates.view")
        self.setAcceptDrops(True)
        self.dialogs: list[QWidget] = []
        self.loader = Loader(ctx.operations(), "Loading templates", self)
        layout = QVBoxLayout(self)
        title = QLabel("<h2>Templates</h2>")
        layout.addWidget(title)
        hint = QLabel("Drop a template file (JSON or Excel, including ODK and KoboToolbox XLSForms) here to "
                      "import it. You will see what it contains, or what needs putting right, before anything "
                      "is stored.")
        hint.setWordWrap(True)
        layout.addWidget(hint)
        bar = QHBoxLayout()
        self.buttons: dict[str, QPushButton] = {}
        self.refusals: dict[Do, str | None] = {}  # why this person may not (None: they may), read with the list
        for key, text, slot, shortcut in (
            ("import", "&Import…", self.choose_import, QKeySequence.StandardKey.Open),
            ("preview", "&Preview", self.preview_selected, None),
            ("diff", "&Compare versions…", self.compare_selected, None),
            ("retire", "&Retire", self.toggle_retired, None),
            ("export", "&Export…", self.choose_export, None),
        ):
            button = QPushButton(text)
            button.setObjectName(f"templates.{key}")
            button.clicked.connect(slot)
            if shortcut is not None:
                button.setShortcut(QKeySequence(shortcut))
            bar.addWidget(button)
            self.buttons[key] = button
        bar.addStretch(1)
        layout.addLayout(bar)
        self.tree = QTreeWidget()
        self.tree.setObjectName("templates.list")
        self.tree.setAccessibleName("Installed templates")
        self.tree.setHeaderLabels(["Template", "Version", "Publisher", "Audits", "Status", "Id"])
        self.tree.currentItemChanged.connect(lambda *_: self._update_buttons())
        self.tree.itemActivated.connect(lambda *_: self.preview_selected())
        layout.addWidget(self.tree, 1)
        self.refresh()

    # ------------------------------------------------------------------ list
    def refresh(self, then: Callable[[], object] | None = None) -> None:
        """Reload the list of installed templates (with their audit counts) in the background.

        ``then`` runs once the list is shown (choosing the template just imported, say).
        """
        store = self.ctx.store

        def fetch() -> tuple[list[svc.TemplateInfo], dict[Do, str | None]]:
            with store.session() as s:
                return svc.list_templates(s), {d: permissions.why_not(s, d) for d in GATED}

        def show(loaded: tuple[list[svc.TemplateInfo], dict[Do, str | None]]) -> None:
            infos, self.refusals = loaded
            self._show(infos)
            if then is not None:
                then()

        self.loader.load(fetch, show)

    def _show(self, infos: list[svc.TemplateInfo]) -> None:
        self.tree.clear()
        groups: dict[str, QTreeWidgetItem] = {}
        for info in infos:
            group = groups.get(info.kind)
            if group is None:
                group = QTreeWidgetItem([KIND_LABELS.get(info.kind, info.kind)])
                font = group.font(0)
                font.setBold(True)
                group.setFont(0, font)
                self.tree.addTopLevelItem(group)
                groups[info.kind] = group
            item = QTreeWidgetItem([info.title, str(info.version), info.publisher or "",
                                    str(info.audits), "Retired" if info.retired else "In use", info.id])
            item.setData(0, Qt.ItemDataRole.UserRole, (info.id, info.version, info.retired))
            group.addChild(item)
        self.tree.expandAll()
        for col in range(self.tree.columnCount()):
            self.tree.resizeColumnToContents(col)
        self._update_buttons()

    def selected(self) -> tuple[str, int, bool] | None:
        item = self.tree.currentItem()
        data = item.data(0, Qt.ItemDataRole.UserRole) if item is not None else None
        return tuple(data) if data else None

    def select(self, template_id: str, version: int | None = None) -> bool:
        """Make a template (its newest version unless given) the current row."""
        found = None
        for g in range(self.tree.topLevelItemCount()):
            group = self.tree.topLevelItem(g)
            children = [group.child(i) for i in range(group.childCount())] if group is not None else []
            for child in (c for c in children if c is not None):
                tid, ver, _ = child.data(0, Qt.ItemDataRole.UserRole)
                if tid == template_id and (version is None or ver == version):
                    found = child
        if found is not None:
            self.tree.setCurrentItem(found)
        return found is not None

    def _update_buttons(self) -> None:
        sel = self.selected()
        for key in ("preview", "export"):
            self.buttons[key].setEnabled(sel is not None)
        gate(self.buttons["import"], self.refusals.get(Do.IMPORT_TEMPLATES))
        gate(self.buttons["retire"], self.refusals.get(Do.RETIRE_TEMPLATES), enabled=sel is not None)
        self.setAcceptDrops(self.refusals.get(Do.IMPORT_TEMPLATES) is None)
        self.buttons["retire"].setText("&Restore" if sel and sel[2] else "&Retire")

    # ---------------------------------------------------------------- import
    def choose_import(self) -> None:
        paths, _ = QFileDialog.getOpenFileNames(self, "Import templates", str(Path.home()),
                                                "Templates (*.json *.xlsx *.xlsm)")
        for p in paths:
            self.import_file(p)

    def import_file(self, path: Path | str) -> ImportReportDialog:
        """Open the validation report for a file; importing happens only from the report."""
        dialog = ImportReportDialog(self.ctx, path, self)
        dialog.imported.connect(self._imported)
        self.dialogs.append(dialog)
        dialog.finished.connect(lambda _r, d=dialog: self.dialogs.remove(d) if d in self.dialogs else None)
        dialog.open()
        return dialog

    def _imported(self, key: str) -> None:
        tid, _, ver = key.partition("@")
        self.refresh(then=lambda: self.select(tid, int(ver)))

    def dragEnterEvent(self, event: QDragEnterEvent) -> None:  # noqa: N802 (Qt name)
        urls = event.mimeData().urls() if event.mimeData().hasUrls() else []
        if any(u.toLocalFile().lower().endswith(SUFFIXES) for u in urls):
            event.acceptProposedAction()

    def dropEvent(self, event: QDropEvent) -> None:  # noqa: N802 (Qt name)
        for url in event.mimeData().urls():
            local = url.toLocalFile()
            if local.lower().endswith(SUFFIXES):
                self.import_file(local)
        event.acceptProposedAction()

    # ---------------------------------------------------------- other actions
    def preview_selected(self) -> PreviewDialog | None:
        sel = self.selected()
        if sel is None:
            return None
        with self.ctx.store.session() as s:
            t = svc.get_template(s, sel[0], sel[1])
        dialog = PreviewDialog(t, self)
        dialog.open()
        return dialog

    def compare_selected(self) -> DiffDialog:
        sel = self.selected()
        dialog = DiffDialog(self.ctx, sel[0] if sel else None, self)
        dialog.open()
        return dialog

    def toggle_retired(self) -> None:
        sel = self.selected()
        if sel is None:
            return
        tid, ver, retired = sel
        if not retired and not messages.ask(
                f"Retire every version of '{tid}'? No new audits can be started on it; audits already "
                f"started are not affected.", parent=self, yes="Retire"):
            return
        self.set_retired(tid, not retired, then=lambda: self.select(tid, ver))

    def set_retired(self, template_id: str, retired: bool, then: Callable[[], object] | None = None) -> None:
        """Retire (no new audits; old ones unaffected) or restore a template, in the background."""
        actor = self.ctx.actor()

        def work(s: Session) -> None:
            svc.set_retired(s, template_id, retired, actor=actor)

        in_transaction(self.ctx.operations(), self.ctx.store, work, label="Retiring the template", parent=self,
                       done=lambda _r: self.refresh(then=then), busy=(self.buttons["retire"],))

    def choose_export(self) -> None:
        sel = self.selected()
        if sel is None:
            return
        suggested = str(Path.home() / f"{sel[0]}-v{sel[1]}.xlsx")
        path, _ = QFileDialog.getSaveFileName(self, "Export template", suggested,
                                              "Excel workbook (*.xlsx);;JSON (*.json)")
        if path:
            self.export_to(path)

    def export_to(self, path: Path | str) -> Path | None:
        """Write the selected template to ``path`` (JSON or Excel by its ending)."""
        sel = self.selected()
        if sel is None:
            return None
        try:
            with self.ctx.store.session() as s:
                t = svc.get_template(s, sel[0], sel[1])
            written = write_template(t, path)
        except (QadeskError, OSError) as exc:
            messages.error(str(exc), parent=self, title="The template could not be exported")
            return None
        messages.info(f"{t.key} written to {written}", parent=self, title="Template exported")
        return written
