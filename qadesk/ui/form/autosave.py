"""Autosave: every change in the store within a second, with no Save button.

The form schedules a *job* per thing that changed ("answer:seen_alone",
"summary:strengths", ...).  A job holds the value the widget had when it was
scheduled (read on the UI thread; each change schedules again, replacing the
older job of its key), so a burst of typing becomes one write with the latest
text, and the job itself touches no widget.  Typing waits for a short pause
(``delay_ms``); a click saves at once.

The writes run in the window's database pool (:mod:`qadesk.ui.operations`),
never on the UI thread: a keystroke made while another process holds SQLite's
write lock waits for nothing.  The pool runs one job at a time, so the jobs
are written in the order their keys were first scheduled, each in its own
short transaction, so a refused answer never takes another one down with it.
The outcome comes back on the main thread as the signals below.

What can go wrong is kept apart:
- the service refuses the value (:class:`~qadesk.core.errors.QadeskError`):
  the job is dropped and the form shows the reason beside the input (the
  text stays in the widget, so nothing the auditor typed is lost);
- the audit is no longer a draft (submitted or closed elsewhere meanwhile,
  :class:`~qadesk.core.errors.NotDraft`): the job is dropped and ``closed``
  tells the form, which hands the auditor what it could not save ("Your last
  changes were not saved");
- the change met another made at the same moment
  (:class:`~qadesk.core.errors.WriteConflict`: the audit's revision moved,
  or another writer kept the store busy): nothing of it was written, so it is
  tried again at once on the audit as it now is (the service checks it again:
  still valid, it is saved; refused, it is refused as above), and after
  ``CONFLICT_TRIES`` it stays queued like a failed write;
- the database could not be written (locked, disk full): the job stays
  queued and is retried, and the form says "Not saved".
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime
from typing import Any

from PySide6.QtCore import QObject, QTimer, Signal
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from qadesk.core.errors import NotDraft, QadeskError, WriteConflict
from qadesk.store import Store
from qadesk.ui import messages
from qadesk.ui.operations import Operation, Operations

log = logging.getLogger("qadesk.autosave")

Job = Callable[[Session], Any]
RETRY_MS = 3000
CONFLICT_TRIES = 3  # a change that met another is tried again at once, this many times in all
CONFLICT_REASON = "another copy of qadesk was writing at the same moment; your change is kept and tried again"
WAIT_MS = 30_000


class Autosaver(QObject):
    saving = Signal()
    saved = Signal(str, object, object)  # key, result of the job, when (local datetime)
    refused = Signal(str, str)  # key, the reason in plain English
    closed = Signal(str, str)  # key, the reason: the audit is no longer a draft, the change was not saved
    failed = Signal(str, str)  # key, the reason; the job is kept and retried

    def __init__(self, store: Store, ops: Operations, delay_ms: int = 400, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._store = store
        self._ops = ops
        self._pending: dict[str, Job] = {}  # scheduled, not yet handed to the pool
        self._writing: dict[str, Job] = {}  # handed to the pool, outcome not yet back
        self._batch: Operation | None = None
        self._waiting: list[Callable[[bool], None]] = []  # when_saved callbacks
        self.quiet = False  # the form is gone: unexpected errors are logged, not shown
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
        """The keys whose change is not yet committed: being written now, then queued, in that order."""
        return list(dict.fromkeys([*self._writing, *self._pending]))

    @property
    def writing(self) -> list[str]:
        """The keys being written in the background now."""
        return list(self._writing)

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
        """Hand every queued job to the database pool now; True when nothing is left unsaved.

        The writes happen in the background: :meth:`wait_saved` waits for them.
        """
        self._timer.stop()
        if self._batch is None and self._pending:
            self._start()
        return not self.pending

    def when_saved(self, then: Callable[[bool], None]) -> None:
        """``then(True)`` once everything pending is in the store (at once when nothing is), or
        ``then(False)`` when a write failed; the UI thread does not wait meanwhile (submitting)."""
        self.flush()
        if not self.pending:
            then(True)
        else:
            self._waiting.append(then)

    def _tell_waiting(self, ok: bool) -> None:
        if ok and self.pending:
            return
        waiting, self._waiting = self._waiting, []
        for then in waiting:
            then(ok)

    def wait_saved(self, timeout_ms: int = WAIT_MS) -> bool:
        """Write everything pending and wait until it is in the store (closing, submitting, tests).

        True when nothing is left unsaved; False when a write failed (it stays queued and is
        retried) or did not end within ``timeout_ms``.
        """
        while True:
            self.flush()
            batch = self._batch
            if batch is None:
                return not self.pending
            if not batch.wait(timeout_ms):
                return False
            if self._batch is batch:  # its result did not come back (the window is going away)
                return False
            if self._retry.isActive():  # a write failed: it waits for its retry
                return False

    def _start(self) -> None:
        jobs = list(self._pending.items())
        self._writing = dict(jobs)
        self._pending.clear()
        self._retry.stop()
        self.saving.emit()
        store = self._store

        def write(_progress: object, _cancel: object) -> list[tuple[str, str, Any]]:
            outcomes: list[tuple[str, str, Any]] = []
            for key, job in jobs:
                outcome = _write_one(store, job)
                outcomes.append((key, *outcome))
                if outcome[0] == "failed":
                    break  # the rest waits for the retry, in the same order
            return outcomes

        self._batch = self._ops.run(write, label="Saving", show_progress=False, cancellable=False,
                                    on_success=self._written, on_failure=self._broken)

    def _written(self, outcomes: list[tuple[str, str, Any]]) -> None:
        self._batch = None
        done = {key for key, how, _what in outcomes if how != "failed"}
        self._requeue({k: j for k, j in self._writing.items() if k not in done})
        for key, how, what in outcomes:
            if how == "saved":
                result, when = what
                self.saved.emit(key, result, when)
            elif how == "refused":
                self.refused.emit(key, what)
            elif how == "closed":
                self.closed.emit(key, what)
            else:
                self.failed.emit(key, what)
                self._retry.start()
                self._tell_waiting(False)
                return
        if self._pending and (self._waiting or not self._timer.isActive()):
            self.flush()  # changed while being written (and its pause is over, or someone waits for it)
        self._tell_waiting(True)

    def _broken(self, exc: BaseException) -> None:
        """Not a refusal nor a database failure: a fault. The jobs stay queued; the fault is shown."""
        self._batch = None
        self._requeue(self._writing)
        if self.quiet:
            log.error("autosave failed", exc_info=exc)
        else:
            messages.show_exception(exc, None)
        self._tell_waiting(False)

    def _requeue(self, unwritten: dict[str, Job]) -> None:
        # What was not written goes back to the head of the queue, in its order, unless the
        # auditor changed it again meanwhile (then the newer job, with the latest value, goes).
        head = {key: self._pending.pop(key, job) for key, job in unwritten.items()}
        self._pending = {**head, **self._pending}
        self._writing = {}


def _write_one(store: Store, job: Job) -> tuple[str, Any]:
    """One job in its own transaction: ("saved", (result, when)), ("refused" | "closed" | "failed", reason)."""
    for attempt in range(1, CONFLICT_TRIES + 1):
        try:
            with store.transaction() as session:
                result = job(session)
        except WriteConflict:
            # Nothing was written: the job runs again on the audit as it is now (every job reads the
            # audit afresh), so the auditor's change goes in after the other one, or is refused for a reason.
            if attempt == CONFLICT_TRIES:
                return "failed", CONFLICT_REASON
        except NotDraft as exc:
            return "closed", _reason(exc)
        except QadeskError as exc:
            return "refused", _reason(exc)
        except (SQLAlchemyError, OSError) as exc:
            return "failed", _reason(exc)
        else:
            return "saved", (result, datetime.now().astimezone())
    raise AssertionError("unreachable")  # the last attempt always returns


def _reason(exc: BaseException) -> str:
    message = getattr(exc, "message", None) or str(exc) or type(exc).__name__
    if isinstance(exc, SQLAlchemyError):
        orig = getattr(exc, "orig", None)
        message = str(orig) if orig is not None else message.splitlines()[0]
    return message.splitlines()[0][:200]
