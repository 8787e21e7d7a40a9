"""The Qt binding itself must keep Python's reference counts: PySide6 6.12.0 on CPython 3.11 did not.

There every void method call took a reference from ``None`` and every
``signal.emit()`` one from ``True``; after a few thousand calls the program
aborted ("none_dealloc: deallocating None"), losing the auditor's window.
CPython 3.12+ makes both immortal, so the counts do not move there either.
"""

from __future__ import annotations

import sys

import pytest
from PySide6.QtCore import QObject, Signal
from PySide6.QtWidgets import QLabel

pytestmark = pytest.mark.gui


class _Sender(QObject):
    ping = Signal(str)


def test_void_calls_and_emits_keep_reference_counts(qapp):
    label, sender = QLabel(), _Sender()
    none_before, true_before = sys.getrefcount(None), sys.getrefcount(True)
    for _ in range(500):
        label.setText("made-up")
        sender.ping.emit("made-up")
    assert sys.getrefcount(None) - none_before > -50
    assert sys.getrefcount(True) - true_before > -50
