"""The inputs that offer choices: radio buttons (or a drop-down), check boxes and the grade scale.

Same small API as every input (see :mod:`qadesk.ui.form.widgets`).  They are
a container QWidget carrying the object name ``question.<id>``; their buttons
are ordinary focusable children, so Tab and the arrow keys reach them, and
their labels wrap rather than run past the edge of a narrow page.
"""

from __future__ import annotations

from collections.abc import Sequence

from PySide6.QtCore import QSize, Qt, Signal
from PySide6.QtGui import QKeyEvent
from PySide6.QtWidgets import (
    QAbstractButton,
    QButtonGroup,
    QComboBox,
    QHBoxLayout,
    QSizePolicy,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from qadesk.core.template import Choice
from qadesk.ui.form.fit import FlowLayout, WrapCheckBox, WrapPushButton, WrapRadioButton

# A list longer than this is offered as a drop-down rather than radio buttons.
MAX_RADIOS = 6


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
        combo = getattr(self, "combo", None)  # a long list's drop-down takes the focus: name it too
        if combo is not None:
            combo.setAccessibleName(name)

    def setAccessibleDescription(self, text: str) -> None:  # noqa: N802
        super().setAccessibleDescription(text)
        for b in self.buttons:
            b.setAccessibleDescription(text)
        combo = getattr(self, "combo", None)
        if combo is not None:
            combo.setAccessibleDescription(text)

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

    def keyPressEvent(self, event: QKeyEvent) -> None:  # noqa: N802
        # The group is managed by hand (so an answer can be cleared), which leaves Qt's radio buttons
        # without their arrow keys, and Tab enters the group at one button only: without this the
        # keyboard could reach only the first choice.
        if self.combo is None and _arrow_move(self.buttons, event, select=True):
            return
        super().keyPressEvent(event)

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
