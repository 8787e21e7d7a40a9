"""Making the form fit the width it is given, whatever the window size and screen scaling.

Nothing on a page may be wider than the page: a page that scrolls sideways
hides the end of every question.  So the pages are scroll areas that only
scroll down (:class:`FitScrollArea`), a row of buttons wraps onto more lines
when it does not fit (:class:`FlowLayout`), and a button whose own label is
longer than the width left wraps its label (:class:`WrapRadioButton`,
:class:`WrapCheckBox`, :class:`WrapPushButton`).  Every label stays whole.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import QEvent, QRect, QSize, Qt
from PySide6.QtWidgets import (
    QAbstractButton,
    QCheckBox,
    QFrame,
    QLayout,
    QLayoutItem,
    QPushButton,
    QRadioButton,
    QScrollArea,
    QSizePolicy,
    QSplitter,
    QStyle,
    QStyleOptionButton,
    QWidget,
)

# The columns either side of the page: wide enough to read, never so wide that the page is squeezed.
NAVIGATOR_WIDTH = (190, 320)
GUIDANCE_WIDTH = (200, 400)


class FitScrollArea(QScrollArea):
    """Scrolls down only: its widget is always exactly as wide as the viewport."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWidgetResizable(True)
        self.setFrameShape(QFrame.Shape.NoFrame)
        self.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)


def form_splitter(parent: QWidget, navigator: QWidget, page: QWidget, guidance: QWidget) -> QSplitter:
    """Navigator | page | guidance, the page taking whatever the side columns leave."""
    navigator.setMinimumWidth(NAVIGATOR_WIDTH[0])
    navigator.setMaximumWidth(NAVIGATOR_WIDTH[1])
    guidance.setMinimumWidth(GUIDANCE_WIDTH[0])
    guidance.setMaximumWidth(GUIDANCE_WIDTH[1])
    splitter = QSplitter(Qt.Orientation.Horizontal, parent)
    for w in (navigator, page, guidance):
        splitter.addWidget(w)
    splitter.setStretchFactor(0, 1)
    splitter.setStretchFactor(1, 4)
    splitter.setStretchFactor(2, 1)
    splitter.setSizes([220, 780, 250])
    splitter.setChildrenCollapsible(False)
    return splitter


class FlowLayout(QLayout):
    """Items left to right, starting a new line when the next one does not fit (Qt's flow layout example).

    With ``stack=True`` it is all or nothing: one line when everything fits,
    otherwise one item a line, all as wide as the widest (a grade scale reads
    as a scale either way, never as two ragged rows).
    """

    def __init__(self, parent: QWidget | None = None, *, h_spacing: int = 8, v_spacing: int = 6,
                 stack: bool = False) -> None:
        super().__init__(parent)
        self._items: list[QLayoutItem] = []
        self._h, self._v = h_spacing, v_spacing
        self._stack = stack
        self.setContentsMargins(0, 0, 0, 0)

    def addItem(self, item: QLayoutItem) -> None:  # noqa: N802 - Qt override
        self._items.append(item)

    def count(self) -> int:
        return len(self._items)

    def itemAt(self, index: int) -> QLayoutItem | None:  # noqa: N802
        return self._items[index] if 0 <= index < len(self._items) else None

    def takeAt(self, index: int) -> QLayoutItem | None:  # noqa: N802
        return self._items.pop(index) if 0 <= index < len(self._items) else None

    def expandingDirections(self) -> Qt.Orientation:  # noqa: N802
        return Qt.Orientation(0)

    def hasHeightForWidth(self) -> bool:  # noqa: N802
        return True

    def heightForWidth(self, width: int) -> int:  # noqa: N802
        return self._arrange(QRect(0, 0, width, 0), apply=False)

    def setGeometry(self, rect: QRect) -> None:  # noqa: N802
        super().setGeometry(rect)
        self._arrange(rect, apply=True)

    def sizeHint(self) -> QSize:  # noqa: N802 - everything on one line
        shown = [i for i in self._items if not i.isEmpty()]
        m = self.contentsMargins()
        w = sum(i.sizeHint().width() for i in shown) + self._h * max(0, len(shown) - 1)
        h = max((i.sizeHint().height() for i in shown), default=0)
        return QSize(w + m.left() + m.right(), h + m.top() + m.bottom())

    def minimumSize(self) -> QSize:  # noqa: N802 - one item a line, each as narrow as it can be
        shown = [i for i in self._items if not i.isEmpty()]
        m = self.contentsMargins()
        w = max((i.minimumSize().width() for i in shown), default=0)
        h = max((i.minimumSize().height() for i in shown), default=0)
        return QSize(w + m.left() + m.right(), h + m.top() + m.bottom())

    def stacked(self, width: int) -> bool:
        """Whether, at this width, a ``stack=True`` layout puts its items one a line."""
        m = self.contentsMargins()
        return self._stack and self.sizeHint().width() - m.left() - m.right() > width - m.left() - m.right()

    def _arrange(self, rect: QRect, *, apply: bool) -> int:
        m = self.contentsMargins()
        area = rect.adjusted(m.left(), m.top(), -m.right(), -m.bottom())
        x, y, line_height = area.x(), area.y(), 0
        shown = [i for i in self._items if not i.isEmpty()]
        stacked = self.stacked(rect.width())
        column = min(area.width(), max((i.sizeHint().width() for i in shown), default=0))
        for item in shown:
            w = max(item.minimumSize().width(), column if stacked else min(item.sizeHint().width(), area.width()))
            if x > area.x() and (stacked or x + w > area.x() + area.width()):
                x, y = area.x(), y + line_height + self._v
                line_height = 0
            h = item.heightForWidth(w) if item.hasHeightForWidth() else item.sizeHint().height()
            if apply:
                item.setGeometry(QRect(x, y, w, h))
            x += w + self._h
            line_height = max(line_height, h)
        return y + line_height - rect.y() + m.bottom()


