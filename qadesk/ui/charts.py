"""The bar chart the screens share, drawn with QPainter: stacked columns (months) or rows (teams).

Category labels are never cut to a few letters: rows put the full name on the
left, columns may have two-line labels ("Mar" over "2026") and turn them on a
slant when they do not fit.  Hovering a bar shows its name and figures, and
the accessible description reads every figure.
"""

from __future__ import annotations

from collections.abc import Sequence

from PySide6.QtCore import QEvent, QPointF, QRectF, QSize, Qt
from PySide6.QtGui import QColor, QFont, QFontMetricsF, QHelpEvent, QPainter, QPaintEvent
from PySide6.QtWidgets import QSizePolicy, QToolTip, QWidget

LABEL_SHARE = 0.42  # the most of a row chart's width its names may take
SLANT = 0.7071  # sin 45°: labels that do not fit under their column are drawn at 45°


def _plain(label: str) -> str:
    return " ".join(label.split())


class StackedBarChart(QWidget):
    """Stacked bars (e.g. grades per month or per team) with a legend.

    ``horizontal=True`` draws one row per category with its whole name on the
    left, for names such as teams; otherwise one column per category, whose
    label may hold a line break.
    """

    def __init__(self, title: str, parent: QWidget | None = None, *, horizontal: bool = False) -> None:
        super().__init__(parent)
        self.title = title
        self.horizontal = horizontal
        self.setObjectName("chart")
        self.setAccessibleName(title)
        self.bars: list[tuple[str, dict[str, int]]] = []
        self.series: list[tuple[str, str, str]] = []  # key, label, colour
        self.hits: list[tuple[QRectF, int]] = []  # where each category was drawn, for tooltips
        self.setMinimumSize(320, 200)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)
        self.empty_text = "Nothing completed yet"  # what an empty chart says; screens may reword it

    def set_data(self, bars: Sequence[tuple[str, dict[str, int]]], series: Sequence[tuple[str, str, str]]) -> None:
        self.bars = list(bars)
        self.series = list(series)
        parts = [f"{_plain(label)}: " + ", ".join(f"{s_label} {values.get(key, 0)}" for key, s_label, _ in self.series)
                 for label, values in self.bars]
        self.setAccessibleDescription("; ".join(parts) or "No data")
        if self.horizontal:
            self.setMinimumHeight(int(self._rows_height()))
        self.updateGeometry()
        self.update()

    def total(self, values: dict[str, int]) -> int:
        return sum(values.get(key, 0) for key, _, _ in self.series)

    def tooltip(self, index: int) -> str:
        label, values = self.bars[index]
        figures = ", ".join(f"{s_label} {values.get(key, 0)}" for key, s_label, _ in self.series if values.get(key))
        return f"{_plain(label)}: {self.total(values)}" + (f" ({figures})" if figures else "")

    # ---- size ----------------------------------------------------------------------------

    def _line(self) -> float:
        return QFontMetricsF(self.font()).height()

    def _rows_height(self) -> float:
        line = self._line()
        return line * 2.2 + max(len(self.bars), 3) * (line + 6) + line * 2.5

    def sizeHint(self) -> QSize:  # noqa: N802 - Qt's name
        return QSize(460, max(240, int(self._rows_height())) if self.horizontal else 240)

    def event(self, e: QEvent) -> bool:
        if e.type() == QEvent.Type.ToolTip and isinstance(e, QHelpEvent):
            pos = QPointF(e.pos())
            hit = next((i for rect, i in self.hits if rect.contains(pos)), None)
            if hit is None:
                QToolTip.hideText()
                e.ignore()
            else:
                QToolTip.showText(e.globalPos(), self.tooltip(hit), self)
            return True
        return super().event(e)

    # ---- drawing ---------------------------------------------------------------------------

    def paintEvent(self, event: QPaintEvent) -> None:  # noqa: N802 - Qt's name
        p = QPainter(self)
        p.setRenderHint(QPainter.RenderHint.Antialiasing)
        text = self.palette().windowText().color()
        muted = QColor(text)
        muted.setAlphaF(0.6)
        fm = QFontMetricsF(self.font())
        line = fm.height()
        w, h = float(self.width()), float(self.height())
        title_font = QFont(self.font())
        title_font.setBold(True)
        p.setFont(title_font)
        p.setPen(text)
        title_h = line + 4
        p.drawText(QRectF(0, 0, w, title_h), Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter, self.title)
        p.setFont(self.font())
        legend_y = self._paint_legend(p, fm, w, h, muted)
        # A clear gap under the title, so the tallest bar's count never touches it.
        area = QRectF(0, title_h + line * 0.5, w, legend_y - line * 0.5 - (title_h + line * 0.5))
        self.hits = []
        totals = [self.total(v) for _, v in self.bars]
        if not self.bars or max(totals, default=0) == 0:
            p.setPen(muted)
            p.drawText(area, Qt.AlignmentFlag.AlignCenter, self.empty_text)
            return
        if self.horizontal:
            self._paint_rows(p, fm, area, totals, text, muted)
        else:
            self._paint_columns(p, fm, area, totals, text, muted)

    def _paint_legend(self, p: QPainter, fm: QFontMetricsF, w: float, h: float, muted: QColor) -> float:
        """The legend along the bottom, wrapped onto as many lines as it needs; returns its top."""
        line = fm.height()
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
        return legend_y

    def _stack(self, values: dict[str, int]) -> list[tuple[int, str]]:
        """(count, colour) from the best grade to the worst, leaving out zeros."""
        return [(values.get(key, 0), colour) for key, _l, colour in self.series if values.get(key, 0)]

    def _paint_rows(self, p: QPainter, fm: QFontMetricsF, area: QRectF, totals: list[int],
                    text: QColor, muted: QColor) -> None:
        line = fm.height()
        peak = max(totals)
        names = [_plain(label) for label, _ in self.bars]
        label_w = min(max(fm.horizontalAdvance(n) for n in names) + line * 0.6, area.width() * LABEL_SHARE)
        count_w = fm.horizontalAdvance(f"{peak:,}") + line * 0.6
        x0, x1 = area.left() + label_w, area.right() - count_w
        slot = area.height() / len(self.bars)
        thick = min(slot * 0.72, line * 1.2)
        for i, ((_label, values), total) in enumerate(zip(self.bars, totals, strict=True)):
            cy = area.top() + slot * i + slot / 2
            p.setPen(muted)
            name = fm.elidedText(names[i], Qt.TextElideMode.ElideRight, label_w - line * 0.6)
            p.drawText(QRectF(area.left(), cy - line / 2, label_w - line * 0.4, line),
                       Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter, name)
            x = x0
            for n, colour in self._stack(values):
                seg = (x1 - x0) * n / peak
                p.fillRect(QRectF(x, cy - thick / 2, seg, thick), QColor(colour))
                x += seg
            p.setPen(text)
            p.drawText(QRectF(x + line * 0.3, cy - line / 2, count_w, line),
                       Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter, f"{total:,}")
            self.hits.append((QRectF(area.left(), cy - slot / 2, area.width(), slot), i))

    def _paint_columns(self, p: QPainter, fm: QFontMetricsF, area: QRectF, totals: list[int],
                       text: QColor, muted: QColor) -> None:
        line = fm.height()
        peak = max(totals)
        lines = [label.split("\n") for label, _ in self.bars]
        widest = max(fm.horizontalAdvance(part) for parts in lines for part in parts)
        depth = max(len(parts) for parts in lines)
        slanted = widest > area.width() / len(self.bars) - 4
        if slanted:  # one line each, at 45°, no longer than a third of the chart's height allows
            longest = min(max(fm.horizontalAdvance(" ".join(parts)) for parts in lines), area.height() * 0.33 / SLANT)
            label_h = longest * SLANT + line * SLANT + 4
            # The first label runs down to the left of its column: make room for it.
            area = area.adjusted(min(longest * SLANT, area.width() * 0.25), 0, 0, 0)
        else:
            label_h = depth * line + 4
        slot = area.width() / len(self.bars)
        axis = area.bottom() - label_h
        top = area.top() + line + 2  # room for the tallest bar's count
        bar_w = min(slot * 0.6, line * 3)
        for i, ((_label, values), total) in enumerate(zip(self.bars, totals, strict=True)):
            cx = area.left() + slot * i + slot / 2
            y = axis
            for n, colour in reversed(self._stack(values)):  # best grade on top
                seg = (axis - top) * n / peak
                p.fillRect(QRectF(cx - bar_w / 2, y - seg, bar_w, seg), QColor(colour))
                y -= seg
            p.setPen(text)
            p.drawText(QRectF(cx - slot / 2, y - line - 2, slot, line), Qt.AlignmentFlag.AlignCenter, f"{total:,}")
            p.setPen(muted)
            if slanted:
                label = fm.elidedText(" ".join(lines[i]), Qt.TextElideMode.ElideRight, longest)
                p.save()
                p.translate(cx + line * 0.3, axis + 4)
                p.rotate(-45)
                p.drawText(QRectF(-longest, -line, longest, line),
                           Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter, label)
                p.restore()
            else:
                for k, part in enumerate(lines[i]):
                    p.drawText(QRectF(cx - slot / 2, axis + 2 + k * line, slot, line),
                               Qt.AlignmentFlag.AlignCenter, part)
            self.hits.append((QRectF(cx - slot / 2, area.top(), slot, area.height()), i))
