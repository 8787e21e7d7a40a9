"""The one date box of qadesk, and its date-and-time twin.

:class:`DateBox` is a text box that reads a date as people type it (``15/11/2026``, ``15/11/26``,
``1/6/2026``, ``2026-11-15``, ``15 Nov 2026``: :func:`qadesk.core.dates.parse_date`), a Calendar
button beside it (a Tab stop; Alt+Down or F4 in the box opens the same calendar), and a line
under it that says, in words, why what was typed is not a date.  What it holds changes only
when a whole date is typed, when the person leaves the box or presses Enter, or picks a day
in the calendar; a date that does not exist (``31/02/2026``) is refused and the date held
stays as it was (Escape puts its text back).  Once taken, a date reads ``25 Nov 2026``.

API (the same as every input of the audit form): ``value()`` / ``setValue()`` in ISO text,
``date()`` / ``set_date()`` as :class:`datetime.date`, ``changed`` and ``dateChanged(date |
None)`` when the date held changes, ``commit()`` to take what is typed now (False, with the
reason shown, when it is not a date), ``problem_text()``, ``setReadOnly()``, ``set_range()``.
``immediate`` is False while a change comes from typing (the form then saves after a pause,
as for text) and True otherwise.

:class:`DateTimeBox` adds a time of day (``14:30``, ``2:30pm``) and holds a local, time-zone
aware :class:`datetime.datetime`: ``value()`` / ``setValue()``, ``changed``, ``commit()``.
"""

from __future__ import annotations

from datetime import date, datetime, time