if TYPE_CHECKING:  # a mixin of the button classes below: to the type checker, a button itself
    _Button = QAbstractButton
else:
    _Button = object


class WrapText(_Button):
    """For a button class: the label wraps at word boundaries when the button is narrower than the label.

    ``label()`` is the whole label as the template gives it; ``text()`` is what
    is painted, with line breaks.  Size hints come from the style itself, so
    style sheets (padding, borders) are counted as they are for a plain button.
    """

    _contents: QStyle.ContentsType
    _label: str
    if TYPE_CHECKING:  # each of the button classes has its own
        def initStyleOption(self, option: QStyleOptionButton, /) -> None: ...  # noqa: N802

    def _init_wrap(self, label: str) -> None:
        self._label = label
        self._cache: dict[object, QSize] = {}
        self.setText(_escape(label))
        policy = self.sizePolicy()
        policy.setHorizontalPolicy(QSizePolicy.Policy.Preferred)  # buttons will not shrink otherwise
        policy.setVerticalPolicy(QSizePolicy.Policy.Preferred)  # ... nor grow to a second line
        policy.setHeightForWidth(True)
        self.setSizePolicy(policy)

    def label(self) -> str:
        return self._label

    def set_label(self, label: str) -> None:
        """Show another label (wrapped as the first was)."""
        if label != self._label:
            self._init_wrap(label)
            self.updateGeometry()

    def _size_of(self, text: str) -> QSize:
        size = self._cache.get(text)
        if size is None:
            opt = QStyleOptionButton()
            self.initStyleOption(opt)
            opt.text = text
            content = self.fontMetrics().size(Qt.TextFlag.TextShowMnemonic, text)
            size = self.style().sizeFromContents(self._contents, opt, content, self)
            self._cache[text] = size
        return size

    def _wrapped(self, width: int) -> str:
        fm = self.fontMetrics()
        whole = _escape(self._label)
        room = width - (self._size_of(whole).width() - fm.horizontalAdvance(self._label))
        if fm.horizontalAdvance(self._label) <= room:
            return whole
        lines: list[str] = []
        for word in self._label.split():
            if lines and fm.horizontalAdvance(f"{lines[-1]} {word}") <= room:
                lines[-1] = f"{lines[-1]} {word}"
            else:
                lines.append(word)
        return "\n".join(_escape(line) for line in lines)

    def sizeHint(self) -> QSize:  # noqa: N802 - the whole label on one line
        return self._size_of(_escape(self._label))

    def minimumSizeHint(self) -> QSize:  # noqa: N802 - its longest word on a line
        longest = max(self._label.split(), key=self.fontMetrics().horizontalAdvance,
                      default="")
        return QSize(self._size_of(_escape(longest)).width(), self.sizeHint().height())

    def hasHeightForWidth(self) -> bool:  # noqa: N802
        return True

    def heightForWidth(self, width: int) -> int:  # noqa: N802
        return self._size_of(self._wrapped(width)).height()

    def resizeEvent(self, event) -> None:  # noqa: N802
        text = self._wrapped(self.width())
        if text != self.text():
            self.setText(text)
        super().resizeEvent(event)

    def event(self, event: QEvent) -> bool:
        if event.type() in _RESTYLED:
            self._cache.clear()  # sizes measured before a style sheet applied are wrong after it
        return super().event(event)


_RESTYLED = (QEvent.Type.Polish, QEvent.Type.FontChange, QEvent.Type.StyleChange)


def _escape(text: str) -> str:
    return text.replace("&", "&&")  # an ampersand in a label is text, not a keyboard shortcut


class WrapRadioButton(WrapText, QRadioButton):
    _contents = QStyle.ContentsType.CT_RadioButton

    def __init__(self, label: str, parent: QWidget | None = None) -> None:
        QRadioButton.__init__(self, parent)
        self._init_wrap(label)


class WrapCheckBox(WrapText, QCheckBox):
    _contents = QStyle.ContentsType.CT_CheckBox

    def __init__(self, label: str, parent: QWidget | None = None) -> None:
        QCheckBox.__init__(self, parent)
        self._init_wrap(label)


class WrapPushButton(WrapText, QPushButton):
    _contents = QStyle.ContentsType.CT_PushButton

    def __init__(self, label: str, parent: QWidget | None = None) -> None:
        QPushButton.__init__(self, parent)
        self._init_wrap(label)
