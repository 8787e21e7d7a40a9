"""One input widget per question type, all with the same small API.

Every input has ``value()`` (the answer in the form the services take:
``str``, ``int``, ``float``, ``list[str]`` or ``None`` for unanswered),
``setValue(v)``, ``setReadOnly(bool)`` and a ``changed`` signal.  The
attribute ``immediate`` says whether a change is final (a click: save now)
or typing (save after a short pause).  Compound inputs (radio buttons, check
boxes, a grade scale) are a container QWidget carrying the object name
``question.<id>``; their buttons are ordinary focusable children, so Tab and
the arrow keys reach them.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

from PySide6.QtCore import QDate, QEvent, QObject, QRegularExpression, QSize, Qt, Signal
from PySide6.QtGui import QKeyEvent, QRegularExpressionValidator
from PySide6.QtWidgets import (
    QAbstractButton,
    QButtonGroup,
    QComboBox,
    QDateEdit,
    QHBoxLayout,
    QLineEdit,
    QPlainTextEdit,
    QSizePolicy,
    QSlider,
    QSpinBox,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from qadesk.core.template import Choice, Question
from qadesk.ui.form.fit import FlowLayout, WrapCheckBox, WrapPushButton, WrapRadioButton

# A list longer than this is offered as a drop-down rather than radio buttons.
MAX_RADIOS = 6
NO_DATE = QDate(1900, 1, 1)


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


class _ChoiceCombo(QComboBox):
    """A drop-down that may be narrower than its longest entry; the chosen entry is also its tooltip."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Fixed)
        self.currentTextChanged.connect(self.setToolTip)

    def minimumSizeHint(self) -> QSize:  # noqa: N802
        hint = super().minimumSizeHint()
        return QSize(min(hint.width(), self.fontMetrics().averageCharWidth() * 16 + 40), hint.height())

    def showPopup(self) -> None:  # noqa: N802 - the list shows every entry whole
        self.view().setMinimumWidth(self.view().sizeHintForColumn(0) + 24)
        super().showPopup()


def _num(x: object) -> str:
    if isinstance(x, float) and x.is_integer():
        return str(int(x))
    return str(x)


