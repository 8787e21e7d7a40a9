"""Small widgets and formats the screens share: dates, grades, cards and a bar chart drawn with QPainter."""

from __future__ import annotations

import sys
from collections.abc import Sequence
from datetime import date, datetime
from pathlib import Path

from PySide6.QtCore import QRectF, QSize, Qt, Signal
from PySide6.QtGui import QColor, QFont, QIcon, QPainter, QPaintEvent
from PySide6.QtWidgets import QFrame, QLabel, QSizePolicy, QVBoxLayout, QWidget

STATUS_LABELS = {"draft": "Draft", "completed": "Completed", "moderated": "Moderated", "closed": "Closed"}
GRADE_COLOURS = {
    "outstanding": "#1f7a5a", "good": "#64a46c", "ri": "#e3a82b", "inadequate": "#c4533d",
    "green": "#64a46c", "amber": "#e3a82b", "red": "#c4533d",
}
OFSTED_ORDER = ("outstanding", "good", "ri", "inadequate")
OFSTED_LABELS = {"outstanding": "Outstanding", "good": "Good", "ri": "Requires improvement",
                 "inadequate": "Inadequate"}
NO_VALUE = "—"


def bundle_path(*parts: str) -> Path:
    """A file shipped beside the package (resources/, forms/), from a checkout or a PyInstaller bundle."""
    base = Path(getattr(sys, "_MEIPASS", Path(__file__).resolve().parents[2]))
    return base.joinpath(*parts)


def resource_path(name: str) -> Path:
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


def fmt_date(value: date | datetime | None) -> str:
    """25 Nov 2026 (times shown in the computer's own time zone)."""
    if value is None:
        return NO_VALUE
    if isinstance(value, datetime):
        value = value.astimezone().date() if value.tzinfo else value.date()
    return f"{value.day} {value:%b %Y}"


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


class StackedBarChart(QWidget):
    """Stacked bars (e.g. grades per month) with a legend; its accessible description reads the figures."""

    def __init__(self, title: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.title = title
        self.setObjectName("chart")
        self.setAccessibleName(title)
        self.bars: list[tuple[str, dict[str, int]]] = []
        self.series: list[tuple[str, str, str]] = []  # key, label, colour
        self.setMinimumSize(320, 200)
        self.empty_text = "Nothing completed yet"  # what an empty chart says; screens may reword it

    def set_data(self, bars: Sequence[tuple[str, dict[str, int]]], series: Sequence[tuple[str, str, str]]) -> None:
        self.bars = list(bars)
        self.series = list(series)
        parts = []
        for label, values in self.bars:
            counts = ", ".join(f"{s_label} {values.get(key, 0)}" for key, s_label, _ in self.series)
            parts.append(f"{label}: {counts}")
        self.setAccessibleDescription("; ".join(parts) or "No data")
        self.update()

    def sizeHint(self) -> QSize:  # noqa: N802 - Qt's name
        return QSize(460, 240)

    def paintEvent(self, event: QPaintEvent) -> None:  # noqa: N802 - Qt's name
        p = QPainter(self)
        p.setRenderHint(QPainter.RenderHint.Antialiasing)
        pal = self.palette()
        text = pal.windowText().color()
        muted = QColor(text)
        muted.setAlphaF(0.55)
        fm = p.fontMetrics()
        line = fm.height()
        w, h = self.width(), self.height()
        title_font = QFont(p.font())
        title_font.setBold(True)
        p.setFont(title_font)
        p.setPen(text)
        p.drawText(QRectF(0, 0, w, line + 4), Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter, self.title)
        p.setFont(self.font())
        # Legend along the bottom, wrapped onto as many lines as it needs.
        placed: list[tuple[float, int, str, str]] = []  # x, row, label, colour
        x, row = 0.0, 0
        for _key, label, colour in self.series:
            width = line + fm.horizontalAdvance(label) + line
            if x > 0 and x + width > w:
                x, row = 0.0, row + 1
            placed.append((x, row, label, colour))
            x += width
        legend_y = h - line * (row + 1)
        for x, r, label, colour in placed:
            y0 = legend_y + r * line
            p.fillRect(QRectF(x, y0 + line * 0.2, line * 0.7, line * 0.7), QColor(colour))
            p.setPen(muted)
            p.drawText(QRectF(x + line, y0, w - x - line, line),
                       Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter, label)
        top = line * 2
        bottom = legend_y - line * 1.6
        totals = [sum(v.get(k, 0) for k, _, _ in self.series) for _, v in self.bars]
        peak = max(totals, default=0)
        if not self.bars or peak == 0:
            p.setPen(muted)
            p.drawText(QRectF(0, top, w, bottom - top), Qt.AlignmentFlag.AlignCenter, self.empty_text)
            return
        slot = w / len(self.bars)
        bar_w = min(slot * 0.6, line * 3)
        for i, ((label, values), total) in enumerate(zip(self.bars, totals, strict=True)):
            cx = slot * i + slot / 2
            y = bottom
            for key, _l, colour in reversed(self.series):
                n = values.get(key, 0)
                if not n:
                    continue
                seg = (bottom - top) * n / peak
                p.fillRect(QRectF(cx - bar_w / 2, y - seg, bar_w, seg), QColor(colour))
                y -= seg
            p.setPen(muted)
            short = fm.elidedText(label, Qt.TextElideMode.ElideRight, max(int(slot) - 4, line))
            p.drawText(QRectF(cx - slot / 2, bottom + 2, slot, line), Qt.AlignmentFlag.AlignCenter, short)
            p.setPen(text)
            p.drawText(QRectF(cx - slot / 2, y - line - 2, slot, line), Qt.AlignmentFlag.AlignCenter, str(total))
