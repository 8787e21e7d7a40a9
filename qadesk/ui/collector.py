"""Python's garbage collector runs on the UI thread only.

Python collects reference cycles in whichever thread happens to allocate when a
generation's threshold is passed.  With background work (qadesk.ui.operations)
that is often a worker thread, and a cycle can hold Qt objects that belong to
the UI thread: a dialog that is closed, the signals of a finished operation.
Deleting those from a worker races the UI thread delivering their events, a use
after free that ends the program (seen as a segfault in
``QCoreApplication::notifyInternal2``).  So, as Anki does, automatic collection
is turned off and a timer on the UI thread collects instead, with the same
thresholds; plain reference counting still frees everything not in a cycle at
once, on any thread.
"""

from __future__ import annotations

import gc

import shiboken6
from PySide6.QtCore import QObject, QTimer

INTERVAL_MS = 500


class MainThreadCollector(QObject):
    """Collects on a timer of the object's (the UI) thread; automatic collection stays off while it lives."""

    def __init__(self, parent: QObject) -> None:
        super().__init__(parent)
        self._thresholds = gc.get_threshold()
        gc.disable()
        self._timer = QTimer(self)
        self._timer.timeout.connect(self.check)
        self._timer.start(INTERVAL_MS)
        self.destroyed.connect(_enable)

    def check(self) -> None:
        """Collect the oldest generation whose allocation count is past its threshold (as gc would)."""
        counts = gc.get_count()
        for generation in (2, 1, 0):
            if counts[generation] > self._thresholds[generation]:
                gc.collect(generation)
                return


def _enable() -> None:
    gc.enable()


_installed: list[MainThreadCollector] = []


def collect_on_the_ui_thread(app: QObject) -> None:
    """Install the collector on ``app`` (the QApplication) once."""
    if _installed and shiboken6.isValid(_installed[0]):
        return
    _installed[:] = [MainThreadCollector(app)]
