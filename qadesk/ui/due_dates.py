"""One question for every dialog that sets an action's due date: a date in the past is asked about."""

from __future__ import annotations

from datetime import date

from PySide6.QtWidgets import QWidget

from qadesk.core.dates import british_date
from qadesk.ui import messages


def confirm_due(parent: QWidget | None, due: date | None, before: date | None = None,
                today: date | None = None) -> bool:
    """True to go on.  A due date before today asks "are you sure?", naming the date; the date the action
    already had is not asked about again (an overdue action keeps its date while its owner changes)."""
    if due is None or due == before or due >= (today or date.today()):
        return True
    when = british_date(due)
    return messages.ask(f"The due date {when} is in the past. Are you sure this action was due on {when}?",
                        parent=parent, title="Due date in the past", yes=f"Yes, due {when}", no="Change the date")
