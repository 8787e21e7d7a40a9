"""Choosing audits by several statuses at once: a check box per status (none ticked means any status)."""

from __future__ import annotations

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QCheckBox, QHBoxLayout, QWidget

from qadesk.core.audit import STATUSES
from qadesk.ui.widgets import STATUS_LABELS


class StatusChecks(QWidget):
    """Draft, Completed, Moderated, Closed as check boxes; ``changed`` when one is ticked or unticked."""

    changed = Signal()

    def __init__(self, name: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName(name)
        self.setAccessibleName("Status (none ticked: any status)")
        self.boxes: dict[str, QCheckBox] = {}
        row = QHBoxLayout(self)
        row.setContentsMargins(0, 0, 0, 0)
        for status in STATUSES:
            box = QCheckBox(STATUS_LABELS.get(status, status), self)
            box.setObjectName(f"{name}.{status}")
            box.setAccessibleName(f"Status {STATUS_LABELS.get(status, status)}")
            box.toggled.connect(lambda _on: self.changed.emit())
            row.addWidget(box)
            self.boxes[status] = box
        row.addStretch(1)
        self.setFocusProxy(self.boxes[STATUSES[0]])

    def values(self) -> list[str]:
        """The ticked statuses in their usual order; empty means any."""
        return [s for s, box in self.boxes.items() if box.isChecked()]

    def set_values(self, values: list[str]) -> None:
        """Tick exactly these (for the program itself, e.g. a link from another screen), with one ``changed``."""
        for status, box in self.boxes.items():
            box.blockSignals(True)
            box.setChecked(status in values)
            box.blockSignals(False)
        self.changed.emit()
