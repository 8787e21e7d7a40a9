"""What qadesk told the user during a test: the ``messages_seen`` fixture's list (see tests/conftest.py).

Every message reaches the user through :mod:`qadesk.ui.messages`, whose ``_present`` is the one
place a message becomes a box on the screen; the fixture wraps it for the length of a test, so each
message is recorded (as the :class:`~qadesk.ui.messages.Message` the box shows) and still shown.
A question (``messages.ask``) is where the program waits for a person: the fixture answers it, with
the test's answer (``answer``) or "no", as a desktop user would click, and records it too.
"""

from __future__ import annotations

from collections.abc import Callable

import pytest
import shiboken6
from PySide6.QtWidgets import QApplication, QMessageBox, QWidget

from qadesk import APP_NAME
from qadesk.ui import messages
from qadesk.ui.messages import Message


class MessagesSeen(list[Message]):
    """The messages shown so far, oldest first (``messages_seen[-1].title``).

    A question asked is in the list too, with level "question" and "yes" or "no" as its detail."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        super().__init__()
        self._answer: Callable[[str], bool] = lambda _text: False
        present = messages._present

        def record(msg: Message, parent: QWidget | None) -> None:
            self.append(msg)
            present(msg, parent)

        monkeypatch.setattr(messages, "_present", record)
        monkeypatch.setattr(messages, "ask", self._ask)

    def answer(self, fn: Callable[[str], bool]) -> None:
        """Answer the questions asked from now on with ``fn(question text)``: True is yes (by default: no)."""
        self._answer = fn

    def _ask(self, text: str, *, parent: QWidget | None = None, title: str = APP_NAME, yes: str = "OK",
             no: str = "Cancel") -> bool:
        answer = bool(self._answer(text))
        self.append(Message("question", title, text, "yes" if answer else "no"))
        return answer

    @property
    def errors(self) -> list[Message]:
        return [m for m in self if m.level == "error"]

    def close_boxes(self) -> None:
        """Close every message box still open (offscreen they are modeless and wait for nobody)."""
        app = QApplication.instance()
        if app is None:
            return
        for w in QApplication.topLevelWidgets():
            if isinstance(w, QMessageBox) and shiboken6.isValid(w) and w.isVisible():
                w.close()
        app.processEvents()
