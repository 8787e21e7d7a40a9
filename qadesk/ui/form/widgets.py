"""One input widget per question type, all with the same small API.

Every input has ``value()`` (the answer in the form the services take:
``str``, ``int``, ``float``, ``list[str]`` or ``None`` for unanswered),
``setValue(v)``, ``setReadOnly(bool)`` and a ``changed`` signal.  The
attribute ``immediate`` says whether a change is final (a click: save now)
or typing (save after a short pause).  Compound inputs (radio buttons, check
boxes, a grade scale) are a container QWidget carrying the object name
``question.<id>``; their buttons are ordinary focusable children, so Tab and
the arrow keys reach them.  Those live in :mod:`.choice_inputs`; this module
has the typed ones (text, numbers, dates, the slider) and :func:`make_input`.
"""

from __future__ import annotations

from datetime import date

from PySide6.QtCore import QRegularExpression, Qt, Signal
from PySide6.QtGui import QRegularExpressionValidator
from PySide6.QtWidgets import (
    QHBoxLayout,
    QLineEdit,
    QPlainTextEdit,
    QSlider,
    QSpinBox,
    QToolButton,
    QWidget,
)

from qadesk.core.template import Question
from qadesk.ui.date_input import DateBox
from qadesk.ui.form.choice_inputs import MAX_RADIOS, ChoiceInput, GradeInput, MultiChoiceInput

__all__ = ["MAX_RADIOS", "AnswerInput", "ChoiceInput", "DateInput", "GradeInput", "LongTextInput", "MultiChoiceInput",
           "NumberInput", "RangeInput", "TextInput", "make_input"]

class TextInput(QLineEdit):
    """``text``: one line."""

    changed = Signal()
    immediate = False

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.textChanged.connect(self.changed)

    def value(self) -> str | None:
        return self.text() if self.text().strip() else None

    def setValue(self, value: object) -> None:  # noqa: N802 - Qt naming
        self.setText("" if value is None else str(value))


class LongTextInput(QPlainTextEdit):
    """``long_text``, evidence notes, summaries: grows with its text up to ``max_lines``."""

    changed = Signal()
    immediate = False

    def __init__(self, parent: QWidget | None = None, *, min_lines: int = 3, max_lines: int = 18) -> None:
        super().__init__(parent)
        self._min_lines, self._max_lines = min_lines, max_lines
        self.setTabChangesFocus(True)  # Tab moves on through the form, as everywhere else
        self.setLineWrapMode(QPlainTextEdit.LineWrapMode.WidgetWidth)
        self.textChanged.connect(self.changed)
        self.textChanged.connect(self._fit)
        self._fit()

    def _fit(self) -> None:
        lines = max(self._min_lines, min(self._max_lines, int(self.document().size().height()) + 1))
        line_h = self.fontMetrics().lineSpacing()
        margins = self.contentsMargins().top() + self.contentsMargins().bottom()
        height = lines * line_h + int(2 * self.document().documentMargin()) + margins + 2
        if self.height() != height or self.minimumHeight() != height:
            self.setFixedHeight(height)

    def resizeEvent(self, event) -> None:  # noqa: N802 - Qt override
        super().resizeEvent(event)
        self._fit()

    def value(self) -> str | None:
        text = self.toPlainText()
        return text if text.strip() else None

    def setValue(self, value: object) -> None:  # noqa: N802
        self.setPlainText("" if value is None else str(value))


