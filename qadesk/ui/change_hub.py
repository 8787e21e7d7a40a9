"""The one place where changes to the store become a Qt signal (Anki's ``operation_did_execute``).

:class:`ChangeHub` (one per window and open store) emits ``changed(Changes)``
on the main thread:

- for every commit made in this process (``services.changes`` announces it
  on the committing thread; from a worker thread it reaches the main thread
  through a queued signal, several commits in one);
- for commits made elsewhere (the command line, another process, later a
  sync): while the application is active the hub looks twice a second
  whether anything was committed (``Store.watch``, SQLite's
  ``data_version``) and, when it was, reads the new history entries to learn
  what; its own announcements' entries are left out, so a change made here
  is never announced twice.  A change elsewhere that left no history (the
  profile) is announced as "everything".  It stops looking while the
  application is inactive or minimised and looks once when it is active
  again.

Screens follow it with :func:`follow`: refreshed at once when shown, marked
stale when hidden and refreshed when next shown.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable

from PySide6.QtCore import QEvent, QObject, Qt, QThread, QTimer, Signal
from PySide6.QtWidgets import QApplication, QWidget

from qadesk.services import changes as svc
from qadesk.services.changes import NOTHING, Changes
from qadesk.store import Store

log = logging.getLogger("qadesk.changes")

POLL_MS = 500


class ChangeHub(QObject):
    """``changed(Changes)`` on the main thread for every change to ``store``, made here or elsewhere."""

    changed = Signal(object)
    _arrived = Signal()  # a worker thread's announcement is waiting (queued to the main thread)

    def __init__(self, store: Store, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.store = store
        self._lock = threading.Lock()
        self._waiting = NOTHING  # announced on another thread, not yet emitted
        self._own_history: set[int] = set()  # history entries written here and not yet passed by a poll
        self._own_commits = 0  # commits announced here since the last poll
        self._closed = False
        self._arrived.connect(self._deliver, Qt.ConnectionType.QueuedConnection)
        self._watch = store.watch()
        with store.session() as s:
            self._seq = svc.last_history_seq(s)
        self._watch.changed()  # where counting starts
        announced = self._announced
        svc.subscribe(announced, store)
        # Deleted without close() (its window gone): commits must not call into a deleted object.
        self.destroyed.connect(lambda *_: svc.unsubscribe(announced))
        self._timer = QTimer(self)
        self._timer.setInterval(POLL_MS)
        self._timer.timeout.connect(self._tick)
        app = QApplication.instance()
        if isinstance(app, QApplication):
            app.applicationStateChanged.connect(self._application_state)
            self._application_state(app.applicationState())

    # ------------------------------------------------------------------ changes made here

    def _announced(self, changes: Changes) -> None:
        """A commit in this process (on any thread): emitted at once on the main thread, queued otherwise."""
        with self._lock:
            self._own_history |= changes.history
            self._own_commits += 1
            if QThread.currentThread() is not self.thread():
                first = not self._waiting
                self._waiting = self._waiting | changes
                if first:
                    self._arrived.emit()
                return
        self._emit(changes)

    def _deliver(self) -> None:
        with self._lock:
            waiting, self._waiting = self._waiting, NOTHING
        if waiting:
            self._emit(waiting)

    def _emit(self, changes: Changes) -> None:
        if self._closed or not changes:
            return
        log.debug("changed: %s", changes.describe())
        self.changed.emit(changes.without_history())

    # ------------------------------------------------------------------ changes made elsewhere

    def poll(self) -> Changes:
        """Look once whether another connection committed; emit and return what it changed."""
        if self._closed or not self._watch.changed():
            return NOTHING
        with self._lock:
            own, own_commits = set(self._own_history), self._own_commits
            self._own_commits = 0
        with self.store.session() as s:
            found, self._seq = svc.from_history(s, self._seq, own)
        with self._lock:
            self._own_history = {seq for seq in self._own_history if seq > self._seq}
        if not found and not own_commits and self.store.is_sqlite:
            found = Changes.everything()  # committed elsewhere and left no history: it could be anything
        if found:
            log.info("changed elsewhere: %s", found.describe())
            self._emit(found)
        return found

    def _tick(self) -> None:
        window = self.parent()
        if isinstance(window, QWidget) and window.isMinimized():
            return  # minimised: looked at again when it is shown and active
        ops = getattr(window, "ops", None)
        if ops is not None and ops.exclusive:
            return  # the store is being rekeyed: nothing reads it meanwhile (looked at on the next turn)
        self.poll()

    def _application_state(self, state: Qt.ApplicationState) -> None:
        if self._closed:
            return
        if state == Qt.ApplicationState.ApplicationActive:
            self.poll()  # what happened while the window was in the background
            self._timer.start()
        else:
            self._timer.stop()

    def close(self) -> None:
        """Stop announcing (the store is being closed or the window goes)."""
        if self._closed:
            return
        self._closed = True
        svc.unsubscribe(self._announced)
        self._timer.stop()
        self._watch.close()
        app = QApplication.instance()
        if isinstance(app, QApplication):
            app.applicationStateChanged.disconnect(self._application_state)


class Follower(QObject):
    """Keeps one widget's view up to date with the hub (see :func:`follow`)."""

    def __init__(self, hub: ChangeHub, widget: QWidget, wants: Callable[[Changes], bool],
                 refresh: Callable[[], None]) -> None:
        super().__init__(widget)
        self.widget, self.wants, self.refresh = widget, wants, refresh
        self.stale = False
        hub.changed.connect(self._changed)
        widget.installEventFilter(self)

    def _changed(self, changes: Changes) -> None:
        if not self.wants(changes):
            return
        if self.widget.isVisible():
            self.stale = False
            self.refresh()
        else:
            self.stale = True

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802 - Qt's name
        if watched is self.widget and event.type() == QEvent.Type.Show and self.stale:
            self.stale = False
            self.refresh()
        return False


def follow(hub: ChangeHub | None, widget: QWidget, kinds: tuple[str, ...] | Callable[[Changes], bool],
           refresh: Callable[[], None]) -> Follower | None:
    """Call ``refresh()`` when a change of one of ``kinds`` (see :meth:`Changes.concerns`) happens:
    at once while ``widget`` is shown, when it is next shown otherwise.  No hub (a widget used on
    its own, in a test): nothing to follow."""
    if hub is None:
        return None
    wants = kinds if callable(kinds) else (lambda c, k=kinds: c.concerns(*k))
    return Follower(hub, widget, wants, refresh)
