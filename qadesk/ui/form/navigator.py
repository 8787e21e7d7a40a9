"""The list of pages on the left: each section with its state, then Judgement, Summary, Actions.

A section's state (``core.audit.section_state``) shows as a small mark and in
words for screen readers; hidden sections leave the list.  Above the list,
how much of the audit is done.
"""

from __future__ import annotations

from PySide6.QtCore import QEvent, QPointF, QRect, QRectF, QSize, Qt, Signal
from PySide6.QtGui import QColor, QIcon, QPainter, QPainterPath, QPen, QPixmap
from PySide6.QtWidgets import (
    QLabel,
    QListWidget,
    QListWidgetItem,
    QProgressBar,
    QSizePolicy,
    QStyle,
    QStyledItemDelegate,
    QStyleOptionViewItem,
    QVBoxLayout,
    QWidget,
)

STATE_WORDS = {
    "not_started": "not started",
    "in_progress": "in progress",
    "complete": "complete",
    "problems": "has problems",
    "": "",
}
COLOURS = {"not_started": "#9aa3ad", "in_progress": "#2f6fb3", "complete": "#2e7d4f", "problems": "#b3541e"}
KEY_ROLE = Qt.ItemDataRole.UserRole
_icons: dict[str, QIcon] = {}


def state_icon(state: str) -> QIcon:
    """A 16-pixel mark: an empty ring, a half-filled disc, a tick, or an exclamation mark."""
    if state in _icons:
        return _icons[state]
    size = 32  # drawn at twice the size so it stays crisp on high-DPI screens
    pm = QPixmap(size, size)
    pm.fill(Qt.GlobalColor.transparent)
    p = QPainter(pm)
    p.setRenderHint(QPainter.RenderHint.Antialiasing)
    colour = QColor(COLOURS.get(state, "#9aa3ad"))
    rect = QRectF(4, 4, size - 8, size - 8)
    if state == "not_started":
        p.setPen(QPen(colour, 3))
        p.drawEllipse(rect)
    elif state == "in_progress":
        p.setPen(QPen(colour, 3))
        p.drawEllipse(rect)
        path = QPainterPath()
        path.moveTo(rect.center())
        path.arcTo(rect, 90, 180)
        path.closeSubpath()
        p.fillPath(path, colour)
    elif state in ("complete", "problems"):
        p.setPen(Qt.PenStyle.NoPen)
        p.setBrush(colour)
        p.drawEllipse(rect)
        pen = QPen(QColor("white"), 3.5)
        pen.setCapStyle(Qt.PenCapStyle.RoundCap)
        p.setPen(pen)
        if state == "complete":
            p.drawPolyline([QPointF(10, 16.5), QPointF(14.5, 21), QPointF(22, 11.5)])
        else:
            p.drawLine(QPointF(16, 9.5), QPointF(16, 18))
            p.drawPoint(QPointF(16, 22.5))
    p.end()
    icon = QIcon(pm)
    _icons[state] = icon
    return icon


class _WrapDelegate(QStyledItemDelegate):
    """Measures a wrapped title in the very rectangle it is painted in.

    Qt wraps the text at the item's full width and adds the style sheet's
    padding afterwards, so a title that needs one more line when painted was
    cut short with "…".  Here the text rectangle comes from the style (padding
    and icon included) and the title is wrapped at that width.
    """

    def sizeHint(self, option: QStyleOptionViewItem, index) -> QSize:  # noqa: N802 - Qt override
        view = self.parent()
        opt = QStyleOptionViewItem(option)
        self.initStyleOption(opt, index)
        if not opt.text or not isinstance(view, QListWidget):
            return super().sizeHint(option, index)
        tall = 10_000
        opt.rect = QRect(0, 0, view.viewport().width() - 2 * view.spacing(), tall)
        style = view.style()
        text = style.subElementRect(QStyle.SubElement.SE_ItemViewItemText, opt, view)
        margin = style.pixelMetric(QStyle.PixelMetric.PM_FocusFrameHMargin, opt, view) + 1
        flags = Qt.TextFlag.TextWordWrap | Qt.AlignmentFlag.AlignLeft
        needed = opt.fontMetrics.boundingRect(QRect(0, 0, text.width() - 2 * margin, tall), flags, opt.text)
        around = tall - text.height()
        return QSize(opt.rect.width(), max(needed.height(), opt.decorationSize.height()) + around)


class _PageList(QListWidget):
    """Wrapped titles are laid out again at once when the width changes (Qt waits 100 ms and shows them cut)."""

    def resizeEvent(self, event) -> None:  # noqa: N802 - Qt override
        super().resizeEvent(event)
        if event.size().width() != event.oldSize().width():
            self.doItemsLayout()


