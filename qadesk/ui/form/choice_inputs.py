"""The inputs that offer choices: radio buttons (or a drop-down), check boxes and the grade scale.

Same small API as every input (see :mod:`qadesk.ui.form.widgets`).  They are
a container QWidget carrying the object name ``question.<id>``; their buttons
are ordinary focusable children, so Tab and the arrow keys reach them, and
their labels wrap rather than run past the edge of a narrow page.

A choice once made is cleared only on purpose: Space or a click on the chosen
option keeps it; the Clear button beside the options, or Delete, clears it,
and Ctrl+Z (or the same button, now "Undo clear") puts it back.  Moving
through radio buttons with the arrow keys changes the answer as it goes, but
the form saves it after a pause, as it does typing (``immediate`` is False
for those changes), so the history records the option the auditor stays on.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from PySide6.QtCore import QEvent, QObject, QSize, Qt, Signal
from PySide6.QtGui import QKeyEvent, QResizeEvent
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
from qadesk.ui.form.fit import FlowLayout, WrapCheckBox, WrapPushButton, WrapRadioButton, WrapText

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




_NOTHING = object()


class _ButtonsInput(QWidget):
    """Shared by radio buttons, check boxes and the grade scale."""

    changed = Signal()
    immediate = True
    _changes_on_toggle = False  # check boxes: every toggle is a change; the others say when they change
    clear_button: QToolButton | None = None
    _clearable = False  # Delete clears and Ctrl+Z undoes the clear (radio buttons, drop-downs, grades)
    _what = "answer"

    def __init__(self, choices: Sequence[Choice], parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.choices = tuple(choices)
        self.buttons: list[WrapText] = []
        self._undo: object = _NOTHING  # the value a clear took away, until another is chosen

    if TYPE_CHECKING:  # each kind of input says what its answer is
        def value(self) -> str | list[str] | None: ...
        def setValue(self, value: object) -> None: ...  # noqa: N802

    def _add(self, button: WrapText, choice: Choice) -> None:
        button.setProperty("choice", choice.value)
        if self._changes_on_toggle:
            button.toggled.connect(self._toggled)
        self.buttons.append(button)

    def _toggled(self, _on: bool) -> None:
        if not self.signalsBlocked():
            self.changed.emit()

    def _emit(self, *, typed: bool = False) -> None:
        """Tell the form the answer changed; ``typed`` (the arrow keys): save after a pause, not at once."""
        if self.value() is not None:
            self._undo = _NOTHING
        self.immediate = not typed
        try:
            self.changed.emit()
        finally:
            self.immediate = True
        self._sync_clear()

    # ---- clearing on purpose, and undoing it --------------------------------------------------

    def _make_clear_button(self) -> QToolButton:
        b = QToolButton(self)
        b.setObjectName("choice.clear")
        b.setProperty("role", "clear")
        b.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        b.clicked.connect(self._clear_clicked)
        b.hide()
        self.clear_button = b
        return b

    def _editable(self) -> bool:
        return bool(self.buttons) and self.buttons[0].isEnabled()

    def clear_answer(self) -> bool:
        """Clear the choice (kept for Ctrl+Z); False when there was nothing to clear."""
        value = self.value()
        if value is None or not self._editable():
            return False
        self._undo = value
        self.setValue(None)
        return True

    def undo_clear(self) -> bool:
        """Put back the choice the last clear took away; False when there is none to put back."""
        if self._undo is _NOTHING or not self._editable():
            return False
        value, self._undo = self._undo, _NOTHING
        self.setValue(value)
        return True

    def _clear_clicked(self) -> None:
        had_focus = self.clear_button is not None and self.clear_button.hasFocus()
        if self._undo is not _NOTHING and self.value() is None:
            self.undo_clear()
        else:
            self.clear_answer()
        if had_focus and self.clear_button is not None and self.clear_button.isHidden():
            self.setFocus(Qt.FocusReason.OtherFocusReason)

    def _sync_clear(self) -> None:
        b = self.clear_button
        if b is None:
            return
        name = self.accessibleName() or "the answer"
        if self._undo is not _NOTHING and self.value() is None:
            label = self._label_of(self._undo)
            b.setText("Undo clear")
            b.setToolTip(f"Put back “{label}” (Ctrl+Z)")
            b.setAccessibleName(f"Undo clear: put back {label} as {name}")
        else:
            b.setText("Clear")
            b.setToolTip(f"Clear the {self._what} (Delete); Ctrl+Z puts it back")
            b.setAccessibleName(f"Clear {name}")
        b.setVisible(self._editable() and (self.value() is not None or self._undo is not _NOTHING))

    def _label_of(self, value: object) -> str:
        return next((c.label for c in self.choices if c.value == value), str(value))

    def keyPressEvent(self, event: QKeyEvent) -> None:  # noqa: N802 - Delete clears, Ctrl+Z undoes the clear
        if self._clear_keys(event):
            return
        super().keyPressEvent(event)

    def _clear_keys(self, event: QKeyEvent) -> bool:
        key, mods = event.key(), event.modifiers() & ~Qt.KeyboardModifier.KeypadModifier
        clear = key in (Qt.Key.Key_Delete, Qt.Key.Key_Backspace) and not mods
        undo = key == Qt.Key.Key_Z and mods == Qt.KeyboardModifier.ControlModifier
        return self._clearable and ((clear and self.clear_answer()) or (undo and self.undo_clear()))

    def eventFilter(self, obj: QObject, event: QEvent) -> bool:  # noqa: N802 - a drop-down eats Ctrl+Z (it searches)
        if obj is getattr(self, "combo", None) and event.type() == QEvent.Type.KeyPress \
                and isinstance(event, QKeyEvent):
            return self._clear_keys(event)
        return super().eventFilter(obj, event)

    def setAccessibleName(self, name: str) -> None:  # noqa: N802
        super().setAccessibleName(name)
        for b in self.buttons:
            b.setAccessibleName(f"{name}: {b.label()}")
        combo = getattr(self, "combo", None)  # a long list's drop-down takes the focus: name it too
        if combo is not None:
            combo.setAccessibleName(name)
        self._sync_clear()

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
        self._sync_clear()

    def _set_checked(self, values: set[str], *, typed: bool = False) -> None:
        self.blockSignals(True)
        try:
            for b in self.buttons:
                b.setChecked(b.property("choice") in values)
        finally:
            self.blockSignals(False)
        self._emit(typed=typed)


class ChoiceInput(_ButtonsInput):
    """``choice``: radio buttons (a drop-down for long lists), with Clear beside them."""

    _clearable = True

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
            self.combo.currentIndexChanged.connect(lambda _i: self._emit())
            self.combo.installEventFilter(self)
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
        lay.addWidget(self._make_clear_button(), 0, Qt.AlignmentFlag.AlignTop)
        self.setFocusProxy(self.buttons[0])

    def _editable(self) -> bool:
        if self.combo is not None:
            return self.combo.isEnabled()
        return super()._editable()

    def keyPressEvent(self, event: QKeyEvent) -> None:  # noqa: N802
        # The group is managed by hand (so an answer can be cleared), which leaves Qt's radio buttons
        # without their arrow keys, and Tab enters the group at one button only: without this the
        # keyboard could reach only the first choice.  The answer follows the arrows, saved after a pause.
        if self.combo is None:
            target = _arrow_move(self.buttons, event)
            if target is not None:
                if target.isEnabled():
                    self._set_checked({target.property("choice")}, typed=True)
                return
        super().keyPressEvent(event)

    def _clicked(self, button: QAbstractButton) -> None:
        # Radio behaviour: the clicked one stays on (a click or Space on it again keeps it), the others go off.
        if button.isChecked():
            self._set_checked({button.property("choice")})
        else:
            _keep_checked(button)

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


class MultiChoiceInput(_ButtonsInput):
    """``multi_choice``: check boxes, in two columns when the list is long (Space ticks and unticks)."""

    _changes_on_toggle = True

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


class _Scale(QWidget):
    """The grade buttons' row (a FlowLayout), which stacks them one a line when they do not fit."""

    def __init__(self, owner: GradeInput) -> None:
        super().__init__(owner)
        self._owner = owner
        self._stacked = False
        self.flow = FlowLayout(self, h_spacing=0, v_spacing=4, stack=True)

    def resizeEvent(self, event: QResizeEvent) -> None:  # noqa: N802 - Qt override
        super().resizeEvent(event)
        stacked = self.flow.stacked(event.size().width())
        if stacked != self._stacked:  # joined buttons in a row, separate ones in a column
            self._stacked = stacked
            for b in self._owner.buttons:
                b.setProperty("stacked", stacked)
                b.style().unpolish(b)
                b.style().polish(b)


