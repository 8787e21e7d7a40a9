"""Small widgets and formats the screens share: dates, grades and their colours, cards (and the bar chart)."""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path

from PySide6.QtCore import QSize, Qt, Signal
from PySide6.QtGui import QAction, QIcon
from PySide6.QtWidgets import QAbstractItemView, QFrame, QLabel, QSizePolicy, QVBoxLayout, QWidget

from qadesk.core.bundle import bundle_path
from qadesk.core.dates import british_date
from qadesk.exchange.display import GRADE_COLOURS, scale_colours
from qadesk.ui.charts import StackedBarChart

__all__ = ["GRADE_COLOURS", "NO_VALUE", "OFSTED_LABELS", "OFSTED_ORDER", "STATUS_LABELS", "Heading",
           "StackedBarChart", "StatCard", "app_icon", "fmt_date", "fmt_month", "fmt_time",
           "grade_label", "literal", "resource_path", "scale_colours", "tab_leaves"]

STATUS_LABELS = {"draft": "Draft", "completed": "Completed", "moderated": "Moderated", "closed": "Closed"}
OFSTED_ORDER = ("outstanding", "good", "ri", "inadequate")
OFSTED_LABELS = {"outstanding": "Outstanding", "good": "Good", "ri": "Requires improvement",
                 "inadequate": "Inadequate"}
NO_VALUE = "—"


def resource_path(name: str) -> Path:
    """A file under the shipped resources/ folder (icons, the style sheet)."""
    return bundle_path("resources", name)


def app_icon() -> QIcon:
    icon = QIcon()
    for size in (16, 24, 32, 48, 64, 128, 256):
        png = resource_path(f"icons/qadesk-{size}.png")
        if png.exists():
            icon.addFile(str(png), QSize(size, size))
    svg = resource_path("icon.svg")
    if icon.isNull() and svg.exists():
        icon.addFile(str(svg))
    return icon


def tab_leaves(view: QAbstractItemView) -> QAbstractItemView:
    """Tab and Shift+Tab leave the table for the next (previous) control; the arrow keys still move in it.

    Qt's tables use Tab to step from cell to cell, so Ctrl+Tab was the only way out of one.
    """
    view.setTabKeyNavigation(False)
    return view


def gate(target: QWidget | QAction, reason: str | None, *, enabled: bool = True) -> None:
    """Enable ``target`` when the person may use it (``reason`` None, and ``enabled`` for the screen's own
    conditions, e.g. something is selected); when they may not, grey it out with the reason as its tooltip
    (qadesk.core.permissions says why, e.g. "... may not import templates: that is for a QA lead")."""
    tip = target.property("qadesk.tip")
    if tip is None:  # the tooltip it has when allowed, kept the first time
        tip = target.toolTip()
        target.setProperty("qadesk.tip", tip)
    target.setEnabled(reason is None and enabled)
    target.setToolTip(reason or str(tip))
    target.setProperty("qadesk.refused", reason or "")
    if isinstance(target, QAction):
        target.setStatusTip(reason or "")
    else:
        target.setAccessibleDescription(reason or "")


def literal(text: str) -> str:
    """``text`` for a label with a buddy or a button: an ``&`` in it is shown, not taken as a mnemonic."""
    return text.replace("&", "&&")


def fmt_date(value: date | datetime | None, empty: str = NO_VALUE) -> str:
    """25 Nov 2026 (times shown in the computer's own time zone); ``empty`` for nothing."""
    if value is None:
        return empty
    if isinstance(value, datetime):
        value = value.astimezone().date() if value.tzinfo else value.date()
    return british_date(value)


def fmt_month(value: date | str) -> str:
    """A month as a chart labels it: "Mar" over "2026" (a date, or an ISO "2026-03" key)."""
    if isinstance(value, str):
        key = value
        try:
            value = date(int(key[:4]), int(key[5:7]), 1)
        except ValueError:
            return key
    return f"{value:%b}\n{value:%Y}"


def fmt_time(value: datetime | None) -> str:
    if value is None:
        return NO_VALUE
    local = value.astimezone() if value.tzinfo else value
    return f"{local:%H:%M}"


def grade_label(labels: dict[tuple[str, int], dict[str, str]], template_id: str, version: int,
                grade: str | None) -> str:
    if not grade:
        return ""
    return labels.get((template_id, version), {}).get(grade, OFSTED_LABELS.get(grade, grade))


class Heading(QLabel):
    """A screen's title."""

    def __init__(self, text: str, parent: QWidget | None = None) -> None:
        super().__init__(text, parent)
        self.setObjectName("heading")
        self.setAccessibleName(text)
        self.setTextInteractionFlags(Qt.TextInteractionFlag.NoTextInteraction)


class StatCard(QFrame):
    """A number with a caption; clicking (or Enter/Space when focused) emits ``clicked``."""

    clicked = Signal()

    def __init__(self, caption: str, parent: QWidget | None = None, *, warn: bool = False) -> None:
        super().__init__(parent)
        self.setObjectName("card")
        self.setProperty("warn", warn)
        self.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        self.setCursor(Qt.CursorShape.PointingHandCursor)
        self.caption = caption
        layout = QVBoxLayout(self)
        layout.setContentsMargins(16, 12, 16, 12)
        self.number = QLabel("0")
        self.number.setObjectName("cardNumber")
        self.label = QLabel(caption)
        self.label.setObjectName("cardCaption")
        layout.addWidget(self.number)
        layout.addWidget(self.label)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)

    def set_value(self, n: int) -> None:
        self.number.setText(f"{n:,}")
        self.setAccessibleName(f"{self.caption}: {n:,}")

    def mouseReleaseEvent(self, event) -> None:  # noqa: N802 - Qt's name
        if event.button() == Qt.MouseButton.LeftButton:
            self.clicked.emit()
        super().mouseReleaseEvent(event)

    def keyPressEvent(self, event) -> None:  # noqa: N802 - Qt's name
        if event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter, Qt.Key.Key_Space):
            self.clicked.emit()
            return
        super().keyPressEvent(event)