from PySide6.QtCore import QDate, QEvent, QObject, QPoint, Qt, Signal
from PySide6.QtGui import QKeyEvent
from PySide6.QtWidgets import (
    QCalendarWidget,
    QFrame,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QSizePolicy,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from qadesk.core.dates import DateProblem, british_date, complete_date, parse_date, parse_time

__all__ = ["DateBox", "DateTimeBox"]

# The name ``date`` inside DateBox is its method, so its signatures name the type by this alias.
Day = date

HINT = "Type a date such as 25/11/2026, 25/11/26 or 25 Nov 2026, or open the calendar (Alt+Down)"


def _qdate(d: date) -> QDate:
    return QDate(d.year, d.month, d.day)


class _CalendarPopup(QFrame):
    """The calendar that drops down under a date box: arrows move, Enter takes the day, Escape leaves."""

    picked = Signal(object)

    def __init__(self, owner: QWidget) -> None:
        super().__init__(owner, Qt.WindowType.Popup)
        self.setObjectName("date.calendar_popup")
        self.setFrameShape(QFrame.Shape.StyledPanel)
        lay = QVBoxLayout(self)
        lay.setContentsMargins(2, 2, 2, 2)
        self.calendar = QCalendarWidget(self)
        self.calendar.setObjectName("date.calendar")
        self.calendar.setFirstDayOfWeek(Qt.DayOfWeek.Monday)
        self.calendar.setGridVisible(True)
        self.calendar.setVerticalHeaderFormat(QCalendarWidget.VerticalHeaderFormat.NoVerticalHeader)
        self.calendar.setAccessibleName("Calendar: arrow keys move, Enter takes the day, Escape closes")
        self.calendar.activated.connect(self._pick)  # Enter, or a double click
        self.calendar.clicked.connect(self._pick)
        lay.addWidget(self.calendar)

    def _pick(self, day: QDate) -> None:
        self.hide()
        self.picked.emit(day.toPython())

    def keyPressEvent(self, event: QKeyEvent) -> None:  # noqa: N802 - Qt override
        if event.key() == Qt.Key.Key_Escape:
            self.hide()
            return
        super().keyPressEvent(event)


class _DateLine(QLineEdit):
    """The text box: Alt+Down and F4 open the calendar; Escape puts back the date held."""

    calendarRequested = Signal()
    revertRequested = Signal()

    def keyPressEvent(self, event: QKeyEvent) -> None:  # noqa: N802 - Qt override
        key, mods = event.key(), event.modifiers()
        if not self.isReadOnly() and (key == Qt.Key.Key_F4 or (key == Qt.Key.Key_Down
                                                               and mods & Qt.KeyboardModifier.AltModifier)):
            self.calendarRequested.emit()
            return
        if key == Qt.Key.Key_Escape and self.isModified():
            self.revertRequested.emit()
            return  # a second Escape reaches the dialog
        super().keyPressEvent(event)


class DateBox(QWidget):
    """A date typed or picked; see the module's docstring."""

    changed = Signal()
    dateChanged = Signal(object)

    def __init__(self, parent: QWidget | None = None, *, empty_text: str = "", required: bool = False,
                 low: date | None = None, high: date | None = None) -> None:
        super().__init__(parent)
        self.immediate = True
        self._date: date | None = None
        self._required = required
        self._low, self._high = low, high
        self._empty_text = empty_text
        self.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Fixed)
        outer = QVBoxLayout(self)
        outer.setContentsMargins(0, 0, 0, 0)
        outer.setSpacing(2)
        row = QHBoxLayout()
        row.setContentsMargins(0, 0, 0, 0)
        row.setSpacing(4)
        self.edit = _DateLine(self)
        self.edit.setObjectName("date.text")
        self.edit.setPlaceholderText(empty_text or "e.g. 25/11/2026")
        self.edit.setToolTip(HINT)
        self.edit.setMaxLength(40)
        self.edit.setMinimumWidth(self.edit.fontMetrics().horizontalAdvance("e.g. 25/11/2026") + 24)
        self.edit.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Fixed)
        self.calendar_button = QToolButton(self)
        self.calendar_button.setObjectName("date.calendar_button")
        self.calendar_button.setText("Calendar")
        self.calendar_button.setToolTip("Choose the day in a calendar (Alt+Down or F4 in the date box)")
        self.calendar_button.setAccessibleName("Choose the date from a calendar")
        self.calendar_button.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        self.calendar_button.clicked.connect(self.open_calendar)
        row.addWidget(self.edit)
        row.addWidget(self.calendar_button)
        row.addStretch(1)
        outer.addLayout(row)
        self.problem = QLabel(self)
        self.problem.setObjectName("date.problem")
        self.problem.setProperty("role", "problem")
        self.problem.setWordWrap(True)
        self.problem.hide()
        outer.addWidget(self.problem)
        self._description = ""
        self._popup: _CalendarPopup | None = None
        self.setFocusProxy(self.edit)
        self.edit.textEdited.connect(self._typed)
        self.edit.editingFinished.connect(self.commit)
        self.edit.calendarRequested.connect(self.open_calendar)
        self.edit.revertRequested.connect(self.revert)

    # ---- what it holds --------------------------------------------------------------------

    def date(self) -> date | None:
        return self._date

    def set_date(self, value: Day | None) -> None:
        """Hold ``value`` and show it (a program's change: nothing is refused, nothing typed is kept)."""
        self._show_problem("")
        self._show_text(value)
        self._take(value, immediate=True)

    def value(self) -> str | None:
        return self._date.isoformat() if self._date else None

    def setValue(self, value: object) -> None:  # noqa: N802 - the form's input API
        if isinstance(value, datetime):
            value = value.date()
        if isinstance(value, str):
            try:
                value = date.fromisoformat(value.strip())
            except ValueError:
                value = None
        self.set_date(value if isinstance(value, date) else None)

    def set_range(self, low: Day | None, high: Day | None) -> None:
        self._low, self._high = low, high

    def problem_text(self) -> str:
        return self.problem.text() if not self.problem.isHidden() else ""

    # ---- typing ---------------------------------------------------------------------------

    def _typed(self, text: str) -> None:
        # A whole date is taken as it is typed (so the form saves it after a pause, as for text);
        # anything shorter waits until the person leaves the box or presses Enter.
        if complete_date(text):
            d = parse_date(text)
            if self._out_of_range(d) is None:
                self._show_problem("")
                self._take(d, immediate=False)

    def commit(self) -> bool:
        """Take what is typed now; False (the reason shown under the box, the date held unchanged) if it is not
        a date this box takes."""
        text = self.edit.text().strip()
        if not text:
            if self._required:
                return self._refuse("A date is needed here.")
            self._show_problem("")
            self._take(None, immediate=True)
            self.edit.setModified(False)
            return True
        try:
            d = parse_date(text)
        except DateProblem as exc:
            return self._refuse(exc.message)
        why = self._out_of_range(d)
        if why:
            return self._refuse(f"“{text}”: {why}")
        self._show_problem("")
        self._show_text(d)
        self._take(d, immediate=True)
        return True

    def revert(self) -> None:
        """Show the date held again, forgetting what was typed."""
        self._show_problem("")
        self._show_text(self._date)

    def _refuse(self, why: str) -> bool:
        kept = f"The date stays {british_date(self._date)}." if self._date else "No date has been saved."
        self._show_problem(f"Not a date: {why} {kept}" if not why.startswith("A date") else f"{why} {kept}")
        return False

    def _out_of_range(self, d: Day) -> str | None:
        if self._low and d < self._low:
            return f"the date must be on or after {british_date(self._low)}."
        if self._high and d > self._high:
            return f"the date must be on or before {british_date(self._high)}."
        return None

    def _take(self, value: Day | None, *, immediate: bool) -> None:
        if value == self._date:
            return
        self._date = value
        self.immediate = immediate
        try:
            self.dateChanged.emit(value)
            self.changed.emit()
        finally:
            self.immediate = True

    def _show_text(self, value: Day | None) -> None:
        self.edit.setText(british_date(value) if value else "")
        self.edit.setModified(False)

    def _show_problem(self, text: str) -> None:
        self.problem.setText(text)
        self.problem.setVisible(bool(text))
        # A screen reader hears the reason with the box's description.
        self.edit.setAccessibleDescription(" ".join(x for x in (text, self._description) if x))

    # ---- the calendar ---------------------------------------------------------------------

    def open_calendar(self) -> None:
        if self.edit.isReadOnly() or not self.isEnabled():
            return
        if self.edit.isModified():
            self.commit()
        if self._popup is None:
            self._popup = _CalendarPopup(self)
            self._popup.picked.connect(self._picked)
        cal = self._popup.calendar
        cal.setMinimumDate(_qdate(self._low) if self._low else QDate(1900, 1, 1))
        cal.setMaximumDate(_qdate(self._high) if self._high else QDate(2199, 12, 31))
        cal.setSelectedDate(_qdate(self._date or date.today()))
        self._popup.adjustSize()
        below = self.edit.mapToGlobal(QPoint(0, self.edit.height()))
        screen = self.screen().availableGeometry()
        size = self._popup.size()
        x = max(screen.left(), min(below.x(), screen.right() - size.width()))
        y = below.y() if below.y() + size.height() <= screen.bottom() else \
            self.edit.mapToGlobal(QPoint(0, 0)).y() - size.height()  # above the box near the screen's foot
        self._popup.move(x, max(screen.top(), y))
        self._popup.show()
        cal.setFocus(Qt.FocusReason.PopupFocusReason)

    def _picked(self, day: Day) -> None:
        self._show_problem("")
        self._show_text(day)
        self._take(day, immediate=True)
        self.edit.setFocus(Qt.FocusReason.PopupFocusReason)

    # ---- the input API --------------------------------------------------------------------

    def setReadOnly(self, on: bool) -> None:  # noqa: N802 - Qt naming
        self.edit.setReadOnly(on)
        self.calendar_button.setVisible(not on)

    def isReadOnly(self) -> bool:  # noqa: N802
        return self.edit.isReadOnly()

    def setAccessibleName(self, name: str) -> None:  # noqa: N802 - the text box takes the focus: name it too
        super().setAccessibleName(name)
        self.edit.setAccessibleName(name)
        self.calendar_button.setAccessibleName(f"{name}: choose from a calendar")

    def setAccessibleDescription(self, text: str) -> None:  # noqa: N802
        super().setAccessibleDescription(text)
        self._description = text
        self._show_problem(self.problem_text())