class GradeInput(_ButtonsInput):
    """``grade`` and judgements: a row of labelled toggle buttons, and Clear under them.

    A click or Space on the chosen grade keeps it (it used to clear it, so an auditor going along
    the row with the keyboard lost a judgement with one key).
    """

    _clearable = True
    _what = "judgement"

    def __init__(self, choices: Sequence[Choice], parent: QWidget | None = None) -> None:
        super().__init__(choices, parent)
        column = QVBoxLayout(self)
        column.setContentsMargins(0, 0, 0, 0)
        column.setSpacing(4)
        # Joined buttons on one line; when they do not fit, they go onto more lines.
        self.scale = _Scale(self)
        for i, c in enumerate(self.choices):
            b = WrapPushButton(c.label, self.scale)
            b.setCheckable(True)
            b.setProperty("role", "grade")
            b.setProperty("grade", c.value)
            b.setProperty("position", "first" if i == 0 else "last" if i == len(self.choices) - 1 else "middle")
            b.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
            b.clicked.connect(lambda _on=False, btn=b: self._clicked(btn))
            b.setAutoDefault(False)
            self._add(b, c)
            self.scale.flow.addWidget(b)
        column.addWidget(self.scale)
        # Clear goes under the scale, which needs all the width it can have to stay on one line; its room is
        # kept while it is hidden, so choosing a grade does not move what follows.
        clear = self._make_clear_button()
        policy = clear.sizePolicy()
        policy.setRetainSizeWhenHidden(True)
        clear.setSizePolicy(policy)
        column.addWidget(clear, 0, Qt.AlignmentFlag.AlignLeft)
        if self.buttons:
            self.setFocusProxy(self.buttons[0])

    def _clicked(self, button: QAbstractButton) -> None:
        if button.isChecked():
            self._set_checked({button.property("choice")})
        else:
            _keep_checked(button)  # the chosen grade again: it stays; clearing is Clear or Delete

    def keyPressEvent(self, event: QKeyEvent) -> None:  # noqa: N802
        if _arrow_move(self.buttons, event) is not None:
            return
        super().keyPressEvent(event)

    def value(self) -> str | None:
        for b in self.buttons:
            if b.isChecked():
                return b.property("choice")
        return None

    def setValue(self, value: object) -> None:  # noqa: N802
        self._set_checked({value} if isinstance(value, str) else set())


def _keep_checked(button: QAbstractButton) -> None:
    """A click (or Space) unchecked the chosen option: check it again, telling no one (nothing changed)."""
    blocker = button.blockSignals(True)
    button.setChecked(True)
    button.blockSignals(blocker)


def _arrow_move(buttons: Sequence[QAbstractButton], event: QKeyEvent) -> QAbstractButton | None:
    """Left/Right/Up/Down move the focus between the buttons of a row; the button moved to (None: not an arrow)."""
    keys = {Qt.Key.Key_Left: -1, Qt.Key.Key_Up: -1, Qt.Key.Key_Right: 1, Qt.Key.Key_Down: 1}
    step = keys.get(Qt.Key(event.key()))
    focused = next((i for i, b in enumerate(buttons) if b.hasFocus()), None)
    if step is None or focused is None or event.modifiers() & ~Qt.KeyboardModifier.KeypadModifier:
        return None
    target = buttons[(focused + step) % len(buttons)]
    target.setFocus(Qt.FocusReason.TabFocusReason)
    return target
