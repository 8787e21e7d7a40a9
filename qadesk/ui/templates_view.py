"""The Templates screen: the template library of this copy of qadesk."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLabel, QTreeWidget, QTreeWidgetItem, QVBoxLayout, QWidget

from qadesk.core.template import KIND_LABELS
from qadesk.services import templates as svc
from qadesk.ui.context import AppContext


class TemplatesView(QWidget):
    """Installed templates grouped by kind, with their versions and publishers."""

    def __init__(self, ctx: AppContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.setObjectName("templates.view")
        layout = QVBoxLayout(self)
        title = QLabel("<h2>Templates</h2>")
        layout.addWidget(title)
        self.tree = QTreeWidget()
        self.tree.setObjectName("templates.list")
        self.tree.setAccessibleName("Installed templates")
        self.tree.setHeaderLabels(["Template", "Version", "Publisher", "Audits", "Status"])
        layout.addWidget(self.tree)
        self.refresh()

    def refresh(self) -> None:
        """Reload the list of installed templates from the store."""
        with self.ctx.store.session() as s:
            infos = svc.list_templates(s)
        self.tree.clear()
        groups: dict[str, QTreeWidgetItem] = {}
        for info in infos:
            group = groups.get(info.kind)
            if group is None:
                group = QTreeWidgetItem([KIND_LABELS.get(info.kind, info.kind)])
                self.tree.addTopLevelItem(group)
                groups[info.kind] = group
            item = QTreeWidgetItem([info.title, str(info.version), info.publisher or "",
                                    str(info.audits), "Retired" if info.retired else "In use"])
            item.setData(0, Qt.ItemDataRole.UserRole, (info.id, info.version))
            group.addChild(item)
        self.tree.expandAll()
        for col in range(self.tree.columnCount()):
            self.tree.resizeColumnToContents(col)