class DateTimeBox(QWidget):
    """A date and a time of day (e.g. when someone was told of an urgent concern).

    ``value()`` is a local, time-zone aware datetime or None when both boxes are empty;
    ``commit()`` is False, with the reason shown, when one of them is not right (a date
    without its time is refused too).
    """

    changed = Signal()

    def __init__(self, parent: QWidget | None = None, *, required: bool = False) -> None:
        super().__init__(parent)
        self.immediate = True
        self._required = required
        self._time: time | None = None
        self.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Fixed)
        outer = QVBoxLayout(self)
        outer.setContentsMargins(0, 0, 0, 0)
        outer.setSpacing(2)
        row = QHBoxLayout()
        row.setContentsMargins(0, 0, 0, 0)
        self.date_box = DateBox(self)
        self.time_edit = QLineEdit(self)
        self.time_edit.setObjectName("date.time")
        self.time_edit.setPlaceholderText("e.g. 14:30")
        self.time_edit.setMaxLength(12)
        self.time_edit.setMaximumWidth(self.time_edit.fontMetrics().horizontalAdvance("e.g. 14:30") + 24)
        self.time_edit.setToolTip("The time of day, such as 14:30 or 2:30pm")
        row.addWidget(self.date_box)
        row.addWidget(QLabel("at", self))
        row.addWidget(self.time_edit)
        row.addStretch(1)
        outer.addLayout(row)
        self.problem = QLabel(self)
        self.problem.setProperty("role", "problem")
        self.problem.setWordWrap(True)
        self.problem.hide()
        outer.addWidget(self.problem)
        self.setFocusProxy(self.date_box)
        self.date_box.changed.connect(self.changed)
        self.time_edit.editingFinished.connect(self._time_finished)
        self.time_edit.installEventFilter(self)

    def eventFilter(self, obj: QObject, event: QEvent) -> bool:  # noqa: N802 - Escape puts the time back
        if obj is self.time_edit and event.type() == QEvent.Type.KeyPress and isinstance(event, QKeyEvent) \
                and event.key() == Qt.Key.Key_Escape and self.time_edit.isModified():
            self._show_time()
            return True
        return False

    def _time_finished(self) -> None:
        if self._commit_time():
            self.changed.emit()

    def _commit_time(self) -> bool:
        text = self.time_edit.text().strip()
        if not text:
            self._time = None
            self._say("")
            return True
        try:
            self._time = parse_time(text)
        except DateProblem as exc:
            kept = f" The time stays {self._time:%H:%M}." if self._time else ""
            self._say(f"Not a time: {exc.message}{kept}")
            return False
        self._say("")
        self._show_time()
        return True

    def _show_time(self) -> None:
        self.time_edit.setText(f"{self._time:%H:%M}" if self._time else "")
        self.time_edit.setModified(False)

    def _say(self, text: str) -> None:
        self.problem.setText(text)
        self.problem.setVisible(bool(text))
        self.time_edit.setAccessibleDescription(text)

    def commit(self) -> bool:
        """Take what is typed in both boxes; False, with the reason shown, when it is not a date and time."""
        if not self.date_box.commit() or not self._commit_time():
            return False
        d = self.date_box.date()
        if d is None and self._time is None:
            if self._required:
                self._say("Give the date and the time.")
                return False
            return True
        if d is None or self._time is None:
            self._say("Give both the date and the time." if d is None else "Give the time of day too.")
            return False
        return True

    def value(self) -> datetime | None:
        d = self.date_box.date()
        if d is None or self._time is None:
            return None
        return datetime.combine(d, self._time).astimezone()

    def setValue(self, value: object) -> None:  # noqa: N802 - the form's input API
        if isinstance(value, str):
            try:
                value = datetime.fromisoformat(value)
            except ValueError:
                value = None
        if isinstance(value, datetime):
            local = value.astimezone() if value.tzinfo else value
            self.date_box.set_date(local.date())
            self._time = local.time().replace(second=0, microsecond=0)
        else:
            self.date_box.set_date(None)
            self._time = None
        self._say("")
        self._show_time()

    def setReadOnly(self, on: bool) -> None:  # noqa: N802
        self.date_box.setReadOnly(on)
        self.time_edit.setReadOnly(on)

    def setAccessibleName(self, name: str) -> None:  # noqa: N802
        super().setAccessibleName(name)
        self.date_box.setAccessibleName(f"{name}: date")
        self.time_edit.setAccessibleName(f"{name}: time of day")
