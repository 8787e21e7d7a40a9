"""Background work through one helper (Anki's ``aqt.operations`` idea).

An operation is a plain function ``fn(progress, cancel)`` that runs off the UI
thread: ``progress(done, total)`` reports how far it is and ``cancel()`` says
whether the user asked it to stop.  Database work runs one job at a time (its
own single-thread pool); success and failure come back on the main thread; a
failure with no handler becomes a dialog through :mod:`qadesk.ui.messages`.
The progress dialog appears only when the work takes longer than half a
second, with a Cancel button.

What stays on the UI thread is a *trivial read*: a read that is bounded by a
key or an index, so it costs the same at 100,000 audits as at 100, and that
under WAL never waits for another process's lock (readers never wait for the
writer).  That is: one row, or one audit with its own answers and actions, by
its key (opening an audit's tab or form, the checks before submit, a
template's definition, the audits behind the Recent menu); the profile; a
``LIMIT 1`` existence check; the choices of a drop-down read from an index
(teams, practitioners, programme names, templates without their audit
counts); and one page of the audits list (a count and 200 rows, sorted and
filtered in SQL, at most 30 ms at 100,000 audits in docs/benchmarks.md).
Everything else goes through :class:`Operations`: every write, however small
(the command line or another process may hold SQLite's write lock for up to
the busy timeout), every other list, count, statistic or search, rekeying,
and every report, pack or return written from the store.  The exceptions are
the steps of opening a store before the window shows it (migrations, the
shipped templates of a new store, the first-run choice of encryption).
Widgets never keep a Session: the work function opens its own in the pool and
hands back plain values.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

import shiboken6
from PySide6.QtCore import QCoreApplication, QObject, QRunnable, Qt, QThreadPool, QTimer, Signal
from PySide6.QtWidgets import QApplication, QProgressDialog, QWidget

from qadesk.core.errors import QadeskError
from qadesk.ui import messages

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from qadesk.store import Store

log = logging.getLogger("qadesk.operations")

PROGRESS_DELAY_MS = 500

Progress = Callable[[int, int], None]
CancelCheck = Callable[[], bool]


class _Signals(QObject):
    """Lives on the main thread, so signals emitted by the worker are delivered there."""

    progressed = Signal(int, int)
    succeeded = Signal(object)
    failed = Signal(object)


class Operation(QObject):
    """A running piece of work; ``finished`` fires on the main thread when it ends, however it ends."""

    finished = Signal()

    def __init__(self, label: str, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.label = label
        self.done = False
        self.result: Any = None
        self.error: BaseException | None = None
        self.visible = True  # quiet work (counting for a screen) is cancelled on quit without asking
        self.cancellable = True  # False: a write that must finish (an autosave, a rekey) is never stopped
        self.exclusive = False  # the store is being rekeyed: nothing else may touch it meanwhile
        self._cancel = threading.Event()
        self._ended = threading.Event()  # set by the worker once its result is on its way to the main thread
        self.signals = _Signals()

    def cancel(self) -> None:
        if self.cancellable:
            self._cancel.set()

    @property
    def cancelled(self) -> bool:
        return self._cancel.is_set()

    def wait(self, timeout_ms: int = 30_000) -> bool:
        """Block until the work has ended and deliver its result now (closing a form, tests).

        Only this operation's result is delivered (no other event is processed), so nothing the
        person does can slip in while the caller waits.  False when it had not ended in time.
        """
        if not self.done:
            if not self._ended.wait(timeout_ms / 1000):
                return False
            QCoreApplication.sendPostedEvents(self.signals, 0)
        return self.done


class _Runnable(QRunnable):
    def __init__(self, op: Operation, fn: Callable[[Progress, CancelCheck], Any]) -> None:
        super().__init__()
        self.op = op
        self.fn = fn
        self.setAutoDelete(True)

    def run(self) -> None:
        signals = self.op.signals
        try:
            result = self.fn(lambda done, total: signals.progressed.emit(int(done), int(total)),
                             self.op._cancel.is_set)
        except BaseException as exc:  # noqa: BLE001 - every failure goes back to the main thread
            signals.failed.emit(exc)
        else:
            signals.succeeded.emit(result)
        finally:
            self.op._ended.set()


class Operations(QObject):
    """Runs operations for one window and shows their progress over it."""

    started = Signal(str)
    ended = Signal(str)

    def __init__(self, window: QWidget | None) -> None:
        super().__init__(window)
        self.window = window
        self._db = QThreadPool(self)
        self._db.setMaxThreadCount(1)  # SQLite has one writer: database jobs queue, never race
        self._other = QThreadPool(self)
        self.running: list[Operation] = []

    def run(self, fn: Callable[[Progress, CancelCheck], Any], *, label: str,
            on_success: Callable[[Any], None] | None = None,
            on_failure: Callable[[BaseException], None] | None = None,
            on_cancelled: Callable[[], None] | None = None,
            database: bool = True, show_progress: bool = True, cancellable: bool = True,
            exclusive: bool = False) -> Operation:
        """Start ``fn(progress, cancel)`` in the background; callbacks run on the main thread.

        ``exclusive`` work (rekeying the store) has the store to itself: it queues behind the
        database work before it, and while :attr:`exclusive` is True nothing on the UI thread
        should read the store (a poll for changes skips its turn).
        """
        op = Operation(label, self)
        op.visible = show_progress
        op.cancellable = cancellable
        op.exclusive = exclusive
        dialog: list[QProgressDialog] = []
        last = [0, 0]

        def on_progress(done: int, total: int) -> None:
            last[:] = [done, total]
            if dialog:
                _update(dialog[0], done, total)

        def show_dialog() -> None:
            if op.done or not show_progress:
                return
            d = QProgressDialog(label, "Cancel" if cancellable else "", 0, 0, self.window)
            d.setObjectName("operation.progress")
            d.setWindowTitle(label)
            d.setAccessibleName(label)
            d.setWindowModality(Qt.WindowModality.WindowModal)
            d.setMinimumDuration(0)
            d.setAutoClose(False)
            d.setAutoReset(False)
            if cancellable:
                d.canceled.connect(lambda: _cancel_requested(d))
            else:
                d.setCancelButton(None)
            _update(d, *last)
            d.show()
            dialog.append(d)

        def _cancel_requested(d: QProgressDialog) -> None:
            op.cancel()
            d.setLabelText(f"{label}\nStopping…")

        def finish() -> None:
            op.done = True
            if dialog:
                dialog[0].hide()
                dialog[0].deleteLater()
            if op in self.running:
                self.running.remove(op)
            self.ended.emit(label)
            op.finished.emit()

        def release() -> None:
            # A finished operation lets go of its Qt objects, its connections with them (an autosave
            # makes one operation per pause in typing, so a day's work would otherwise keep thousands).
            # What callers kept of it (done, result, error) stays readable: those are Python attributes.
            if not op._ended.is_set():  # the worker is still returning from its emit: not yet
                QTimer.singleShot(10, self, release)
                return
            for obj in (op.signals, op):
                if shiboken6.isValid(obj):
                    obj.deleteLater()

        def on_succeeded(result: Any) -> None:
            op.result = result
            finish()
            try:
                if op.cancelled and on_cancelled is not None:
                    on_cancelled()
                elif on_success is not None:
                    on_success(result)
            finally:
                QTimer.singleShot(0, self, release)

        def on_failed(exc: BaseException) -> None:
            op.error = exc
            finish()
            try:
                if op.cancelled:
                    log.info("%s: cancelled (%s)", label, type(exc).__name__)
                    if on_cancelled is not None:
                        on_cancelled()
                    return
                if on_failure is not None:
                    on_failure(exc)
                else:
                    messages.show_exception(exc, self.window)
            finally:
                QTimer.singleShot(0, self, release)

        op.signals.progressed.connect(on_progress)
        op.signals.succeeded.connect(on_succeeded)
        op.signals.failed.connect(on_failed)
        self.running.append(op)
        self.started.emit(label)
        QTimer.singleShot(PROGRESS_DELAY_MS, op, show_dialog)
        (self._db if database else self._other).start(_Runnable(op, fn))
        return op

    @property
    def exclusive(self) -> bool:
        """True while work that needs the store to itself (rekeying) is queued or running."""
        return any(op.exclusive for op in self.running)

    def cancel_all(self) -> None:
        for op in list(self.running):
            op.cancel()

    def wait(self, timeout_ms: int = 30_000) -> bool:
        """Wait for every operation to end and deliver its results (closing or locking the window).

        Work started by a result (a list reloaded once a change is written) is waited for too.
        """
        deadline = time.monotonic() + timeout_ms / 1000
        app = QApplication.instance()
        while True:
            left = max(0, int((deadline - time.monotonic()) * 1000))
            ok = self._db.waitForDone(left) and self._other.waitForDone(left)
            if app is not None:
                app.processEvents()
            if not ok:
                return False
            if not self.running or time.monotonic() >= deadline:
                return not self.running


def _update(d: QProgressDialog, done: int, total: int) -> None:
    if total > 0:
        d.setMaximum(total)
        d.setValue(min(done, total))
        d.setLabelText(f"{d.windowTitle()}\n{done:,} of {total:,}")



class Loader:
    """A screen's data, loaded in the background one load at a time (Home, Actions, Moderation).

    ``load(fetch, show)`` runs ``fetch()`` off the UI thread and then
    ``show(result)`` on it.  A load asked for while one runs replaces any
    waiting one and starts when the running one ends, whose result is then
    stale and not shown: filters changed quickly cost one extra query, never a
    flicker of old rows.  Without ``ops`` (a screen used on its own) the load
    happens at once.
    """

    def __init__(self, ops: Operations | None, label: str, parent: QWidget) -> None:
        self.ops = ops
        self.label = label
        self.parent = parent
        self.busy = False
        self._waiting: tuple[Callable[[], Any], Callable[[Any], None]] | None = None

    def load(self, fetch: Callable[[], Any], show: Callable[[Any], None]) -> None:
        if self.ops is None:
            show(fetch())
            return
        if self.busy:
            self._waiting = (fetch, show)
            return
        self.busy = True

        def done(result: Any) -> None:
            self.busy = False
            waiting, self._waiting = self._waiting, None
            if waiting is not None:
                self.load(*waiting)
            else:
                show(result)

        def failed(exc: BaseException) -> None:
            self.busy = False
            self._waiting = None
            messages.show_exception(exc, self.parent)

        self.ops.run(lambda _progress, _cancel: fetch(), label=self.label, on_success=done, on_failure=failed,
                     show_progress=False)


def in_transaction(ops: Operations, store: Store, work: Callable[[Session], Any], *, label: str,
                   parent: QWidget | None, done: Callable[[Any], None] | None = None,
                   refused: Callable[[QadeskError], None] | None = None,
                   busy: Sequence[QWidget] = ()) -> Operation:
    """``work(session)`` in its own transaction in the database pool; ``done(result)`` on the main thread.

    The ``busy`` controls are disabled while it runs (nobody starts it twice, nothing looks frozen)
    and enabled again before ``done``.  A :class:`QadeskError` goes to ``refused``, or becomes the
    same message over ``parent`` as when the work ran on the UI thread; a fault is shown as one.
    ``work`` must return plain values (rows turned into data), never ORM objects to read later.
    """
    def run(_progress: Progress, _cancel: CancelCheck) -> Any:
        with store.transaction() as session:
            return work(session)

    controls = list(busy)
    for w in controls:
        w.setEnabled(False)

    def release() -> None:
        for w in controls:
            if shiboken6.isValid(w):
                w.setEnabled(True)

    def succeeded(result: Any) -> None:
        release()
        if done is not None:
            done(result)

    def failed(exc: BaseException) -> None:
        release()
        if isinstance(exc, QadeskError) and refused is not None:
            refused(exc)
        else:
            messages.show_exception(exc, parent)

    return ops.run(run, label=label, show_progress=False, on_success=succeeded, on_failure=failed)