class DateInput(QWidget):
    """``date``: a date box with a calendar pop-up, and "No date" for unanswered."""

    changed = Signal()
    immediate = True

    def __init__(self, low: str | None = None, high: str | None = None, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        lay = QHBoxLayout(self)
        lay.setContentsMargins(0, 0, 0, 0)
        self.edit = QDateEdit(self)
        self.edit.setCalendarPopup(True)
        self.edit.setDisplayFormat("d MMM yyyy")
        self.edit.setSpecialValueText("No date")
        self.edit.setMinimumDate(NO_DATE)
        self.edit.setMaximumDate(QDate(2200, 12, 31))
        self.edit.setDate(NO_DATE)
        self.edit.setMinimumWidth(150)
        self.edit.calendarWidget().installEventFilter(self)
        self._low, self._high = low, high
        self.clear_button = QToolButton(self)
        self.clear_button.setText("No date")
        self.clear_button.setToolTip("Clear the date")
        self.clear_button.setAccessibleName("Clear the date")
        self.clear_button.clicked.connect(lambda: self.setValue(None))
        lay.addWidget(self.edit)
        lay.addWidget(self.clear_button)
        lay.addStretch(1)
        self.setFocusProxy(self.edit)
        self.edit.dateChanged.connect(self._on_changed)
        self._on_changed()

    def eventFilter(self, obj: QObject, event: QEvent) -> bool:  # noqa: N802
        # An empty date would open the calendar in 1900; open it on today instead.
        if event.type() == QEvent.Type.Show and self.edit.date() == NO_DATE:
            cal = self.edit.calendarWidget()
            today = QDate.currentDate()
            cal.setCurrentPage(today.year(), today.month())
        return False

    def _on_changed(self) -> None:
        self.clear_button.setVisible(self.edit.date() != NO_DATE and not self.edit.isReadOnly())
        self.changed.emit()

    def value(self) -> str | None:
        d = self.edit.date()
        return None if d == NO_DATE else d.toString("yyyy-MM-dd")

    def setValue(self, value: object) -> None:  # noqa: N802
        if isinstance(value, date):
            value = value.isoformat()
        d = QDate.fromString(value, "yyyy-MM-dd") if isinstance(value, str) else QDate()
        self.edit.setDate(d if d.isValid() else NO_DATE)

    def setReadOnly(self, on: bool) -> None:  # noqa: N802
        self.edit.setReadOnly(on)
        self.edit.setCalendarPopup(not on)
        self.clear_button.setVisible(not on and self.edit.date() != NO_DATE)


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
            self.spin.setValue(int(value))  # type: ignore[call-overload]
        except (TypeError, ValueError):
            self.spin.setValue(self._low - 1)

    def setReadOnly(self, on: bool) -> None:  # noqa: N802
        self.slider.setEnabled(not on)
        self.spin.setEnabled(not on)
        self._sync_clear()


class _ButtonsInput(QWidget):
    """Shared by radio buttons, check boxes and the grade scale."""

    changed = Signal()
    immediate = True

    def __init__(self, choices: Sequence[Choice], parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.choices = tuple(choices)
        self.buttons: list[QAbstractButton] = []

    def _add(self, button: QAbstractButton, choice: Choice) -> None:
        button.setProperty("choice", choice.value)
        button.toggled.connect(self._toggled)
        self.buttons.append(button)

    def _toggled(self, _on: bool) -> None:
        if not self.signalsBlocked():
            self.changed.emit()

    def setAccessibleName(self, name: str) -> None:  # noqa: N802
        super().setAccessibleName(name)
        for b in self.buttons:
            b.setAccessibleName(f"{name}: {b.label()}")  # type: ignore[attr-defined]

    def setAccessibleDescription(self, text: str) -> None:  # noqa: N802
        super().setAccessibleDescription(text)
        for b in self.buttons:
            b.setAccessibleDescription(text)

    def setReadOnly(self, on: bool) -> None:  # noqa: N802
        for b in self.buttons:
            b.setEnabled(not on)

    def _set_checked(self, values: set[str]) -> None:
        self.blockSignals(True)
        try:
            for b in self.buttons:
                b.setChecked(b.property("choice") in values)
        finally:
            self.blockSignals(False)
        self.changed.emit()


class ChoiceInput(_ButtonsInput):
    """``choice``: radio buttons (a drop-down for long lists); click the chosen one's Clear to unanswer."""

    def __init__(self, choices: Sequence[Choice], parent: QWidget | None = None) -> None:
        super().__init__(choices, parent)
        self.combo: QComboBox | None = None
        lay = QHBoxLayout(self)
        lay.setContentsMargins(0, 0, 0, 0)
        if len(self.choices) > MAX_RADIOS:
            self.combo = _ChoiceCombo(self)
            self.combo.addItem("— Choose —", None)
            for c in self.choices:
                self.combo.addItem(c.label, c.value)
            self.combo.currentIndexChanged.connect(lambda _i: self.changed.emit())
            lay.addWidget(self.combo)
            lay.addStretch(1)
            self.setFocusProxy(self.combo)
            return
        self.group = QButtonGroup(self)
        self.group.setExclusive(False)  # managed by hand so an answer can be cleared again
        vertical = sum(len(c.label) for c in self.choices) > 60
        # Short answers side by side (onto more lines when the page is narrow), long ones one a line.
        box = QVBoxLayout() if vertical else FlowLayout(h_spacing=18, v_spacing=4)
        if vertical:
            box.setSpacing(4)
        for c in self.choices:
            b = WrapRadioButton(c.label, self)
            b.setAutoExclusive(False)
            self.group.addButton(b)
            self._add(b, c)
            box.addWidget(b)
        self.group.buttonClicked.connect(self._clicked)
        lay.addLayout(box, 1)
        self.clear_button = QToolButton(self)
        self.clear_button.setText("Clear")
        self.clear_button.setAccessibleName("Clear the answer")
        self.clear_button.setProperty("role", "clear")
        self.clear_button.clicked.connect(lambda: self.setValue(None))
        lay.addWidget(self.clear_button, 0, Qt.AlignmentFlag.AlignTop)
        self.clear_button.hide()
        self.changed.connect(lambda: self.clear_button.setVisible(self.value() is not None and self._editable()))
        self.setFocusProxy(self.buttons[0])

    def _editable(self) -> bool:
        return bool(self.buttons) and self.buttons[0].isEnabled()

    def _clicked(self, button: QAbstractButton) -> None:
        # Radio behaviour: the clicked one stays on, the others go off.
        self.blockSignals(True)
        for b in self.buttons:
            if b is not button:
                b.setChecked(False)
        button.setChecked(True)
        self.blockSignals(False)
        self.changed.emit()

    def value(self) -> str | None:
        if self.combo is not None:
            return self.combo.currentData()
        for b in self.buttons:
            if b.isChecked():
                return b.property("choice")
        return None

    def setValue(self, value: object) -> None:  # noqa: N802
        if self.combo is not None:
            i = self.combo.findData(value) if value is not None else 0
            self.combo.setCurrentIndex(max(0, i))
            return
        self._set_checked({value} if isinstance(value, str) else set())

    def setReadOnly(self, on: bool) -> None:  # noqa: N802
        if self.combo is not None:
            self.combo.setEnabled(not on)
            return
        super().setReadOnly(on)
        self.clear_button.setVisible(not on and self.value() is not None)


class MultiChoiceInput(_ButtonsInput):
    """``multi_choice``: check boxes, in two columns when the list is long."""

    def __init__(self, choices: Sequence[Choice], parent: QWidget | None = None) -> None:
        super().__init__(choices, parent)
        row = QHBoxLayout(self)
        row.setContentsMargins(0, 0, 0, 0)
        row.setSpacing(24)
        columns = 2 if len(self.choices) > 5 else 1
        per_column = (len(self.choices) + columns - 1) // columns
        for first in range(0, len(self.choices), per_column):
            column = QVBoxLayout()
            column.setSpacing(4)
            for c in self.choices[first:first + per_column]:  # down the first column, then the second
                b = WrapCheckBox(c.label, self)
                self._add(b, c)
                column.addWidget(b)
            column.addStretch(1)
            row.addLayout(column, 1)
        if self.buttons:
            self.setFocusProxy(self.buttons[0])

    def value(self) -> list[str] | None:
        picked = [b.property("choice") for b in self.buttons if b.isChecked()]
        return picked or None

    def setValue(self, value: object) -> None:  # noqa: N802
        if isinstance(value, str):
            value = [value]
        self._set_checked(set(value) if isinstance(value, (list, tuple, set)) else set())


class GradeInput(_ButtonsInput):
    """``grade`` and judgements: a row of labelled toggle buttons; click the chosen one again to clear."""

    def __init__(self, choices: Sequence[Choice], parent: QWidget | None = None) -> None:
        super().__init__(choices, parent)
        # Joined buttons on one line; when they do not fit, they go onto more lines.
        lay = FlowLayout(self, h_spacing=0, v_spacing=4, stack=True)
        self._stacked = False
        for i, c in enumerate(self.choices):
            b = WrapPushButton(c.label, self)
            b.setCheckable(True)
            b.setProperty("role", "grade")
            b.setProperty("grade", c.value)
            b.setProperty("position", "first" if i == 0 else "last" if i == len(self.choices) - 1 else "middle")
            b.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
            b.clicked.connect(lambda _on=False, btn=b: self._clicked(btn))
            b.setAutoDefault(False)
            self._add(b, c)
            lay.addWidget(b)
        if self.buttons:
            self.setFocusProxy(self.buttons[0])

    def resizeEvent(self, event) -> None:  # noqa: N802 - Qt override
        super().resizeEvent(event)
        stacked = self.layout().stacked(event.size().width())  # type: ignore[attr-defined]
        if stacked != self._stacked:  # joined buttons in a row, separate ones in a column
            self._stacked = stacked
            for b in self.buttons:
                b.setProperty("stacked", stacked)
                b.style().unpolish(b)
                b.style().polish(b)

    def _clicked(self, button: QAbstractButton) -> None:
        on = button.isChecked()
        self._set_checked({button.property("choice")} if on else set())

    def keyPressEvent(self, event: QKeyEvent) -> None:  # noqa: N802
        if _arrow_move(self.buttons, event, select=False):
            return
        super().keyPressEvent(event)

    def value(self) -> str | None:
        for b in self.buttons:
            if b.isChecked():
                return b.property("choice")
        return None

    def setValue(self, value: object) -> None:  # noqa: N802
        self._set_checked({value} if isinstance(value, str) else set())


def _arrow_move(buttons: list[QAbstractButton], event: QKeyEvent, *, select: bool) -> bool:
    """Left/Right/Up/Down move between the buttons of a row (radio buttons in a group do this themselves)."""
    keys = {Qt.Key.Key_Left: -1, Qt.Key.Key_Up: -1, Qt.Key.Key_Right: 1, Qt.Key.Key_Down: 1}
    step = keys.get(Qt.Key(event.key()))
    focused = next((i for i, b in enumerate(buttons) if b.hasFocus()), None)
    if step is None or focused is None or event.modifiers() & ~Qt.KeyboardModifier.KeypadModifier:
        return False
    target = buttons[(focused + step) % len(buttons)]
    target.setFocus(Qt.FocusReason.TabFocusReason)
    if select and target.isEnabled():
        target.click()
    return True


def make_input(q: Question, parent: QWidget | None = None) -> QWidget | None:
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
