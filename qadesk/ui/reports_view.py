"""The Reports screen: choose audits, make a report, a return or a pack, or import a pack."""

from __future__ import annotations

from PySide6.QtWidgets import QLabel, QListWidget, QListWidgetItem, QVBoxLayout, QWidget

from qadesk.ui.context import AppContext

PRODUCTS = (
    ("summary_pdf", "QA summary report (PDF)"),
    ("return_xlsx", "Excel return"),
    ("moderation_pack", "Moderation pack"),
    ("transfer_pack", "Audit transfer pack"),
    ("import_pack", "Import a pack"),
)


class ReportsView(QWidget):
    """Reports, returns and packs for the chosen audits."""

    def __init__(self, ctx: AppContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.setObjectName("reports")
        layout = QVBoxLayout(self)
        title = QLabel("<h2>Reports and packs</h2>")
        layout.addWidget(title)
        self.products = QListWidget()
        self.products.setObjectName("reports.products")
        self.products.setAccessibleName("What to make")
        for key, label in PRODUCTS:
            item = QListWidgetItem(label)
            item.setData(256, key)
            self.products.addItem(item)
        layout.addWidget(self.products)