class NumberInput(QLineEdit):
    """``integer`` and ``decimal``: a validated line, empty means unanswered.

    The value is a number when the text is one; anything else typed is handed
    over as text so the service can refuse it with a message shown inline,
    never silently dropped.
    """

    changed = Signal()
    immediate = False

    def __init__(self, decimal: bool, low: float | None, high: float | None, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._decimal = decimal
        pattern = r"-?\d{0,13}([.,]\d{0,6})?" if decimal else r"-?\d{0,13}"
        self.setValidator(QRegularExpressionValidator(QRegularExpression(pattern), self))
        self.setMaximumWidth(160)
        self.setAlignment(Qt.AlignmentFlag.AlignRight)
        if low is not None and high is not None:
            self.setPlaceholderText(f"{_num(low)} to {_num(high)}")
        self.textChanged.connect(self.changed)

    def value(self) -> int | float | str | None:
        text = self.text().strip().replace(",", ".")
        if not text:
            return None
        try:
            return float(text) if self._decimal else int(text)
        except ValueError:
            return text

    def setValue(self, value: object) -> None:  # noqa: N802
        self.setText("" if value is None else _num(value))


def _num(x: object) -> str:
    if isinstance(x, float) and x.is_integer():
        return str(int(x))
    return str(x)


class DateInput(DateBox):
    """``date``: the one date box of qadesk (:mod:`qadesk.ui.date_input`), bounded by the question's min and max."""

    def __init__(self, low: str | None = None, high: str | None = None, parent: QWidget | None = None) -> None:
        super().__init__(parent, low=_iso(low), high=_iso(high))


def _iso(text: str | None) -> date | None:
    try:
        return date.fromisoformat(text) if text else None
    except ValueError:
        return None


class RangeInput(QWidget):
    """``range``: a slider with the number beside it; "—" until the auditor picks a value."""

    changed = Signal()
    immediate = False  # dragging the slider would otherwise save every step

    def __init__(self, low: int, high: int, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        lay = QHBoxLayout(self)
        lay.setContentsMargins(0, 0, 0, 0)
        self._low = low
        self.slider = QSlider(Qt.Orientation.Horizontal, self)
        self.slider.setRange(low, high)
        self.slider.setTickPosition(QSlider.TickPosition.TicksBelow)
        self.slider.setTickInterval(1 if high - low <= 20 else max(1, (high - low) // 10))
        self.slider.setPageStep(1)
        self.slider.setMinimumWidth(120)
        self.spin = QSpinBox(self)
        self.spin.setRange(low - 1, high)  # low - 1 is "not answered"
        self.spin.setSpecialValueText("—")
        self.spin.setValue(low - 1)
        self.clear_button = QToolButton(self)
        self.clear_button.setText("Clear")
        self.clear_button.setAccessibleName("Clear the answer")
        self.clear_button.clicked.connect(lambda: self.setValue(None))
        lay.addWidget(self.slider, 1)
        lay.addWidget(self.spin)
        lay.addWidget(self.clear_button)
        self.setFocusProxy(self.slider)
        self.slider.valueChanged.connect(self._slider_moved)
        self.slider.sliderPressed.connect(lambda: self._slider_moved(self.slider.value()))
        self.spin.valueChanged.connect(self._spin_changed)
        self._sync_clear()

    def _slider_moved(self, v: int) -> None:
        if self.spin.value() != v:
            self.spin.setValue(v)

    def _spin_changed(self, v: int) -> None:
        if v >= self._low and self.slider.value() != v:
            self.slider.blockSignals(True)
            self.slider.setValue(v)
            self.slider.blockSignals(False)
        self._sync_clear()
        self.changed.emit()

    def _sync_clear(self) -> None:
        self.clear_button.setVisible(self.value() is not None and self.spin.isEnabled())

    def value(self) -> int | None:
        v = self.spin.value()
        return None if v < self._low else v

    def setValue(self, value: object) -> None:  # noqa: N802
        if value is None or value == "":
            self.spin.setValue(self._low - 1)
            return
        try:
            self.spin.setValue(int(value) if isinstance(value, (int, float, str)) else self._low - 1)
        except (TypeError, ValueError):
            self.spin.setValue(self._low - 1)

    def setAccessibleName(self, name: str) -> None:  # noqa: N802 - the slider and the number take the focus
        super().setAccessibleName(name)
        self.slider.setAccessibleName(name)
        self.spin.setAccessibleName(f"{name} (number)")

    def setAccessibleDescription(self, text: str) -> None:  # noqa: N802
        super().setAccessibleDescription(text)
        self.slider.setAccessibleDescription(text)
        self.spin.setAccessibleDescription(text)

    def setReadOnly(self, on: bool) -> None:  # noqa: N802
        self.slider.setEnabled(not on)
        self.spin.setEnabled(not on)
        self._sync_clear()


# What make_input makes: every one has value(), setValue(), setReadOnly(), ``changed`` and ``immediate``.
AnswerInput = (TextInput | LongTextInput | NumberInput | DateInput | RangeInput | ChoiceInput | MultiChoiceInput
               | GradeInput)


def make_input(q: Question, parent: QWidget | None = None) -> AnswerInput | None:
    """The input widget for question ``q`` (None for a ``note``)."""
    t = q.type
    if t == "text":
        return TextInput(parent)
    if t == "long_text":
        return LongTextInput(parent)
    if t in ("integer", "decimal"):
        low = q.min if isinstance(q.min, float) else None
        high = q.max if isinstance(q.max, float) else None
        return NumberInput(t == "decimal", low, high, parent)
    if t == "date":
        return DateInput(q.min if isinstance(q.min, str) else None, q.max if isinstance(q.max, str) else None,
                         parent)
    if t == "range":
        low = int(q.min) if isinstance(q.min, float) else 0
        high = int(q.max) if isinstance(q.max, float) else 10
        return RangeInput(low, high, parent)
    if t == "choice":
        return ChoiceInput(q.choices, parent)
    if t == "multi_choice":
        return MultiChoiceInput(q.choices, parent)
    if t == "grade":
        return GradeInput(q.choices, parent)
    return None