class _SteadyLine(QWidget):
    """A one-line label whose new text never lays the form out again.

    A QLabel whose text changes asks its layout to lay out again, and in the navigator that reached
    the whole form, whose page stack then measured every page: tens of milliseconds for each
    keystroke on a 5,000-question form, only to say "12 of 300 done".  Here the label sits in a
    widget without a layout that it fills; that widget asks for a new layout only when the label
    would be another height (a new font or style), never for new text of the same height.
    """

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.label = QLabel(self)
        policy = self.sizePolicy()
        policy.setVerticalPolicy(QSizePolicy.Policy.Fixed)
        self.setSizePolicy(policy)

    def sizeHint(self) -> QSize:  # noqa: N802 - Qt override
        return self.label.sizeHint()

    def minimumSizeHint(self) -> QSize:  # noqa: N802 - as narrow as the navigator goes
        return QSize(0, self.label.sizeHint().height())

    def resizeEvent(self, event) -> None:  # noqa: N802 - Qt override
        super().resizeEvent(event)
        self.label.setGeometry(self.rect())

    def showEvent(self, event) -> None:  # noqa: N802 - Qt override
        super().showEvent(event)
        self._fit()

    def event(self, event: QEvent) -> bool:
        if event.type() == QEvent.Type.LayoutRequest:  # the label's size hint changed
            self._fit()
        return super().event(event)

    def _fit(self) -> None:
        if self.label.sizeHint().height() != self.height():
            self.updateGeometry()


class Navigator(QWidget):
    """Emits ``pageRequested(key)`` with ``section:<id>``, ``judgement``, ``summary`` or ``actions``."""

    pageRequested = Signal(str)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("form.navigator")
        lay = QVBoxLayout(self)
        lay.setContentsMargins(12, 14, 8, 12)
        lay.setSpacing(6)
        self._progress_line = _SteadyLine(self)
        self.progress_label = self._progress_line.label
        self.progress_label.setProperty("role", "hint")
        self.progress = QProgressBar(self)
        self.progress.setTextVisible(False)
        self.progress.setFixedHeight(6)
        self.progress.setAccessibleName("Progress through the audit")
        lay.addWidget(self._progress_line)
        lay.addWidget(self.progress)
        self.list = _PageList(self)
        self.list.setObjectName("form.sections")
        self.list.setAccessibleName("Sections of the audit")
        self.list.setIconSize(QSize(16, 16))
        self.list.setFrameShape(QListWidget.Shape.NoFrame)
        self.list.setWordWrap(True)  # long section titles wrap rather than being cut short
        self.list.setTextElideMode(Qt.TextElideMode.ElideNone)
        self.list.setSpacing(1)
        self.list.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.list.setProperty("role", "navigator")
        self.list.setItemDelegate(_WrapDelegate(self.list))
        self.list.currentItemChanged.connect(self._current_changed)
        lay.addWidget(self.list, 1)
        self._items: dict[str, QListWidgetItem] = {}
        self._titles: dict[str, str] = {}
        self._states: dict[str, str] = {}

    def add_page(self, key: str, title: str, state: str | None = None) -> None:
        item = QListWidgetItem(title)
        item.setData(KEY_ROLE, key)
        self.list.addItem(item)
        self._items[key] = item
        self._titles[key] = title
        if state is not None:
            self.set_state(key, state)

    def add_separator(self) -> None:
        item = QListWidgetItem("")
        item.setFlags(Qt.ItemFlag.NoItemFlags)
        item.setSizeHint(QSize(0, 10))
        self.list.addItem(item)

    def set_state(self, key: str, state: str) -> None:
        if self._states.get(key) == state:  # unchanged: the list is not laid out again
            return
        self._states[key] = state
        item = self._items[key]
        hidden = state == "hidden"
        if item.isHidden() != hidden:
            item.setHidden(hidden)
        if hidden:
            return
        item.setIcon(state_icon(state))
        words = STATE_WORDS.get(state, state.replace("_", " "))
        item.setToolTip(f"{self._titles[key]}: {words}" if words else self._titles[key])
        item.setData(Qt.ItemDataRole.AccessibleDescriptionRole, words)

    def title(self, key: str) -> str:
        return self._titles.get(key, "")

    def set_title(self, key: str, title: str) -> None:
        self._titles[key] = title
        self._states.pop(key, None)  # its tooltip names the title: set again next time
        self._items[key].setText(title)

    def set_progress(self, done: int, total: int) -> None:
        self.progress.setRange(0, max(total, 1))
        self.progress.setValue(done)
        self.progress_label.setText(f"{done} of {total} done" if total else "Nothing to answer yet")

    def current_key(self) -> str | None:
        item = self.list.currentItem()
        return item.data(KEY_ROLE) if item else None

    def select(self, key: str) -> None:
        item = self._items.get(key)
        if item is not None and self.list.currentItem() is not item:
            self.list.setCurrentItem(item)

    def visible_keys(self) -> list[str]:
        return [k for k, item in self._items.items() if not item.isHidden()]

    def _current_changed(self, item: QListWidgetItem | None, _previous: QListWidgetItem | None) -> None:
        if item is not None and item.data(KEY_ROLE):
            self.pageRequested.emit(item.data(KEY_ROLE))
