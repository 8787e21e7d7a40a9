"""Autosave: every change in the store within a second, with no Save button.

The form schedules a *job* per thing that changed ("answer:seen_alone",
"summary:strengths", ...).  A job is a function that reads the widget when
it runs, so a burst of typing becomes one write with the latest text.  Typing
waits for a short pause (``delay_ms``); a click saves at once.  Jobs run in
the order their keys were first scheduled, each in its own short
transaction, so a refused answer never takes another one down with it.

What can go wrong is kept apart:
- the service refuses the value (:class:`~qadesk.core.errors.QadeskError`):
  the job is dropped and the form shows the reason beside the input (the
  text stays in the widget, so nothing the auditor typed is lost);
- the database could not be written (locked, disk full): the job stays
  queued and is retried, and the form says "Not saved".
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from PySide6.QtCore import QObject, QTimer, Signal
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from qadesk.core.errors import QadeskError
from qadesk.store import Store

Job = Callable[[Session], Any]
RETRY_MS = 3000


class Autosaver(QObject):
    saving = Signal()
    saved = Signal(str, object, object)  # key, result of the job, when (local datetime)
    refused = Signal(str, str)  # key, the reason in plain English
    failed = Signal(str, str)  # key, the reason; the job is kept and retried

    def __init__(self, store: Store, delay_ms: int = 400, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._store = store
        self._pending: dict[str, Job] = {}
        self._running = False
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setInterval(delay_ms)
        self._timer.timeout.connect(self.flush)
        self._retry = QTimer(self)
        self._retry.setSingleShot(True)
        self._retry.setInterval(RETRY_MS)
        self._retry.timeout.connect(self.flush)

    @property
    def pending(self) -> list[str]:
        return list(self._pending)

    def schedule(self, key: str, job: Job, *, immediate: bool = False) -> None:
        """Queue ``job`` under ``key`` (replacing an older job of that key, keeping its place)."""
        self._pending[key] = job
        if immediate:
            self.flush()
        else:
            self._timer.start()

    def discard(self, key: str) -> None:
        self._pending.pop(key, None)

    def flush(self) -> bool:
        """Run every queued job now; True when nothing is left unsaved."""
        self._timer.stop()
        if self._running:  # a slot connected to our own signals asked again: the loop below sees it
            return not self._pending
        self._running = True
        try:
            while self._pending:
                key = next(iter(self._pending))
                job = self._pending[key]
                self.saving.emit()
                try:
                    with self._store.transaction() as session:
                        result = job(session)
                except QadeskError as exc:
                    if self._pending.get(key) is job:
                        del self._pending[key]
                    self.refused.emit(key, _reason(exc))
                    continue
                except (SQLAlchemyError, OSError) as exc:
                    self.failed.emit(key, _reason(exc))
                    self._retry.start()
                    return False
                if self._pending.get(key) is job:
                    del self._pending[key]
                self.saved.emit(key, result, datetime.now().astimezone())
            return True
        finally:
            self._running = False


def _reason(exc: BaseException) -> str:
    message = getattr(exc, "message", None) or str(exc) or type(exc).__name__
    if isinstance(exc, SQLAlchemyError):
        orig = getattr(exc, "orig", None)
        message = str(orig) if orig is not None else message.splitlines()[0]
    return message.splitlines()[0][:200]
